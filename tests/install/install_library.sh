#!/bin/bash
# install_library.sh BUILD EXAMPLE BINDIR LIBEXECDIR LIBDIR INCLUDEDIR MANDIR
#                    UNITDIR SYSCTLDIR SUPERVISOR_CONFDIR man|no-man EXAMPLEDIR README
#
# `meson install --destdir STAGE` of the built tree, then, against STAGE only:
# - every file lands where it belongs, under STAGE (nothing else is written);
# - eslaunch is linked dynamically and needs only libc and the C++ runtime;
# - eslaunch.pc: --cflags and --libs for libeslaunch.so, --static for
#   libeslaunch.a (with yaml-cpp);
# - every installed header compiles on its own (-Wall -Wextra -Wpedantic
#   -Werror), and the headers left out (the watcher's) are not installed;
# - examples/minimal-launcher.cpp builds with pkg-config, once against the
#   shared library and once against the static one, and launches a small spec
#   for real: as root it runs /bin/sh as nobody with its limits, umask and
#   heap, and what that shell reports must be what the plan said;
# - it looks for eslaunch-watch in the libexecdir the library was built for,
#   with no -D of its own;
# - the README's commands for a staged library, run as written.
set -u
unset LD_LIBRARY_PATH  # meson test points it at the build tree; only STAGE counts here
die() { echo "ERROR: install-library: $*" >&2; exit 99; }
[ $# -eq 13 ] || die "usage: install_library.sh BUILD EXAMPLE BINDIR LIBEXECDIR LIBDIR INCLUDEDIR MANDIR UNITDIR SYSCTLDIR SUPERVISOR_CONFDIR man|no-man EXAMPLEDIR README"
BUILD=$1 EXAMPLE=$2 BINDIR=$3 LIBEXECDIR=$4 LIBDIR=$5 INCLUDEDIR=$6 MANDIR=$7
UNITDIR=$8 SYSCTLDIR=$9 CONFDIR=${10} MAN=${11} EXAMPLEDIR=${12} README=${13}
for tool in meson pkg-config c++ ldd readelf; do
    command -v "$tool" >/dev/null || die "$tool not found"
done

T=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$T"' EXIT
STAGE=$T/stage
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# --- the staged install ------------------------------------------------------
start=$SECONDS
meson install -C "$BUILD" --no-rebuild --destdir "$STAGE" >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; die "meson install --destdir failed"; }
ok "meson install --destdir: $(find "$STAGE" -type f | wc -l) files in $((SECONDS - start)) s"

expect=(
    "$BINDIR/eslaunch" "$LIBEXECDIR/eslaunch-watch" "$LIBEXECDIR/eslaunch-check"
    "$LIBDIR/libeslaunch.a" "$LIBDIR/libeslaunch.so" "$LIBDIR/pkgconfig/eslaunch.pc"
    "$UNITDIR/elasticsearch.service" "$UNITDIR/elasticsearch@.service" "$UNITDIR/supervisord.service"
    "$UNITDIR/opensearch.service" "$UNITDIR/opensearch@.service"
    "$SYSCTLDIR/60-eslaunch-elasticsearch.conf" "$EXAMPLEDIR/elasticsearch.conf"
)
[ -n "$CONFDIR" ] && expect+=("$CONFDIR/elasticsearch.conf")
[ "$MAN" = man ] && expect+=("$MANDIR/man1/eslaunch.1" "$MANDIR/man5/eslaunch.ini.5")
for f in "${expect[@]}"; do
    [ -e "$STAGE$f" ] || fail "not installed: $f"
done
[ -x "$STAGE$BINDIR/eslaunch" ] && [ -x "$STAGE$LIBEXECDIR/eslaunch-watch" ] &&
    [ -x "$STAGE$LIBEXECDIR/eslaunch-check" ] || fail "programs not executable"
# The installed units run the installed eslaunch.
grep -qx "ExecStart=$BINDIR/eslaunch /etc/eslaunch/elasticsearch.ini" "$STAGE$UNITDIR/elasticsearch.service" ||
    fail "elasticsearch.service: ExecStart= is not $BINDIR/eslaunch"
