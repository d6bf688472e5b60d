#!/bin/bash
# The project's own units under a real systemd: systemd 252 booted as PID 1 of
# a systemd-nspawn container (the host's /usr, a fresh tmpfs /etc /var /run;
# recipe: scripts/lib/nspawn.sh), the build bound in read-only at
# /opt/eslaunch, a fake Elasticsearch 7.17 home made inside.
#
# usage: systemd_e2e.sh BUILD_DIR SOURCE_DIR     (root; exit 77 = skipped)
#
# Checks, each against what systemd itself reports:
#   start returns only after the node's port opened; active; MainPID is the
#   node; its user, limits and heap are the spec's; StatusText is eslaunch's;
#   kill -9 -> restarted and active; stop -> SIGTERM, exit 143 counted as
#   success, inactive, no eslaunch process left; both units' stop policy
#   (SIGTERM to the node only, no stop timeout, no SIGKILL); a start longer
#   than TimeoutStartSec succeeds through EXTEND_TIMEOUT_USEC, sized from the
#   TimeoutStartSec read over sd-bus (a node never ready fails within
#   seconds, not 30 s); NotifyAccess=main gets eslaunch's warning in the
#   journal, also with the system bus a second late; warnings land at
#   priority 4, errors at 3; WatchdogSec + watchdog=true keeps a healthy
#   node and restarts a hung one; two elasticsearch@ instances side by side;
#   the default tmpdir made for the node (esnode, 0700) and passed as
#   ES_TMPDIR; a node asking for bootstrap.memory_lock under a hard memlock
#   of 8M fails with 205 and the journal names the setting and the fix.
#   a keystore unlocked through stdin=file: from a root-only file.
#   TimeoutStartSec=900; 8.15 (fake): MainPID is the CLI, the server its
#   child with the spec's user, nofile and heap, not active while HTTP
#   answers but the node has not joined (readiness.port), the ready line
#   names both pids, kill -9 of the server restarts the unit, stop ends
#   both (143) and leaves nothing. opensearch.service with a fake OpenSearch
#   2.19.1: start waits for its port; MainPID is the node with the spec's
#   user, nofile and heap (via OPENSEARCH_JAVA_OPTS); StatusText; stop -> 143.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: systemd_e2e.sh BUILD_DIR SOURCE_DIR" >&2; exit 64; }
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (systemd-nspawn)" >&2; exit 77; fi
for tool in systemd-nspawn nsenter unshare; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (Debian systemd-container, util-linux)" >&2; exit 77; }
done
. "$(dirname "$0")/../../scripts/lib/nspawn.sh"
nspawn_enter_mount_namespace "$@"

BUILD=$(realpath "$1")
SRC=$(realpath "$2")
START=$EPOCHREALTIME
FAILS=0

say() { awk -v s="$START" -v n="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[%5.1fs] %s\n", n-s, m}'; }
pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; FAILS=$((FAILS + 1)); }
expect() {  # expect WHAT ACTUAL WANTED
    if [ "$2" = "$3" ]; then pass "$1 = $2"; else fail "$1: got '$2', want '$3'"; fi
}

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" != 0 ] && [ -n "$LEADER" ]; then
        echo "--- the journal's last lines"; IN journalctl --no-pager -n 30 -o cat 2>/dev/null
    fi
    nspawn_halt
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nspawn_boot "eslaunch-e2e-$$" --bind-ro="$BUILD:/opt/eslaunch" --bind-ro="$SRC:/opt/eslaunch-src"
say "container booted: $(IN systemctl is-system-running) ($(IN systemctl --version | sed -n 1p))"

# --- the node's home, user, spec and the project's units -------------------------
IN systemd-sysusers --inline 'u esnode - "eslaunch e2e node" /nonexistent /usr/sbin/nologin'
# The container's /etc is a fresh tmpfs (--volatile=yes): no nsswitch.conf,
# so glibc's built-in services find esnode for every start below.
IN bash -c '
    set -e
    mkdir -p /var/lib/es /etc/eslaunch /run/systemd/system
    chmod 755 /var/lib/es
    for node in main a b; do
        bash /opt/eslaunch-src/tests/fake-es/make_home.sh 7.17.9 /var/lib/es/$node /opt/eslaunch/tests/fake-es/fake-es
        mkdir -m 1777 /var/lib/es/$node/rec
    done
    sed -i "s/^http.port: .*/http.port: 19200/" /var/lib/es/main/config/elasticsearch.yml
    sed -i "s/^http.port: .*/http.port: 19201/" /var/lib/es/a/config/elasticsearch.yml
    sed -i "s/^http.port: .*/http.port: 19202/" /var/lib/es/b/config/elasticsearch.yml
