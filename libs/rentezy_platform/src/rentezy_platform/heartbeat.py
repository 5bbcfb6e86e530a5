"""Liveness of the processes that serve no HTTP: outbox relays, Kafka
consumers, Celery workers and Beat.

Each of their loops calls `beat()`; when `RENTEZY_HEARTBEAT_FILE` is set (the
container images set it) that touches the file, at most once every
`INTERVAL_SECONDS`. The containers' probes run

    python -m rentezy_platform.heartbeat --max-age 120

which exits 0 while the file is fresher than that and 1 otherwise, so a loop
that hangs (not only a process that dies) gets its pod restarted. Unset, as
on the native stack, `beat()` does nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ENV_VAR = "RENTEZY_HEARTBEAT_FILE"
INTERVAL_SECONDS = 5.0

_last = 0.0


def heartbeat_file() -> Path | None:
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else None


def beat(*, now: float | None = None) -> None:
    """Touch the heartbeat file (throttled). Never raises: a full or read-only
    disk must not stop the loop; the probe then reports it."""
    global _last
    path = heartbeat_file()
    if path is None:
        return
    now = time.monotonic() if now is None else now
    if now - _last < INTERVAL_SECONDS and _last:
        return
    try:
        path.touch()
    except OSError:
        return
    _last = now


def age(path: Path, *, now: float | None = None) -> float | None:
    """Seconds since the file was last touched, None if it does not exist."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    return (time.time() if now is None else now) - mtime


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m rentezy_platform.heartbeat")
    parser.add_argument("--max-age", type=float, default=120.0, help="seconds (default 120)")
    options = parser.parse_args(argv)
    path = heartbeat_file()
    if path is None:
        print(f"{ENV_VAR} is not set", file=sys.stderr)
        return 2
    seconds = age(path)
    if seconds is None:
        print(f"no heartbeat yet at {path}", file=sys.stderr)
        return 1
    if seconds > options.max_age:
        print(f"heartbeat is {seconds:.0f}s old (limit {options.max_age:.0f}s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
