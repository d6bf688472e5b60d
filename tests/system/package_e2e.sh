#!/bin/bash
# The Debian packages (scripts/package) installed for real: systemd 252
# booted in systemd-nspawn on an overlay of the host's root (writable,
# discarded at exit; the host's dpkg database satisfies the dependencies
# offline), with a fresh /etc/systemd/system (no unit the host enabled).
#
# usage: package_e2e.sh BUILD_DIR SOURCE_DIR DEB_DIR   (root; exit 77 = skipped)
#
# Checks: apt-get install ./eslaunch_*.deb (and the library's) installs the
# units neither enabled nor started, /etc/eslaunch, the supervisord section
# only under /usr/share/doc; the packaged elasticsearch.service starts a
# fake Elasticsearch 7.17 from a spec in /etc/eslaunch (active, MainPID the
# node, ready); examples/minimal-launcher.cpp built with the README's
# commands against libeslaunch-dev's pkg-config file finds eslaunch-watch
# and eslaunch-check by itself and gets ready under systemd; apt-get remove
# keeps the operator's spec; apt-get purge leaves no file of the packages
# and still keeps the spec (the packages never created it).
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: package_e2e.sh BUILD_DIR SOURCE_DIR DEB_DIR" >&2; exit 64; }
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (systemd-nspawn)" >&2; exit 77; fi
for tool in systemd-nspawn nsenter unshare; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (Debian systemd-container, util-linux)" >&2; exit 77; }
done
compgen -G "$3/eslaunch_*.deb" >/dev/null ||
    { echo "SKIP: no eslaunch_*.deb in $3: build the packages first (scripts/package)" >&2; exit 77; }
. "$(dirname "$0")/../../scripts/lib/nspawn.sh"
nspawn_enter_mount_namespace "$@"

BUILD=$(realpath "$1")
SRC=$(realpath "$2")
DEBS=$(realpath "$3")
START=$EPOCHREALTIME
FAILS=0
PACKAGES=(eslaunch libeslaunch0.1 libeslaunch-dev)

say() { awk -v s="$START" -v n="$EPOCHREALTIME" -v m="$*" 'BEGIN{printf "[%5.1fs] %s\n", n-s, m}'; }
pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; FAILS=$((FAILS + 1)); }
expect() {  # expect WHAT ACTUAL WANTED
    if [ "$2" = "$3" ]; then pass "$1 = $2"; else fail "$1: got '$2', want '$3'"; fi
}

LOG=$(mktemp)
cleanup() {
    local rc=$?
    set +e
    rm -f "$LOG" "$LOG.files"
    if [ "$rc" != 0 ] && [ -n "$LEADER" ]; then
        echo "--- the journal's last lines"; IN journalctl --no-pager -n 30 -o cat 2>/dev/null
    fi
    nspawn_halt
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nspawn_boot "eslaunch-pkg-$$" --volatile=overlay --tmpfs=/etc/systemd/system:mode=0755 \
    --bind-ro="$BUILD:/opt/eslaunch-build" --bind-ro="$SRC:/opt/eslaunch-src" --bind-ro="$DEBS:/opt/debs"
say "container booted: $(IN systemctl is-system-running) ($(IN systemctl --version | sed -n 1p))"
prop() { SC show -p "$2" --value "$1"; }
apt() { IN env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 "$@" >"$LOG" 2>&1 ||
        { cat "$LOG"; fail "apt-get $*"; return 1; }; }

# --- apt-get install ./eslaunch_*.deb ------------------------------------------------
debs=()
for p in "${PACKAGES[@]}"; do
    f=$(cd "$DEBS" && ls -- "${p}"_*.deb)
    debs+=("/opt/debs/$f")
done
say "apt-get install ${debs[*]##*/}"
apt install --no-install-recommends "${debs[@]}"
IN dpkg -L "${PACKAGES[@]}" | sort -u >"$LOG.files"
say "installed $(wc -l <"$LOG.files") paths"
expect "elasticsearch.service enabled" "$(SC is-enabled elasticsearch.service || true)" disabled
expect "elasticsearch.service state" "$(prop elasticsearch ActiveState)" inactive
expect "elasticsearch.service ExecStart" "$(IN sed -n 's/^ExecStart=//p' /lib/systemd/system/elasticsearch.service)" \
    "/usr/bin/eslaunch /etc/eslaunch/elasticsearch.ini"
IN test -d /etc/eslaunch && pass "/etc/eslaunch exists" || fail "no /etc/eslaunch"
IN test -f /usr/share/doc/eslaunch/examples/elasticsearch.conf && pass "the supervisord section is an example" ||
    fail "no /usr/share/doc/eslaunch/examples/elasticsearch.conf"
IN test ! -e /etc/supervisor/conf.d/elasticsearch.conf && pass "nothing written into /etc/supervisor/conf.d" ||
    fail "the package wrote /etc/supervisor/conf.d/elasticsearch.conf"

# --- the packaged unit runs a node ----------------------------------------------------
IN systemd-sysusers --inline 'u esnode - "eslaunch package test" /nonexistent /usr/sbin/nologin'
IN bash -c '
    set -e
    mkdir -p -m 755 /var/lib/eslaunch-pkg
    for node in main mini; do
        bash /opt/eslaunch-src/tests/fake-es/make_home.sh 7.17.9 /var/lib/eslaunch-pkg/$node /opt/eslaunch-build/tests/fake-es/fake-es
        mkdir -m 1777 /var/lib/eslaunch-pkg/$node/rec
    done
    sed -i "s/^http.port: .*/http.port: 19200/" /var/lib/eslaunch-pkg/main/config/elasticsearch.yml
    sed -i "s/^http.port: .*/http.port: 19201/" /var/lib/eslaunch-pkg/mini/config/elasticsearch.yml
'
write_spec() {  # write_spec NAME NODE PORT: the operator's spec in /etc/eslaunch
    printf '%s\n' "[program:elasticsearch]" "command=/var/lib/eslaunch-pkg/$2/bin/elasticsearch" "user=esnode" \
        "heap_size=256m" "limit_nofile=16384" \
        "environment=FAKE_ES_RECORD=\"/var/lib/eslaunch-pkg/$2/rec/record.json\",FAKE_ES_HTTP_PORT=\"$3\",FAKE_ES_DELAY_MS=\"500\"" |
        IN sh -c "umask 022; cat > /etc/eslaunch/$1.ini"
}
record_pid() { IN python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "/var/lib/eslaunch-pkg/$1/rec/record.json"; }
node_ready() {  # node_ready UNIT NODE PORT: what systemd_e2e.sh asserts of a started node
    expect "$1 ActiveState" "$(prop "$1" ActiveState)" active
    local pid
    pid=$(prop "$1" MainPID)
    expect "$1 MainPID is the node (its record's pid)" "$pid" "$(record_pid "$2")"
    expect "$1 MainPID's program" "$(IN cat /proc/"$pid"/comm)" fake-es
    local status
    status=$(prop "$1" StatusText)
    case $status in
        "elasticsearch ready after "*"(http://127.0.0.1:$3/ -> 200)") pass "$1 StatusText: $status" ;;
        *) fail "$1 StatusText: '$status'" ;;
    esac
}
write_spec elasticsearch main 19200
say "systemctl start elasticsearch (the packaged unit)"
if SC start elasticsearch; then pass "systemctl start returned 0"; else fail "systemctl start failed"; fi
node_ready elasticsearch.service main 19200

