# shellcheck shell=bash
# Shared by scripts/dev/*.sh. Sourced, never executed.
#
# Builds on scripts/infra/common.sh (dev.env loading with the environment
# winning, the .data dir, pid helpers, say/die). The dev stack itself is one
# honcho process tree described by the root Procfile:
#   <data>/run/dev.pid    honcho's pid (a session leader: started with setsid)
#   <data>/logs/dev.log   everything the stack prints (previous run: dev.log.1)
# Every process of the stack carries RENTEZY_DEV_STACK=<repo> in its
# environment, so down.sh can find stragglers without matching by name.

COMPONENT=${COMPONENT:-dev}
# shellcheck source=../infra/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../infra/common.sh"

SERVICES=(api_gateway auth_service property_service booking_service rent_service
          chat_service notification_service search_service web_app)
# The gateway has no database (see api_gateway/config/settings.py).
DATABASE_SERVICES=(auth_service property_service booking_service rent_service
                   chat_service notification_service search_service)
PYTHON=$REPO_ROOT/.venv/bin/python
HONCHO=$REPO_ROOT/.venv/bin/honcho
DEV_PID_NAME=dev
DEV_LOG=$LOG_DIR/dev.log
STACK_MARKER="RENTEZY_DEV_STACK=$REPO_ROOT"

# service_port <service>: its port from the environment (API_GATEWAY_PORT, ...).
service_port() {
    local var=${1^^}_PORT
    [[ -n ${!var:-} ]] || die "$var is not set (dev.env)"
    echo "${!var}"
}

healthz_ok() {
    curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$1/healthz" 2>/dev/null
}

ensure_venv() {
    [[ -x $PYTHON && -x $HONCHO ]] || die "no workspace venv: run scripts/bootstrap.sh (make bootstrap)"
}

# honcho_pid: pid of the running dev stack, else fails.
honcho_pid() { managed_pid "$DEV_PID_NAME" honcho; }

# stack_pids: every live process carrying this checkout's stack marker.
stack_pids() {
    local dir pid
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
        if tr '\0' '\n' 2>/dev/null <"$dir/environ" | grep -qxF "$STACK_MARKER"; then
            pid_alive "$pid" && echo "$pid"
        fi
    done
    return 0
}

# HONCHO_ARGV: how both run.sh and up.sh start the stack. The environment is
# already complete (dev.env under the caller's overrides, by load_env), so
# honcho gets no env file: its -e values would override the caller's.
HONCHO_ARGV=(env "$STACK_MARKER" PYTHONUNBUFFERED=1
             "$HONCHO" -f "$REPO_ROOT/Procfile" -e /dev/null start --no-colour)

# ports_free_or_die: refuse to start over something already serving a port.
ports_free_or_die() {
    local service port busy=0
    for service in "${SERVICES[@]}"; do
        port=$(service_port "$service")
        if port_open 127.0.0.1 "$port"; then
            warn "port $port ($service) is already in use by: $(port_owner "$port" || echo '?')"
            busy=1
        fi
    done
    ((busy == 0)) || die "free those ports (or stop the other stack with scripts/dev/down.sh) first"
}
