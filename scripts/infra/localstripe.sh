#!/usr/bin/env bash
# localstripe (a stateful fake Stripe: customers, cards, PaymentIntents, signed
# webhooks) for the native dev stack, on 127.0.0.1 and the port of
# $STRIPE_API_BASE (default 8420). It is a Python package pinned in the
# workspace's dev dependencies (installed by `uv sync`), run through
# scripts/infra/localstripe_server.py (loopback only, state in memory).
# Webhooks: it POSTs each signed event to every endpoint registered with
# `POST /_config/webhooks/<id>`. Its state is in memory, so every start
# registers the dev stack's endpoint (id `rentezy-dev`: the gateway's
# /api/rent/webhooks/stripe on $API_GATEWAY_PORT, signed with
# $STRIPE_WEBHOOK_SECRET); the test suites register their own.
#
#   scripts/infra/localstripe.sh install|start|stop|restart|status
set -euo pipefail
COMPONENT=localstripe
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LS_BASE=${STRIPE_API_BASE:-http://127.0.0.1:8420}
LS_BASE=${LS_BASE%/}
LS_HOST=$(url_host "$LS_BASE")
LS_PORT=$(url_port "$LS_BASE" 8420)
LS_KEY=${STRIPE_SECRET_KEY:-sk_test_123}
LS_TIMEOUT=${RENTEZY_LOCALSTRIPE_TIMEOUT:-30}
LS_PY=$REPO_ROOT/.venv/bin/python
LS_SERVER=$INFRA_DIR/localstripe_server.py
LS_LOG=$LOG_DIR/localstripe.log

[[ $LS_HOST == 127.0.0.1 ]] || die "STRIPE_API_BASE host must be 127.0.0.1 for the local stack (got $LS_HOST)"

ls_installed() { [[ -x $LS_PY ]] && "$LS_PY" -c 'import localstripe.server' >/dev/null 2>&1; }

cmd_install() {
    ls_installed && return 0
    die "localstripe is not in the workspace venv: run scripts/bootstrap.sh (uv sync) first"
}

ls_answers() {
    local code
    code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' -u "$LS_KEY:" "$LS_BASE/v1/customers" 2>/dev/null) || return 1
    [[ $code == 200 ]]
}

cmd_launch() {
    forget_launch
    already_running localstripe "$LS_SERVER" "$LS_BASE" && return 0
    ls_installed || die "not installed (run: $0 install)"
    claim_port "$LS_PORT" "$LS_BASE" ls_answers "a Stripe stand-in" STRIPE_API_BASE || return 0
    say "starting"
    mark_launched
    printf '\n==== %s localstripe start ====\n' "$(date -Is)" >>"$LS_LOG"
    spawn localstripe "$LS_LOG" "$LS_PY" "$LS_SERVER" --host 127.0.0.1 --port "$LS_PORT"
}

# The dev stack's webhook endpoint, registered again (same id) at every start.
ls_register_dev_webhook() {
    local url="http://127.0.0.1:${API_GATEWAY_PORT:-8000}/api/rent/webhooks/stripe" body
    body=$(printf '{"url": "%s", "secret": "%s"}' "$url" "${STRIPE_WEBHOOK_SECRET:?set in dev.env}")
    curl -fsS -m 5 -o /dev/null -u "$LS_KEY:" -H 'Content-Type: application/json' \
        -d "$body" "$LS_BASE/_config/webhooks/rentezy-dev" ||
        die "could not register the dev webhook endpoint with localstripe"
}

cmd_wait() {
    wait_managed localstripe "$LS_SERVER" "$LS_TIMEOUT" "$LS_LOG" "$LS_LOG" ls_answers
    ls_register_dev_webhook
    say_ready "$LS_BASE (localstripe; webhooks to the dev gateway's /api/rent/webhooks/stripe)"
}

cmd_stop() {
    forget_launch
    stop_managed localstripe "$LS_SERVER" 15
}

cmd_status() {
    managed_status localstripe "$LS_SERVER" "$LS_BASE" "$LS_PORT" ls_answers ls_installed \
        "not installed (uv sync)" "a server" "$LS_BASE (localstripe)"
}

component_main "$@"
