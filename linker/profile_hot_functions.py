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
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import compare  # noqa: E402  (the loopback fake and the benchmark's configuration)

SCRATCH = ".build-order"
OUTPUT = os.path.join(ROOT, "linker", "ztguardd.order")


JOURNAL_SOCKET = "/run/systemd/journal/socket"


def build(skip):
    # Profiled without the order file (it is what is being written).
    flags = subprocess.run(["make", "-s", "print-release-flags", "ORDER_FLAGS="], cwd=ROOT, check=True,
                           capture_output=True, text=True, timeout=60).stdout.splitlines()
    swift = os.environ.get("SWIFT", "swift")
    commands = [[swift, "build", *flags, "--scratch-path", SCRATCH, "--product", product]
                for product in ("ztguardd", "fake-cloudflare")]
    if not skip:
        for command in commands:
            print("+ " + " ".join(command), file=sys.stderr, flush=True)
            subprocess.run(command, cwd=ROOT, check=True, timeout=3600)
    bin_path = subprocess.run(commands[0] + ["--show-bin-path"], cwd=ROOT, check=True, capture_output=True,
                              text=True, timeout=600).stdout.strip()
    return {name: os.path.join(bin_path, name) for name in ("ztguardd", "fake-cloudflare")}


def wait_for(path, needle, process, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as file:
            if needle in file.read():
                return
        if process.poll() is not None:
            raise SystemExit(f"ztguardd exited {process.returncode} before {needle!r} appeared; see {path}")
        time.sleep(0.5)
    raise SystemExit(f"{needle!r} did not appear in {path} within {timeout} s")


def journal_stand_in_possible():
    """Whether one run can journal to a socket of our own at journald's path.

    Where journald listens, ztguardd would journal the profiled runs' thousands of records into the
    administrator's audit trail: the script refuses (run it in a container without journald, as CI is).
    Where nothing is at /run/systemd/journal and we are root, a stand-in socket is put there for one run,
    so that the journal path is profiled too, and removed after."""
    if os.path.exists(JOURNAL_SOCKET):
        raise SystemExit(f"journald listens here ({JOURNAL_SOCKET}): the profiled runs would write their records "
                         "into this host's journal; run make order-file in a container without journald")
    if os.geteuid() != 0 or os.path.exists(os.path.dirname(JOURNAL_SOCKET)):
        print("not root, or /run/systemd/journal exists: the journal path is not profiled", file=sys.stderr)
        return False
    return True


class JournalStandIn:
    """A datagram socket at journald's path that reads and drops what ztguardd sends it."""

    def __init__(self):
        self.created = [path for path in (os.path.dirname(os.path.dirname(JOURNAL_SOCKET)),
                                          os.path.dirname(JOURNAL_SOCKET)) if not os.path.exists(path)]
        for path in self.created:
            os.mkdir(path)
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(JOURNAL_SOCKET)
        self.socket.settimeout(0.5)
        self.open = True
        self.thread = threading.Thread(target=self.drain, daemon=True)
        self.thread.start()

    def drain(self):
        while self.open:
            try:
                self.socket.recv(1 << 20)
            except (TimeoutError, OSError):
                pass

    def close(self):
        self.open = False
        self.thread.join(timeout=5)
        self.socket.close()
        os.unlink(JOURNAL_SOCKET)
        for path in reversed(self.created):
            os.rmdir(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    journal_run = journal_stand_in_possible()
    binaries = build(args.skip_build)
    work = tempfile.mkdtemp(prefix="ztguardd-order-")
    # Valgrind 3.19 cannot read the DWARF 5 that Swift 6 writes; the symbol table is all it needs.
    profiled = os.path.join(work, "ztguardd")
    subprocess.run(["objcopy", "--strip-debug", binaries["ztguardd"], profiled], check=True, timeout=120)
    outputs = []

    def start(name, arguments, env):
        out = os.path.join(work, f"{name}.callgrind")
        outputs.append(out)
        command = ["valgrind", "--tool=callgrind", "--demangle=no", "--dump-instr=no", "--compress-strings=no",
                   "--compress-pos=no", f"--callgrind-out-file={out}", profiled, *arguments]
        with open(os.path.join(work, f"{name}.err"), "w") as err:
            return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)

    def finish(name, process, timeout=600):
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=60)
            raise SystemExit(f"{name} did not finish within {timeout} s under valgrind (logs in {work})")
        # check-config and plan exit 0 here; every command's own status is part of what is profiled.
        if process.returncode != 0:
            raise SystemExit(f"{name} exited {process.returncode} (logs in {work})")

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
            finish(name, start(name, arguments, env))
        # The journal path, with a stand-in for journald.
        if journal_run:
            stand_in = JournalStandIn()
            try:
                finish("dry-run-journal", start("dry-run-journal", ["run", "--once", "--dry-run", "--config", config],
                                                environment()))
            finally:
                stand_in.close()
        # The daemon: its first run (the fleet is revoked by now; a fresh fake would list it all again),
        # a reload, a graceful stop.
        process = start("daemon", ["run", "--config", config], environment())
        err = os.path.join(work, "daemon.err")
        try:
            wait_for(err, b'"run-finished"', process, 600)
            process.send_signal(signal.SIGHUP)
            wait_for(err, b'"Configuration reloaded"', process, 120)
            process.send_signal(signal.SIGTERM)
            finish("daemon", process, 120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=60)

    names = set()
    for path in outputs:
        current = None
        with open(path, errors="replace") as file:
            for line in file:
                if line.startswith("ob="):
                    current = line[3:].strip()
                elif line.startswith("fn=") and current == profiled:
                    name = re.sub(r"'\d+$", "", line[3:].strip())  # callgrind's recursion-depth suffix
                    # Code without a symbol is named by its address ("0x…") or "(below main)": not orderable.
                    if not name.startswith(("0x", "(")):
                        names.add(name)
    if len(names) < 1000:
        raise SystemExit(f"only {len(names)} functions seen; is valgrind working? (logs in {work})")
    with open(OUTPUT, "w") as file:
        file.write("".join(name + "\n" for name in sorted(names)))
    print(f"{len(names)} functions written to {os.path.relpath(OUTPUT, ROOT)}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
