#!/bin/bash
# units/supervisor/elasticsearch.conf under the real supervisord (Debian
# supervisor 4.2.5), with a fake Elasticsearch 7.17 home.
#
# usage: supervisord_e2e.sh BUILD_DIR SOURCE_DIR     (root; exit 77 = skipped)
#
# Checks: RUNNING; the pid supervisord reports is the node itself, with the
# spec's user, limits and heap, its keystore unlocked through stdin= from a
# root-only file; eslaunch's ready line in the stderr log;
# tmpdir= created as the node's (0700) and passed as ES_TMPDIR;
# kill -9 -> respawned; `supervisorctl stop` -> the node gets SIGTERM directly
# and, taking 12 s to stop (more than supervisord's default stopwaitsecs=10),
# is waited for: it exits 143, no SIGKILL; nothing of eslaunch is left.
# Then the same section on an 8.15 home: supervisord's pid is the CLI, the
# server its child (user, heap); stop ends both, the CLI exiting 143.
# Then on a fake OpenSearch 2.19.1 home: supervisord's pid is the node
# (user, nofile, heap via OPENSEARCH_JAVA_OPTS), the ready line, stop -> 143.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: supervisord_e2e.sh BUILD_DIR SOURCE_DIR" >&2; exit 64; }
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (eslaunch drops privileges)" >&2; exit 77; fi
command -v supervisord >/dev/null || { echo "SKIP: supervisord missing (Debian supervisor)" >&2; exit 77; }
BUILD=$(realpath "$1")
SRC=$(realpath "$2")
START=$EPOCHREALTIME
T=$(mktemp -d /tmp/eslaunch-supervisord.XXXXXX)
chmod 755 "$T"  # the service user reaches the node's home through it
SV_PID=""
FAILS=0
PORT=19210
STOP_MS=12000  # the node's time to stop: over supervisord's default stopwaitsecs=10

say() { awk -v s="$START" -v n="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[%5.1fs] %s\n", n-s, m}'; }
pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; FAILS=$((FAILS + 1)); }
expect() { if [ "$2" = "$3" ]; then pass "$1 = $2"; else fail "$1: got '$2', want '$3'"; fi; }
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); print(eval(sys.argv[1], {}, {"d": d}))' "$1" "$T/es/rec/record.json"; }
wait_for() {
    local until=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt "$until" ]; do "$@" && return 0; sleep 0.1; done
    return 1
}

