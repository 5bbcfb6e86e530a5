#!/usr/bin/env bash
# Apply every service's migrations to its own database (idempotent; a re-run
# with nothing to do takes a few seconds). Runs the services in parallel and
# prints one line per service; on a failure prints that service's output.
# Then the search engine's own schema: search_service's index (explicit
# mapping behind its alias) is created if missing.
#
#   scripts/dev/migrate.sh [service...]     (default: every service with a database)
set -euo pipefail
COMPONENT=migrate
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_venv

services=("$@")
((${#services[@]})) || services=("${DATABASE_SERVICES[@]}")

t0=$(now_us)
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT
declare -A pids
for service in "${services[@]}"; do
    [[ -f $REPO_ROOT/$service/manage.py ]] || die "unknown service '$service'"
    (cd "$REPO_ROOT/$service" && exec "$PYTHON" manage.py migrate --noinput) \
        >"$out_dir/$service.log" 2>&1 &
    pids[$service]=$!
done

failed=()
for service in "${services[@]}"; do
    if wait "${pids[$service]}"; then
        applied=$(grep -c '^  Applying .* OK$' "$out_dir/$service.log" || true)
        say "$service: $applied migration(s) applied"
    else
        failed+=("$service")
        warn "$service: migrate failed:"
        sed 's/^/    /' "$out_dir/$service.log" >&2
    fi
done
((${#failed[@]} == 0)) || die "migrations failed for: ${failed[*]}"
say "all databases migrated in $(since "$t0")"

if [[ " ${services[*]} " == *" search_service "* ]]; then
    index_state=$(cd "$REPO_ROOT/search_service" && "$PYTHON" manage.py search_index --ensure 2>&1) ||
        die "search index: $index_state"
    say "search index: ${index_state//$'\n'/; }"
fi