grep -qx "ExecStart=$BINDIR/eslaunch /etc/eslaunch/opensearch/%i.ini" "$STAGE$UNITDIR/opensearch@.service" ||
    fail "opensearch@.service: ExecStart= is not $BINDIR/eslaunch on /etc/eslaunch/opensearch/%i.ini"
! grep -rl '@[a-z_]*@' "$STAGE$UNITDIR" ${CONFDIR:+"$STAGE$CONFDIR"} || fail "unconfigured @variables@ above"
# Everything meson installed is under STAGE: its log lists each file.
outside=$(grep -v '^#' "$BUILD/meson-logs/install-log.txt" | grep -vx -e "$STAGE" -e "$STAGE/.*")
[ -z "$outside" ] || fail "installed outside DESTDIR: $outside"

# --- the launcher: dynamically linked, on glibc's NSS ---------------------------
# eslaunch links libc as Debian ships it (a glibc security update reaches
# it without a rebuild), asks users and groups through glibc, and needs no
# other shared library: the C++ runtime is linked in (doc/design.md).
launcher=$STAGE$BINDIR/eslaunch
[ ! -e "$STAGE$LIBEXECDIR/eslaunch-nss" ] || fail "eslaunch-nss is installed: there is one launcher"
readelf -lW "$launcher" | grep -q 'INTERP' || fail "eslaunch has no program interpreter: not linked dynamically"
readelf -hW "$launcher" | grep -q 'Type:.*DYN' || fail "eslaunch is not position-independent: no address-space randomisation"
needed=$(readelf -d "$launcher" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
         grep -vx -e 'libc.so.6' -e 'ld-linux-.*\.so\.[0-9]' | tr '\n' ' ')
# (the unwinder of the static libgcc asks glibc's loader for _dl_find_object)
[ -z "$needed" ] && ok "eslaunch needs only glibc (libc.so.6, ld.so)" || fail "eslaunch needs $needed"
launcher_calls=$(nm --dynamic --undefined-only "$launcher" | awk '{print $NF}') || die "nm --dynamic $launcher failed"
for f in getpwnam_r getgrouplist; do
    grep -qE "^$f(@.*)?\$" <<<"$launcher_calls" || fail "eslaunch does not call $f: users and groups must come from glibc's NSS"
done
# The root-run launcher leaves yaml-cpp, nlohmann-json, libstdc++'s locale
# and the iostream objects to eslaunch-check (shim/meson.build): each would
# cost every start (bench/RESULTS.md). eslaunch-check has them all, which
# shows the patterns below find what they look for.
shim_symbols=$(nm "$BUILD/shim/eslaunch") || die "nm $BUILD/shim/eslaunch failed"
grep -q ' main$' <<<"$shim_symbols" || die "nm shows no symbols in $BUILD/shim/eslaunch"
heavy='4YAML|8nlohmann|_ZNSt6locale|_ZTVSt8numpunct|_ZSt(3cin|4cout|4cerr|4clog)$|sd_bus|curl_'
found=$(grep -cE "$heavy" <<<"$shim_symbols")
[ "$found" = 0 ] && ok "eslaunch links no yaml-cpp, nlohmann-json, std::locale, iostream object, sd-bus or libcurl" ||
    fail "eslaunch links $found symbols of yaml-cpp, nlohmann-json, std::locale, iostreams, sd-bus or libcurl, which belong in eslaunch-check or eslaunch-watch: $(grep -E "$heavy" <<<"$shim_symbols" | head -3 | tr '\n' ' ')"
check_symbols=$(nm "$BUILD/shim/eslaunch-check") || die "nm $BUILD/shim/eslaunch-check failed"
for pattern in 4YAML 8nlohmann _ZNSt6locale; do
    grep -qE "$pattern" <<<"$check_symbols" || fail "eslaunch-check has no symbol matching $pattern: the check above proves nothing"
done

# --- headers -------------------------------------------------------------------
INC=$STAGE$INCLUDEDIR/eslaunch
for h in notify.hpp probe.hpp; do
    [ ! -e "$INC/$h" ] || fail "$h is installed, but what it declares is in no installed library"
