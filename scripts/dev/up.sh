#!/usr/bin/env bash
# The whole platform in the background (`make dev-up`): infrastructure up,
# migrations, honcho detached (setsid; pid in <data>/run/dev.pid, output in
# <data>/logs/dev.log), then waits until every service's /healthz answers,
# printing each as it comes up. Idempotent: with the stack already running it
# only waits for the probes. Stop it with scripts/dev/down.sh.
#
#   DEV_UP_TIMEOUT=180 scripts/dev/up.sh
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_venv
timeout=${DEV_UP_TIMEOUT:-180}

t0=$(now_us)
if pid=$(honcho_pid); then
    say "already running (pid $pid); checking its probes"
else
    bash "$REPO_ROOT/scripts/infra/up.sh"
    bash "$REPO_ROOT/scripts/dev/migrate.sh"
    ports_free_or_die
    [[ -f $DEV_LOG ]] && mv -f "$DEV_LOG" "$DEV_LOG.1"
    cd "$REPO_ROOT"
    # setsid: honcho leads its own session, so it outlives this shell and no
    # terminal signal reaches it; it stops its process groups on SIGTERM.
    setsid nohup "${HONCHO_ARGV[@]}" </dev/null >"$DEV_LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$RUN_DIR/$DEV_PID_NAME.pid"
    say "started honcho (pid $pid, log $(rel "$DEV_LOG"))"
fi

t_wait=$(now_us)
pending=("${SERVICES[@]}")
while ((${#pending[@]})); do
    still=()
    for service in "${pending[@]}"; do
        port=$(service_port "$service")
        if healthz_ok "$port"; then
            say "$service up on :$port ($(since "$t_wait"))"
        else
            still+=("$service")
        fi
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]})) || break
    if ! pid_alive "$pid" honcho; then
        show_log_tail "$DEV_LOG" 60
        rm -f "$RUN_DIR/$DEV_PID_NAME.pid"
        die "honcho exited before every service answered (log: $(rel "$DEV_LOG"))"
    fi
    if (($(now_us) - t_wait > timeout * 1000000)); then
        show_log_tail "$DEV_LOG" 60
        warn "still down after ${timeout}s: ${pending[*]}; stopping the stack"
        bash "$REPO_ROOT/scripts/dev/down.sh" >&2 || true
        die "the platform did not come up (log: $(rel "$DEV_LOG"))"
    fi
    sleep 0.5
done
say "platform up in $(since "$t0"): gateway http://127.0.0.1:$(service_port api_gateway) (log: $(rel "$DEV_LOG"); stop with scripts/dev/down.sh)"
