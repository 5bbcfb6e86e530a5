#!/usr/bin/env bash
# stripe-mock (Stripe's own API mock) for the native dev stack, built once with
# `go install` into <data>/bin and served over plain HTTP on 127.0.0.1 at the
# port of $STRIPE_MOCK_URL (no HTTPS listener).
#
#   scripts/infra/stripe-mock.sh install|start|stop|restart|status
set -euo pipefail
COMPONENT=stripe-mock
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Pinned: bump here (the Go module proxy lists versions with
# `go list -m -versions github.com/stripe/stripe-mock`).
STRIPE_MOCK_MODULE=github.com/stripe/stripe-mock
STRIPE_MOCK_VERSION=v0.203.0

STRIPE_BASE=${STRIPE_MOCK_URL:-http://127.0.0.1:12111}
STRIPE_BASE=${STRIPE_BASE%/}
SM_HOST=$(url_host "$STRIPE_BASE")
SM_PORT=$(url_port "$STRIPE_BASE" 12111)
SM_KEY=${STRIPE_SECRET_KEY:-sk_test_123}
SM_TIMEOUT=${RENTEZY_STRIPE_MOCK_TIMEOUT:-30}
SM_BIN=$BIN_DIR/stripe-mock
SM_MARKER=$BIN_DIR/.stripe-mock.version
SM_LOG=$LOG_DIR/stripe-mock.log
# stripe-mock v0.203.0 still opens its HTTPS listener on *:12112 when only
# -http-addr is given (its "HTTP explicitly requested" check ignores
# -http-addr), so HTTPS is parked on a unix socket in the data dir: no TCP
# port besides the loopback HTTP one.
SM_HTTPS_SOCKET=$RUN_DIR/stripe-mock-https.sock
if ((${#SM_HTTPS_SOCKET} > 100)); then # unix socket path limit
    SM_HTTPS_SOCKET=/tmp/rentezy-stripe-mock-$(echo "$RUN_DIR" | sha256sum | cut -c1-12).sock
fi

[[ $SM_HOST == 127.0.0.1 ]] || die "STRIPE_MOCK_URL host must be 127.0.0.1 for the local stack (got $SM_HOST)"

cmd_install() {
    if [[ -x $SM_BIN && -f $SM_MARKER && $(<"$SM_MARKER") == "$STRIPE_MOCK_VERSION" ]]; then
        return 0
    fi
    command -v go >/dev/null 2>&1 ||
        die "Go is required to build stripe-mock (Go >= 1.22; Debian bookworm's golang-go is too old)"
    local t0 ilog=$LOG_DIR/stripe-mock-install.log
    t0=$(now_us)
    say "go install $STRIPE_MOCK_MODULE@$STRIPE_MOCK_VERSION (first run only; log: $(rel "$ilog"))"
    # pkg@version installs ignore any go.mod; run from / all the same.
    if ! (cd / && GOBIN=$BIN_DIR GO111MODULE=on go install "$STRIPE_MOCK_MODULE@$STRIPE_MOCK_VERSION") >"$ilog" 2>&1; then
        show_log_tail "$ilog"
        die "go install failed"
    fi
    echo "$STRIPE_MOCK_VERSION" >"$SM_MARKER"
    say "installed $(rel "$SM_BIN") ($(since "$t0"))"
}

sm_answers() {
    local code
    code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SM_KEY" \
        "$STRIPE_BASE/v1/customers" 2>/dev/null) || return 1
    [[ $code == 200 ]]
}

cmd_launch() {
    forget_launch
    already_running stripe-mock "$SM_BIN" "$STRIPE_BASE" && return 0
    sm_installed || die "not installed (run: $0 install)"
    claim_port "$SM_PORT" "$STRIPE_BASE" sm_answers "a Stripe mock" STRIPE_MOCK_URL || return 0
    say "starting"
    mark_launched
    printf '\n==== %s stripe-mock start ====\n' "$(date -Is)" >>"$SM_LOG"
    rm -f "$SM_HTTPS_SOCKET"
    spawn stripe-mock "$SM_LOG" "$SM_BIN" -http-addr "127.0.0.1:$SM_PORT" -https-unix "$SM_HTTPS_SOCKET"
}

cmd_wait() {
    wait_managed stripe-mock "$SM_BIN" "$SM_TIMEOUT" "$SM_LOG" "$SM_LOG" sm_answers
    say_ready "$STRIPE_BASE (stripe-mock $STRIPE_MOCK_VERSION)"
}

cmd_stop() {
    forget_launch
    stop_managed stripe-mock "$SM_BIN" 15
    rm -f "$SM_HTTPS_SOCKET"
}

sm_installed() { [[ -x $SM_BIN ]]; }

cmd_status() {
    managed_status stripe-mock "$SM_BIN" "$STRIPE_BASE" "$SM_PORT" sm_answers sm_installed \
        "not built yet ($0 install)" "a server" "$STRIPE_BASE (stripe-mock $STRIPE_MOCK_VERSION)"
}

component_main "$@"
