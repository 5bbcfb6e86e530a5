#!/usr/bin/env bash
# Installs the Python toolchain the project needs (uv, then the locked
# workspace into .venv). Idempotent: a second run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
step() { printf '==> %s\n' "$*"; }

if ! command -v uv >/dev/null 2>&1 || [ "$(uv --version | awk '{print $2}')" != "$UV_VERSION" ]; then
  step "installing uv $UV_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  hash -r
fi

step "syncing the Python workspace (uv.lock)"
uv sync --frozen --all-packages --quiet