done
headers=("$INC"/*.hpp)
[ ${#headers[@]} -ge 10 ] || fail "only ${#headers[@]} headers in $INC"
# Each header on its own, two at a time (the machine has 2 cores).
printf '%s\n' "${headers[@]##*/}" | xargs -P 2 -I{} sh -c \
    'echo "#include <eslaunch/{}>" | c++ -std=c++20 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$1" -x c++ - ||
     echo "{}" >>"$2"' _ "$STAGE$INCLUDEDIR" "$T/bad-headers"
if [ -s "$T/bad-headers" ]; then
    fail "headers that do not compile on their own: $(tr '\n' ' ' <"$T/bad-headers")"
else
    ok "${#headers[@]} headers compile on their own"
fi

# --- pkg-config ------------------------------------------------------------------
pc() { PKG_CONFIG_LIBDIR=$STAGE$LIBDIR/pkgconfig PKG_CONFIG_SYSROOT_DIR=$STAGE pkg-config "$@"; }
cflags=$(pc --cflags eslaunch) || die "pkg-config --cflags eslaunch failed"
libs=$(pc --libs eslaunch) || die "pkg-config --libs eslaunch failed"
static_libs=$(pc --static --libs eslaunch) || die "pkg-config --static --libs eslaunch failed"
echo "pkg-config: --cflags: $cflags; --libs: $libs; --static --libs: $static_libs"
[[ " $cflags " == *" -I$STAGE$INCLUDEDIR "* ]] || [ "$INCLUDEDIR" = /usr/include ] || fail "--cflags lacks -I$STAGE$INCLUDEDIR"
[[ " $libs " == *" -leslaunch "* ]] || fail "--libs lacks -leslaunch"
[[ " $libs " != *yaml* && " $libs " != *fmt* ]] || fail "--libs names yaml-cpp or fmt, which libeslaunch.so brings itself"
[[ " $static_libs " == *" -leslaunch "*"-lyaml-cpp "* ]] || fail "--static --libs lacks -leslaunch ... -lyaml-cpp"
# pkgconf puts the sysroot before variables too.
libexec_var=$(pc --variable=libexecdir eslaunch)
[ "$libexec_var" = "$LIBEXECDIR" ] || [ "$libexec_var" = "$STAGE$LIBEXECDIR" ] ||
    fail "libexecdir in eslaunch.pc is $libexec_var, not $LIBEXECDIR"

# --- the example, shared and static ----------------------------------------------
# shellcheck disable=SC2086 # pkg-config's words
c++ -std=c++20 -Wall -Wextra -Werror -c "$EXAMPLE" -o "$T/launcher.o" $cflags || die "examples/minimal-launcher.cpp does not compile against the install"
# shellcheck disable=SC2086
c++ "$T/launcher.o" -o "$T/launcher-shared" $libs || die "linking with pkg-config --libs failed"
# shellcheck disable=SC2086
c++ "$T/launcher.o" -o "$T/launcher-static" -Wl,-Bstatic $static_libs -Wl,-Bdynamic ||
    die "linking libeslaunch.a with pkg-config --static --libs failed"
shared_needs=$(readelf -d "$T/launcher-shared" | grep -c 'NEEDED.*libeslaunch\.so')
static_needs=$(readelf -d "$T/launcher-static" | grep -Ec 'NEEDED.*lib(eslaunch|yaml-cpp)\.so')
[ "$shared_needs" = 1 ] || fail "launcher-shared does not load libeslaunch.so"
[ "$static_needs" = 0 ] || fail "launcher-static still loads libeslaunch.so or libyaml-cpp.so"
LD_LIBRARY_PATH=$STAGE$LIBDIR ldd "$T/launcher-shared" | grep -q "libeslaunch.so.* => $STAGE$LIBDIR/" ||
    fail "launcher-shared does not find the staged libeslaunch.so"

# --- run it -------------------------------------------------------------------------
# A spec the way eslaunch wants it as root: root-owned, not group/other-writable,
# in a 0700 directory under /tmp (sticky).
if [ "$(id -u)" = 0 ]; then
    user=nobody
    user_line="user=nobody"
