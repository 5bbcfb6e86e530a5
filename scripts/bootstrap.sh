#!/usr/bin/env bash
# Installs the Python toolchain the project needs (uv, then the locked
# workspace into .venv). Idempotent: a second run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
step() { printf '==> %s\n' "$*"; }

# uv is run as `python3 -m uv`: right after a pip install its console script
# may not be on PATH yet (pyenv shims need a rehash), the module always is.
uv_version() { python3 -m uv --version 2>/dev/null | awk '{print $2}'; }
if [ "$(uv_version)" != "$UV_VERSION" ]; then
  step "installing uv $UV_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "uv==$UV_VERSION"
fi

step "syncing the Python workspace (uv.lock)"
python3 -m uv sync --frozen --all-packages --quiet
bash scripts/frontend.sh
