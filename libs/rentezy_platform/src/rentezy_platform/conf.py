"""Configuration from the environment only.

Outside production the committed `<repo>/dev.env` supplies safe loopback
defaults; a variable already set in the environment always wins over it. In
production (`DJANGO_ENV=production`) nothing is read from files and a missing
secret stops the process at start-up instead of surfacing at the first request.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_dev_env_loaded = False


def is_production() -> bool:
    # Only the real environment can say "production": dev.env says "development"
    # and is never read in production anyway.
    return os.environ.get("DJANGO_ENV", "").strip().lower() == "production"


def repo_root() -> Path:
    """The monorepo root: `RENTEZY_ROOT`, else derived from this package's place
    in the tree (installed editable at libs/rentezy_platform/src/rentezy_platform)."""
    override = os.environ.get("RENTEZY_ROOT")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parents[4]


def load_env() -> None:
    """Fill unset variables from `<repo>/dev.env` (or `RENTEZY_ENV_FILE`, as the
    scripts do) unless in production. Idempotent."""
    global _dev_env_loaded
    if _dev_env_loaded or is_production():
        return
    dev_env = Path(os.environ.get("RENTEZY_ENV_FILE") or repo_root() / "dev.env")
    # A container image may ship without dev.env: its environment is then complete.
    if dev_env.is_file():
        environ.Env.read_env(dev_env, overwrite=False)
    _dev_env_loaded = True


def required(name: str) -> str:
    """A value that must be configured: in production a missing or empty one is
    fatal; in development it comes from dev.env (so a miss there is a bug too)."""
    load_env()
    value = os.environ.get(name, "").strip()
    if not value:
        where = "the environment" if is_production() else "the environment or dev.env"
        raise ImproperlyConfigured(f"{name} must be set in {where}.")
    return value
