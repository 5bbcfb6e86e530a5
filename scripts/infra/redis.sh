#!/usr/bin/env bash
# Redis for the native dev stack: Debian's redis-server with redis/redis.conf,
# bound to 127.0.0.1 on the port of $REDIS_URL, daemonized, pid file in
# <data>/run, RDB in <data>/redis, log in <data>/logs/redis.log.
#
#   scripts/infra/redis.sh install|start|stop|restart|status|cli [args]
set -euo pipefail
COMPONENT=redis
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
EXTRA_COMMANDS="cli"

REDIS_HOST=$(url_host "${REDIS_URL:-redis://127.0.0.1:6379/0}")
REDIS_PORT=$(url_port "${REDIS_URL:-redis://127.0.0.1:6379/0}" 6379)
REDIS_TIMEOUT=${RENTEZY_REDIS_TIMEOUT:-30}
REDIS_CONF=$REPO_ROOT/redis/redis.conf
REDIS_DIR=$DATA_DIR/redis
REDIS_LOG=$LOG_DIR/redis.log
REDIS_PIDFILE=$RUN_DIR/redis.pid

[[ $REDIS_HOST == 127.0.0.1 || $REDIS_HOST == localhost ]] ||
    die "REDIS_URL host must be 127.0.0.1 for the local stack (got $REDIS_HOST)"

redis_ping() {
    local reply
    if command -v redis-cli >/dev/null 2>&1; then
        reply=$(timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) || return 1
    else
        # shellcheck disable=SC2016 # $1 is expanded by the inner bash
        reply=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "PING\r\n" >&3; head -c 5 <&3' _ "$REDIS_PORT" 2>/dev/null) || return 1
    fi
    [[ $reply == *PONG* ]]
}

# The Debian package runs its own redis-server service on 6379 where services
# may start (not in containers). Stop it when it holds our port.
stop_debian_service_on_port() {
    local pid
    pid=$(read_pid /run/redis/redis-server.pid) || return 0
    pid_alive "$pid" redis-server || return 0
    port_owner "$REDIS_PORT" | grep -q "pid=$pid," || return 0
    say "stopping Debian's redis-server service (pid $pid) that holds port $REDIS_PORT"
    if command -v service >/dev/null 2>&1; then
        as_root service redis-server stop >/dev/null 2>&1 || as_root kill -TERM "$pid" || true
    else
        as_root kill -TERM "$pid" || true
    fi
    local _
    for _ in $(seq 1 50); do
        pid_alive "$pid" || return 0
        sleep 0.2
    done
    warn "Debian redis-server (pid $pid) did not stop"
}

cmd_install() {
    command -v redis-server >/dev/null 2>&1 && return 0
    local t0
    t0=$(now_us)
    apt_install redis-server
    command -v redis-server >/dev/null 2>&1 || die "redis-server not found after install"
    stop_debian_service_on_port
    say "installed $(redis-server --version | cut -d' ' -f1-3) ($(since "$t0"))"
}

cmd_launch() {
    forget_launch
    already_running redis redis-server "127.0.0.1:$REDIS_PORT" && return 0
    stop_debian_service_on_port
    claim_port "$REDIS_PORT" "127.0.0.1:$REDIS_PORT" redis_ping "a Redis" REDIS_URL || return 0
    mkdir -p "$REDIS_DIR"
    say "starting"
    mark_launched
    rm -f "$REDIS_PIDFILE"
    # redis daemonizes itself (fork + setsid) and writes the pid file.
    # shellcheck disable=SC2094 # redis appends to its log; so do we, before it
    if ! redis-server "$REDIS_CONF" --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
        --pidfile "$REDIS_PIDFILE" --dir "$REDIS_DIR" --logfile "$REDIS_LOG" \
        </dev/null >>"$REDIS_LOG" 2>&1; then
        show_log_tail "$REDIS_LOG"
        die "redis-server failed to start"
    fi
}

cmd_wait() {
    local t0 pid=""
    t0=$(launched_at) || t0=
    # The daemon writes its pid file right after forking.
    local _
    for _ in $(seq 1 40); do
        pid=$(read_pid "$REDIS_PIDFILE") && break
        redis_ping && break
        sleep 0.1
    done
    wait_ready "$REDIS_TIMEOUT" "$REDIS_LOG" "$pid" redis-server redis_ping
    [[ -n $t0 ]] && say "ready ($(since "$t0")): redis://127.0.0.1:$REDIS_PORT"
    return 0
}

cmd_stop() {
    forget_launch
    stop_managed redis redis-server 30
}

redis_installed() { command -v redis-server >/dev/null 2>&1; }

cmd_status() {
    managed_status redis redis-server "127.0.0.1:$REDIS_PORT" "$REDIS_PORT" redis_ping redis_installed \
        "redis-server not installed" "a Redis" "redis://127.0.0.1:$REDIS_PORT  data $(rel "$REDIS_DIR")"
}

# redis-cli against the local server, e.g. `redis.sh cli info server`.
cmd_cli() {
    exec redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

component_main "$@"
