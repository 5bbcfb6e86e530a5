#!/usr/bin/env bash
# Stop what scripts/infra/up.sh started (by the pid files in the data dir;
# PostgreSQL with `pg_ctl stop -m fast`), in reverse start order:
#
#   scripts/infra/down.sh [component...]   (default: all)
#
# Servers that were already answering when up.sh ran (not started by these
# scripts) are left alone. Data is kept; delete the data dir to reset.
set -euo pipefail
COMPONENT=down
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_components "$@"

t0=$(now_us)
rc=0
for ((i = ${#components[@]} - 1; i >= 0; i--)); do
    "$INFRA_DIR/${components[i]}.sh" stop || rc=1
done
if ((rc)); then
    die "some components failed to stop (see above)"
fi
say "stopped in $(since "$t0"): ${components[*]}"
