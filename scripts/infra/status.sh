#!/usr/bin/env bash
# One line per component: running | starting | stopped | foreign (answered by
# a server these scripts did not start) | missing (not installed yet).
#
#   scripts/infra/status.sh [component...]   (default: all)
#
# Exit status 0 when every listed component is running, 3 otherwise.
set -euo pipefail
COMPONENT=status
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

components=("$@")
((${#components[@]})) || components=("${INFRA_COMPONENTS[@]}")
rc=0
echo "data dir: $DATA_DIR"
for c in "${components[@]}"; do
    [[ " ${INFRA_COMPONENTS[*]} " == *" $c "* ]] || die "unknown component '$c' (known: ${INFRA_COMPONENTS[*]})"
    "$INFRA_DIR/$c.sh" status || rc=3
done
exit "$rc"
