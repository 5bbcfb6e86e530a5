"""The liveness probe of the processes without HTTP (rentezy_platform.heartbeat)
and the `wait-migrations` loop (rentezy_platform.serve_wait): real files, real
subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from rentezy_platform import heartbeat


def _probe(path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, heartbeat.ENV_VAR: str(path)}
    return subprocess.run(
        [sys.executable, "-m", "rentezy_platform.heartbeat", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_probe_fails_before_the_first_beat_and_passes_after_it(tmp_path, monkeypatch):
    path = tmp_path / "heartbeat"
    assert _probe(path).returncode == 1
    monkeypatch.setenv(heartbeat.ENV_VAR, str(path))
    monkeypatch.setattr(heartbeat, "_last", 0.0)
    heartbeat.beat()
    assert path.exists()
    assert _probe(path, "--max-age", "60").returncode == 0


def test_a_stale_heartbeat_fails_the_probe(tmp_path):
    path = tmp_path / "heartbeat"
    path.touch()
    old = time.time() - 300
    os.utime(path, (old, old))
    result = _probe(path, "--max-age", "120")
    assert result.returncode == 1
    assert "old" in result.stderr


def test_beats_are_throttled_and_a_missing_variable_is_a_no_op(tmp_path, monkeypatch):
    path = tmp_path / "heartbeat"
    monkeypatch.setenv(heartbeat.ENV_VAR, str(path))
    monkeypatch.setattr(heartbeat, "_last", 0.0)
    heartbeat.beat(now=1000.0)
    old = time.time() - 50
    os.utime(path, (old, old))
    heartbeat.beat(now=1001.0)  # within the interval: not touched again
    assert heartbeat.age(path) > 40
    heartbeat.beat(now=1000.0 + heartbeat.INTERVAL_SECONDS + 1)
    assert heartbeat.age(path) < 5
    monkeypatch.delenv(heartbeat.ENV_VAR)
    heartbeat.beat(now=5000.0)  # nothing to touch, nothing raised
    assert _probe_without_variable().returncode == 2


def _probe_without_variable() -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != heartbeat.ENV_VAR}
    return subprocess.run(
        [sys.executable, "-m", "rentezy_platform.heartbeat"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_wait_retries_until_the_command_succeeds(tmp_path):
    counter = tmp_path / "attempts"
    # Fails twice, then succeeds: the shape of `migrate --check` while the
    # migration Job is still running.
    script = (
        "import pathlib, sys; p = pathlib.Path(sys.argv[1]); "
        "n = int(p.read_text()) + 1 if p.exists() else 1; p.write_text(str(n)); "
        "sys.exit(0 if n >= 3 else 1)"
    )
    result = subprocess.run(
        [sys.executable, "-m", "rentezy_platform.serve_wait", "--interval", "0.05",
         "--", sys.executable, "-c", script, str(counter)],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert counter.read_text() == "3"
    assert result.stderr.count("retrying") == 2


def test_wait_gives_up_after_its_timeout(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "rentezy_platform.serve_wait", "--interval", "0.05",
         "--timeout", "0.3", "--", sys.executable, "-c", "raise SystemExit(3)"],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert "gave up" in result.stderr
