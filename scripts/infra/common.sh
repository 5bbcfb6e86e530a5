# shellcheck shell=bash
# Shared helpers for scripts/infra/*.sh. Sourced, never executed.
#
# Layout (everything mutable lives under ONE git-ignored folder):
#   ${RENTEZY_DATA_DIR:-<repo>/.data}/
#     run/    pid files of the processes these scripts started
#     logs/   every log (postgres.log, redis.log, kafka/, opensearch/, *.out)
#     bin/    binaries built here (stripe-mock)
#     postgres/ redis/ kafka/ opensearch/   each component's data and jars
#
# Configuration: <repo>/dev.env (or $RENTEZY_ENV_FILE); variables already set
# in the environment win over dev.env.

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$INFRA_DIR/../.." && pwd)
# Order matters: up.sh starts in this order, down.sh stops in reverse.
# shellcheck disable=SC2034 # used by the scripts that source this file
INFRA_COMPONENTS=(postgres redis kafka opensearch stripe-mock localstripe)
COMPONENT=${COMPONENT:-infra}

# Go is often installed outside the default PATH of non-login shells.
[[ -d /usr/local/go/bin ]] && PATH=$PATH:/usr/local/go/bin

# ---------------------------------------------------------------- output ---
say() { printf '==> %s: %s\n' "$COMPONENT" "$*"; }
warn() { printf '==> %s: WARNING: %s\n' "$COMPONENT" "$*" >&2; }
die() {
    printf '==> %s: ERROR: %s\n' "$COMPONENT" "$*" >&2
    exit 1
}

# now_us: wall clock in microseconds; since <t0>: "4.1s".
now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
since() {
    local d=$((($(now_us) - $1) / 100000))
    printf '%d.%ds' $((d / 10)) $((d % 10))
}

# show_log_tail <file> [lines]: for error messages.
show_log_tail() {
    local file=$1 lines=${2:-25}
    [[ -s $file ]] || return 0
    printf -- '---- last %s lines of %s ----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf -- '----\n' >&2
}