# --- the library example, from libeslaunch-dev's pkg-config file ------------------------
# The README's commands for an installed library, as written, from a
# directory whose examples/ is the repository's.
commands=$(sed -n '/^### The library/,/^## /p' "$SRC/README.md" | awk '/^```sh$/{n++; in_block=1; next} /^```$/{in_block=0; next} in_block && n==1')
[ "$(grep -c '^c++ ' <<<"$commands")" = 2 ] || fail "README's installed-library block: $commands"
IN bash -c 'rm -rf /tmp/ex && mkdir /tmp/ex && ln -s /opt/eslaunch-src/examples /tmp/ex/examples'
if IN bash -c "cd /tmp/ex && set -ex && $commands" >"$LOG" 2>&1; then
    pass "the README's commands built the example against the package"
else
    cat "$LOG"; fail "the README's commands for an installed library failed"
fi
write_spec mini mini 19201
say "minimal-launcher under systemd-run (Type=notify): its helpers from /usr/libexec"
if IN timeout 90 systemd-run --quiet --unit=mini-launcher -p Type=notify -p NotifyAccess=all \
       /tmp/ex/minimal-launcher /etc/eslaunch/mini.ini; then
    pass "the example got ready"
else
    fail "the example did not start: $(IN journalctl --no-pager -u mini-launcher -o cat | tail -n 5)"
fi
node_ready mini-launcher.service mini 19201
IN ldd /tmp/ex/minimal-launcher | grep -Eq 'libeslaunch\.so\.0\.1 => (/usr)?/lib/' && pass "it runs on libeslaunch0.1" ||
    fail "the example does not load the packaged libeslaunch.so.0.1"
SC stop mini-launcher.service elasticsearch.service
expect "elasticsearch.service after stop" "$(prop elasticsearch Result)" success

# --- remove keeps the operator's spec, purge leaves no file of the packages ---------
say "apt-get remove ${PACKAGES[*]}"
apt remove "${PACKAGES[@]}"
IN test -f /etc/eslaunch/elasticsearch.ini && pass "remove kept /etc/eslaunch/elasticsearch.ini" ||
    fail "remove deleted the operator's /etc/eslaunch/elasticsearch.ini"
# The libraries left nothing to purge; eslaunch's maintainer scripts remain.
say "apt-get purge eslaunch"
apt purge eslaunch
IN test -f /etc/eslaunch/elasticsearch.ini && pass "purge kept the operator's spec (the packages never created it)" ||
    fail "purge deleted the operator's /etc/eslaunch/elasticsearch.ini"
# Left: a path of dpkg -L still there that the host (the overlay's lower
# layer) lacks; /etc/eslaunch stays, dpkg keeps a directory holding files.
left=()
while read -r path; do
    [ "$path" = /etc/eslaunch ] || [ -e "$path" ] || ! IN test -e "$path" || left+=("$path")
done <"$LOG.files"
[ ${#left[@]} = 0 ] && pass "purge left none of the $(wc -l <"$LOG.files") paths dpkg -L listed" ||
    fail "purge left: ${left[*]}"
state=$(IN dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null | grep -v '^un ' || true)
[ -z "$state" ] && pass "dpkg knows none of the packages" || fail "dpkg still has: $state"
dsh=$(IN find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
      -name 'elasticsearch*' -o -name 'supervisord*' 2>/dev/null || true)
[ -z "$dsh" ] && pass "no deb-systemd-helper state left" || fail "deb-systemd-helper state left: $dsh"

say "$FAILS failure(s)"
[ "$FAILS" = 0 ]
