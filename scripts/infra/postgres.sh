#!/usr/bin/env bash
# PostgreSQL for the native dev stack: Debian's server binaries, our own
# cluster in <data>/postgres/data, listening on 127.0.0.1:$POSTGRES_PORT only
# (unix socket in <data>/postgres/socket), scram-sha-256 over TCP, the login
# role $POSTGRES_USER (SUPERUSER, dev only) and one database per service.
#
#   scripts/infra/postgres.sh install|start|stop|restart|status|psql [args]
#
# As root the server runs as the `postgres` OS user (it refuses to run as
# root); as any other user it runs as that user.
set -euo pipefail
COMPONENT=postgres
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
EXTRA_COMMANDS="psql"

PG_HOST=${POSTGRES_HOST:-127.0.0.1}
PG_PORT=${POSTGRES_PORT:-5432}
PG_USER=${POSTGRES_USER:-rentezy}
PG_PASSWORD=${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (dev.env)}
PG_DATABASES=${RENTEZY_POSTGRES_DATABASES:-rentezy_auth rentezy_property rentezy_booking rentezy_rent rentezy_chat rentezy_notification rentezy_search rentezy_gateway rentezy_platform}
PG_TIMEOUT=${RENTEZY_POSTGRES_TIMEOUT:-60}

[[ $PG_HOST == 127.0.0.1 || $PG_HOST == localhost ]] ||
    die "POSTGRES_HOST must be 127.0.0.1 for the local stack (got $PG_HOST)"

if ((EUID == 0)); then
    PG_OS_USER=postgres
else
    PG_OS_USER=$(id -un)
fi
# The bootstrap superuser is named after the OS user, so local peer auth on
# the unix socket lets these scripts in without a password.
PG_SUPERUSER=$PG_OS_USER

