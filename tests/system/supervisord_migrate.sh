#!/bin/bash
# eslaunch migrate under the real supervisord (issue 21), with a fake
# Elasticsearch 2.4 home: the old section (three environment= lines,
# stopsignal=INT), then the section and spec migrate writes from it, swapped
# in with `supervisorctl update` in one supervisord.
#
# usage: supervisord_migrate.sh BUILD_DIR SOURCE_DIR     (root; exit 77 = skipped)
#
# Checks: under the old section the node gets only the last environment=
# line (the bug: no ES_HEAP_SIZE, so 2.x's default heap; supervisord's open
# files limit); migrate exits 0 and `eslaunch check` passes the new
# section; under it the node runs under eslaunch as supervisord's pid, as
# nobody, with all three variables as meant (the heap, limit_nofile, the
# last line's), and stops on SIGTERM with 143.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: supervisord_migrate.sh BUILD_DIR SOURCE_DIR" >&2; exit 64; }
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (eslaunch drops privileges)" >&2; exit 77; fi
command -v supervisord >/dev/null || { echo "SKIP: supervisord missing (Debian supervisor)" >&2; exit 77; }
BUILD=$(realpath "$1")
SRC=$(realpath "$2")
START=$EPOCHREALTIME
T=$(mktemp -d /tmp/eslaunch-migrate.XXXXXX)
chmod 755 "$T"  # the service user reaches the node's home through it
SV_PID=""
FAILS=0
PORT=19211
FILES=16384  # under this host's hard limit (20000), over supervisord's default minfds (1024)

say() { awk -v s="$START" -v n="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[%5.1fs] %s\n", n-s, m}'; }
pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; FAILS=$((FAILS + 1)); }
expect() { if [ "$2" = "$3" ]; then pass "$1 = $2"; else fail "$1: got '$2', want '$3'"; fi; }
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); print(eval(sys.argv[1], {}, {"d": d}))' "$1" "$T/rec/record.json"; }
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
    if [ "$rc" != 0 ] || [ "$FAILS" != 0 ]; then
        for f in "$T"/supervisord.log "$T"/log/* "$T"/migrate.out "$T"/check.out; do
            [ -f "$f" ] && { echo "--- $f"; tail -n 25 "$f"; }
        done
    fi
    rm -rf "$T"
    [ "$MADE_TMPDIR" = 1 ] && rm -rf /var/lib/eslaunch/elasticsearch
    exit "$rc"
}
# The migrated spec has no tmpdir=: the node gets the default,
# /var/lib/eslaunch/elasticsearch/tmp, removed again if this test made it.
MADE_TMPDIR=0
[ -e /var/lib/eslaunch/elasticsearch ] || MADE_TMPDIR=1
trap cleanup EXIT

# --- the node, and the old section as the operator wrote it ---------------------
bash "$SRC/tests/fake-es/make_home.sh" 2.4.6 "$T/es" "$BUILD/tests/fake-es/fake-es" >/dev/null
sed -i "s/^http.port: .*/http.port: $PORT/" "$T/es/config/elasticsearch.yml"
mkdir -m 1777 "$T/rec"
mkdir -p "$T/log" "$T/conf.d" "$T/jdk/bin"
printf '#!/bin/sh\nexit 0\n' >"$T/jdk/bin/java"  # 2.x's script wants an executable JAVA_HOME/bin/java; nothing runs it
chmod 755 "$T/jdk/bin/java"
cat >"$T/conf.d/elasticsearch.conf" <<EOF
[program:elasticsearch]
command=$T/es/bin/elasticsearch
directory=$T/es
user=nobody
environment=ES_HEAP_SIZE="256m"
environment=MAX_OPEN_FILES="$FILES"
environment=JAVA_HOME="$T/jdk",FAKE_ES_RECORD="$T/rec/record.json",FAKE_ES_HTTP_PORT="$PORT"
stopsignal=INT
startsecs=10
autostart=true
autorestart=true
stdout_logfile=$T/log/elasticsearch.out.log
stderr_logfile=$T/log/elasticsearch.err.log
EOF
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
recorded() { [ -s "$T/rec/record.json" ]; }
env_of() { json "d['environment'].get('$1', '-')"; }

