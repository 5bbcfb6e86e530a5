"""Keep a worker running: `python -m rentezy_platform.respawn [--name N] -- CMD ARGS...`

honcho stops the whole dev stack as soon as any one process exits, so a relay or
consumer that crashes (broker restart, bug) would take every service down with
it. This wrapper restarts CMD whenever it exits non-zero or is killed, with
exponential backoff (1 s doubling up to --max-backoff, back to 1 s once a run
lasted --healthy-after seconds). SIGTERM/SIGINT/SIGHUP are forwarded to the child
and end the wrapper once the child has exited (exit code 0); a child that exits
0 by itself is finished, so is the wrapper. In Kubernetes the kubelet restarts
containers instead and this wrapper is not used.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

_FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


def _log(name: str, message: str) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    print(f"{stamp} respawn[{name}]: {message}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    # Linux only: if this wrapper is SIGKILLed the child gets SIGTERM instead of
    # living on as an orphan holding the worker's Kafka group membership.
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _describe(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


class Respawner:
    def __init__(
        self,
        command: list[str],
        *,
        name: str,
        max_backoff: float = 30.0,
        healthy_after: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.command = command
        self.name = name
        self.max_backoff = max_backoff
        self.healthy_after = healthy_after
        self.stop_timeout = stop_timeout
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self._kill_timer: threading.Timer | None = None

    def _on_signal(self, signum: int, frame: object) -> None:
        if not self.stopping.is_set():
            _log(self.name, f"{signal.Signals(signum).name} received, stopping")
        self.stopping.set()
        self._stop_child(signum)

    def _stop_child(self, signum: int) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        child.send_signal(signum)
        if self._kill_timer is None:
            # The main thread stays blocked in wait(); a timer enforces the deadline.
            self._kill_timer = threading.Timer(self.stop_timeout, self._kill, args=(child,))
            self._kill_timer.daemon = True
            self._kill_timer.start()

    def _kill(self, child: subprocess.Popen[bytes]) -> None:
        if child.poll() is None:
            _log(self.name, f"pid {child.pid} ignored the stop request, killing it")
            child.kill()

    def run(self) -> int:
        for signum in _FORWARDED_SIGNALS:
            signal.signal(signum, self._on_signal)
        initial_backoff = min(1.0, self.max_backoff)
        backoff = initial_backoff
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                # Own process group: a group-wide signal (honcho's killpg, a
                # terminal's Ctrl-C) reaches only this wrapper, which forwards it
                # exactly once, so a worker never mistakes one stop for two.
                self.child = subprocess.Popen(
                    self.command, process_group=0, preexec_fn=_die_with_parent
                )
            except OSError as exc:
                _log(self.name, f"cannot start {self.command[0]!r}: {exc}")
                return 127
            if self.stopping.is_set():  # the stop request raced the start
                self._stop_child(signal.SIGTERM)
            _log(self.name, f"started pid {self.child.pid}: {' '.join(self.command)}")
            # Resumed after each signal handler (PEP 475) until the child is gone.
            returncode = self.child.wait()
            ran = time.monotonic() - started
            if self.stopping.is_set():
                if self._kill_timer is not None:
                    self._kill_timer.cancel()
                _log(self.name, f"pid {self.child.pid} {_describe(returncode)}; stopped")
                return 0
            if returncode == 0:
                _log(self.name, f"pid {self.child.pid} finished (status 0); not restarting")
                return 0
            if ran >= self.healthy_after:
                backoff = initial_backoff
            _log(
                self.name,
                f"pid {self.child.pid} {_describe(returncode)} after {ran:.1f}s; "
                f"restarting in {backoff:g}s",
            )
            # Event.wait, not sleep: a stop request ends the backoff at once.
            if self.stopping.wait(backoff):
                break
            backoff = min(backoff * 2, self.max_backoff)
        _log(self.name, "stopped")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rentezy_platform.respawn",
        description="Run CMD and restart it when it crashes.",
        usage="%(prog)s [--name N] [--max-backoff S] [--healthy-after S] -- CMD [ARGS...]",
    )
    parser.add_argument("--name", help="label for the log lines (default: CMD)")
    parser.add_argument("--max-backoff", type=float, default=30.0, metavar="S")
    parser.add_argument("--healthy-after", type=float, default=60.0, metavar="S")
    parser.add_argument("--stop-timeout", type=float, default=10.0, metavar="S")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("a command is required after --")
    return Respawner(
        command,
        name=args.name or os.path.basename(command[0]),
        max_backoff=args.max_backoff,
        healthy_after=args.healthy_after,
        stop_timeout=args.stop_timeout,
    ).run()


if __name__ == "__main__":
    sys.exit(main())
