#!/usr/bin/env python3
"""Side-by-side benchmark of ztguardd against the official Python SDK script (bench/peer.py) and the
network-only floor, each against a fresh loopback `fake-cloudflare`; then ztguardd's idle cost as a daemon.

    python3 bench/compare.py [--sizes 100000,10000] [--repeats 5] [--idle-seconds 30] [--skip-build]

Run by `make bench-compare` (and `make bench`), which first installs the SDK into bench/.venv.
Builds release `ztguardd` and `fake-cloudflare` into .build-benchrun (never .build). Every server listens
on 127.0.0.1, every process runs under a timeout and is stopped before the script ends.
Writes the raw samples and the medians to bench/results/compare-TIMESTAMP.json and prints Markdown tables.

Measured for each tool, with a fresh fake (same seed, so the same fleet) per run:
  ztguardd-dry   `ztguardd run --once --dry-run`
  ztguardd       `ztguardd run --once` (acting: revokes)
  peer-sdk       bench/peer.py, cloudflare SDK (acting: revokes)
  curl-floor     bench/curl_pages.sh: every listing page with curl, one process per page, nothing else
  http-floor     bench/fetch_pages.py: every listing page on one keep-alive connection, nothing else
  curl-same, http-same  the same, for the pages ztguardd itself fetches: the listing filtered by
                 seen_before (its rule needs last_seen_older_than and max_fraction is 1, see README)
  ztguardd-b100  (diagnostic, not the same job) ztguardd acting with batch_size = 100
Wall time is measured around the process; CPU (user+sys) and peak RSS come from /usr/bin/time
(getrusage of the children: the largest single process's peak RSS); API requests from the fake's log.
"""

import argparse
import datetime
import json
import os
import platform
import re
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SCRATCH = ".build-benchrun"
ACCOUNT = "699d98642c564d2e855e9661899b7252"  # the fake's default account id
TOKEN = "bench-token-3b1f0c9e"
SEED = "42"
PEER_PYTHON = os.path.join(BENCH, ".venv", "bin", "python")
TIME = "/usr/bin/time"

CONFIG = """\
dry_run = false

[cloudflare]
account_id = "{account}"
api_base = "{base}"
allow_custom_api_base = true         # the loopback fake receives the token
per_page = 1000

[schedule]
interval = "1h"
jitter = "0"

[limits]
requests_per_minute = 240            # the highest the configuration accepts
max_actions_per_run = 1000000        # no safety limit stops the benchmark run
max_fraction = 1.0
batch_size = {batch}

[[rule]]
name = "unseen-90-days"
action = "revoke"
[rule.match]
last_seen_older_than = "90d"
"""

TOOLS = ["ztguardd-dry", "ztguardd", "peer-sdk", "curl-floor", "http-floor", "curl-same", "http-same", "ztguardd-b100"]