'
write_spec() {  # write_spec NAME NODE PORT DELAY_MS [EXTRA LINES...]: the port is elasticsearch.yml's
    local name=$1 node=$2 port=$3 delay=$4
    shift 4
    {
        echo "[program:elasticsearch]"
        echo "command=/var/lib/es/$node/bin/elasticsearch"
        echo "user=esnode"
        echo "heap_size=256m"
        echo "limit_nofile=16384"
        echo "environment=FAKE_ES_RECORD=\"/var/lib/es/$node/rec/record.json\",FAKE_ES_HTTP_PORT=\"$port\",FAKE_ES_DELAY_MS=\"$delay\""
        printf '%s\n' "$@"
    } | IN sh -c "umask 022; cat > /etc/eslaunch/$name.ini"
}
write_spec elasticsearch main 19200 1500
# The project's units as they are, pointed at the build; drop-ins only where
# the test needs other timings.
for unit in elasticsearch.service elasticsearch@.service; do
    sed 's|@bindir@|/opt/eslaunch/shim|g' "$SRC/units/$unit.in" | IN sh -c "cat > /run/systemd/system/$unit"
done
dropin() {  # dropin UNIT TEXT
    IN mkdir -p "/run/systemd/system/$1.d"
    printf '[Service]\n%s\n' "$2" | IN sh -c "cat > /run/systemd/system/$1.d/test.conf"
    SC daemon-reload
}
dropin elasticsearch.service "RestartSec=1"
prop() { SC show -p "$2" --value "$1"; }
record() { IN cat "/var/lib/es/$1/rec/record.json"; }
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }
port_open() { IN bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
wait_for() {  # wait_for SECONDS COMMAND...: true once COMMAND succeeds
    local until=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt "$until" ]; do "$@" && return 0; sleep 0.1; done
    return 1
}
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'; }
# journald reads a unit's stderr on its own time: wait for a line, never
# just look once.
journal_has() { IN journalctl --no-pager -u "$1" -o cat | grep -qE "$2"; }
# eslaunch-watch's self-check asks systemd over the system bus, which
# Debian's systemd only recommends (dbus): without one, the checks of what
# it learns are skipped, loudly (exit 77 at the end, after any failure).
have_bus() { IN test -S /run/dbus/system_bus_socket; }
SKIPPED=""
skip() { say "SKIP: $* (no system bus in the container: install Debian's dbus)"; SKIPPED+="${SKIPPED:+; }$*"; }
journal_priority() {  # journal_priority UNIT REGEX: the PRIORITY of each message matching REGEX
    IN journalctl --no-pager -u "$1" -o json | /usr/bin/python3 -c '
import json, re, sys
found = []
for line in sys.stdin:
    e = json.loads(line)
    m = e.get("MESSAGE")
    if isinstance(m, list):
        m = bytes(m).decode("utf-8", "replace")
    if isinstance(m, str) and re.search(sys.argv[1], m):
        found.append(e.get("PRIORITY"))
print(",".join(sorted(set(found))))' "$2"
}

# --- start: returns only once the node answers -------------------------------------
say "systemctl start elasticsearch (the node opens its port after 1.5 s)"
t0=$EPOCHREALTIME
port_open 19200 && fail "port 19200 open before the start"
if SC start elasticsearch; then pass "systemctl start returned 0"; else fail "systemctl start failed"; fi
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')
if port_open 19200; then pass "the port is open when start returns (after $took s)"; else fail "start returned (after $took s) before the port opened"; fi
awk -v t="$took" 'BEGIN{exit !(t >= 1.4)}' && pass "start waited for the node ($took s >= 1.5 s delay)" ||
    fail "start returned after $took s, before the node's 1.5 s delay"