# ------------------------------------------------------------ dev.env -------
load_env() {
    local file=${RENTEZY_ENV_FILE:-$REPO_ROOT/dev.env} line key val
    [[ -f $file ]] || die "config file $file not found"
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
        key=${BASH_REMATCH[2]}
        val=${BASH_REMATCH[3]}
        if [[ $val =~ ^\"(.*)\"$ || $val =~ ^\'(.*)\'$ ]]; then
            val=${BASH_REMATCH[1]}
        fi
        # The environment wins over dev.env.
        if [[ -z ${!key+x} ]]; then
            export "$key=$val"
        fi
    done <"$file"
}

# url_host <url> / url_port <url> <default>: scheme://[user[:pw]@]host[:port][/...]
url_hostport() {
    local rest=${1#*://}
    rest=${rest%%/*}
    rest=${rest##*@}
    echo "$rest"
}
url_host() {
    local hp
    hp=$(url_hostport "$1")
    echo "${hp%%:*}"
}
url_port() {
    local hp
    hp=$(url_hostport "$1")
    if [[ $hp == *:* ]]; then echo "${hp##*:}"; else echo "$2"; fi
}

# ------------------------------------------------------------- data dir -----
init_dirs() {
    local dir=${RENTEZY_DATA_DIR:-$REPO_ROOT/.data}
    mkdir -p "$dir"
    DATA_DIR=$(cd "$dir" && pwd)
    RUN_DIR=$DATA_DIR/run
    LOG_DIR=$DATA_DIR/logs
    BIN_DIR=$DATA_DIR/bin
    mkdir -p "$RUN_DIR" "$LOG_DIR" "$BIN_DIR"
    # The folder ignores itself, so nothing in it is ever committed even
    # without a root .gitignore entry.
    [[ -f $DATA_DIR/.gitignore ]] || printf '*\n' >"$DATA_DIR/.gitignore"
    export RENTEZY_DATA_DIR=$DATA_DIR
}

# rel <path>: path relative to the repo, for shorter messages.
rel() { echo "${1#"$REPO_ROOT"/}"; }

# ------------------------------------------------------------ processes -----
# read_pid <pidfile>: prints the pid when the file holds one.
read_pid() {
    local pid
    [[ -f $1 ]] || return 1
    read -r pid <"$1" || true
    [[ ${pid:-} =~ ^[0-9]+$ ]] || return 1
    echo "$pid"
}

# pid_alive <pid> [cmdline-substring]: true when the process exists, is not a
# zombie and (if given) its command line contains the substring (guards
# against pid reuse after a reboot or a crash).
pid_alive() {
    local pid=$1 want=${2:-} stat cmd
    [[ -r /proc/$pid/stat ]] || return 1
    stat=$(<"/proc/$pid/stat") || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]] || return 1
    if [[ -n $want ]]; then
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
        [[ $cmd == *"$want"* ]] || return 1
    fi
    return 0
}

# managed_pid <name> <cmdline-substring>: pid of the live process recorded in
# run/<name>.pid, else fails (and removes a stale pid file).
managed_pid() {
    local file=$RUN_DIR/$1.pid pid
    pid=$(read_pid "$file") || return 1
    if pid_alive "$pid" "$2"; then
        echo "$pid"
        return 0
    fi
    rm -f "$file"
    return 1
}

# spawn <name> <logfile> <cmd...>: start cmd in its own session (setsid, so
# it is a process-group leader that survives the calling shell and can be
# stopped with its children), stdin from /dev/null, output to logfile; the
# pid goes to run/<name>.pid.
spawn() {
    local name=$1 log=$2
    shift 2
    # A non-interactive shell puts background jobs in its own process group,
    # so setsid(1) calls setsid() in place and execs: $! is the real pid.
    setsid nohup "$@" </dev/null >>"$log" 2>&1 &
    echo "$!" >"$RUN_DIR/$name.pid"
}

# stop_managed <name> <cmdline-substring> [timeout-s]: TERM the process (and
# its process group), wait, then KILL. Prints progress.
stop_managed() {
    local name=$1 want=$2 timeout=${3:-30} pid t0 group=0
    local file=$RUN_DIR/$name.pid
    if ! pid=$(managed_pid "$name" "$want"); then
        say "not running"
        return 0
    fi
    t0=$(now_us)
    say "stopping (pid $pid)"
    [[ $(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') == "$pid" ]] && group=1
    if ((group)); then kill -TERM -- "-$pid" 2>/dev/null || true; fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$(($(now_us) + timeout * 1000000))
    while pid_alive "$pid"; do
        if (($(now_us) > deadline)); then
            warn "still running after ${timeout}s, sending KILL"
            if ((group)); then kill -KILL -- "-$pid" 2>/dev/null || true; fi
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
            break
        fi
        sleep 0.2
    done
    # Anything left in its process group (children) goes too.
    if ((group)) && pgrep -g "$pid" >/dev/null 2>&1; then
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$file"
    say "stopped ($(since "$t0"))"
}

# mark_launched / launched_at: launch time handed from `launch` to `wait`
# (separate processes when up.sh drives them), for "ready (4.1s)".
mark_launched() { now_us >"$RUN_DIR/$COMPONENT.launched"; }
forget_launch() { rm -f "$RUN_DIR/$COMPONENT.launched"; }
launched_at() {
    local f=$RUN_DIR/$COMPONENT.launched t
    [[ -f $f ]] || return 1
    t=$(<"$f")
    rm -f "$f"
    [[ $t =~ ^[0-9]+$ ]] && echo "$t"
}

# port_open <host> <port>: something accepts TCP connections there.
port_open() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# port_owner <port>: "pid/command" lines of whoever listens on the port.
port_owner() {
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -n 3
}

# wait_ready <timeout-s> <logfile> <pid-or-empty> <pid-cmd-substring> <check-fn> [args]
# Polls check-fn until it succeeds; fails early (with the log tail) when the
# process dies, and after timeout-s. Prints a progress line every 10s.
wait_ready() {
    local timeout=$1 log=$2 pid=$3 want=$4
    shift 4
    local t0 next
    t0=$(now_us)
    next=$((t0 + 10000000))
    while ! "$@"; do
        if [[ -n $pid ]] && ! pid_alive "$pid" "$want"; then
            show_log_tail "$log" 40
            die "process $pid exited before it answered (log: $(rel "$log"))"
        fi
        if (($(now_us) - t0 > timeout * 1000000)); then
            show_log_tail "$log" 40
            die "not ready after ${timeout}s (log: $(rel "$log"))"
        fi
        if (($(now_us) > next)); then
            say "still waiting ($(since "$t0"))"
            next=$((next + 10000000))
        fi
        sleep 0.25
    done
}

# ------------------------------------------- the skeleton of a component ---
# A component run as one process of ours (pid file run/<name>.pid; kafka,
# opensearch, redis, stripe-mock) shares these steps of its cmd_launch,
# cmd_wait and cmd_status. `answers` is the component's own readiness probe.

# already_running <name> <cmdline-substring> <address>: true (and says so)
# when our process is up, so cmd_launch has nothing to do.
already_running() {
    local pid
    pid=$(managed_pid "$1" "$2") || return 1
    say "already running (pid $pid, $3)"
}

# claim_port <port> <address> <answers-fn> <noun> <setting>: true when the
# port is free (launch); false, with a warning, when a server we did not start
# already answers there (use it); dies when something else holds the port.
claim_port() {
    local port=$1 address=$2 answers=$3 noun=$4 setting=$5 owner
    port_open 127.0.0.1 "$port" || return 0
    owner=$(port_owner "$port")
    if "$answers"; then
        warn "$noun not started by these scripts already answers on $address (${owner:-?}); using it, down.sh will not stop it"
        return 1
    fi
    die "port $port is taken by another process (${owner:-unknown}); stop it or change $setting"
}

# wait_managed <name> <cmdline-substring> <timeout-s> <start-log> <ready-log> <answers-fn>:
# cmd_wait up to "ready"; then `say_ready <detail>` prints the ready line when
# this run launched it.
wait_managed() {
    local name=$1 want=$2 timeout=$3 start_log=$4 ready_log=$5 answers=$6 pid
    LAUNCHED_AT=$(launched_at) || LAUNCHED_AT=
    pid=$(managed_pid "$name" "$want") || pid=""
    if [[ -z $pid ]] && ! "$answers"; then
        show_log_tail "$start_log" 30
        die "not running (start it with: $0 start)"
    fi
    wait_ready "$timeout" "$ready_log" "$pid" "$want" "$answers"
}
say_ready() {
    [[ -n ${LAUNCHED_AT:-} ]] && say "ready ($(since "$LAUNCHED_AT")): $*"
    return 0
}

# managed_status <name> <cmdline-substring> <address> <port> <answers-fn>
#   <installed-fn> <missing-detail> <foreign-noun> <running-detail>:
# cmd_status's line (running | starting | missing | foreign | stopped);
# exit 0 when running, 3 otherwise.
managed_status() {
    local name=$1 want=$2 address=$3 port=$4 answers=$5 installed=$6
    local missing=$7 foreign=$8 running=$9 pid
    if pid=$(managed_pid "$name" "$want"); then
        if "$answers"; then
            status_line running "pid $pid  $running"
            return 0
        fi
        status_line starting "pid $pid  $address not answering yet"
        return 3
    fi
    if ! "$installed"; then
        status_line missing "$missing"
    elif "$answers"; then
        status_line foreign "$address answered by $foreign not started by these scripts: $(port_owner "$port")"
    else
        status_line stopped "$address"
    fi
    return 3
}

# ------------------------------------------------------------- installs -----
as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# apt_install <package...>: Debian packages. `apt-get update` runs first, only
# when something is actually installed, and at most once an hour (marker in
# run/, so the component scripts up.sh runs share it). Log: <data>/logs/apt.log.
apt_install() {
    local alog=$LOG_DIR/apt.log marker=$RUN_DIR/apt-updated
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
    if [[ -z $(find "$marker" -mmin -60 2>/dev/null) ]]; then
        say "apt-get update"
        if ! as_root apt-get update -qq >>"$alog" 2>&1; then
            show_log_tail "$alog"
            die "apt-get update failed"
        fi
        touch "$marker"
    fi
    say "apt-get install $* (log: $(rel "$alog"))"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 "$@" >>"$alog" 2>&1; then
        show_log_tail "$alog"
        die "apt-get install $* failed"
    fi
}

# file_hash <file...>: content hash, used as "installed from this pom" markers.
file_hash() { cat "$@" | sha256sum | cut -c1-16; }

# java_bin: RENTEZY_JAVA_HOME, then JAVA_HOME, then java on PATH.
java_home_bin() {
    local home=${RENTEZY_JAVA_HOME:-${JAVA_HOME:-}}
    if [[ -n $home && -x $home/bin/$1 ]]; then
        echo "$home/bin/$1"
    else
        command -v "$1" 2>/dev/null
    fi
}

# ensure_java: a JDK >= 17 (javac is needed for the OpenSearch launcher).
ensure_java() {
    JAVA=$(java_home_bin java) || JAVA=
    JAVAC=$(java_home_bin javac) || JAVAC=
    if [[ -z $JAVA || -z $JAVAC ]]; then
        apt_install openjdk-17-jdk-headless
        JAVA=$(java_home_bin java) || die "java not found after install"
        JAVAC=$(java_home_bin javac) || die "javac not found after install"
    fi
    local v
    v=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if ! [[ ${v%%.*} =~ ^[0-9]+$ ]] || ((${v%%.*} < 17)); then
        die "Java >= 17 required, $JAVA is ${v:-unknown}"
    fi
}

# java_cmd: the java binary without the version probe (fast path).
java_cmd() { java_home_bin java || die "java not found"; }

ensure_maven() {
    command -v mvn >/dev/null 2>&1 || apt_install maven
    command -v mvn >/dev/null 2>&1 || die "mvn not found after install"
}

# maven_copy_deps <pom> <libs-dir>: copy the pom's runtime dependencies into
# libs-dir, unless libs-dir was already filled from this very pom.
maven_copy_deps() {
    local pom=$1 libs=$2 marker hash mlog t0
    marker=$libs/.installed-from-pom
    hash=$(file_hash "$pom")
    if [[ -f $marker && $(<"$marker") == "$hash" ]]; then
        return 0
    fi
    ensure_java
    ensure_maven
    mlog=$LOG_DIR/$COMPONENT-maven.log
    t0=$(now_us)
    say "fetching jars from $(rel "$pom") with Maven (first run only; log: $(rel "$mlog"))"
    rm -rf "$libs.tmp"
    mkdir -p "$libs.tmp"
    if ! mvn -B -q -f "$pom" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >"$mlog" 2>&1; then
        show_log_tail "$mlog" 30
        die "Maven could not fetch the jars"
    fi
    rm -rf "$libs"
    mv "$libs.tmp" "$libs"
    echo "$hash" >"$marker"
    say "jars ready: $(find "$libs" -name '*.jar' | wc -l) jars, $(du -sh "$libs" | cut -f1) ($(since "$t0"))"
}

# --------------------------------------------------------------- dispatch ---
usage_component() {
    cat <<EOF
usage: $(basename "$0") install|start|stop|restart|status${EXTRA_COMMANDS:+|${EXTRA_COMMANDS// /|}}
  install   install what is missing (idempotent, quiet when nothing to do)
  start     install if needed, start unless already answering, wait until ready
  stop      stop what these scripts started (pid file in the data dir)
  restart   stop then start
  status    one line: running/stopped, pid, address (exit 0 = running)
EOF
}

# component_main "$@": run cmd_<command> of the sourcing script
# (EXTRA_COMMANDS: space-separated extra commands it implements).
component_main() {
    local cmd=${1:-}
    if [[ -n $cmd && " ${EXTRA_COMMANDS:-} " == *" $cmd "* ]]; then
        shift
        "cmd_${cmd//-/_}" "$@"
        return
    fi
    case $cmd in
    install | launch | wait | stop | status) "cmd_$cmd" ;;
    start)
        cmd_install
        cmd_launch
        cmd_wait
        ;;
    restart)
        cmd_stop
        cmd_install
        cmd_launch
        cmd_wait
        ;;
    -h | --help | help) usage_component ;;
    *)
        usage_component >&2
        exit 2
        ;;
    esac
}

# status_line <state> <detail...>: the format status.sh lines up.
status_line() {
    local state=$1
    shift
    printf '%-11s %-8s %s\n' "$COMPONENT" "$state" "$*"
}

load_env
init_dirs

# parse_components ARGS...: the components named on a command line (`all`, or
# none, means every one) into the global array `components`, in start order;
# -h/--help prints the calling script's header comment.
parse_components() {
    components=()
    local arg
    for arg in "$@"; do
        case $arg in
        -h | --help)
            awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
            exit 0
            ;;
        all) components+=("${INFRA_COMPONENTS[@]}") ;;
        *)
            [[ " ${INFRA_COMPONENTS[*]} " == *" $arg "* ]] ||
                die "unknown component '$arg' (known: ${INFRA_COMPONENTS[*]})"
            components+=("$arg")
            ;;
        esac
    done
    ((${#components[@]})) || components=("${INFRA_COMPONENTS[@]}")
}
