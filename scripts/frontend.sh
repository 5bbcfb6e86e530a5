#!/usr/bin/env bash
# The web app's toolchain (frontend/): Node.js from Debian if there is none
# (or it is older than 18), then `npm ci` from the committed lock file whenever
# the lock changed since the last install. Idempotent: a second run takes a
# moment. Called by scripts/bootstrap.sh, so `make dev` and `make test` set it up.
set -euo pipefail
cd "$(dirname "$0")/.."
COMPONENT=web-app
source scripts/infra/common.sh

node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
if ! command -v npm >/dev/null 2>&1 || [ "$(node_major || echo 0)" -lt 18 ]; then
    apt_install nodejs npm
fi
[ "$(node_major)" -ge 18 ] || die "Node.js 18 or newer is needed for the web app (found $(node --version))"

stamp=$RUN_DIR/frontend-lock.sha256
mkdir -p "$RUN_DIR"
want=$(sha256sum frontend/package-lock.json | cut -d' ' -f1)
if [ ! -d frontend/node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "npm ci (frontend/package-lock.json)"
    t0=$(now_us)
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
    echo "$want" > "$stamp"
    say "web app dependencies installed ($(since "$t0"))"
fi