expect "ActiveState" "$(prop elasticsearch ActiveState)" active
main_pid=$(prop elasticsearch MainPID)
expect "MainPID is the node (its record's pid)" "$main_pid" "$(record main | json 'd["pid"]')"
expect "MainPID's program" "$(IN cat /proc/"$main_pid"/comm)" fake-es
expect "the node's uid" "$(record main | json 'd["uid"]')" "$(IN id -u esnode)"
expect "the node's nofile" "$(IN cat /proc/"$main_pid"/limits | awk '/open files/{print $4"/"$5}')" 16384/16384
expect "the node's heap" "$(record main | json 'd["heap"]["xmx"]')" 256m
# The profile's default tmpdir, made by eslaunch as root for the node.
es_tmp=/var/lib/eslaunch/elasticsearch/tmp
expect "the node's ES_TMPDIR" "$(record main | json 'd["environment"]["ES_TMPDIR"]')" "$es_tmp"
expect "the node's java.io.tmpdir" "$(record main | json 'd["java_io_tmpdir"]')" "$es_tmp"
expect "the tmpdir's owner and mode" "$(IN stat -c '%U %a' "$es_tmp")" "esnode 700"
expect "its parent's owner and mode" "$(IN stat -c '%U %a' "${es_tmp%/tmp}")" "root 755"
status_text=$(prop elasticsearch StatusText)
case $status_text in
    "elasticsearch ready after "*"(http://127.0.0.1:19200/ -> 200)") pass "StatusText: $status_text" ;;
    *) fail "StatusText: '$status_text'" ;;
esac
watcher_gone() { ! IN pgrep -x eslaunch-watch >/dev/null; }
if wait_for 10 watcher_gone; then pass "eslaunch-watch left after READY"; else fail "eslaunch-watch still runs 10 s after READY"; fi

# --- kill -9: restarted --------------------------------------------------------------
say "kill -9 the node"
IN kill -KILL "$main_pid"
restarted() { [ "$(prop elasticsearch NRestarts)" -ge 1 ] && [ "$(prop elasticsearch ActiveState)" = active ]; }
if wait_for 20 restarted; then pass "restarted and active (NRestarts=$(prop elasticsearch NRestarts))"; else fail "not restarted: $(prop elasticsearch ActiveState)"; fi
new_pid=$(prop elasticsearch MainPID)
[ "$new_pid" != "$main_pid" ] && [ "$(IN cat /proc/"$new_pid"/comm)" = fake-es ] && pass "a new node, pid $new_pid" ||
    fail "MainPID after the restart: $new_pid"

# --- stop: SIGTERM to the node, a clean exit -------------------------------------------
say "systemctl stop elasticsearch"
SC stop elasticsearch
expect "ActiveState after stop" "$(prop elasticsearch ActiveState)" inactive
expect "Result after stop (exit 143 is success)" "$(prop elasticsearch Result)" success
if wait_for 10 journal_has elasticsearch "fake-es: Terminated, exiting 143"; then
    pass "the node got SIGTERM and exited 143"
else
    fail "no SIGTERM exit in the journal"
fi
left=$(IN pgrep -l -f '/opt/eslaunch/shim/eslaunch' || true)
[ -z "$left" ] && pass "no eslaunch process left" || fail "left running: $left"
# What both units promise for a stop (units/*.service.in): SIGTERM to the
# node alone, all the time it needs, never SIGKILL. The drop-ins here touch
# none of these.
for unit in elasticsearch elasticsearch@a; do
    expect "$unit KillSignal (SIGTERM)" "$(prop "$unit" KillSignal)" 15
    expect "$unit KillMode" "$(prop "$unit" KillMode)" process
    expect "$unit TimeoutStopUSec" "$(prop "$unit" TimeoutStopUSec)" infinity
    expect "$unit SendSIGKILL" "$(prop "$unit" SendSIGKILL)" no
    expect "$unit SuccessExitStatus" "$(prop "$unit" SuccessExitStatus)" 143
    expect "$unit TimeoutStartUSec (Elastic's 900 s)" "$(prop "$unit" TimeoutStartUSec)" 15min
done

# --- a start longer than TimeoutStartSec -----------------------------------------------
say "a 5 s start with TimeoutStartSec=2 (eslaunch-watch extends it)"
write_spec elasticsearch main 19200 5000
dropin elasticsearch.service "RestartSec=1
TimeoutStartSec=2"
if SC start elasticsearch; then pass "a start longer than TimeoutStartSec succeeded"; else fail "the slow start failed: $(prop elasticsearch Result)"; fi
expect "ActiveState after the slow start" "$(prop elasticsearch ActiveState)" active
SC stop elasticsearch