cleanup() {
    local rc=$?
    set +e
    if [ -n "$SV_PID" ] && kill -0 "$SV_PID" 2>/dev/null; then
        kill -TERM "$SV_PID"
        for _ in $(seq 1 100); do kill -0 "$SV_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$SV_PID" 2>/dev/null && kill -KILL "$SV_PID"
        wait "$SV_PID" 2>/dev/null
    fi
    if [ "$rc" != 0 ]; then
        for f in "$T"/supervisord.log "$T"/log/*; do [ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }; done
    fi
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT

# --- the node, its spec, and supervisord with the project's program section ------
# The node's keystore needs a passphrase, which a root:root 0600 file gives
# on its stdin (stdin=), not supervisord's pipe.
MAKE_HOME_KEYSTORE=passphrase:sv-secret \
    bash "$SRC/tests/fake-es/make_home.sh" 7.17.9 "$T/es" "$BUILD/tests/fake-es/fake-es" >/dev/null
install -m 0600 -o root -g root /dev/null "$T/es.pw"
printf '%s\n' sv-secret >"$T/es.pw"
mkdir -m 1777 "$T/es/rec"
sed -i "s/^http.port: .*/http.port: $PORT/" "$T/es/config/elasticsearch.yml"
mkdir -p "$T/log" "$T/conf.d"
cat >"$T/elasticsearch.ini" <<EOF
[program:elasticsearch]
command=$T/es/bin/elasticsearch
user=nobody
heap_size=256m
limit_nofile=16384
tmpdir=$T/tmp
stdin=file:$T/es.pw
environment=FAKE_ES_RECORD="$T/es/rec/record.json",FAKE_ES_HTTP_PORT="$PORT",FAKE_ES_DELAY_MS="500",FAKE_ES_STOP_DELAY_MS="$STOP_MS"
EOF
sed -e "s|@bindir@|$BUILD/shim|g" -e "s|@logdir@|$T/log|g" -e "s|/etc/eslaunch/elasticsearch.ini|$T/elasticsearch.ini|g" \
    "$SRC/units/supervisor/elasticsearch.conf.in" >"$T/conf.d/elasticsearch.conf"
cat >"$T/supervisord.conf" <<EOF
[unix_http_server]
file=$T/supervisor.sock

[supervisord]
nodaemon=true
logfile=$T/supervisord.log
pidfile=$T/supervisord.pid
childlogdir=$T/log

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$T/supervisor.sock

[include]
files = $T/conf.d/*.conf
EOF
CTL() { supervisorctl -c "$T/supervisord.conf" "$@"; }
status() { CTL status elasticsearch 2>/dev/null | awk '{print $2}'; }
node_pid() { CTL pid elasticsearch 2>/dev/null; }

say "supervisord with units/supervisor/elasticsearch.conf"
supervisord -c "$T/supervisord.conf" >"$T/supervisord.out" 2>&1 &
SV_PID=$!
running() { [ "$(status)" = RUNNING ]; }
if wait_for 30 running; then pass "RUNNING"; else fail "not RUNNING: $(status)"; exit 1; fi
pid=$(node_pid)
expect "supervisord's pid is the node (its record's pid)" "$pid" "$(json 'd["pid"]')"
expect "the node's program" "$(cat /proc/"$pid"/comm)" fake-es
expect "the node's uid (nobody)" "$(json 'd["uid"]')" "$(id -u nobody)"
expect "the node's nofile" "$(awk '/open files/{print $4"/"$5}' /proc/"$pid"/limits)" 16384/16384
expect "the node's heap" "$(json 'd["heap"]["xmx"]')" 256m
expect "the node's ES_TMPDIR" "$(json 'd["environment"]["ES_TMPDIR"]')" "$T/tmp"
expect "the node's java.io.tmpdir" "$(json 'd["java_io_tmpdir"]')" "$T/tmp"
expect "the tmpdir's owner and mode" "$(stat -c '%U %a' "$T/tmp")" "nobody 700"
expect "the node unlocked its keystore" "$(json 'd["keystore"]')" unlocked
expect "the node's stdin" "$(readlink /proc/"$pid"/fd/0)" "$T/es.pw"
ready_logged() { grep -q "^eslaunch: elasticsearch ready after .* (http://127.0.0.1:$PORT/ -> 200)$" "$T/log/elasticsearch.err.log"; }
if wait_for 10 ready_logged; then pass "the ready line is in the stderr log"; else fail "no ready line in $T/log/elasticsearch.err.log"; fi

say "kill -9 the node"
kill -KILL "$pid"
respawned() { local p; p=$(node_pid); [ "${p:-0}" -gt 1 ] && [ "$p" != "$pid" ] && running; }
if wait_for 30 respawned; then pass "respawned as pid $(node_pid)"; else fail "not respawned: $(status)"; fi
pid=$(node_pid)
expect "the new node's uid" "$(awk '/^Uid:/{print $2}' /proc/"$pid"/status)" "$(id -u nobody)"

say "supervisorctl stop elasticsearch (the node takes $STOP_MS ms to stop)"
log_before=$(wc -l <"$T/supervisord.log")
t0=$EPOCHREALTIME
CTL stop elasticsearch >/dev/null
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')
expect "status after stop" "$(status)" STOPPED
awk -v t="$took" -v ms="$STOP_MS" 'BEGIN{exit !(t >= ms / 1000 - 0.5 && t < 60)}' &&
    pass "supervisord waited $took s for the node, past the default stopwaitsecs=10" ||
    fail "stop took $took s, not about $STOP_MS ms"
grep -q "fake-es: Terminated: stopping in $STOP_MS ms" "$T/log/elasticsearch.err.log" &&
    pass "the node itself got SIGTERM" || fail "no SIGTERM in the node's stderr log"
grep -q "fake-es: Terminated, exiting 143" "$T/log/elasticsearch.err.log" && pass "the node exited 143 in its own time" ||
    fail "the node did not exit 143 by itself"
grep -q "stopped: elasticsearch (exit status 143)" "$T/supervisord.log" && pass "supervisord saw exit status 143" ||
    fail "supervisord did not log exit status 143"
killed=$(tail -n +"$((log_before + 1))" "$T/supervisord.log" | grep -E "SIGKILL|killing 'elasticsearch'" || true)
[ -z "$killed" ] && pass "no SIGKILL during the stop" || fail "supervisord killed the node: $killed"
left=$(pgrep -l -f "$BUILD/shim/eslaunch" || true)
[ -z "$left" ] && pass "no eslaunch process left" || fail "left running: $left"

# --- 8.3+: supervisord's pid is the CLI, the server its child; stop ends both ---
say "the same section on an 8.15.3 home (the CLI and its server)"
bash "$SRC/tests/fake-es/make_home.sh" 8.15.3 "$T/es8" "$BUILD/tests/fake-es/fake-es" >/dev/null
mkdir -m 1777 "$T/es8/rec"
sed -i "s/^http.port: .*/http.port: $PORT/" "$T/es8/config/elasticsearch.yml"
sed -i -e "s|$T/es/|$T/es8/|g" -e 's/,FAKE_ES_STOP_DELAY_MS="[0-9]*"//' "$T/elasticsearch.ini"
CTL start elasticsearch >/dev/null
if wait_for 30 running; then pass "8.15.3 RUNNING"; else fail "8.15.3 not RUNNING: $(status)"; fi
cli=$(node_pid)
rec8() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); print(eval(sys.argv[1], {}, {"d": d}))' "$1" "$T/es8/rec/$2"; }
wait_for 10 test -e "$T/es8/rec/record.json" || true
expect "8.15.3 supervisord's pid is the CLI" "$cli" "$(rec8 'd["pid"]' record.json.cli)"
srv=$(rec8 'd["pid"]' record.json)
expect "8.15.3 the server is its child" "$(rec8 'd["ppid"]' record.json)" "$cli"
expect "8.15.3 the server's uid (nobody)" "$(rec8 'd["uid"]' record.json)" "$(id -u nobody)"
expect "8.15.3 the server's heap" "$(rec8 'd["heap"]["xmx"]' record.json)" 256m
CTL stop elasticsearch >/dev/null
expect "8.15.3 status after stop" "$(status)" STOPPED
[ "$(grep -c "stopped: elasticsearch (exit status 143)" "$T/supervisord.log")" = 2 ] &&
    pass "8.15.3 supervisord saw the CLI exit 143" || fail "supervisord did not log the CLI's exit 143"