say "the old section under supervisord"
supervisord -c "$T/supervisord.conf" >"$T/supervisord.out" 2>&1 &
SV_PID=$!
if wait_for 30 recorded; then pass "the node started"; else fail "no record from the node"; exit 1; fi
expect "the node's uid (nobody)" "$(json 'd["uid"]')" "$(id -u nobody)"
expect "JAVA_HOME (the last line, kept)" "$(env_of JAVA_HOME)" "$T/jdk"
expect "ES_HEAP_SIZE (line 5, dropped by supervisord)" "$(env_of ES_HEAP_SIZE)" -
expect "the heap (2.x's default, not 256m)" "$(json 'd["heap"]["xmx"]')" 1g
old_files=$(awk '/open files/{print $5}' /proc/"$(json 'd["pid"]')"/limits)
[ "$old_files" != "$FILES" ] && pass "open files $old_files: MAX_OPEN_FILES was read by nothing" ||
    fail "open files already $FILES under the old section"

say "eslaunch migrate"
if "$BUILD/shim/eslaunch" migrate --spec-out "$T/elasticsearch.ini" --section-out "$T/new.conf" \
    "$T/conf.d/elasticsearch.conf" >"$T/migrate.out" 2>&1; then
    pass "migrate exits 0"
else
    fail "migrate exited $?"
fi
grep -q "line 5: environment= is dropped by supervisord, which keeps only line 7" "$T/migrate.out" &&
    pass "migrate reports the lines supervisord dropped" || fail "no loss reported"
expect "the section's command" "$(grep '^command=' "$T/new.conf")" "command=$BUILD/shim/eslaunch $T/elasticsearch.ini"
mv "$T/new.conf" "$T/conf.d/elasticsearch.conf"
if "$BUILD/shim/eslaunch" check "$T/conf.d/elasticsearch.conf" >"$T/check.out" 2>&1; then
    pass "eslaunch check passes the new section and its spec"
else
    fail "eslaunch check of the new section exited $?"
fi

say "the new section: supervisorctl update"
rm -f "$T/rec/record.json"
CTL update >/dev/null
if wait_for 30 recorded; then pass "the node started under eslaunch"; else fail "no record from the node"; exit 1; fi
pid=$(json 'd["pid"]')
node_pid() { [ "$(CTL pid elasticsearch 2>/dev/null)" = "$pid" ]; }
wait_for 20 node_pid && pass "supervisord's pid is the node ($pid)" || fail "supervisord's pid $(CTL pid elasticsearch)"
expect "the node's uid (the spec's user=nobody)" "$(json 'd["uid"]')" "$(id -u nobody)"
expect "JAVA_HOME" "$(env_of JAVA_HOME)" "$T/jdk"
expect "ES_HEAP_SIZE (heap_size=, as 2.x takes it)" "$(env_of ES_HEAP_SIZE)" 256m
expect "the heap" "$(json 'd["heap"]["xmx"]')" 256m
expect "the node's nofile (limit_nofile= from MAX_OPEN_FILES)" \
    "$(awk '/open files/{print $4"/"$5}' /proc/"$pid"/limits)" "$FILES/$FILES"
ready_logged() { grep -q "^eslaunch: elasticsearch ready after .* (http://127.0.0.1:$PORT/ -> 200)$" "$T/log/elasticsearch.err.log"; }
wait_for 20 ready_logged && pass "the ready line is in the stderr log" || fail "no ready line"

say "supervisorctl stop (stopsignal=TERM)"
CTL stop elasticsearch >/dev/null
grep -q "stopped: elasticsearch (exit status 143)" "$T/supervisord.log" && pass "the node exited 143 on SIGTERM" ||
    fail "supervisord did not log exit status 143"

say "$FAILS failed check(s)"
[ "$FAILS" = 0 ]
