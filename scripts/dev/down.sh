#!/usr/bin/env bash
# Stop the background dev stack (scripts/dev/up.sh): SIGTERM to honcho, which
# stops every process group it started (SIGKILL after 5 s), then any straggler
# still carrying this checkout's stack marker, then checks that no service
# port is still listening. The infrastructure keeps running unless --all.
#
#   scripts/dev/down.sh [--all]
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all=0
for arg in "$@"; do
    case $arg in
    --all) all=1 ;;
    -h | --help)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$arg' (usage: down.sh [--all])" ;;
    esac
done

t0=$(now_us)
if pid=$(honcho_pid); then
    say "stopping honcho (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(now_us) + 20000000))
    while pid_alive "$pid" && (($(now_us) < deadline)); do sleep 0.2; done
    if pid_alive "$pid"; then
        warn "honcho still running after 20s, killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN_DIR/$DEV_PID_NAME.pid"
else
    say "honcho not running"
fi

# Stragglers: a worker that outlived its parent, or a stack whose pid file was lost.
mapfile -t left < <(stack_pids)
if ((${#left[@]})); then
    warn "stopping ${#left[@]} leftover process(es): ${left[*]}"
    kill -TERM "${left[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
        mapfile -t left < <(stack_pids)
        ((${#left[@]})) || break
        sleep 0.1
    done
    if ((${#left[@]})); then
        kill -KILL "${left[@]}" 2>/dev/null || true
        sleep 0.2
    fi
fi

busy=0
for service in "${SERVICES[@]}"; do
    port=$(service_port "$service")
    if port_open 127.0.0.1 "$port"; then
        warn "port $port ($service) is still listening: $(port_owner "$port" || echo '?')"
        busy=1
    fi
done
((busy == 0)) || die "something still serves a service port (not started by this stack?)"
say "platform stopped in $(since "$t0")"

if ((all)); then
    bash "$REPO_ROOT/scripts/infra/down.sh"
fi