def seen_before_filter():
    """The seen_before ztguardd sends for the benchmark's rule: the next whole second after now - 90 days.
    (The fake's registrations are at least a day from that cutoff, so a few seconds' difference in `now`
    selects the same pages.)"""
    cutoff = int(time.time()) - 90 * 86_400 + 1
    return "seen_before=" + datetime.datetime.fromtimestamp(cutoff, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(message):
    print(message, file=sys.stderr, flush=True)


def build(skip):
    # The release build's own flags (static runtime, lld's function order), as `make release` builds it.
    flags = subprocess.run(["make", "-s", "print-release-flags"], cwd=ROOT, check=True, capture_output=True,
                           text=True, timeout=60).stdout.splitlines()
    swift = os.environ.get("SWIFT", "swift")
    commands = [
        [swift, "build", *flags, "--scratch-path", SCRATCH, "--product", product]
        for product in ("ztguardd", "fake-cloudflare")
    ]
    if not skip:
        # SwiftPM does not see the order file as a link input: a binary older than it is linked again.
        order = os.path.join(ROOT, "linker", "ztguardd.order")
        stale = os.path.join(ROOT, SCRATCH, "release", "ztguardd")
        if os.path.exists(stale) and os.path.exists(order) and os.path.getmtime(order) > os.path.getmtime(stale):
            os.remove(stale)
        for command in commands:
            log("+ " + " ".join(command))
            subprocess.run(command, cwd=ROOT, check=True, timeout=3600)
    bin_path = subprocess.run(
        commands[0] + ["--show-bin-path"], cwd=ROOT, check=True, timeout=600, capture_output=True, text=True
    ).stdout.strip()
    binaries = {name: os.path.join(bin_path, name) for name in ("ztguardd", "fake-cloudflare")}
    for path in binaries.values():
        if not os.access(path, os.X_OK):
            raise SystemExit(f"missing {path}; run without --skip-build")
    return binaries


class Fake:
    """A fresh fake-cloudflare on 127.0.0.1 with a request log; stopped by SIGTERM on exit."""

    # REQUESTS/SECONDS the fake enforces (--fake-rate-limit), answering 429 beyond it; None: no limit.
    rate_limit = None

    def __init__(self, binary, registrations, workdir, name):
        self.log_path = os.path.join(workdir, f"{name}.requests.jsonl")
        self.stderr_path = os.path.join(workdir, f"{name}.fake.stderr")
        self.command = [
            binary, "--host", "127.0.0.1", "--port", "0", "--registrations", str(registrations),
            "--seed", SEED, "--token", TOKEN, "--log", self.log_path,
        ]
        if Fake.rate_limit:
            self.command += ["--rate-limit", Fake.rate_limit]
        self.process = None
        self.base = None

    def __enter__(self):
        with open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=180):
            self.stop()
            raise SystemExit("fake-cloudflare did not start within 180 s")
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+/client/v4)", line)
        if not match:
            self.stop()
            raise SystemExit(f"fake-cloudflare said {line!r}")
        self.base = match.group(1)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __exit__(self, *exc):
        self.stop()

    def requests(self):
        with open(self.log_path) as file:
            return [json.loads(line) for line in file if line.strip()]


def write_config(workdir, base, batch):
    path = os.path.join(workdir, f"ztguardd-{batch}.toml")
    with open(path, "w") as file:
        file.write(CONFIG.format(account=ACCOUNT, base=base, batch=batch))
    return path


def tool_command(tool, binaries, workdir, base):
    """The command line and extra environment of one measured run."""
    env = {"CLOUDFLARE_API_TOKEN": TOKEN}
    if tool.startswith("ztguardd"):
        state = tempfile.mkdtemp(prefix="state-", dir=workdir)
        env["STATE_DIRECTORY"] = state
        config = write_config(workdir, base, 100 if tool == "ztguardd-b100" else 50)
        command = [binaries["ztguardd"], "run", "--once", "--config", config]
        if tool == "ztguardd-dry":
            command.append("--dry-run")
        return command, env, state
    if tool == "peer-sdk":
        return [PEER_PYTHON, os.path.join(BENCH, "peer.py"), "--base-url", base, "--account-id", ACCOUNT], env, None
    if tool == "curl-floor":
        return ["bash", os.path.join(BENCH, "curl_pages.sh"), base, ACCOUNT], env, None
    if tool == "http-floor":
        return [sys.executable, os.path.join(BENCH, "fetch_pages.py"), base, ACCOUNT], env, None
    if tool == "curl-same":
        return ["bash", os.path.join(BENCH, "curl_pages.sh"), base, ACCOUNT, "1000", seen_before_filter()], env, None
    if tool == "http-same":
        return [sys.executable, os.path.join(BENCH, "fetch_pages.py"), base, ACCOUNT, "1000", seen_before_filter()], env, None
    raise ValueError(tool)


