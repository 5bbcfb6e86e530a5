#!/usr/bin/env bash
# Apache Kafka 4.x for the native dev stack: one KRaft process that is both
# broker and controller, run from Maven Central jars (kafka/pom.xml), config
# kafka/server.properties (rendered into <data>/kafka at every start), logging
# kafka/log4j2.properties -> <data>/logs/kafka/server.log.
#
#   scripts/infra/kafka.sh install|start|stop|restart|status|topics [args]
#
# `stop` is a clean controlled shutdown (TERM) and `start` reuses the same log
# dirs and cluster id, so stop/start cycles keep every topic and message.
set -euo pipefail
COMPONENT=kafka
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
EXTRA_COMMANDS="topics tool"

KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}
KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP%%,*}
KAFKA_HOST=${KAFKA_BOOTSTRAP%:*}
KAFKA_PORT=${KAFKA_BOOTSTRAP##*:}
KAFKA_CTRL_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP=${RENTEZY_KAFKA_HEAP:--Xms256m -Xmx512m}
KAFKA_TIMEOUT=${RENTEZY_KAFKA_TIMEOUT:-120}
KAFKA_STOP_TIMEOUT=${RENTEZY_KAFKA_STOP_TIMEOUT:-60}

KAFKA_SRC=$REPO_ROOT/kafka
KAFKA_DIR=$DATA_DIR/kafka
KAFKA_LIBS=$KAFKA_DIR/libs
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_CONF=$KAFKA_DIR/server.properties
KAFKA_CLUSTER_ID_FILE=$KAFKA_DIR/cluster.id
KAFKA_LOGS=$LOG_DIR/kafka
KAFKA_OUT=$LOG_DIR/kafka.out
KAFKA_MAIN=kafka.Kafka

[[ $KAFKA_HOST == 127.0.0.1 ]] ||
    die "KAFKA_BOOTSTRAP_SERVERS must be 127.0.0.1:<port> for the local stack (got $KAFKA_BOOTSTRAP)"
[[ $KAFKA_PORT =~ ^[0-9]+$ && $KAFKA_CTRL_PORT =~ ^[0-9]+$ ]] || die "bad Kafka ports: $KAFKA_PORT / $KAFKA_CTRL_PORT"

# Small tools (StorageTool, CLI) get a small heap and log to the same dir.
kafka_tool() {
    local java
    java=$(java_cmd)
    "$java" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.properties" -Dkafka.logs.dir="$KAFKA_LOGS/tools" \
        -cp "$KAFKA_LIBS/*" "$@"
}

render_config() {
    mkdir -p "$KAFKA_DIR" "$KAFKA_LOGS"
    sed -e "s|@KAFKA_HOST@|$KAFKA_HOST|g" \
        -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
        -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CTRL_PORT|g" \
        -e "s|@KAFKA_LOG_DIRS@|$KAFKA_DATA|g" \
        "$KAFKA_SRC/server.properties" >"$KAFKA_CONF.tmp"
    {
        echo "# Rendered from kafka/server.properties by scripts/infra/kafka.sh; edits are lost."
        cat "$KAFKA_CONF.tmp"
    } >"$KAFKA_CONF"
    rm -f "$KAFKA_CONF.tmp"
}

cmd_install() {
    maven_copy_deps "$KAFKA_SRC/pom.xml" "$KAFKA_LIBS"
    [[ -f $KAFKA_DATA/meta.properties ]] && return 0
    local t0 cid
    t0=$(now_us)
    ensure_java
    render_config
    # The cluster id is made once and kept: reformatting would orphan the data.
    if [[ ! -s $KAFKA_CLUSTER_ID_FILE ]]; then
        cid=$(kafka_tool kafka.tools.StorageTool random-uuid 2>>"$KAFKA_OUT" | tail -n 1)
        [[ $cid =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a cluster id (got '$cid')"
        echo "$cid" >"$KAFKA_CLUSTER_ID_FILE"
    fi
    cid=$(<"$KAFKA_CLUSTER_ID_FILE")
    say "formatting KRaft storage $(rel "$KAFKA_DATA") (cluster id $cid, standalone controller quorum)"
    if ! kafka_tool kafka.tools.StorageTool format --standalone -t "$cid" -c "$KAFKA_CONF" >>"$KAFKA_OUT" 2>&1; then
        show_log_tail "$KAFKA_OUT"
        die "kafka-storage format failed"
    fi
    say "storage formatted ($(since "$t0"))"
}

# ApiVersions (api key 18, v0) over /dev/tcp: the broker must answer with our
# correlation id and error code 0. Fast (no JVM) and proves the Kafka protocol
# is served, not just that the port is open.
kafka_answers() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT" || exit 1
        # size=12 | api_key=18 | api_version=0 | correlation_id=0x52455a59 | client_id="rz"
        printf '\x00\x00\x00\x0c\x00\x12\x00\x00\x52\x45\x5a\x59\x00\x02rz' >&3
        resp=$(timeout 3 head -c 10 <&3 | od -An -v -tx1 | tr -d ' \n')
        [[ ${resp:8:8} == 52455a59 && ${resp:16:4} == 0000 ]]
    ) 2>/dev/null
}

cmd_launch() {
    forget_launch
    already_running kafka "$KAFKA_MAIN" "$KAFKA_BOOTSTRAP" && return 0
    [[ -f $KAFKA_DATA/meta.properties ]] || die "not installed (run: $0 install)"
    claim_port "$KAFKA_PORT" "$KAFKA_BOOTSTRAP" kafka_answers "a Kafka broker" KAFKA_BOOTSTRAP_SERVERS ||
        return 0
    if port_open 127.0.0.1 "$KAFKA_CTRL_PORT"; then
        die "controller port $KAFKA_CTRL_PORT is taken ($(port_owner "$KAFKA_CTRL_PORT")); stop it or change KAFKA_CONTROLLER_PORT"
    fi
    render_config
    say "starting"
    mark_launched
    printf '\n==== %s kafka start ====\n' "$(date -Is)" >>"$KAFKA_OUT"
    local -a heap
    read -r -a heap <<<"$KAFKA_HEAP"
    # log4j2.shutdownHookEnabled=false keeps logging alive until the broker's
    # own shutdown hook has finished (so "shut down completed" is logged).
    # GC log as Kafka's own kafka-run-class.sh writes one: a pause shows up there.
    spawn kafka "$KAFKA_OUT" "$(java_cmd)" "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
        "-Xlog:gc*:file=$KAFKA_LOGS/gc.log:time,uptime,level,tags:filecount=3,filesize=10M" \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.properties" \
        -Dlog4j2.shutdownHookEnabled=false -Dkafka.logs.dir="$KAFKA_LOGS" \
        -cp "$KAFKA_LIBS/*" "$KAFKA_MAIN" "$KAFKA_CONF"
}

cmd_wait() {
    wait_managed kafka "$KAFKA_MAIN" "$KAFKA_TIMEOUT" "$KAFKA_OUT" "$KAFKA_LOGS/server.log" kafka_answers
    say_ready "$KAFKA_BOOTSTRAP"
}

cmd_stop() {
    forget_launch
    stop_managed kafka "$KAFKA_MAIN" "$KAFKA_STOP_TIMEOUT"
}

kafka_installed() { [[ -f $KAFKA_LIBS/.installed-from-pom ]]; }

cmd_status() {
    managed_status kafka "$KAFKA_MAIN" "$KAFKA_BOOTSTRAP" "$KAFKA_PORT" kafka_answers kafka_installed \
        "jars not fetched yet ($0 install)" "a broker" \
        "$KAFKA_BOOTSTRAP (controller :$KAFKA_CTRL_PORT)  data $(rel "$KAFKA_DATA")"
}

# kafka-topics against the local broker, e.g. `kafka.sh topics --list`.
cmd_topics() {
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"
}

# Any Kafka CLI class with the broker's classpath, e.g.
#   kafka.sh tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server 127.0.0.1:9092 --topic t --from-beginning
cmd_tool() {
    [[ $# -gt 0 ]] || die "usage: $0 tool <main-class> [args]"
    kafka_tool "$@"
}

component_main "$@"