# --- a node never ready: the extension follows the unit's TimeoutStartSec ---------
# eslaunch-watch reads TimeoutStartSec=2 over sd-bus and extends by 2 s every
# second until ready_timeout=3s: the start fails about 5 s after it began.
# Had it not read it (every 15 s by 30 s), it would fail after about 30 s;
# with no extension at all, after 2 s.
never_ready_case() {
    say "a node never ready, ready_timeout=3s, TimeoutStartSec=2"
    write_spec elasticsearch main 19200 600000 "ready_timeout=3s"
    dropin elasticsearch.service "RestartSec=1
Restart=no
TimeoutStartSec=2"
    t0=$EPOCHREALTIME
    if SC start elasticsearch 2>/dev/null; then fail "a node never ready started"; else pass "the start failed"; fi
    took=$(since "$t0")
    awk -v t="$took" 'BEGIN{exit !(t >= 3 && t < 15)}' &&
        pass "it failed after $took s: extended past TimeoutStartSec=2 until ready_timeout=3s, by 2 s, not 30" ||
        fail "it failed after $took s, want 3 s to 15 s (about 5 s; 2 s: not extended; about 30 s: TimeoutStartSec not read)"
    expect "Result of the start" "$(prop elasticsearch Result)" timeout
    timeout_re="^eslaunch: elasticsearch not ready after ready_timeout=3s \(http://127\.0\.0\.1:19200/ -> .*\); eslaunch stops extending the start timeout$"
    if wait_for 10 journal_has elasticsearch "$timeout_re"; then pass "the watcher's timeout line is in the journal"; else fail "no timeout line in the journal"; fi
    expect "the timeout line's priority (error)" "$(journal_priority elasticsearch "$timeout_re")" 3
    status_text=$(prop elasticsearch StatusText)
    case $status_text in
        "elasticsearch not ready after ready_timeout=3s (http://127.0.0.1:19200/ -> "*) pass "StatusText: $status_text" ;;
        *) fail "StatusText: '$status_text'" ;;
    esac
    wait_for 10 journal_has elasticsearch "start operation timed out" && pass "systemd timed the start out" ||
        fail "no start timeout from systemd in the journal"
    SC reset-failed elasticsearch 2>/dev/null || true
}
if have_bus; then never_ready_case; else skip "a node never ready (the extension follows TimeoutStartSec read over the bus)"; fi

# --- NotifyAccess=main: eslaunch's warning --------------------------------------------
say "NotifyAccess=main"
write_spec elasticsearch main 19200 200
dropin elasticsearch.service "RestartSec=1
Restart=no
NotifyAccess=main
TimeoutStartSec=3"
SC reset-failed elasticsearch 2>/dev/null || true
if SC start elasticsearch 2>/dev/null; then fail "started although NotifyAccess=main drops READY=1"; else pass "the start failed, as systemd drops READY=1"; fi
warning_re="^eslaunch: warning: elasticsearch\.service is Type=notify with NotifyAccess=main: .*add NotifyAccess=all"
if ! have_bus; then
    skip "the NotifyAccess warning (eslaunch-watch learns the unit's settings over the bus)"
elif wait_for 10 journal_has elasticsearch "$warning_re"; then
    pass "eslaunch's NotifyAccess warning is in the journal"
    expect "the warning's priority" "$(journal_priority elasticsearch "$warning_re")" 4
else
    fail "no NotifyAccess warning in the journal"
    IN journalctl --no-pager -u elasticsearch -o cat | tail -n 15
fi
SC stop elasticsearch 2>/dev/null || true
SC reset-failed elasticsearch 2>/dev/null || true

