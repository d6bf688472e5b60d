#!/usr/bin/env bash
# Readiness (issue 4, "Speed and footprint"): the time from the port opening
# to READY=1 arriving, for `eslaunch SPEC` with `ready=http://...` and
# `ready=tcp://...` (the watcher, eslaunch-watch, polls the port), side by
# side in one run with s6's s6-notifyoncheck polling the same fake port (its
# default interval and a tuned one) and supervisord's startsecs (RUNNING after
# a fixed time, whatever the program does); then the watcher's peak RSS and
# CPU while polling a slow start, against s6-notifyoncheck's and a plain
# `sleep`. The measuring is bench/readiness_harness.py (Debian's python3).
# Replaces its own section of bench/RESULTS.md.
# Goals: p50 <= 10 ms, p99 <= 60 ms, peak RSS <= 2 MiB, CPU < 1% of a core.
# Runs as root, in about three and a half minutes.
#
# Environment: BUILD_DIR (default build; configured with -Dtests=true when
# missing: fake-es is a test program), RUNS (latency rounds, default 60: each
# round starts every configuration once), READINESS_JSON (also keep the raw
# measurements there).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
. bench/peers.sh

SECTION='## Readiness: from the port opening to READY=1, and the watcher'"'"'s footprint (bench/readiness.sh)'
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${RUNS:-60}
RUN_AS=nobody

[ "$(id -u)" = 0 ] || { echo "bench/readiness.sh: run as root (eslaunch drops to $RUN_AS; s6-supervise and supervisord run as root)" >&2; exit 1; }
ensure_packages "${BUILD_PACKAGES[@]}" python3 supervisor curl bash
# s6: installed only if apt-get would add nothing but s6 and its libraries
# (bench/peers.sh: the package ships binaries only, nothing for init).
_peers_install 's6|libs6-[0-9.]+|libskarnet[0-9.]+|libexecline[0-9.]+' s6
for p in s6-notifyoncheck s6-setuidgid s6-supervise s6-svc s6-svwait; do
    var=$(echo "${p#s6-}" | tr a-z- A-Z_)
    _peers_path "S6_$var" "$p" /usr/bin /bin
done
SUPERVISORD=$(command -v supervisord) || { echo "bench/readiness.sh: supervisord not found" >&2; exit 1; }

# Quiet when it works; the compiler's output when it doesn't.
build_log=$( { [ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR" -Dtests=true; } 2>&1 &&
    ninja -C "$BUILD_DIR" shim/eslaunch shim/eslaunch-watch tests/fake-es/fake-es 2>&1) ||
    { printf '%s\n' "$build_log" >&2
      echo "bench/readiness.sh: building eslaunch, eslaunch-watch and fake-es in $BUILD_DIR failed (fake-es needs -Dtests=true)" >&2
      exit 1; }
ESLAUNCH=$PWD/$BUILD_DIR/shim/eslaunch
FAKE_ES=$PWD/$BUILD_DIR/tests/fake-es/fake-es
buildtype=$(meson introspect --buildoptions "$BUILD_DIR" |
    /usr/bin/python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))')
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }
# Which sources were measured: the tree is shared, so say what was uncommitted
# in lib/ and shim/ when it was built (read-only git: no index lock taken).
src_state="no git checkout"
if head=$(git rev-parse --short HEAD 2>/dev/null); then
    dirty=$(git --no-optional-locks status --porcelain -- lib shim 2>/dev/null | awk '{print $NF}' | paste -sd ' ' -)
    src_state="commit $head${dirty:+, with uncommitted changes to $dirty}"
fi
versions="eslaunch $("$ESLAUNCH" --version | head -n1 | awk '{print $NF}') ($buildtype build of $src_state), s6 $(ver s6), supervisor $(ver supervisor), libcurl $(ver libcurl4), curl $(ver curl), bash $(ver bash), python3 $(ver python3)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The spec and the directories nobody must reach: root's, 0755.
chmod 755 "$work"

echo "== measuring (about three and a half minutes; the load average is recorded)"
/usr/bin/python3 bench/readiness_harness.py measure --work "$work" --out "$work/readiness.json" \
    --eslaunch "$ESLAUNCH" --fake "$FAKE_ES" --user "$RUN_AS" --runs "$RUNS" \
    --s6-notifyoncheck "$S6_NOTIFYONCHECK" --s6-setuidgid "$S6_SETUIDGID" --s6-supervise "$S6_SUPERVISE" \
    --s6-svc "$S6_SVC" --s6-svwait "$S6_SVWAIT" --supervisord "$SUPERVISORD" --versions "$versions"
[ -z "${READINESS_JSON:-}" ] || cp "$work/readiness.json" "$READINESS_JSON"
/usr/bin/python3 bench/readiness_harness.py report "$work/readiness.json" "$SECTION" >"$work/section.md"

/usr/bin/python3 bench/replace_section.py "$work/section.md"
cat "$work/section.md"
