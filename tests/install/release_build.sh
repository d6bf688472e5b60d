#!/usr/bin/env bash
# The README's Install commands, exactly as written but for the build
# directory (build-release/, so the test build stays): a release build
# (warnings are not errors there: any warning fails this test instead),
# installed with DESTDIR, and the staged eslaunch run: --version and one
# launch (ready=none: the staged libexecdir is not where it was built for).
# usage: tests/install/release_build.sh   (from the source tree; root for the launch)
set -euo pipefail
cd "$(dirname "$0")/../.."
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# The Install section's commands, as a reader copies them.
commands=$(sed -n '/^## Install/,/^## /p' README.md | sed -n '/^```sh$/,/^```$/p' |
           grep -E '^(meson setup|ninja) ' | sed -e 's/ build / build-release /' -e 's/ build$/ build-release/')
[ "$(wc -l <<<"$commands")" = 2 ] || { echo "FAIL: README's Install section has no meson setup + ninja: $commands" >&2; exit 1; }
rm -rf build-release
while read -r line; do
    echo "+ $line"
    bash -c "$line" >build-release.log 2>&1 || { tail -n 30 build-release.log; echo "FAIL: $line" >&2; exit 1; }
done <<<"$commands"
grep -q "buildtype=release\|buildtype        : release" build-release/meson-logs/meson-log.txt ||
    { echo "FAIL: build-release is not a release build" >&2; exit 1; }
if grep -E 'warning:' build-release.log; then echo "FAIL: the release build warns (above)" >&2; exit 1; fi
DESTDIR=$STAGE meson install -C build-release --no-rebuild >build-release.log 2>&1 ||
    { tail -n 30 build-release.log; echo "FAIL: meson install" >&2; exit 1; }
rm -f build-release.log

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