# --- a slow bus: the self-check waits for systemd's answer -------------------------
# On a busy host systemd's answer over the system bus comes late. With
# dbus-daemon stopped for a second from the node's exec on, the warning
# above must still come, not "cannot check the unit over sd-bus".
slow_bus_case() {
    say "NotifyAccess=main, the system bus a second late"
    dbus_pid=$(prop dbus MainPID)
    IN kill -STOP "$dbus_pid"
    SC start --no-block elasticsearch
    node_execed() {
        local p
        p=$(prop elasticsearch MainPID)
        [ "$p" -gt 0 ] && [ "$(IN cat "/proc/$p/comm" 2>/dev/null)" = fake-es ]
    }
    if wait_for 10 node_execed; then pass "the node runs, the bus stopped"; else fail "the node did not start"; fi
    sleep 1  # how late the bus answers: the case itself, not a wait for an event
    IN kill -CONT "$dbus_pid"
    invocation=$(prop elasticsearch InvocationID)
    this_start() { IN journalctl --no-pager "_SYSTEMD_INVOCATION_ID=$invocation" -o cat | grep -qE "$1"; }
    if wait_for 10 this_start "$warning_re"; then
        pass "the NotifyAccess warning came, the bus a second late"
    else
        fail "no NotifyAccess warning with the bus a second late"
        IN journalctl --no-pager "_SYSTEMD_INVOCATION_ID=$invocation" -o cat | tail -n 5
    fi
    start_failed() { [ "$(prop elasticsearch ActiveState)" = failed ]; }
    wait_for 15 start_failed || fail "the start did not fail: $(prop elasticsearch ActiveState)"
    SC reset-failed elasticsearch 2>/dev/null || true
}
if have_bus; then slow_bus_case; else skip "the NotifyAccess warning with the bus a second late"; fi

# --- the launcher's own lines: a warning at priority 4, an error at 3 ---------------
say "the launcher under systemd: a warning and an error"
IN sh -c 'umask 022; printf "[program:prio]\ncommand=/var/lib/es/main/bin/nosuch\nuser=esnode\ngroup=root\nready=none\n" > /etc/eslaunch/prio.ini'
printf '[Service]\nType=oneshot\nExecStart=/opt/eslaunch/shim/eslaunch /etc/eslaunch/prio.ini\n' |
    IN sh -c 'cat > /run/systemd/system/eslaunch-prio.service'
SC daemon-reload
SC start eslaunch-prio 2>/dev/null || true  # oneshot: returns once eslaunch exited
expect "the launcher's exit status" "$(prop eslaunch-prio ExecMainStatus)" 203
launcher_warning_re="^eslaunch: warning: /etc/eslaunch/prio\.ini:4: group=root makes gid 0"
launcher_error_re="^eslaunch: error: /etc/eslaunch/prio\.ini: cannot execute /var/lib/es/main/bin/nosuch as esnode"
if wait_for 10 journal_has eslaunch-prio "$launcher_error_re"; then pass "the launcher's error is in the journal"; else fail "no launcher error in the journal"; fi
expect "the launcher's warning's priority" "$(journal_priority eslaunch-prio "$launcher_warning_re")" 4
expect "the launcher's error's priority" "$(journal_priority eslaunch-prio "$launcher_error_re")" 3
SC reset-failed eslaunch-prio 2>/dev/null || true

# --- bootstrap.memory_lock where memlock cannot be raised: 205 and the fix ----------
say "elasticsearch.yml asks for bootstrap.memory_lock; hard memlock 8M, no CAP_SYS_RESOURCE"
IN sh -c 'echo "bootstrap.memory_lock: true" >> /var/lib/es/main/config/elasticsearch.yml'
dropin elasticsearch.service "Restart=no
LimitMEMLOCK=8M
CapabilityBoundingSet=~CAP_SYS_RESOURCE"
IN rm -f /var/lib/es/main/rec/record.json
SC start elasticsearch 2>/dev/null && fail "the start of a node asking for memory_lock succeeded"
expect "the unit's result" "$(prop elasticsearch Result)" exit-code
expect "the launcher's exit status (LIMITS)" "$(prop elasticsearch ExecMainStatus)" 205
memlock_re="^eslaunch: error: /etc/eslaunch/elasticsearch\.ini: bootstrap\.memory_lock: true \(/var/lib/es/main/config/elasticsearch\.yml:[0-9]+\) needs the memlock limit unlimited; the hard limit is 8M .*set LimitMEMLOCK=infinity in the unit"
if wait_for 10 journal_has elasticsearch "$memlock_re"; then pass "the journal says why and the fix"; else fail "no memory_lock line in the journal"; fi
expect "the node was started" "$(IN sh -c 'test -e /var/lib/es/main/rec/record.json && echo yes || echo no')" no
IN sed -i '/^bootstrap.memory_lock/d' /var/lib/es/main/config/elasticsearch.yml
SC reset-failed elasticsearch 2>/dev/null || true