def measure(tool, binaries, size, workdir, run_name, timeout):
    with Fake(binaries["fake-cloudflare"], size, workdir, run_name) as fake:
        command, extra_env, state = tool_command(tool, binaries, workdir, fake.base)
        time_path = os.path.join(workdir, f"{run_name}.time")
        out_path = os.path.join(workdir, f"{run_name}.out")
        err_path = os.path.join(workdir, f"{run_name}.err")
        env = dict(os.environ, **extra_env)
        with open(out_path, "w") as out, open(err_path, "w") as err:
            started = time.monotonic()
            process = subprocess.Popen([TIME, "-f", "%e %U %S %M", "-o", time_path] + command,
                                       env=env, stdout=out, stderr=err)
            # A blocking wait (Popen.wait with a timeout polls, in steps of up to 50 ms); a timer kills it.
            killer = threading.Timer(timeout, process.kill)
            killer.start()
            returncode = process.wait()
            wall = time.monotonic() - started
            killer.cancel()
        fake.stop()
        if returncode != 0:
            raise SystemExit(f"{tool} exited {returncode}; see {err_path}")
        _, user, system, rss_kb = open(time_path).read().split()[-4:]
        requests = fake.requests()
    revoked = sorted(
        identifier
        for request in requests
        if request["method"] == "POST" and request["path"].endswith("/revoke")
        for identifier in request["query"].get("id", [])
    )
    selected = None
    if state:
        reports = [os.path.join(state, "runs", name) for name in os.listdir(os.path.join(state, "runs"))]
        report = json.load(open(reports[0]))
        selected = sorted(action["registration_id"] for action in report["actions"])
    return {
        "wall_s": wall,
        "cpu_s": float(user) + float(system),
        "user_s": float(user),
        "sys_s": float(system),
        "rss_mb": int(rss_kb) / 1024,
        "requests": len(requests),
        "revoke_requests": sum(1 for r in requests if r["path"].endswith("/revoke")),
        "list_requests": sum(1 for r in requests if r["path"].endswith("/devices/registrations")),
        "throttled": sum(1 for r in requests if r.get("status") == 429),
        "revoked": revoked,
        "selected": selected,
    }


def median(samples, key):
    return statistics.median(sample[key] for sample in samples)


