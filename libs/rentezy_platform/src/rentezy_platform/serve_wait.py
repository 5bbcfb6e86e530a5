"""Run a command until it succeeds: `python -m rentezy_platform.serve_wait
[--interval S] [--timeout S] -- COMMAND...` (the `wait-migrations` role).

Exits 0 as soon as COMMAND does, 1 once the timeout (default 600 s) has passed;
each failed attempt is logged on one line, so a pod stuck in its init container
says why."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="serve_wait")
    parser.add_argument("--interval", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("a command to wait for is required after --")
    deadline = time.monotonic() + options.timeout
    attempt = 0
    while True:
        attempt += 1
        result = subprocess.run(command, check=False)  # noqa: S603 - our own argv
        if result.returncode == 0:
            return 0
        if time.monotonic() >= deadline:
            print(f"serve_wait: gave up after {attempt} attempts", file=sys.stderr, flush=True)
            return 1
        print(f"serve_wait: attempt {attempt} exited {result.returncode}; retrying",
              file=sys.stderr, flush=True)  # fmt: skip
        time.sleep(options.interval)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
