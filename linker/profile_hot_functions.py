#!/usr/bin/env python3
"""Writes linker/ztguardd.order: the functions of ztguardd that its usual work executes, for lld's
--symbol-ordering-file (see the Makefile's RELEASE flags and linker/README.md).

    python3 linker/profile_hot_functions.py [--skip-build]

Run by `make order-file` (root or sudo not needed; needs valgrind). Builds release ztguardd and
fake-cloudflare into .build-order (never .build), serves a simulated fleet of 10,000 registrations
on 127.0.0.1, and runs ztguardd's commands under callgrind: a dry run, an acting run, `plan` (table
and JSON), `check-config`, `inventory`, `history`, `--help`, and the daemon through its first run, a
SIGHUP reload and a SIGTERM. Every function callgrind saw executed inside the ztguardd binary is
listed, sorted by name so that the file's diffs stay readable. Every process runs under a timeout.

A stale list costs memory, never correctness: a function missing from it is laid out after the
listed ones, and a listed name that no longer exists is ignored by the linker.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import compare  # noqa: E402  (the loopback fake and the benchmark's configuration)

SCRATCH = ".build-order"
OUTPUT = os.path.join(ROOT, "linker", "ztguardd.order")


def build(skip):
    flags = subprocess.run(["make", "-s", "print-release-flags"], cwd=ROOT, check=True, capture_output=True,
                           text=True, timeout=60).stdout.split()
    # Profiled without the order file (it is what is being written): drop each `-Xlinker --…symbol-ordering…`.
    kept = []
    for flag in flags:
        if "symbol-ordering" in flag:
            kept.pop()  # its -Xlinker
        else:
            kept.append(flag)
    flags = kept
    commands = [["swift", "build", *flags, "--scratch-path", SCRATCH, "--product", product]
                for product in ("ztguardd", "fake-cloudflare")]
    if not skip:
        for command in commands:
            print("+ " + " ".join(command), file=sys.stderr, flush=True)
            subprocess.run(command, cwd=ROOT, check=True, timeout=3600)
    bin_path = subprocess.run(commands[0] + ["--show-bin-path"], cwd=ROOT, check=True, capture_output=True,
                              text=True, timeout=600).stdout.strip()
    return {name: os.path.join(bin_path, name) for name in ("ztguardd", "fake-cloudflare")}


def wait_for(path, needle, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as file:
            if needle in file.read():
                return
        time.sleep(0.5)
    raise SystemExit(f"{needle!r} did not appear in {path} within {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    binaries = build(args.skip_build)
    work = tempfile.mkdtemp(prefix="ztguardd-order-")
    # Valgrind 3.19 cannot read the DWARF 5 that Swift 6 writes; the symbol table is all it needs.
    profiled = os.path.join(work, "ztguardd")
    subprocess.run(["objcopy", "--strip-debug", binaries["ztguardd"], profiled], check=True, timeout=120)
    outputs = []

    def start(name, arguments, env):
        out = os.path.join(work, f"{name}.callgrind")
        outputs.append(out)
        err = open(os.path.join(work, f"{name}.err"), "w")
        command = ["valgrind", "--tool=callgrind", "--demangle=no", "--dump-instr=no", "--compress-strings=no",
                   "--compress-pos=no", f"--callgrind-out-file={out}", profiled, *arguments]
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)

    with compare.Fake(binaries["fake-cloudflare"], 10_000, work, "order") as fake:
        config = compare.write_config(work, fake.base, 50)

        def environment():
            return dict(os.environ, CLOUDFLARE_API_TOKEN=compare.TOKEN, STATE_DIRECTORY=tempfile.mkdtemp(dir=work))

        state_env = environment()
        runs = [
            ("dry-run", ["run", "--once", "--dry-run", "--config", config], state_env),
            ("plan", ["plan", "--config", config], state_env),
            ("plan-json", ["plan", "--format", "json", "--config", config], state_env),
            ("check-config", ["check-config", "--config", config], state_env),
            ("inventory", ["inventory", "--config", config], state_env),
            ("run", ["run", "--once", "--config", config], state_env),
            ("history", ["history", "--config", config], state_env),
            ("help", ["--help"], state_env),
        ]
        for name, arguments, env in runs:
            process = start(name, arguments, env)
            try:
                process.wait(timeout=600)
            except subprocess.TimeoutExpired:
                process.kill()
                raise SystemExit(f"{name} did not finish within 600 s under valgrind")
        # The daemon: its first run (the fleet is revoked by now; a fresh fake would list it all again),
        # a reload, a graceful stop.
        process = start("daemon", ["run", "--config", config], environment())
        err = os.path.join(work, "daemon.err")
        try:
            wait_for(err, b'"run-finished"', 600)
            process.send_signal(signal.SIGHUP)
            wait_for(err, b'"Configuration reloaded"', 120)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()

    names = set()
    for path in outputs:
        current = None
        with open(path, errors="replace") as file:
            for line in file:
                if line.startswith("ob="):
                    current = line[3:].strip()
                elif line.startswith("fn=") and current == profiled:
                    names.add(re.sub(r"'\d+$", "", line[3:].strip()))  # callgrind's recursion-depth suffix
    if len(names) < 1000:
        raise SystemExit(f"only {len(names)} functions seen; is valgrind working? (logs in {work})")
    with open(OUTPUT, "w") as file:
        file.write("".join(name + "\n" for name in sorted(names)))
    print(f"{len(names)} functions written to {os.path.relpath(OUTPUT, ROOT)}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