# --- the watchdog restarts a hung node ---------------------------------------------------
say "WatchdogSec=2 and watchdog=true; then the node hangs (SIGUSR1)"
write_spec elasticsearch main 19200 200 "watchdog=true"
dropin elasticsearch.service "RestartSec=1
WatchdogSec=2"
SC start elasticsearch
hung_pid=$(prop elasticsearch MainPID)
restarts=$(prop elasticsearch NRestarts)
# Healthy: a ping comes more than WatchdogSec after the node became active,
# and it is still the same node.
active_at=$(prop elasticsearch ActiveEnterTimestampMonotonic)
fed_past_one_period() {  # the ping's time first: a restart resets it, and MainPID then tells
    [ "$(prop elasticsearch WatchdogTimestampMonotonic)" -gt $((active_at + 2500000)) ] &&
        [ "$(prop elasticsearch MainPID)" = "$hung_pid" ]
}
if wait_for 20 fed_past_one_period; then pass "pinged past one WatchdogSec"; else fail "no ping past one WatchdogSec"; fi
expect "healthy node kept by the watchdog" "$(prop elasticsearch MainPID)" "$hung_pid"
expect "NRestarts of the healthy node" "$(prop elasticsearch NRestarts)" "$restarts"
IN kill -USR1 "$hung_pid"
watchdog_restart() { [ "$(prop elasticsearch NRestarts)" -gt "$restarts" ] && [ "$(prop elasticsearch ActiveState)" = active ]; }
if wait_for 20 watchdog_restart; then pass "the hung node was restarted by the watchdog"; else fail "no watchdog restart"; fi
wait_for 10 journal_has elasticsearch "Watchdog timeout" && pass "systemd logged the watchdog timeout" ||
    fail "no watchdog timeout in the journal"
SC stop elasticsearch

# --- a keystore passphrase from a root-only file (stdin=, issue 18) -------------------
say "elasticsearch@ks: its keystore's passphrase in a root:root 0600 file (stdin=file:)"
IN bash -c '
    set -e
    MAKE_HOME_KEYSTORE=passphrase:e2e-secret bash /opt/eslaunch-src/tests/fake-es/make_home.sh 7.17.9 /var/lib/es/ks /opt/eslaunch/tests/fake-es/fake-es
    mkdir -m 1777 /var/lib/es/ks/rec
    sed -i "s/^http.port: .*/http.port: 19203/" /var/lib/es/ks/config/elasticsearch.yml
    install -m 0600 -o root -g root /dev/null /etc/eslaunch/ks.pw
    printf "%s\n" e2e-secret > /etc/eslaunch/ks.pw
'
write_spec ks ks 19203 200 "stdin=file:/etc/eslaunch/ks.pw"
if SC start elasticsearch@ks; then pass "elasticsearch@ks started"; else fail "elasticsearch@ks did not start"; fi
expect "the node unlocked its keystore" "$(record ks | json 'd["keystore"]')" unlocked
expect "the node's stdin" "$(record ks | json 'd["stdin"]')" /etc/eslaunch/ks.pw
expect "the passphrase file" "$(IN stat -c '%U:%G %a' /etc/eslaunch/ks.pw)" "root:root 600"
if IN setpriv --reuid=esnode --regid=esnode --clear-groups cat /etc/eslaunch/ks.pw >/dev/null 2>&1; then
    fail "esnode can read the passphrase file"
else
    pass "esnode cannot read the passphrase file itself"
fi
SC stop elasticsearch@ks

# --- two instances side by side ---------------------------------------------------
say "elasticsearch@a and elasticsearch@b"
write_spec a a 19201 300
write_spec b b 19202 300
SC start elasticsearch@a elasticsearch@b
expect "elasticsearch@a" "$(prop elasticsearch@a ActiveState)" active
expect "elasticsearch@b" "$(prop elasticsearch@b ActiveState)" active
pa=$(prop elasticsearch@a MainPID) pb=$(prop elasticsearch@b MainPID)
expect "a's MainPID is its node" "$pa" "$(record a | json 'd["pid"]')"
expect "b's MainPID is its node" "$pb" "$(record b | json 'd["pid"]')"
port_open 19201 && port_open 19202 && pass "both nodes answer (19201, 19202)" || fail "a node does not answer"
SC stop elasticsearch@a elasticsearch@b