else
    user=$(id -un)
    user_line=
fi
cat >"$T/hello.ini" <<EOF
[program:hello]
command=/bin/sh -c 'echo "ran as \$(id -un) nofile \$(ulimit -Sn):\$(ulimit -Hn) umask \$(umask) heap \$JAVA_TOOL_OPTIONS"'
$user_line
umask=027
limit_nofile=1024:2048
profile=jvm
heap_size=64m
EOF
chmod 644 "$T/hello.ini"
expected="program /bin/sh (/bin/sh)
user $user uid $(id -u $user) gid $(id -g $user)$([ "$user_line" ] || echo ' (unchanged)')
limit_nofile 1024:2048 required
heap 64m via JAVA_TOOL_OPTIONS
ran as $user nofile 1024:2048 umask 0027 heap -Xms64m -Xmx64m"
for variant in shared static; do
    got=$(cd / && env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$STAGE$LIBDIR" "$T/launcher-$variant" "$T/hello.ini" 2>&1)
    rc=$?
    if [ "$rc" = 0 ] && [ "$got" = "$expected" ]; then
        ok "launcher-$variant ran the spec as $user"
    else
        fail "launcher-$variant (exit $rc) printed:"
        echo "$got" | sed 's/^/    | /'
        echo "  expected:"
        echo "$expected" | sed 's/^/    | /'
    fi
done
# A broken spec: the library's error, with its FILE:LINE and status.
printf '[program:x]\ncommand=/bin/true\nlimit_nofile=lots\n' >"$T/bad.ini"
got=$(env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$STAGE$LIBDIR" "$T/launcher-shared" "$T/bad.ini" 2>&1)
rc=$?
[ "$rc" = 78 ] && [[ $got == *"$T/bad.ini:3: limit_nofile: 'lots' is not a limit"* ]] ||
    fail "a bad spec: exit $rc, $got"

# A probe needs eslaunch-watch: the library looks in its own libexecdir
# (the stage is not there, so it fails and names the place).
if [ ! -e "$LIBEXECDIR/eslaunch-watch" ]; then
    printf '[program:x]\ncommand=/bin/true\n%s\nready=http://127.0.0.1:9/\n' "$user_line" >"$T/probe.ini"
    got=$(env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$STAGE$LIBDIR" "$T/launcher-shared" "$T/probe.ini" 2>&1)
    rc=$?
    [ "$rc" = 203 ] && [[ $got == *"eslaunch-watch, which runs the readiness probe, is not at $LIBEXECDIR/eslaunch-watch"* ]] &&
        ok "the library looks for eslaunch-watch in $LIBEXECDIR by itself" ||
        fail "a probe without -DLIBEXECDIR: exit $rc, $got"
fi

# --- the README's commands for a staged library, as written ----------------------------
# Run from a directory whose build/ and examples/ are this build and the
# repository's; only /tmp/stage becomes a stage of this test's own.
commands=$(sed -n '/^### The library/,/^## /p' "$README" | awk '/^```sh$/{n++; in_block=1; next} /^```$/{in_block=0; next} in_block && n==2')
grep -q '^DESTDIR=/tmp/stage meson install -C build$' <<<"$commands" || fail "README's staged-library block: $commands"
mkdir "$T/readme" && ln -s "$BUILD" "$T/readme/build" && ln -s "$(dirname "$EXAMPLE")" "$T/readme/examples"
cp "$T/hello.ini" "$T/readme/my.ini"
got=$(cd "$T/readme" && env -u PKG_CONFIG_PATH bash -ec "${commands//\/tmp\/stage/$T/readme-stage}" 2>&1)
rc=$?
[ "$rc" = 0 ] && [[ $got == *"$(tail -n 1 <<<"$expected")"* ]] && ok "the README's staged-library commands ran the spec" ||
    { fail "the README's staged-library commands (exit $rc):"; echo "$got" | tail -n 15 | sed 's/^/    | /'; }

echo "install-library: $fails failure(s) in $((SECONDS - start)) s"
[ "$fails" = 0 ]
