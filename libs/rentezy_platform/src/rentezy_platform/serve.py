"""The one command a service's container runs, whatever its role:

    python -m rentezy_platform.serve web        # the service's server (PORT, default 8000)
    python -m rentezy_platform.serve relay      # manage.py outbox_relay
    python -m rentezy_platform.serve consume    # manage.py consume
    python -m rentezy_platform.serve worker     # celery -A config worker
    python -m rentezy_platform.serve beat       # celery -A config beat
    python -m rentezy_platform.serve migrate    # manage.py migrate (a Job / one-shot service)
    python -m rentezy_platform.serve wait-migrations  # until none is unapplied (init container)
    python -m rentezy_platform.serve manage ARGS...   # any manage.py command (seed, search_index...)

Run from the service's folder (the image's WORKDIR). `web` picks the server
from RENTEZY_SERVER (the image sets it): `gunicorn` (WSGI services), `uvicorn`
(chat, notification) or `gateway` (api_gateway), with exactly the flags the
native stack's Procfile uses (rentezy_platform.servers and
api_gateway/config/server.py), bound to 0.0.0.0 inside the container. The
process is exec'd: signals reach the server directly.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

from rentezy_platform import servers

CELERY_WORKER = ["--loglevel", "INFO", "--without-gossip", "--without-mingle"]


def command(
    role: str, *, server: str, port: str, concurrency: str = "2", args: list[str] | None = None
) -> list[str]:
    python = sys.executable
    args = args or []
    if role != "manage" and args:
        raise SystemExit(f"role {role!r} takes no arguments")
    if role == "web":
        bind = ["--host", "0.0.0.0", "--port", port]  # noqa: S104 - inside the container
        if server == "gunicorn":
            return [python, "-m", "gunicorn", servers.WSGI_APP, "--bind", f"0.0.0.0:{port}",
                    *servers.GUNICORN_ARGS]  # fmt: skip
        if server == "uvicorn":
            return [python, "-m", "uvicorn", servers.ASGI_APP, *bind, *servers.SERVICE_UVICORN_ARGS]
        if server == "gateway":
            gateway = runpy.run_path(str(Path("config") / "server.py"))
            return [python, "-m", "uvicorn", gateway["APP"], *bind, *gateway["UVICORN_ARGS"]]
        raise SystemExit(f"RENTEZY_SERVER must be gunicorn, uvicorn or gateway, not {server!r}")
    if role == "relay":
        return [python, "manage.py", "outbox_relay"]
    if role == "consume":
        return [python, "manage.py", "consume"]
    if role == "migrate":
        return [python, "manage.py", "migrate", "--noinput"]
    if role == "wait-migrations":
        # `migrate --check` exits non-zero while a migration is unapplied: a
        # pod of the new version starts only once the migration Job has run.
        return [python, "-m", "rentezy_platform.serve_wait", "--", python, "manage.py",
                "migrate", "--check", "--noinput"]  # fmt: skip
    if role == "manage":
        if not args:
            raise SystemExit("manage needs a manage.py command, e.g. `manage search_index`")
        return [python, "manage.py", *args]
    if role == "worker":
        return [python, "-m", "celery", "-A", "config", "worker", "--concurrency", concurrency,
                *CELERY_WORKER]  # fmt: skip
    if role == "beat":
        return [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                "--scheduler", "rentezy_platform.tasks:HeartbeatScheduler",
                "--schedule", "/tmp/celerybeat-schedule"]  # fmt: skip
    raise SystemExit(
        f"unknown role {role!r}: web, relay, consume, worker, beat, migrate, wait-migrations or manage"
    )


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    argv_out = command(
        argv[0],
        args=argv[1:],
        server=os.environ.get("RENTEZY_SERVER", "gunicorn"),
        port=os.environ.get("PORT", "8000"),
        concurrency=os.environ.get("CELERY_CONCURRENCY", "2"),
    )
    os.execv(argv_out[0], argv_out)


if __name__ == "__main__":
    main(sys.argv[1:])
