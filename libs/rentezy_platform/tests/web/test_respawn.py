"""respawn restarts a crashing worker and stops cleanly (real subprocesses)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# The worker records each start (its pid) and crashes while fewer than
# CRASHES starts are recorded, then runs until signalled.
WORKER = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    starts = Path(sys.argv[1])
    with starts.open("a") as f:
        f.write(f"{os.getpid()}\\n")
    if len(starts.read_text().split()) <= int(sys.argv[2]):
        sys.exit(3)
    if sys.argv[3] == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.argv[3] == "exit-0":
        sys.exit(0)
    Path(sys.argv[1] + ".ready").touch()
    while True:
        time.sleep(0.05)
    """
)


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


@pytest.fixture
def respawn(tmp_path):
    worker = tmp_path / "worker.py"
    worker.write_text(WORKER)
    starts = tmp_path / "starts"
    procs = []

    def start(crashes=0, mode="run", *options):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rentezy_platform.respawn",
                "--name",
                "test-worker",
                "--max-backoff",
                "0.2",
                *options,
                "--",
                sys.executable,
                str(worker),
                str(starts),
                str(crashes),
                mode,
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    start.starts = lambda: (
        [int(pid) for pid in starts.read_text().split()] if starts.exists() else []
    )
    start.ready = lambda: Path(f"{starts}.ready").exists()
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # A failed test must not leave a worker behind (one may ignore SIGTERM).
    for pid in start.starts():
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_restarts_a_crashing_worker_then_stops_on_sigterm(respawn):
    proc = respawn(2)
    wait_for(respawn.ready)
    first, second, running = respawn.starts()
    assert alive(running)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert not alive(running)
    log = proc.stderr.read()
    assert log.count("exited with status 3") == 2
    assert "restarting in 0.2s" in log
    assert "SIGTERM received, stopping" in log


def test_restarts_a_killed_worker(respawn):
    proc = respawn(0)
    wait_for(respawn.ready)
    [victim] = respawn.starts()
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(respawn.starts()) == 2)
    replacement = respawn.starts()[1]
    wait_for(lambda: alive(replacement))
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0
    assert not alive(replacement)
    assert "was killed by SIGKILL" in proc.stderr.read()


def test_sigterm_during_backoff_stops_at_once(respawn):
    proc = respawn(1000, "run", "--max-backoff", "30")
    wait_for(lambda: len(respawn.starts()) >= 3)  # backoff now 4 s and growing
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0
    assert time.monotonic() - started < 1.0


def test_worker_ignoring_sigterm_is_killed_after_the_stop_timeout(respawn):
    proc = respawn(0, "ignore-term", "--stop-timeout", "0.5")
    wait_for(respawn.ready)
    [worker] = respawn.starts()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0
    assert not alive(worker)
    assert "ignored the stop request, killing it" in proc.stderr.read()


def test_worker_finishing_cleanly_is_not_restarted(respawn):
    proc = respawn(0, "exit-0")
    assert proc.wait(timeout=10) == 0
    assert len(respawn.starts()) == 1


def test_worker_dies_with_a_killed_wrapper(respawn):
    proc = respawn(0)
    wait_for(respawn.ready)
    [worker] = respawn.starts()
    proc.kill()
    proc.wait()
    wait_for(lambda: not alive(worker), timeout=5)


def test_command_is_required():
    result = subprocess.run(
        [sys.executable, "-m", "rentezy_platform.respawn", "--name", "x"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "a command is required" in result.stderr