# pg_paths: where the cluster lives. Normally <data>/postgres (log in
# <data>/logs). As root, the server runs as `postgres`, which must be able to
# reach that folder; when a parent is private (a checkout under /root, say)
# the cluster goes to postgres's home instead, one folder per data dir.
pg_paths() {
    PG_DIR=$DATA_DIR/postgres
    PG_LOG=$LOG_DIR/postgres.log
    PG_RELOCATED=0
    if ((EUID == 0)) && id -u "$PG_OS_USER" >/dev/null 2>&1 &&
        ! runuser -u "$PG_OS_USER" -- test -x "$DATA_DIR" 2>/dev/null; then
        PG_DIR=$(getent passwd "$PG_OS_USER" | cut -d: -f6)/rentezy-$(echo "$DATA_DIR" | sha256sum | cut -c1-12)
        PG_LOG=$PG_DIR/postgres.log
        PG_RELOCATED=1
    fi
    PGDATA_DIR=$PG_DIR/data
    PG_SOCKET_DIR=$PG_DIR/socket
    # unix sockets have a ~107 byte path limit; deep checkouts use /tmp.
    if ((${#PG_SOCKET_DIR} > 90)); then
        PG_SOCKET_DIR=/tmp/rentezy-pg-$(echo "$PG_DIR" | sha256sum | cut -c1-12)
    fi
}
pg_paths

# run_as_pg <cmd...>: as the server's OS user, from a directory it can read.
run_as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

# pg_bindir: the binaries matching the cluster's version if it exists,
# else the newest installed; $PG_BINDIR overrides.
pg_bindir() {
    if [[ -n ${PG_BINDIR:-} ]]; then
        echo "$PG_BINDIR"
        return
    fi
    local want="" dir best=""
    [[ -f $PGDATA_DIR/PG_VERSION ]] && want=$(<"$PGDATA_DIR/PG_VERSION")
    if [[ -n $want ]]; then
        dir=/usr/lib/postgresql/$want/bin
        [[ -x $dir/postgres ]] || return 1
        echo "$dir"
        return 0
    fi
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x $dir/postgres ]] || continue
        if [[ -z $best ]] || [[ $(printf '%s\n%s\n' "$best" "$dir" | sort -V | tail -n 1) == "$dir" ]]; then
            best=$dir
        fi
    done
    [[ -n $best ]] || return 1
    echo "$best"
}

cluster_running() {
    local bin
    bin=$(pg_bindir) || return 1
    [[ -n $bin && -f $PGDATA_DIR/postmaster.pid ]] || return 1
    run_as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

cluster_pid() { head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null; }

# Debian's package creates (and on systemd machines starts) its own cluster
# on 5432. We must own the port: stop any Debian cluster that is online on it.
stop_debian_clusters_on_port() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    local ver name port status _owner datadir _rest
    while read -r ver name port status _owner datadir _rest; do
        [[ $port == "$PG_PORT" && $status == online* && $datadir != "$PGDATA_DIR" ]] || continue
        say "stopping Debian cluster $ver/$name that holds port $PG_PORT (pg_ctlcluster $ver $name stop)"
        as_root pg_ctlcluster "$ver" "$name" stop || warn "could not stop cluster $ver/$name"
    done < <(pg_lsclusters -h 2>/dev/null || true)
}

write_config() {
    # Regenerated at every start so dev.env changes (port) apply.
    cat >"$PGDATA_DIR/rentezy.conf" <<EOF
# Written by scripts/infra/postgres.sh at every start; edits are lost.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 300
shared_buffers = 128MB
password_encryption = scram-sha-256
# Durability stays at the defaults (fsync, synchronous_commit, full_page_writes).
log_timezone = 'UTC'
timezone = 'UTC'
EOF
    cat >"$PGDATA_DIR/pg_hba.conf" <<EOF
# Written by scripts/infra/postgres.sh at every start; edits are lost.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  peer
host    all       all   127.0.0.1/32   scram-sha-256
EOF
    if ((EUID == 0)); then
        chown "$PG_OS_USER": "$PGDATA_DIR/rentezy.conf" "$PGDATA_DIR/pg_hba.conf"
    fi
    chmod 600 "$PGDATA_DIR/rentezy.conf" "$PGDATA_DIR/pg_hba.conf"
}

prepare_dirs() {
    if ((PG_RELOCATED)) && [[ ! -d $PG_DIR ]]; then
        warn "user $PG_OS_USER cannot reach $DATA_DIR (a parent folder is private): the cluster lives in $PG_DIR instead"
    fi
    mkdir -p "$PG_DIR" "$PG_SOCKET_DIR"
    touch "$PG_LOG"
    if ((EUID == 0)); then
        id -u "$PG_OS_USER" >/dev/null 2>&1 || die "OS user $PG_OS_USER missing (the postgresql package creates it)"
        chown "$PG_OS_USER": "$PG_DIR" "$PG_SOCKET_DIR" "$PG_LOG"
        runuser -u "$PG_OS_USER" -- test -w "$PG_DIR" ||
            die "user $PG_OS_USER cannot write $PG_DIR; set RENTEZY_DATA_DIR to a folder it can reach"
    fi
}

cmd_install() {
    local bin t0
    bin=$(pg_bindir) || bin=
    if [[ -z $bin ]]; then
        if [[ -f $PGDATA_DIR/PG_VERSION ]]; then
            die "cluster in $(rel "$PGDATA_DIR") is PostgreSQL $(<"$PGDATA_DIR/PG_VERSION") but those binaries are not installed (apt-get install postgresql-$(<"$PGDATA_DIR/PG_VERSION"), or delete the folder)"
        fi
        t0=$(now_us)
        apt_install postgresql
        stop_debian_clusters_on_port
        pg_paths # the postgres OS user exists only now
        bin=$(pg_bindir) || die "no /usr/lib/postgresql/*/bin/postgres after installing postgresql"
        say "installed $("$bin/postgres" --version) ($(since "$t0"))"
    fi
    if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
        t0=$(now_us)
        prepare_dirs
        say "initdb $(rel "$PGDATA_DIR")"
        rm -rf "$PGDATA_DIR"
        if ! run_as_pg "$bin/initdb" -D "$PGDATA_DIR" -U "$PG_SUPERUSER" \
            --encoding=UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 \
            >"$LOG_DIR/postgres-initdb.log" 2>&1; then
            show_log_tail "$LOG_DIR/postgres-initdb.log"
            die "initdb failed"
        fi
        echo "include_if_exists = 'rentezy.conf'" >>"$PGDATA_DIR/postgresql.conf"
        say "cluster initialised ($(since "$t0"))"
    fi
}

cmd_launch() {
    forget_launch
    local bin owner
    bin=$(pg_bindir) || die "not installed (run: $0 install)"
    if cluster_running; then
        say "already running (pid $(cluster_pid), 127.0.0.1:$PG_PORT)"
        return 0
    fi
    prepare_dirs
    write_config
    stop_debian_clusters_on_port
    if port_open 127.0.0.1 "$PG_PORT"; then
        owner=$(port_owner "$PG_PORT")
        die "port $PG_PORT is taken by another process (${owner:-unknown}); stop it or change POSTGRES_PORT"
    fi
    say "starting"
    mark_launched
    if ! run_as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$PG_TIMEOUT" -s start >/dev/null 2>&1; then
        show_log_tail "$PG_LOG" 30
        die "pg_ctl start failed (log: $(rel "$PG_LOG"))"
    fi
}

pg_answers() {
    local bin
    bin=$(pg_bindir) || return 1
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 1
}

superuser_psql() {
    local bin
    bin=$(pg_bindir)
    run_as_pg "$bin/psql" -X -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres \
        -v ON_ERROR_STOP=1 "$@"
}

# Role and databases, idempotent (cheap enough to run at every start).
provision() {
    local out
    if ! out=$(superuser_psql -At -v user="$PG_USER" -v pw="$PG_PASSWORD" -v dbs="${PG_DATABASES// /,}" 2>&1 <<'SQL'
SELECT format('CREATE ROLE %I', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN SUPERUSER PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', d, :'user')
  FROM unnest(string_to_array(:'dbs', ',')) AS d
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d) \gexec
SQL
    ); then
        echo "$out" >&2
        die "could not create role $PG_USER / databases"
    fi
}

cmd_wait() {
    local t0 bin first
    t0=$(launched_at) || t0=
    wait_ready "$PG_TIMEOUT" "$PG_LOG" "$(cluster_pid)" postgres pg_answers
    provision
    # The services' own path: TCP + password.
    bin=$(pg_bindir)
    first=${PG_DATABASES%% *}
    PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 "$bin/psql" -X -q -At -h 127.0.0.1 -p "$PG_PORT" \
        -U "$PG_USER" -d "$first" -c 'SELECT 1' >/dev/null ||
        die "login as $PG_USER over TCP failed"
    if [[ -n $t0 ]]; then
        say "ready ($(since "$t0")): postgresql://$PG_USER@127.0.0.1:$PG_PORT ($(wc -w <<<"$PG_DATABASES") databases)"
    fi
}

cmd_stop() {
    local bin pid t0
    forget_launch
    if ! cluster_running; then
        say "not running"
        return 0
    fi
    bin=$(pg_bindir)
    pid=$(cluster_pid)
    t0=$(now_us)
    say "stopping (pid $pid, pg_ctl stop -m fast)"
    run_as_pg "$bin/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 -s stop >/dev/null ||
        die "pg_ctl stop failed (log: $(rel "$PG_LOG"))"
    say "stopped ($(since "$t0"))"
}

cmd_status() {
    if cluster_running; then
        if pg_answers; then
            status_line running "pid $(cluster_pid)  postgresql://127.0.0.1:$PG_PORT  data $(rel "$PGDATA_DIR")"
            return 0
        fi
        status_line starting "pid $(cluster_pid)  127.0.0.1:$PG_PORT not answering yet"
        return 3
    fi
    if ! pg_bindir >/dev/null; then
        status_line missing "PostgreSQL server not installed"
    elif port_open 127.0.0.1 "$PG_PORT"; then
        status_line foreign "port $PG_PORT answered by a server not started by these scripts: $(port_owner "$PG_PORT")"
    else
        status_line stopped "127.0.0.1:$PG_PORT"
    fi
    return 3
}

# psql as POSTGRES_USER over TCP (database postgres unless -d), e.g.
# `postgres.sh psql -d rentezy_auth`.
cmd_psql() {
    local bin
    bin=$(pg_bindir) || die "not installed"
    PGPASSWORD=$PG_PASSWORD PGDATABASE=${PGDATABASE:-postgres} \
        exec "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@"
}

component_main "$@"