def proc_sample(pid):
    """RSS, CPU ticks and context switches (summed over every thread) of a running process."""
    status = open(f"/proc/{pid}/status").read()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    voluntary = involuntary = 0
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            task = open(f"/proc/{pid}/task/{tid}/status").read()
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
        except FileNotFoundError:
            continue
        v = int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", task, re.M).group(1))
        n = int(re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", task, re.M).group(1))
        voluntary += v
        involuntary += n
        threads[f"{tid}:{name}"] = v + n
    return {
        "time": time.monotonic(),
        "vmrss_mb": int(fields["VmRSS"].split()[0]) / 1024,
        "vmhwm_mb": int(fields["VmHWM"].split()[0]) / 1024,
        "rss_anon_mb": int(fields["RssAnon"].split()[0]) / 1024,
        "threads": int(fields["Threads"]),
        "ticks": int(stat[11]) + int(stat[12]),  # utime + stime, fields 14 and 15
        "voluntary": voluntary,
        "involuntary": involuntary,
        "per_thread": threads,
    }


def unit_environment():
    """The `Environment=` assignments of the shipped unit (systemd/ztguardd.service), as a dict."""
    env = {}
    with open(os.path.join(ROOT, "systemd", "ztguardd.service")) as unit:
        for line in unit:
            if line.startswith("Environment="):
                for assignment in line[len("Environment="):].split():
                    key, _, value = assignment.partition("=")
                    env[key] = value
    return env


def idle(binaries, size, workdir, seconds, watchdog_usec):
    """Starts the daemon, waits for its first run to finish, then watches it idle for `seconds`.
    The daemon gets the environment its unit sets (the unit is how it runs as a daemon)."""
    name = f"idle-{size}-{'wd' if watchdog_usec else 'nowd'}"
    with Fake(binaries["fake-cloudflare"], size, workdir, name) as fake:
        config = write_config(workdir, fake.base, 50)
        state = tempfile.mkdtemp(prefix="state-", dir=workdir)
        env = dict(os.environ, CLOUDFLARE_API_TOKEN=TOKEN, STATE_DIRECTORY=state, **unit_environment())
        notify = None
        if watchdog_usec:
            notify_path = os.path.join(workdir, f"{name}.notify")
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(notify_path)
            notify.setblocking(False)
            env.update(NOTIFY_SOCKET=notify_path, WATCHDOG_USEC=str(watchdog_usec))
        err_path = os.path.join(workdir, f"{name}.err")
        with open(err_path, "w") as err:
            daemon = subprocess.Popen([binaries["ztguardd"], "run", "--config", config], env=env,
                                      stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 600
            run_seconds = None
            started = time.monotonic()
            position = 0
            while time.monotonic() < deadline:
                if daemon.poll() is not None:
                    raise SystemExit(f"daemon exited {daemon.returncode}; see {err_path}")
                with open(err_path, "rb") as records:
                    records.seek(max(0, position - 64))
                    fresh = records.read()
                    position += len(fresh) - min(position, 64)
                if b'"run-finished"' in fresh or b'"run-failed"' in fresh:
                    run_seconds = time.monotonic() - started
                    break
                time.sleep(0.2)
            else:
                raise SystemExit("the daemon's first run did not finish within 600 s")
            time.sleep(2)  # let the run's last writes settle

            def drain():
                messages = []
                while notify:
                    try:
                        messages.append(notify.recv(4096).decode())
                    except BlockingIOError:
                        break
                return messages

            drain()
            before = proc_sample(daemon.pid)
            requests_before = len(fake.requests())
            time.sleep(seconds)
            after = proc_sample(daemon.pid)
            requests_after = len(fake.requests())
            mappings = rss_by_mapping(daemon.pid)
            messages = drain()
        finally:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(timeout=10)
            if notify:
                notify.close()
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    woken = {
        thread: after["per_thread"][thread] - before["per_thread"].get(thread, 0)
        for thread in after["per_thread"]
        if after["per_thread"][thread] - before["per_thread"].get(thread, 0) > 0
    }
    return {
        "registrations": size,
        "watchdog_usec": watchdog_usec,
        "first_run_s": run_seconds,
        "seconds": after["time"] - before["time"],
        "vmrss_mb": after["vmrss_mb"],
        "vmhwm_mb": after["vmhwm_mb"],
        "rss_anon_mb": after["rss_anon_mb"],
        "threads": after["threads"],
        "cpu_ms": (after["ticks"] - before["ticks"]) * 1000 / ticks_per_second,
        # Per thread: a thread that exited meanwhile takes its count with it, a new one counts whole.
        "context_switches": sum(woken.values()),
        "threads_started": sorted(set(after["per_thread"]) - set(before["per_thread"])),
        "threads_exited": sorted(set(before["per_thread"]) - set(after["per_thread"])),
        "woken_threads": woken,
        "watchdog_pings": sum(message.count("WATCHDOG=1") for message in messages),
        "api_requests_while_idle": requests_after - requests_before,
        "rss_by_mapping_mb": mappings,
    }


def rss_by_mapping(pid, top=8):
    """Resident MB per mapped file (anonymous memory as [anon]), the largest first."""
    totals = {}
    name = None
    for line in open(f"/proc/{pid}/smaps"):
        first = line.split(None, 1)[0]
        if re.match(r"^[0-9a-f]+-[0-9a-f]+$", first):
            parts = line.split()
            name = os.path.basename(parts[5]) if len(parts) > 5 and parts[5].startswith("/") else (
                parts[5] if len(parts) > 5 else "[anon]")
        elif first == "Rss:":
            totals[name] = totals.get(name, 0) + int(line.split()[1])
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return {key: round(kb / 1024, 1) for key, kb in ranked[:top]}


def fmt(value, digits=2):
    return f"{value:,.{digits}f}"


def report(results, machine):
    lines = []
    for size, tools in results["runs"].items():
        lines.append(f"\n### {int(size):,} registrations (median of {results['repeats']} runs)\n")
        lines.append("| tool | wall s | CPU s (user+sys) | peak RSS MB | API requests (list + revoke + other) | 429s |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for tool in TOOLS:
            samples = tools.get(tool)
            if not samples:
                continue
            requests = median(samples, "requests")
            other = requests - median(samples, "list_requests") - median(samples, "revoke_requests")
            lines.append(
                f"| {tool} | {fmt(median(samples, 'wall_s'))} | {fmt(median(samples, 'cpu_s'))} "
                f"| {fmt(median(samples, 'rss_mb'), 1)} | {requests:.0f} ({median(samples, 'list_requests'):.0f} + "
                f"{median(samples, 'revoke_requests'):.0f} + {other:.0f}) | {max(s['throttled'] for s in samples)} |"
            )
        z, p = tools.get("ztguardd"), tools.get("peer-sdk")
        dry = tools.get("ztguardd-dry")
        lines.append("")
        if z and p:
            for key, label, target in [
                ("cpu_s", "CPU", "≤ 0.10"), ("rss_mb", "peak RSS", "≤ 0.20"),
                ("wall_s", "wall", "≤ 0.33"), ("requests", "API requests", "≤ 1"),
            ]:
                ratio = median(z, key) / median(p, key)
                lines.append(f"- ztguardd / SDK script, {label}: **{ratio:.3f}** (target {target})")
        if dry:
            for floor in ("curl-same", "http-same", "curl-floor", "http-floor"):
                if tools.get(floor):
                    ratio = median(dry, "wall_s") / median(tools[floor], "wall_s")
                    lines.append(f"- dry-run wall / {floor} wall: **{ratio:.2f}** (target ≤ 1.2)")
        check = results["selection_check"].get(size)
        if check:
            lines.append(f"- selection: {check}")
    if results.get("idle"):
        lines.append("\n### Idle daemon (`ztguardd run`, interval 1h, after its first acting run)\n")
        lines.append("| registrations | WATCHDOG_USEC | first run s | idle s | VmRSS MB | VmHWM MB | RssAnon MB | threads "
                     "| CPU ms while idle | context switches | watchdog pings | API requests while idle |")
        lines.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for entry in results["idle"]:
            lines.append(
                f"| {entry['registrations']:,} | {entry['watchdog_usec'] or 'unset'} | {fmt(entry['first_run_s'], 1)} "
                f"| {fmt(entry['seconds'], 1)} | {fmt(entry['vmrss_mb'], 1)} | {fmt(entry['vmhwm_mb'], 1)} "
                f"| {fmt(entry['rss_anon_mb'], 1)} | {entry['threads']} | {entry['cpu_ms']:.0f} "
                f"| {entry['context_switches']} | {entry['watchdog_pings']} | {entry['api_requests_while_idle']} |"
            )
        for entry in results["idle"]:
            lines.append(f"- threads that ran while idle (WATCHDOG_USEC={entry['watchdog_usec'] or 'unset'}): "
                         f"{entry['woken_threads'] or 'none'}; started {entry['threads_started'] or 'none'}, "
                         f"exited {entry['threads_exited'] or 'none'}")
            lines.append(f"- resident MB by mapping: {entry['rss_by_mapping_mb']}")
    lines.append(f"\nMachine: {machine}")
    return "\n".join(lines)


def machine_description():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    memory_kb = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")))
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True, timeout=60).stdout.splitlines()
    peer = subprocess.run([PEER_PYTHON, "-c", "import cloudflare, sys; print(cloudflare.__version__, sys.version.split()[0])"],
                          capture_output=True, text=True, timeout=60).stdout.split()
    return (f"nproc {os.cpu_count()}; CPU {cpu}; {memory_kb / 1024 / 1024:.0f} GB memory; "
            f"{swift[0] if swift else 'swift ?'}; Python {peer[1] if len(peer) > 1 else '?'}, "
            f"cloudflare SDK {peer[0] if peer else '?'}; curl {subprocess.run(['curl', '--version'], capture_output=True, text=True).stdout.split()[1]}; "
            f"kernel {platform.release()}")


def main():
    parser = argparse.ArgumentParser(description="ztguardd against the Python SDK script and the network floor")
    parser.add_argument("--sizes", default="100000,10000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--idle-size", type=int, default=100000, help="0: skip the idle measurement")
    parser.add_argument("--watchdog-usec", type=int, default=10_000_000, help="WATCHDOG_USEC for the second idle run")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for one measured run")
    parser.add_argument("--fake-rate-limit", help="REQUESTS/SECONDS every fake enforces, e.g. 1200/300 (Cloudflare's)")
    args = parser.parse_args()
    Fake.rate_limit = args.fake_rate_limit

    for required in (TIME, PEER_PYTHON):
        if not os.access(required, os.X_OK):
            raise SystemExit(f"missing {required} (make bench-compare installs it)")
    binaries = build(args.skip_build)
    machine = machine_description()
    log(machine)
    tools = [tool for tool in args.tools.split(",") if tool]
    results = {"repeats": args.repeats, "machine": machine, "runs": {}, "selection_check": {}, "idle": []}
    workdir = tempfile.mkdtemp(prefix="ztguardd-bench-")
    try:
        for size in [int(s) for s in args.sizes.split(",") if s]:
            runs = results["runs"].setdefault(str(size), {})
            for repeat in range(args.repeats):
                for tool in tools:
                    sample = measure(tool, binaries, size, workdir, f"{size}-{tool}-{repeat}", args.timeout)
                    runs.setdefault(tool, []).append(sample)
                    log(f"{size:>7} {tool:<14} #{repeat + 1}: wall {sample['wall_s']:.2f} s, cpu {sample['cpu_s']:.2f} s, "
                        f"rss {sample['rss_mb']:.1f} MB, {sample['requests']} requests, {len(sample['revoked'])} revoked")
            # Both acting tools must have revoked the same registrations, and the dry run must select them.
            sets = {tool: [tuple(s["revoked"]) for s in runs[tool]] for tool in ("ztguardd", "peer-sdk", "ztguardd-b100")
                    if tool in runs}
            if "ztguardd-dry" in runs:
                sets["ztguardd-dry (selected)"] = [tuple(s["selected"]) for s in runs["ztguardd-dry"]]
            distinct = {variant for variants in sets.values() for variant in variants}
            count = len(next(iter(distinct))) if distinct else 0
            results["selection_check"][str(size)] = (
                f"identical in every run of {', '.join(sets)}: {count:,} registrations" if len(distinct) == 1
                else f"DIFFERENT sets: {len(distinct)} distinct ({ {t: [len(v) for v in vs] for t, vs in sets.items()} })"
            )
            for samples in runs.values():
                for sample in samples:
                    sample.pop("revoked")
                    sample.pop("selected")
        if args.idle_size:
            for watchdog in (0, args.watchdog_usec):
                entry = idle(binaries, args.idle_size, workdir, args.idle_seconds, watchdog)
                results["idle"].append(entry)
                log(f"idle: {entry}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(BENCH, "results", f"compare-{stamp}.json")
    with open(path, "w") as file:
        json.dump(results, file, indent=1)
    print(report(results, machine))
    print(f"\nRaw samples: {os.path.relpath(path, ROOT)}")
    # Figures of tools that did different jobs compare nothing: fail loudly.
    different = [size for size, check in results["selection_check"].items() if check.startswith("DIFFERENT")]
    if different:
        raise SystemExit(f"the tools selected different registrations at {', '.join(different)} registrations")


if __name__ == "__main__":
    main()
