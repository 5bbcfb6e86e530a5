#!/usr/bin/env bash
# The whole platform in the foreground (`make dev`): infrastructure up,
# migrations, then honcho with every process of the Procfile; Ctrl-C stops
# the platform (the infrastructure keeps running: scripts/infra/down.sh).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_venv

if pid=$(honcho_pid); then
    die "the dev stack is already running in the background (pid $pid): scripts/dev/down.sh first"
fi
bash "$REPO_ROOT/scripts/infra/up.sh"
bash "$REPO_ROOT/scripts/dev/migrate.sh"
ports_free_or_die
say "starting the platform (Ctrl-C stops it)"
cd "$REPO_ROOT"
exec "${HONCHO_ARGV[@]}"