# --- 8.3+: the CLI and its server child; readiness.port means joined -------------
say "elasticsearch@eight: 8.15.3 (CLI + server), readiness.port 19204, joined on demand"
IN bash -c '
    set -e
    bash /opt/eslaunch-src/tests/fake-es/make_home.sh 8.15.3 /var/lib/es/eight /opt/eslaunch/tests/fake-es/fake-es
    mkdir -m 1777 /var/lib/es/eight/rec
    printf "http.port: 19203\nreadiness.port: 19204\n" > /var/lib/es/eight/config/elasticsearch.yml
'
printf '%s\n' "[program:elasticsearch]" "command=/var/lib/es/eight/bin/elasticsearch" "user=esnode" "heap_size=256m" \
    "limit_nofile=16384" 'environment=FAKE_ES_RECORD="/var/lib/es/eight/rec/record.json",FAKE_ES_HTTP_PORT="19203",FAKE_ES_JOINED_FILE="/var/lib/es/eight/rec/joined"' |
    IN sh -c "umask 022; cat > /etc/eslaunch/eight.ini"
dropin elasticsearch@eight.service "RestartSec=1"
SC start --no-block elasticsearch@eight
if wait_for 30 port_open 19203; then pass "8.15.3 answers HTTP"; else fail "8.15.3 never answered HTTP"; fi
expect "8.15.3 answering HTTP but not joined: ActiveState" "$(prop elasticsearch@eight ActiveState)" activating
IN touch /var/lib/es/eight/rec/joined
eight_active() { [ "$(prop elasticsearch@eight ActiveState)" = active ]; }
if wait_for 30 eight_active; then pass "8.15.3 active once joined"; else fail "8.15.3 not active after joining"; fi
cli=$(prop elasticsearch@eight MainPID)
srv=$(record eight | json 'd["pid"]')
expect "8.15.3 MainPID is the CLI" "$cli" "$(IN cat /var/lib/es/eight/rec/record.json.cli | json 'd["pid"]')"
expect "8.15.3 the CLI's heap" "$(IN cat /var/lib/es/eight/rec/record.json.cli | json 'd["heap"]["xmx"]')" 64m
expect "8.15.3 the server is the CLI's child" "$(record eight | json 'd["ppid"]')" "$cli"
expect "8.15.3 the server's uid" "$(record eight | json 'd["uid"]')" "$(IN id -u esnode)"
expect "8.15.3 the server's nofile" "$(IN cat /proc/"$srv"/limits | awk '/open files/{print $4"/"$5}')" 16384/16384
expect "8.15.3 the server's heap" "$(record eight | json 'd["heap"]["xmx"]')" 256m
case $(prop elasticsearch@eight StatusText) in
    *"(tcp://127.0.0.1:19204 -> connected); main pid $cli (Elasticsearch's CLI), server pid $srv") pass "StatusText names the readiness port and both pids" ;;
    *) fail "StatusText: '$(prop elasticsearch@eight StatusText)'" ;;
esac
say "kill -9 the server JVM"
IN kill -KILL "$srv"
eight_restarted() { [ "$(prop elasticsearch@eight NRestarts)" -ge 1 ] && eight_active && [ "$(prop elasticsearch@eight MainPID)" != "$cli" ]; }
if wait_for 20 eight_restarted; then pass "the unit restarted (the CLI exited 137)"; else fail "not restarted after the server's kill -9: $(prop elasticsearch@eight ActiveState)"; fi
cli=$(prop elasticsearch@eight MainPID)
srv=$(record eight | json 'd["pid"]')
expect "8.15.3 the new server is the new CLI's child" "$(record eight | json 'd["ppid"]')" "$cli"
SC stop elasticsearch@eight
expect "8.15.3 Result after stop" "$(prop elasticsearch@eight Result)" success
if wait_for 10 journal_has elasticsearch@eight "fake-es \(cli\): Terminated, exiting 143" &&
    journal_has elasticsearch@eight "fake-es: shutdown marker from the CLI, exiting 0"; then
    pass "8.15.3 stop: the CLI exited 143 after the server's 0"