[ ! -e "/proc/$srv" ] && [ ! -e "/proc/$cli" ] && pass "8.15.3 stop ended the CLI and the server" ||
    fail "8.15.3 left running: $cli or $srv"

# --- OpenSearch 2.x under the same section: the heap via OPENSEARCH_JAVA_OPTS ---
say "the same section on a fake OpenSearch 2.19.1 home"
bash "$SRC/tests/fake-es/make_home.sh" opensearch-2.19.1 "$T/os" "$BUILD/tests/fake-es/fake-es" >/dev/null
mkdir -m 1777 "$T/os/rec"
sed -i "s/^http.port: .*/http.port: $PORT/" "$T/os/config/opensearch.yml"
# jvm.options says 1g: 256m in the record means the heap came through
# OPENSEARCH_JAVA_OPTS (opensearch-env unsets JAVA_TOOL_OPTIONS).
cat >"$T/elasticsearch.ini" <<EOF
[program:opensearch]
command=$T/os/bin/opensearch
user=nobody
heap_size=256m
limit_nofile=16384
environment=FAKE_ES_RECORD="$T/os/rec/record.json",FAKE_ES_HTTP_PORT="$PORT",FAKE_ES_DELAY_MS="500"
EOF
CTL start elasticsearch >/dev/null || true  # a failed start: the checks below say what
if wait_for 30 running; then pass "OpenSearch RUNNING"; else fail "OpenSearch not RUNNING: $(status)"; fi
pid=$(node_pid || true)
recos() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); print(eval(sys.argv[1], {}, {"d": d}))' "$1" "$T/os/rec/record.json"; }
expect "OpenSearch: supervisord's pid is the node" "$pid" "$(recos 'd["pid"]')"
expect "OpenSearch's program" "$(cat /proc/"$pid"/comm)" fake-es
expect "OpenSearch's uid (nobody)" "$(recos 'd["uid"]')" "$(id -u nobody)"
expect "OpenSearch's nofile" "$(awk '/open files/{print $4"/"$5}' /proc/"$pid"/limits)" 16384/16384
expect "OpenSearch's heap (-Xms/-Xmx)" "$(recos 'd["heap"]["xms"] + "/" + d["heap"]["xmx"]')" 256m/256m
os_ready() { grep -q "^eslaunch: opensearch ready after .* (http://127.0.0.1:$PORT/ -> 200)$" "$T/log/elasticsearch.err.log"; }
if wait_for 10 os_ready; then pass "OpenSearch's ready line is in the stderr log"; else fail "no OpenSearch ready line in the stderr log"; fi
CTL stop elasticsearch >/dev/null
expect "OpenSearch status after stop" "$(status)" STOPPED
[ "$(grep -c "stopped: elasticsearch (exit status 143)" "$T/supervisord.log")" = 3 ] &&
    pass "supervisord saw OpenSearch exit 143" || fail "supervisord did not log OpenSearch's exit 143"
[ ! -e "/proc/$pid" ] && pass "stop ended OpenSearch" || fail "OpenSearch left running: $pid"

say "$FAILS failed check(s)"
[ "$FAILS" = 0 ]
