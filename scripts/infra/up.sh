#!/usr/bin/env bash
# Provision and start the native dev infrastructure, idempotently:
#
#   scripts/infra/up.sh [component...]     (default: all)
#   components: postgres redis kafka opensearch stripe-mock localstripe
#
# For each component: install what is missing (Debian packages, Maven jars,
# go install), start it unless it already answers, and wait until it answers.
# Installs run one after the other (except the Go build of stripe-mock, which
# runs alongside), then every component is launched and only then waited for,
# so slow starters (OpenSearch, Kafka) boot in parallel.
# A re-run with everything up only checks and returns in about a second.
# Data, logs and pid files: ${RENTEZY_DATA_DIR:-<repo>/.data}. Config: dev.env.
set -euo pipefail
COMPONENT=up
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_components "$@"

t0=$(now_us)
# stripe-mock's install is a CPU-bound Go build that shares nothing with the
# others (no apt, no Maven), so it runs alongside them.
bg_pid=""
trap '[[ -n $bg_pid ]] && kill "$bg_pid" 2>/dev/null; true' EXIT
for c in "${components[@]}"; do
    if [[ $c == stripe-mock ]]; then
        "$INFRA_DIR/$c.sh" install &
        bg_pid=$!
    fi
done
for c in "${components[@]}"; do
    [[ $c == stripe-mock ]] || "$INFRA_DIR/$c.sh" install
done
if [[ -n $bg_pid ]]; then
    wait "$bg_pid" || { bg_pid=""; die "stripe-mock install failed (see above)"; }
    bg_pid=""
fi
for c in "${components[@]}"; do "$INFRA_DIR/$c.sh" launch; done
for c in "${components[@]}"; do "$INFRA_DIR/$c.sh" wait; done
say "all up in $(since "$t0"): ${components[*]} (data: $(rel "$DATA_DIR"); stop with scripts/infra/down.sh)"