else
    fail "8.15.3 stop: no CLI exit 143 / server exit 0 in the journal"
fi
gone() { ! IN test -e "/proc/$1"; }
gone "$cli" && gone "$srv" && pass "stop ended the CLI ($cli) and the server ($srv)" || fail "left running: $cli or $srv"
left=$(IN pgrep -l fake-es || true)
[ -z "$left" ] && pass "nothing left in the cgroup" || fail "left running: $left"

# --- OpenSearch 2.x: the project's opensearch.service ---------------------------
say "opensearch.service: a fake OpenSearch 2.19.1 (opens port 19205 after 1 s)"
IN bash -c '
    set -e
    bash /opt/eslaunch-src/tests/fake-es/make_home.sh opensearch-2.19.1 /var/lib/es/os /opt/eslaunch/tests/fake-es/fake-es
    mkdir -m 1777 /var/lib/es/os/rec
    sed -i "s/^http.port: .*/http.port: 19205/" /var/lib/es/os/config/opensearch.yml
'
# jvm.options says 1g: 256m in the record means the heap came through
# OPENSEARCH_JAVA_OPTS (opensearch-env unsets JAVA_TOOL_OPTIONS).
printf '%s\n' "[program:opensearch]" "command=/var/lib/es/os/bin/opensearch" "user=esnode" "heap_size=256m" \
    "limit_nofile=16384" 'environment=FAKE_ES_RECORD="/var/lib/es/os/rec/record.json",FAKE_ES_HTTP_PORT="19205",FAKE_ES_DELAY_MS="1000"' |
    IN sh -c "umask 022; cat > /etc/eslaunch/opensearch.ini"
sed 's|@bindir@|/opt/eslaunch/shim|g' "$SRC/units/opensearch.service.in" | IN sh -c "cat > /run/systemd/system/opensearch.service"
SC daemon-reload
t0=$EPOCHREALTIME
if SC start opensearch; then pass "systemctl start opensearch returned 0"; else fail "systemctl start opensearch failed"; fi
took=$(since "$t0")
port_open 19205 && pass "OpenSearch answers when start returns" || fail "start returned (after $took s) before OpenSearch's port opened"
awk -v t="$took" 'BEGIN{exit !(t >= 0.9)}' && pass "start waited for OpenSearch ($took s >= 1 s delay)" ||
    fail "start returned after $took s, before OpenSearch's 1 s delay"
expect "opensearch ActiveState" "$(prop opensearch ActiveState)" active
os_pid=$(prop opensearch MainPID)
expect "opensearch MainPID is the node" "$os_pid" "$(record os | json 'd["pid"]')"
expect "opensearch MainPID's program" "$(IN cat /proc/"$os_pid"/comm)" fake-es
expect "OpenSearch's uid" "$(record os | json 'd["uid"]')" "$(IN id -u esnode)"
expect "OpenSearch's nofile" "$(IN cat /proc/"$os_pid"/limits | awk '/open files/{print $4"/"$5}')" 16384/16384
expect "OpenSearch's heap (-Xms/-Xmx)" "$(record os | json 'd["heap"]["xms"] + "/" + d["heap"]["xmx"]')" 256m/256m
case $(prop opensearch StatusText) in
    "opensearch ready after "*"(http://127.0.0.1:19205/ -> 200)") pass "opensearch StatusText: $(prop opensearch StatusText)" ;;
    *) fail "opensearch StatusText: '$(prop opensearch StatusText)'" ;;
esac
SC stop opensearch
expect "opensearch ActiveState after stop" "$(prop opensearch ActiveState)" inactive
expect "opensearch Result after stop (exit 143 is success)" "$(prop opensearch Result)" success
if wait_for 10 journal_has opensearch "fake-es: Terminated, exiting 143"; then pass "OpenSearch got SIGTERM and exited 143"; else fail "no SIGTERM exit of OpenSearch in the journal"; fi
gone "$os_pid" && pass "stop ended OpenSearch ($os_pid)" || fail "OpenSearch left running: $os_pid"

say "$FAILS failed check(s)"
[ "$FAILS" = 0 ] || exit 1
[ -z "$SKIPPED" ] || { echo "SKIP: $SKIPPED"; exit 77; }
