#!/usr/bin/env bash
# The README's Install commands, exactly as written but for the build
# directory (build-release/, so the test build stays): a release build
# (warnings are not errors there: any warning fails this test instead),
# installed with DESTDIR, and the staged eslaunch run: --version and one
# launch (ready=none: the staged libexecdir is not where it was built for).
# Then the supervisord section: only an example by default, and with
# -Dsupervisor_confdir= never over an operator's different file (the
# install fails then, saying so).
# usage: tests/install/release_build.sh   (from the source tree; root for the launch)
set -euo pipefail
cd "$(dirname "$0")/../.."
STAGE=$(mktemp -d)
log=$(mktemp)  # not in the tree: scripts/package copies its untracked files
trap 'rm -rf "$STAGE" "$log"' EXIT

# The Install section's commands, as a reader copies them.
commands=$(sed -n '/^## Install/,/^## /p' README.md | sed -n '/^```sh$/,/^```$/p' |
           grep -E '^(meson setup|ninja) ' | sed -e 's/ build / build-release /' -e 's/ build$/ build-release/')
[ "$(wc -l <<<"$commands")" = 2 ] || { echo "FAIL: README's Install section has no meson setup + ninja: $commands" >&2; exit 1; }
rm -rf build-release
while read -r line; do
    echo "+ $line"
    bash -c "$line" >"$log" 2>&1 || { tail -n 30 "$log"; echo "FAIL: $line" >&2; exit 1; }
done <<<"$commands"
grep -q "buildtype=release\|buildtype        : release" build-release/meson-logs/meson-log.txt ||
    { echo "FAIL: build-release is not a release build" >&2; exit 1; }
if grep -E 'warning:' "$log"; then echo "FAIL: the release build warns (above)" >&2; exit 1; fi
DESTDIR=$STAGE meson install -C build-release --no-rebuild >"$log" 2>&1 ||
    { tail -n 30 "$log"; echo "FAIL: meson install" >&2; exit 1; }

eslaunch=$STAGE/usr/bin/eslaunch
file "$eslaunch" | grep -q 'dynamically linked' || { echo "FAIL: $(file "$eslaunch")" >&2; exit 1; }
[ ! -e "$STAGE/usr/libexec/eslaunch-nss" ] || { echo "FAIL: eslaunch-nss is installed" >&2; exit 1; }
version=$("$eslaunch" --version)
[ "$version" = "eslaunch $(sed -n "s/^  version : '\(.*\)',$/\1/p" meson.build)" ] ||
    { echo "FAIL: --version says '$version'" >&2; exit 1; }
echo "ok: $version, $(file -b "$eslaunch" | cut -d, -f1-2,5)"
if [ "$(id -u)" = 0 ]; then
    chmod 755 "$STAGE"
    printf '[program:p]\ncommand=/bin/sh -c "echo ran as $(id -un)"\nuser=nobody\nready=none\n' >"$STAGE/p.ini"
    out=$("$eslaunch" "$STAGE/p.ini")
    [ "$out" = "ran as nobody" ] || { echo "FAIL: the staged launch printed '$out'" >&2; exit 1; }
    echo "ok: the staged eslaunch launched a program: $out"
fi

# --- the supervisord section never replaces an operator's ----------------------------
conf=/etc/supervisor/conf.d/elasticsearch.conf
example=/usr/share/doc/eslaunch/examples/elasticsearch.conf
[ -f "$STAGE$example" ] && [ ! -e "$STAGE$conf" ] ||
    { echo "FAIL: by default the section belongs in $example only" >&2; exit 1; }
meson configure build-release -Dsupervisor_confdir=/etc/supervisor/conf.d >/dev/null
for case in operator fresh; do
    rm -rf "$STAGE" && mkdir -p "$STAGE${conf%/*}"
    [ $case = operator ] && printf '[program:elasticsearch]\ncommand=/opt/es/bin/elasticsearch\n' >"$STAGE$conf"
    [ $case = operator ] && cp "$STAGE$conf" "$STAGE/operator.conf"
    rc=0
    out=$(DESTDIR=$STAGE meson install -C build-release 2>&1) || rc=$?
    if [ $case = operator ]; then
        # It fails, loudly, once everything else is installed.
        [ "$rc" != 0 ] && [ -x "$STAGE/usr/bin/eslaunch" ] && [ -f "$STAGE$example" ] ||
            { echo "$out" | tail; echo "FAIL: meson install over an operator's $conf: exit $rc" >&2; exit 1; }
        cmp -s "$STAGE$conf" "$STAGE/operator.conf" || { echo "FAIL: meson install replaced the operator's $conf" >&2; exit 1; }
        grep -q "eslaunch: kept $STAGE$conf: it differs from this build's section" <<<"$out" ||
            { echo "$out" | tail; echo "FAIL: no message about the kept $conf" >&2; exit 1; }
        echo "ok: -Dsupervisor_confdir= kept the operator's $conf and said so"
    else
        [ "$rc" = 0 ] || { echo "$out" | tail; echo "FAIL: meson install ($case)" >&2; exit 1; }
        cmp -s "$STAGE$conf" "$STAGE$example" || { echo "FAIL: -Dsupervisor_confdir= did not install $conf" >&2; exit 1; }
        echo "ok: -Dsupervisor_confdir= installed $conf where there was none"
    fi
done
