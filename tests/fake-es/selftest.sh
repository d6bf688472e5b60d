#!/bin/bash
# selftest.sh FAKE_ES -- checks the fake Elasticsearch itself (README.md): the
# record, each version's launch script (heap variables honoured, rejected or
# ignored; jvm.options, jvm.options.d/, ES_JAVA_OPTS, ES_PATH_CONF; package
# mode's environment file; which java it runs; the keystore and its
# passphrase on stdin), OpenSearch's homes and keystore, HTTP, delay, hang
# (--hang-after-ready, SIGUSR1/SIGUSR2), signals. The parts as
# `nobody` need root and setpriv; without them they are left out. Needs
# python3 (else SKIP, exit 77).
set -u

FAKE_ES=${1:-}
case ${BASH_SOURCE[0]} in */*) SELF_DIR=${BASH_SOURCE[0]%/*} ;; *) SELF_DIR=. ;; esac
SELF_DIR=$(cd "$SELF_DIR" && pwd)
MAKE_HOME=$SELF_DIR/make_home.sh

skip() { echo "SKIP: fake-es selftest: $*"; exit 77; }
die()  { echo "ERROR: fake-es selftest: $*" >&2; exit 99; }
[ -x "$FAKE_ES" ] || die "usage: selftest.sh /path/to/fake-es"
command -v python3 >/dev/null 2>&1 || skip "python3 not found"

# The interpreter itself, not a version manager's shim (that costs 0.15 s a call).
PYTHON=$(python3 -c 'import sys; print(sys.executable)') || skip "python3 does not run"
python3() { "$PYTHON" "$@"; }

T=$(mktemp -d /tmp/fake-es-selftest.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
mkdir -m 1777 "$T/rec"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf -- "$T"
}
trap cleanup EXIT

failures=0
checks=0
ok()   { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*" >&2; }

# field FILE KEY... : one value of the record, JSON-encoded unless a string.
field() {
  python3 - "$@" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if isinstance(v, str) else json.dumps(v))
EOF
}
# expect WHAT ACTUAL EXPECTED
expect() { if [ "$2" == "$3" ]; then ok; else fail "$1: got [$2], want [$3]"; fi; }

REC=$T/rec/record.json
# launch VERSION-HOME [VAR=VALUE...] -- [ARGS...]: bin/elasticsearch with FAKE_ES_EXIT=1
launch() {
  local home=$1; shift
  local vars=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  rm -f "$REC" "$REC.cli"
  # Java 8 as JAVA_HOME before 7.0 (unset, those scripts test /bin/java,
  # which merged-/usr hosts have) and first in PATH; none from 7.0.
  local java_home=
  case ${home##*/es-} in [1256].*) java_home=$T/jdk8 ;; esac
  env -u ES_HEAP_SIZE -u ES_MIN_MEM -u ES_MAX_MEM -u ES_HEAP_NEWSIZE -u ES_DIRECT_SIZE -u ES_GC_OPTS \
    -u ES_JAVA_OPTS -u JAVA_OPTS -u JAVA_TOOL_OPTIONS -u ES_PATH_CONF -u ES_JVM_OPTIONS -u ES_JAVA_HOME \
    -u LIBFFI_TMPDIR ES_TMPDIR="$T/tmp" \
    JAVA_HOME="$java_home" PATH="$T/jdk8/bin:$PATH" FAKE_ES_RECORD="$REC" FAKE_ES_EXIT=1 "${vars[@]}" \
    "$home/bin/elasticsearch" "$@" > "$T/stdout" 2> "$T/stderr"
}
# stand_in_jdk DIR VERSION: a JDK's bin/java (nothing runs it) and its release file.
stand_in_jdk() {
  mkdir -p "$1/bin"
  printf '#!/bin/sh\necho "openjdk version \\"%s\\"" >&2\n' "$2" > "$1/bin/java"
  printf 'JAVA_VERSION="%s"\n' "$2" > "$1/release"
  chmod 755 "$1" "$1/bin" "$1/bin/java"
}
mkdir -m 1777 "$T/tmp"  # every launch's ES_TMPDIR (8.3+ refuse a missing one; unset, 6.2+ make one in /tmp)
stand_in_jdk "$T/jdk8" 1.8.0_292
stand_in_jdk "$T/jdk11" 11.0.2
mkdir -p "$T/nojdk"
# A PATH with everything of /usr/bin but java.
mkdir -p "$T/nojava"
for f in /usr/bin/*; do [ "${f##*/}" = java ] || ln -s "$f" "$T/nojava/"; done
heap() { echo "$(field "$REC" heap xms) $(field "$REC" heap xmx)"; }
# env_var NAME: its value in the node's environment, or "(unset)".
env_var() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["environment"].get(sys.argv[2], "(unset)"))' "$REC" "$1"; }
# has_jvm_arg WORD: whether the node got WORD among its JVM options.
has_jvm_arg() { python3 -c 'import json, sys; sys.exit(sys.argv[2] not in json.load(open(sys.argv[1]))["jvm_args"])' "$REC" "$1"; }

mem_kb=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
auto_mb=$((mem_kb / 2048)); [ $auto_mb -le 31744 ] || auto_mb=31744
AUTO="${auto_mb}m ${auto_mb}m"

for v in 2.4.6 5.6.16 6.8.23 7.6.2 7.10.2 7.17.25 8.2.3 8.15.3; do
  "$MAKE_HOME" "$v" "$T/es-$v" "$FAKE_ES" || die "make_home.sh $v failed"
done

# --- defaults, as each version ships
launch "$T/es-2.4.6";  expect "2.4.6 default heap" "$(heap)" "256m 1g"
launch "$T/es-5.6.16"; expect "5.6.16 default heap" "$(heap)" "1g 1g"
launch "$T/es-6.8.23"; expect "6.8.23 default heap" "$(heap)" "1g 1g"
launch "$T/es-7.6.2";  expect "7.6.2 default heap" "$(heap)" "1g 1g"
launch "$T/es-7.10.2"; expect "7.10.2 default heap" "$(heap)" "1g 1g"
launch "$T/es-7.17.25"; expect "7.17.25 automatic heap" "$(heap)" "$AUTO"
launch "$T/es-8.15.3"; expect "8.15.3 automatic heap" "$(heap)" "$AUTO"
expect "FAKE_ES_VERSION" "$(field "$REC" environment FAKE_ES_VERSION)" "8.15.3"
expect "main class" "$(field "$REC" main_class)" "org.elasticsearch.bootstrap.Elasticsearch"
launch "$T/es-8.2.3"; expect "8.2.3: one process, no CLI" "$(field "$REC" main_class) $([ -e "$REC.cli" ] && echo cli)" \
  "org.elasticsearch.bootstrap.Elasticsearch "
expect "lib jar" "$(ls "$T/es-8.15.3/lib")" "$(printf '%s\n' elasticsearch-8.15.3.jar elasticsearch-x-content-8.15.3.jar)"

# --- the temporary directory (ES_TMPDIR from 6.2; launch passes $T/tmp)
tmpdir_of() { field "$REC" java_io_tmpdir; }
launch "$T/es-7.17.25"; expect "7.17.25 ES_TMPDIR -> java.io.tmpdir" "$(tmpdir_of)" "$T/tmp"
launch "$T/es-8.15.3"; expect "8.15.3 LIBFFI_TMPDIR" "$(tmpdir_of) $(env_var LIBFFI_TMPDIR)" "$T/tmp $T/tmp"
launch "$T/es-2.4.6"; expect "2.4.6 reads no ES_TMPDIR" "$(tmpdir_of)" "null"
launch "$T/es-5.6.16" ES_JAVA_OPTS="-Djava.io.tmpdir=$T/tmp"; expect "5.6.16 ES_JAVA_OPTS tmpdir" "$(tmpdir_of)" "$T/tmp"
launch "$T/es-8.15.3" ES_TMPDIR="$T/missing"; rc=$?
expect "8.15.3 missing ES_TMPDIR" "$rc $(cat "$T/stderr")" "78 Temporary directory [$T/missing] does not exist or is not accessible"
: > "$REC.not-a-dir"
launch "$T/es-8.15.3" ES_TMPDIR="$REC.not-a-dir"; rc=$?
expect "8.15.3 ES_TMPDIR a file" "$rc $(cat "$T/stderr")" "78 Temporary directory [$REC.not-a-dir] is not a directory"
rm -f "$REC.not-a-dir"
# Unset: a new directory of the script's own under /tmp, removed here.
launch "$T/es-7.17.25" ES_TMPDIR=; made=$(tmpdir_of)
case $made in /tmp/elasticsearch-*) [ -d "$made" ] && ok || fail "7.17.25 made no $made" ;; *) fail "7.17.25 unset ES_TMPDIR: $made" ;; esac
case $made in /tmp/elasticsearch-?*) rmdir "$made" ;; esac

# --- 2.x: ES_HEAP_SIZE sets both; ES_MIN_MEM/ES_MAX_MEM; ES_JAVA_OPTS last
launch "$T/es-2.4.6" ES_HEAP_SIZE=2g; expect "2.4.6 ES_HEAP_SIZE=2g" "$(heap)" "2g 2g"
launch "$T/es-2.4.6" ES_MIN_MEM=512m; expect "2.4.6 ES_MIN_MEM" "$(heap)" "512m 1g"
launch "$T/es-2.4.6" ES_HEAP_SIZE=2g ES_JAVA_OPTS="-Xmx3g"; expect "2.4.6 ES_JAVA_OPTS wins" "$(heap)" "2g 3g"
launch "$T/es-2.4.6" -- -p /run/x.pid; expect "2.4.6 args" "$(field "$REC" args)" '["start", "-p", "/run/x.pid"]'
# ES_HEAP_SIZE is read, not removed: the JVM's environment keeps it.
launch "$T/es-2.4.6" ES_HEAP_SIZE=2g; expect "2.4.6 keeps ES_HEAP_SIZE" "$(env_var ES_HEAP_SIZE)" 2g
# JAVA_OPTS from the environment comes first: the script's -Xms/-Xmx win.
launch "$T/es-2.4.6" JAVA_OPTS="-Xmx5g -Dfrom.java.opts=1"; expect "2.4.6 JAVA_OPTS first" "$(heap)" "256m 1g"
if has_jvm_arg -Dfrom.java.opts=1; then ok; else fail "2.4.6 JAVA_OPTS not passed"; fi
launch "$T/es-2.4.6" ES_HEAP_NEWSIZE=128m ES_DIRECT_SIZE=2g
if has_jvm_arg -Xmn128m && has_jvm_arg -XX:MaxDirectMemorySize=2g; then ok; else fail "2.4.6 ES_HEAP_NEWSIZE/ES_DIRECT_SIZE"; fi
launch "$T/es-2.4.6" ES_GC_OPTS=-XX:+UseG1GC
if has_jvm_arg -XX:+UseG1GC && ! has_jvm_arg -XX:+UseConcMarkSweepGC; then ok; else fail "2.4.6 ES_GC_OPTS"; fi

# --- which java each version's script runs (FAKE_ES_JAVA), and what it says
java_of() { env_var FAKE_ES_JAVA; }
# JAVA_HOME unset: the test of "$JAVA_HOME/bin/java" is one of /bin/java.
if [ -x /bin/java ]; then unset_java=/bin/java; else unset_java=$T/jdk8/bin/java; fi
for v in 2.4.6 5.6.16 6.8.23; do
  launch "$T/es-$v" JAVA_HOME="$T/jdk11"; expect "$v JAVA_HOME" "$(java_of) $(cat "$T/stderr")" "$T/jdk11/bin/java "
  launch "$T/es-$v" JAVA_HOME="$T/nojdk"; expect "$v JAVA_HOME without java" "$(java_of)" "$T/jdk8/bin/java"
  launch "$T/es-$v" JAVA_HOME=; expect "$v JAVA_HOME unset" "$(java_of)" "$unset_java"
  launch "$T/es-$v" JAVA_HOME="$T/nojdk" PATH="$T/nojava"; rc=$?
  if [ -e "$REC" ]; then fail "$v without java: fake-es ran"; else ok; fi
  case $v in
    6.*) expect "$v without java" "$rc $(cat "$T/stderr")" "1 warning: Falling back to java on path. This behavior \
is deprecated. Specify JAVA_HOME
could not find java; set JAVA_HOME or ensure java is in PATH" ;;
    *) expect "$v without java" "$rc $(cat "$T/stdout")" \
         "1 Could not find any executable java binary. Please install java in your PATH or set JAVA_HOME" ;;
  esac
done
launch "$T/es-6.8.23" JAVA_HOME="$T/nojdk"
expect "6.8.23 PATH is deprecated" "$(cat "$T/stderr")" \
  "warning: Falling back to java on path. This behavior is deprecated. Specify JAVA_HOME"
launch "$T/es-2.4.6" JAVA_HOME="$T/nojdk"; expect "2.4.6 PATH is not deprecated" "$(cat "$T/stderr")" ""
launch "$T/es-7.10.2"; expect "7.10.2 bundled jdk" "$(java_of)" "$T/es-7.10.2/jdk/bin/java"
launch "$T/es-7.10.2" JAVA_HOME="$T/jdk11" ES_JAVA_HOME="$T/jdk8"
expect "7.10.2 JAVA_HOME, ES_JAVA_HOME unknown" "$(java_of) $(cat "$T/stderr")" "$T/jdk11/bin/java "
launch "$T/es-7.10.2" JAVA_HOME="$T/nojdk"; rc=$?
expect "7.10.2 JAVA_HOME without java" "$rc $(cat "$T/stderr")" "1 could not find java in JAVA_HOME at $T/nojdk/bin/java"
launch "$T/es-7.17.25"; expect "7.17.25 bundled JDK" "$(java_of) $(cat "$T/stderr")" "$T/es-7.17.25/jdk/bin/java "
launch "$T/es-7.17.25" JAVA_HOME="$T/jdk11" ES_JAVA_HOME="$T/jdk8"
expect "7.17.25 ES_JAVA_HOME over JAVA_HOME" "$(java_of) $(cat "$T/stderr")" "$T/jdk8/bin/java "
launch "$T/es-7.17.25" JAVA_HOME="$T/jdk11"
expect "7.17.25 JAVA_HOME" "$(java_of)" "$T/jdk11/bin/java"
expect "7.17.25 JAVA_HOME is deprecated" "$(cat "$T/stderr")" "warning: usage of JAVA_HOME is deprecated, use ES_JAVA_HOME"
launch "$T/es-8.15.3" JAVA_HOME="$T/jdk11"
expect "8.15.3 ignores JAVA_HOME" "$(java_of)" "$T/es-8.15.3/jdk/bin/java"
expect "8.15.3 JAVA_HOME warning" "$(cat "$T/stderr")" "warning: ignoring JAVA_HOME=$T/jdk11; using bundled JDK"
launch "$T/es-8.15.3" ES_JAVA_HOME="$T/jdk11"; expect "8.15.3 ES_JAVA_HOME" "$(java_of)" "$T/jdk11/bin/java"
launch "$T/es-8.15.3" ES_JAVA_HOME="$T/nojdk"; rc=$?
expect "8.15.3 ES_JAVA_HOME without java" "$rc $(cat "$T/stderr")" "1 could not find java in ES_JAVA_HOME at $T/nojdk/bin/java"
if [ -e "$REC" ]; then fail "8.15.3 ES_JAVA_HOME without java: fake-es ran"; else ok; fi
# jvm.options' Java ranges follow the chosen java's release file.
launch "$T/es-7.17.25" ES_JAVA_HOME="$T/jdk11"
if has_jvm_arg -XX:+UseConcMarkSweepGC && ! has_jvm_arg -XX:+UseG1GC; then ok; else fail "7.17.25 8-13: line for Java 11"; fi
launch "$T/es-7.17.25"
if has_jvm_arg -XX:+UseG1GC && ! has_jvm_arg -XX:+UseConcMarkSweepGC; then ok; else fail "7.17.25 14-: line for the bundled 17"; fi

# --- JAVA_TOOL_OPTIONS never reaches the JVM (a note on stdout); from 6.x JAVA_OPTS is named and ignored
for v in 2.4.6 5.6.16 6.8.23 7.17.25 8.15.3; do
  launch "$T/es-$v" JAVA_TOOL_OPTIONS=-Xmx9g
  expect "$v drops JAVA_TOOL_OPTIONS" "$(env_var JAVA_TOOL_OPTIONS)" "(unset)"
  case $v in
    2.*) want=$'Warning: Ignoring JAVA_TOOL_OPTIONS=-Xmx9g\nPlease pass JVM parameters via JAVA_OPTS instead' ;;
    5.*) want=$'Warning: Ignoring JAVA_TOOL_OPTIONS=-Xmx9g\nPlease pass JVM parameters via ES_JAVA_OPTS instead' ;;
    *) want='warning: ignoring JAVA_TOOL_OPTIONS=-Xmx9g' ;;
  esac
  expect "$v JAVA_TOOL_OPTIONS note" "$(cat "$T/stdout")" "$want"
done
launch "$T/es-5.6.16" JAVA_OPTS=-Xmx5g; expect "5.6.16 ignores JAVA_OPTS" "$(heap) $(cat "$T/stdout")" "1g 1g "
launch "$T/es-6.8.23" JAVA_OPTS=-Xmx5g; expect "6.8.23 ignores JAVA_OPTS" "$(heap)" "1g 1g"
expect "6.8.23 JAVA_OPTS note" "$(cat "$T/stdout")" "warning: ignoring JAVA_OPTS=-Xmx5g; pass JVM parameters via ES_JAVA_OPTS"

# --- 5.x: ES_HEAP_SIZE is fatal; jvm.options (or ES_JVM_OPTIONS) then ES_JAVA_OPTS
launch "$T/es-5.6.16" ES_HEAP_SIZE=4g; rc=$?
expect "5.6.16 ES_HEAP_SIZE exit" "$rc" 1
expect "5.6.16 ES_HEAP_SIZE message" "$(cat "$T/stderr")" 'Error: encountered environment variables that are no longer supported
Use jvm.options or ES_JAVA_OPTS to configure the JVM
ES_HEAP_SIZE=4g: set -Xms4g and -Xmx4g in jvm.options or add "-Xms4g -Xmx4g" to ES_JAVA_OPTS'
if [ -e "$REC" ]; then fail "5.6.16 ES_HEAP_SIZE: fake-es ran"; else ok; fi
launch "$T/es-5.6.16" ES_JAVA_OPTS="-Xms2g  -Xmx2g"; expect "5.6.16 ES_JAVA_OPTS" "$(heap)" "2g 2g"
printf -- '-Xms3g\n-Xmx3g\n' > "$T/other.options"
launch "$T/es-5.6.16" ES_JVM_OPTIONS="$T/other.options"; expect "5.6.16 ES_JVM_OPTIONS" "$(heap)" "3g 3g"
mkdir -p "$T/conf5"; cp "$T/other.options" "$T/conf5/jvm.options"
launch "$T/es-5.6.16" ES_PATH_CONF="$T/conf5"; expect "5.6.16 ignores ES_PATH_CONF" "$(heap)" "1g 1g"

# --- 6.x: ES_HEAP_SIZE ignored; ES_PATH_CONF; no jvm.options.d; Java version prefixes
launch "$T/es-6.8.23" ES_HEAP_SIZE=2g; expect "6.8.23 ignores ES_HEAP_SIZE" "$(heap)" "1g 1g"
expect "6.8.23 leaves ES_HEAP_SIZE alone" "$(env_var ES_HEAP_SIZE)" 2g
launch "$T/es-6.8.23" ES_JAVA_OPTS="-Xmx2g"; expect "6.8.23 ES_JAVA_OPTS" "$(heap)" "1g 2g"
mkdir -p "$T/conf6"; cp "$T/other.options" "$T/conf6/jvm.options"
launch "$T/es-6.8.23" ES_PATH_CONF="$T/conf6"; expect "6.8.23 ES_PATH_CONF" "$(heap)" "3g 3g"
if field "$REC" jvm_args | grep -qF -- "\"-Des.path.conf=$T/conf6\""; then ok; else fail "6.8.23 -Des.path.conf"; fi
mkdir -p "$T/es-6.8.23/config/jvm.options.d"; printf -- '-Xmx5g\n' > "$T/es-6.8.23/config/jvm.options.d/heap.options"
launch "$T/es-6.8.23"; expect "6.8.23 ignores jvm.options.d" "$(heap)" "1g 1g"
if field "$REC" jvm_args | grep -qF -- '"-XX:+PrintGCDetails"'; then ok; else fail "6.8.23 8: line for Java 8"; fi
launch "$T/es-6.8.23" FAKE_ES_JAVA_MAJOR=11
if field "$REC" jvm_args | grep -qF -- '"-Xlog:gc*'; then ok; else fail "6.8.23 9-: line for Java 11"; fi
if field "$REC" jvm_args | grep -qF -- 'PrintGCDetails'; then fail "6.8.23 8: line for Java 11"; else ok; fi

# --- 7.x/8.x: jvm.options.d in byte order, ES_JAVA_OPTS last, automatic heap
for v in 7.17.25 8.15.3; do
  home=$T/es-$v
  launch "$home" ES_HEAP_SIZE=2g; expect "$v ignores ES_HEAP_SIZE" "$(heap)" "$AUTO"
  launch "$home" ES_JAVA_OPTS="-Xms2g -Xmx2g"; expect "$v ES_JAVA_OPTS" "$(heap)" "2g 2g"
  launch "$home" ES_JAVA_OPTS="-Xmx2g"; expect "$v -Xmx alone stops the automatic heap" "$(heap)" "null 2g"
  printf -- '-Xmx3g\n-Xms3g\n' > "$home/config/jvm.options.d/heap.options"
  launch "$home"; expect "$v jvm.options.d" "$(heap)" "3g 3g"
  launch "$home" ES_JAVA_OPTS="-Xms4g -Xmx4g"; expect "$v ES_JAVA_OPTS over jvm.options.d" "$(heap)" "4g 4g"
  printf -- '-Xmx6g\n' > "$home/config/jvm.options.d/Z.options"
  printf -- '-Xmx7g\n' > "$home/config/jvm.options.d/heap.txt"
  launch "$home"; expect "$v jvm.options.d order" "$(heap)" "3g 3g"
  printf -- 'Xmx8g\n' > "$home/config/jvm.options.d/zz.options"
  launch "$home"; rc=$?
  expect "$v bad jvm.options.d line" "$rc" 1
  rm -f "$home"/config/jvm.options.d/*
  launch "$home" -- -p /run/x.pid --quiet; expect "$v args" "$(field "$REC" args)" '["-p", "/run/x.pid", "--quiet"]'
  rm -f "$REC"
  env -u ES_JAVA_OPTS -u JAVA_HOME -u ES_JAVA_HOME ES_TMPDIR="$T/tmp" FAKE_ES_RECORD="$REC" FAKE_ES_EXIT=1 "$home/bin/systemd-entrypoint" -p /run/y.pid --quiet
  expect "$v systemd-entrypoint args" "$(field "$REC" args)" '["-p", "/run/y.pid", "--quiet"]'
done
printf -- '-Xmx2g\n' > "$T/es-7.10.2/config/jvm.options.d/heap.options"
launch "$T/es-7.10.2"; expect "7.10.2 jvm.options.d" "$(heap)" "1g 2g"
if [ -e "$T/es-7.6.2/config/jvm.options.d" ]; then fail "7.6.2 has jvm.options.d"; else ok; fi

# --- package mode (6.0+): bin/elasticsearch-env sources the environment file
# after the inherited environment, and there is no config/ default
for v in 6.8.23 7.17.25 8.15.3; do
  MAKE_HOME_PACKAGE=deb MAKE_HOME_ENV_FILE="$T/env-$v" "$MAKE_HOME" "$v" "$T/pkg-$v" "$FAKE_ES" ||
    die "make_home.sh $v in package mode failed"
  expect "$v package: its source line" "$(grep -cxF ". '$T/env-$v'" "$T/pkg-$v/bin/elasticsearch-env")" 1
  : > "$T/env-$v"
  launch "$T/pkg-$v"; rc=$?
  expect "$v package without ES_PATH_CONF: exit" "$rc" 1
  expect "$v package without ES_PATH_CONF: message" "$(cat "$T/stdout")" "ES_PATH_CONF must be set to the configuration path"
  if [ -e "$REC" ]; then fail "$v package without ES_PATH_CONF: fake-es ran"; else ok; fi
  launch "$T/pkg-$v" ES_PATH_CONF="$T/conf6"; expect "$v package: ES_PATH_CONF of the environment" "$(heap)" "3g 3g"
  printf 'ES_PATH_CONF=%s\nES_JAVA_OPTS="-Xms2g -Xmx2g"\n' "$T/conf6" > "$T/env-$v"
  launch "$T/pkg-$v" ES_PATH_CONF="$T/pkg-$v/config" ES_JAVA_OPTS="-Xms256m -Xmx256m"
  expect "$v package: the file's ES_JAVA_OPTS wins" "$(heap)" "2g 2g"
  if has_jvm_arg "-Des.path.conf=$T/conf6"; then ok; else fail "$v package: the file's ES_PATH_CONF"; fi
  # java is chosen before the file is sourced: its JAVA_HOME changes nothing
  java_before=$(java_of)
  printf 'ES_PATH_CONF=%s\nJAVA_HOME=%s\nES_JAVA_HOME=%s\n' "$T/conf6" "$T/nojdk" "$T/nojdk" > "$T/env-$v"
  launch "$T/pkg-$v"; rc=$?
  expect "$v package: the file's JAVA_HOME and ES_JAVA_HOME change no java" "$rc $(java_of)" "0 $java_before"
done
# shellcheck disable=SC2016 # the line as the script holds it
expect "archive: the config/ default line" \
  "$(grep -cxF 'if [ -z "$ES_PATH_CONF" ]; then ES_PATH_CONF="$ES_HOME"/config; fi' "$T/es-8.15.3/bin/elasticsearch-env")" 1
if [ -e "$T/es-5.6.16/bin/elasticsearch-env" ]; then fail "5.6.16 has bin/elasticsearch-env"; else ok; fi
MAKE_HOME_PACKAGE=rpm "$MAKE_HOME" 7.17.25 "$T/rpm" "$FAKE_ES" || die "make_home.sh rpm failed"
expect "rpm: its source line" "$(grep -cxF ". '/etc/sysconfig/elasticsearch'" "$T/rpm/bin/elasticsearch-env")" 1
if MAKE_HOME_PACKAGE=deb "$MAKE_HOME" 5.6.16 "$T/pkg5" "$FAKE_ES" 2> /dev/null; then
  fail "5.6.16 in package mode was built"
else
  ok
fi

# --- the keystore (7.7+): has-passwd as the real tool, the passphrase one line on stdin
for ks in none plain passphrase:s3cret; do
  MAKE_HOME_KEYSTORE=$ks "$MAKE_HOME" 7.17.25 "$T/ks-${ks%%:*}" "$FAKE_ES" || die "make_home.sh MAKE_HOME_KEYSTORE=$ks failed"
done
"$T/ks-none/bin/elasticsearch-keystore" has-passwd 2> "$T/stderr"
expect "has-passwd without a keystore" "$? $(cat "$T/stderr")" "1 ERROR: Elasticsearch keystore not found"
"$T/ks-plain/bin/elasticsearch-keystore" has-passwd 2> "$T/stderr"
expect "has-passwd of a plain keystore" "$? $(cat "$T/stderr")" "1 ERROR: Keystore is not password-protected"
out=$("$T/ks-passphrase/bin/elasticsearch-keystore" has-passwd)
expect "has-passwd of a protected keystore" "$? $out" "0 Keystore is password-protected"
out=$("$T/ks-passphrase/bin/elasticsearch-keystore" has-passwd --silent 2>&1)
expect "has-passwd --silent" "$? $out" "0 "
launch "$T/ks-none" < /dev/null; expect "no keystore: started, recorded" "$? $(field "$REC" keystore)" "0 null"
launch "$T/ks-plain" < /dev/null; expect "plain keystore: started without a passphrase" "$? $(field "$REC" keystore)" "0 plain"
launch "$T/ks-passphrase" < <(printf 's3cret\n')
expect "the passphrase on stdin: unlocked" "$? $(field "$REC" keystore)" "0 unlocked"
launch "$T/ks-passphrase" < <(printf 's3cret')
expect "a passphrase without its newline" "$? $(cat "$T/stderr")" "1 Failed to read keystore password on console"
launch "$T/ks-passphrase" < <(printf 'wrong\n'); rc=$?
expect "a wrong passphrase: exit" "$rc" 1
if grep -q 'Provided keystore password was incorrect$' "$T/stderr"; then ok; else fail "a wrong passphrase: message"; fi
if [ -e "$REC" ]; then fail "a wrong passphrase: fake-es ran"; else ok; fi
launch "$T/ks-passphrase" -- --version < /dev/null; expect "--version reads no passphrase" "$?" 0
launch "$T/ks-passphrase" KEYSTORE_PASSWORD=s3cret < /dev/null
expect "7.x unsets KEYSTORE_PASSWORD" "$? $(cat "$T/stderr")" "1 Failed to read keystore password on console"
if MAKE_HOME_KEYSTORE=plain "$MAKE_HOME" 7.6.2 "$T/ks-76" "$FAKE_ES" 2> /dev/null; then
  fail "7.6.2 with a keystore was built"
else
  ok
fi

# --- the script itself
rm -f "$REC"
env -u FAKE_ES_RECORD "$T/es-7.17.25/bin/elasticsearch" 2>/dev/null; expect "no FAKE_ES_RECORD" "$?" 2
ln -s "$T/es-7.17.25/bin/elasticsearch" "$T/es-link"
rm -f "$REC"; env -u JAVA_HOME -u ES_JAVA_HOME ES_TMPDIR="$T/tmp" FAKE_ES_RECORD="$REC" FAKE_ES_EXIT=1 "$T/es-link"
if field "$REC" jvm_args | grep -qF -- "\"-Des.path.home=$T/es-7.17.25\""; then ok; else fail "ES_HOME through a symlink"; fi

# --- the record: fds, umask, limits, ids
exec 7</dev/null
# 8.15's CLI process is what the launcher started: its record has the fds
# (the server child gets 0-2 only, as from Java's ProcessBuilder).
launch "$T/es-8.15.3"
if field "$REC.cli" open_fds | grep -qE '[[ ]7[],]'; then ok; else fail "leaked fd 7 not in open_fds: $(field "$REC.cli" open_fds)"; fi
expect "8.15.3 server fds" "$(field "$REC" open_fds)" "[0, 1, 2]"
exec 7<&-
launch "$T/es-8.15.3"
if field "$REC.cli" open_fds | grep -qE '[[ ]7[],]'; then fail "fd 7 in open_fds after close"; else ok; fi
(umask 027; ulimit -Sn 1000; launch "$T/es-8.15.3")
expect "umask" "$(field "$REC" umask)" "0027"
expect "nofile" "$(field "$REC" rlimits nofile soft)" "1000"

if [ "$EUID" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
  rm -f "$REC"
  PATH="$T/jdk8/bin:$PATH" FAKE_ES_RECORD="$REC" FAKE_ES_EXIT=1 ES_HEAP_SIZE=2g \
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/es-2.4.6/bin/elasticsearch"
  expect "nobody: heap" "$(heap)" "2g 2g"
  expect "nobody: uid" "$(field "$REC" uid) $(field "$REC" euid) $(field "$REC" suid)" "65534 65534 65534"
  expect "nobody: gid" "$(field "$REC" gid) $(field "$REC" egid) $(field "$REC" sgid)" "65534 65534 65534"
  expect "nobody: groups" "$(field "$REC" groups)" "[]"
  expect "nobody: setuid(0)" "$(field "$REC" setuid0)" '{"ok": false, "errno": 1}'
  expect "nobody: capabilities" "$(field "$REC" capabilities effective)" "0000000000000000"
  for v in 5.6.16 6.8.23 7.17.25 8.15.3; do
    rm -f "$REC" "$REC.cli"
    PATH="$T/jdk8/bin:$PATH" FAKE_ES_RECORD="$REC" FAKE_ES_EXIT=1 ES_JAVA_OPTS="-Xms2g -Xmx2g" ES_TMPDIR="$T/tmp" \
      setpriv --reuid=nobody --regid=nogroup --init-groups --no-new-privs "$T/es-$v/bin/elasticsearch"
    expect "nobody: $v heap" "$(heap)" "2g 2g"
    expect "nobody: $v no_new_privs" "$(field "$REC" no_new_privs)" 1
  done
else
  echo "fake-es selftest: not root or no setpriv: the checks as nobody are left out"
fi

# --- HTTP, delay, hang, signals
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# http_get HOST PORT PATH TIMEOUT: prints "STATUS BODY"; exits 7 when refused, 28 on timeout (as curl).
http_get() {
  python3 - "$@" <<'EOF'
import http.client, socket, sys
host, port, path, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
try:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.request("GET", path)
    response = conn.getresponse()
    print(response.status, response.read().decode().strip())
except ConnectionRefusedError:
    sys.exit(7)
except (socket.timeout, TimeoutError):
    sys.exit(28)
EOF
}
# The waits poll for the event itself, up to 30 s: a loaded 2-core machine
# may take seconds to schedule a process.
wait_listening() {  # HOST PORT: until it answers
  local end=$((SECONDS + 30))
  until http_get "$1" "$2" / 5 > /dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.05
  done
}
wait_file() {  # FILE [TEXT]: until FILE exists (and holds TEXT)
  local end=$((SECONDS + 30))
  until [ -e "$1" ] && { [ $# -lt 2 ] || grep -qF -- "$2" "$1"; }; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.02
  done
}
json_get() { python3 -c 'import json, sys; v = json.loads(sys.argv[1])
for k in sys.argv[2:]: v = v[k]
print(v)' "$@"; }

# The record comes before the delay: once it is there, the port stays
# refused for the next 3 s, time enough for one probe on a loaded machine.
port=$(free_port)
FAKE_ES_VERSION=7.17.25 "$FAKE_ES" --record "$T/rec/http.json" --http-port "$port" --delay-ms 3000 -- -Xmx1g Main \
  2> "$T/http.err" & pid=$!; PIDS+=("$pid")
if wait_file "$T/rec/http.json"; then ok; else fail "no record before the delay"; fi
http_get 127.0.0.1 "$port" / 1 > /dev/null 2>&1; expect "refused during --delay-ms" "$?" 7
if wait_listening 127.0.0.1 "$port"; then ok; else fail "not listening after the delay"; fi
read -r code body < <(http_get 127.0.0.1 "$port" / 10)
expect "GET / status" "$code" 200
expect "GET / version" "$(json_get "$body" version number)" "7.17.25"
read -r code body < <(http_get 127.0.0.1 "$port" "/_cluster/health?wait_for_status=yellow" 10)
expect "GET /_cluster/health status" "$code" 200
expect "health status" "$(json_get "$body" status)" green
# Its own fds: the signalfd and the listening socket, no more.
own_fds=$(python3 -c 'import json, os, sys
inherited = set(json.load(open(sys.argv[1]))["open_fds"])
print(len(set(int(f) for f in os.listdir(sys.argv[2])) - inherited))' "$T/rec/http.json" "/proc/$pid/fd")
expect "fake-es's own fds while serving" "$own_fds" 2
kill -TERM "$pid"; wait "$pid"; expect "SIGTERM exit" "$?" 143

port=$(free_port)
"$FAKE_ES" --record "$T/rec/int.json" --http-host ::1 --http-port "$port" 2> /dev/null & pid=$!; PIDS+=("$pid")
if wait_listening ::1 "$port"; then ok; else fail "not listening on ::1"; fi
kill -INT "$pid"; wait "$pid"; expect "SIGINT exit" "$?" 130

port=$(free_port)
"$FAKE_ES" --record "$T/rec/hang.json" --http-port "$port" --hang-after-ready 2> /dev/null & pid=$!; PIDS+=("$pid")
if wait_listening 127.0.0.1 "$port"; then ok; else fail "--hang-after-ready: no first answer"; fi
http_get 127.0.0.1 "$port" / 1 > /dev/null 2>&1; expect "--hang-after-ready: second request times out" "$?" 28
kill -TERM "$pid"; wait "$pid"; expect "SIGTERM exit while hung" "$?" 143

# SIGUSR1: hang from now on (the connection is accepted, never answered); SIGUSR2: answer again.
port=$(free_port)
"$FAKE_ES" --record "$T/rec/usr1.json" --http-port "$port" 2> "$T/usr1.err" & pid=$!; PIDS+=("$pid")
if wait_listening 127.0.0.1 "$port"; then ok; else fail "SIGUSR1 case: not listening"; fi
kill -USR1 "$pid"
if wait_file "$T/usr1.err" hanging; then ok; else fail "SIGUSR1: no 'hanging' line"; fi
http_get 127.0.0.1 "$port" / 1 > /dev/null 2>&1; expect "SIGUSR1: request times out" "$?" 28
kill -USR2 "$pid"
if wait_file "$T/usr1.err" 'answering again'; then ok; else fail "SIGUSR2: no 'answering again' line"; fi
read -r code _ < <(http_get 127.0.0.1 "$port" / 10)
expect "SIGUSR2: answers again" "$code" 200
kill -TERM "$pid"; wait "$pid"; expect "SIGTERM exit after SIGUSR1/SIGUSR2" "$?" 143

# Through bin/elasticsearch: FAKE_ES_HTTP_PORT, and the pid is the script's
# (exec): 7.17's JVM, 8.15's CLI.
port=$(free_port)
env -u ES_JAVA_OPTS -u JAVA_HOME -u ES_JAVA_HOME FAKE_ES_RECORD="$T/rec/es7.json" FAKE_ES_HTTP_PORT="$port" \
  "$T/es-7.17.25/bin/elasticsearch" 2> /dev/null & pid=$!; PIDS+=("$pid")
if wait_listening 127.0.0.1 "$port"; then ok; else fail "bin/elasticsearch with FAKE_ES_HTTP_PORT"; fi
expect "exec keeps the pid" "$(field "$T/rec/es7.json" pid)" "$pid"
kill -TERM "$pid"; wait "$pid"; expect "bin/elasticsearch SIGTERM exit" "$?" 143

# --- 8.3+: the CLI process and its server child (README.md, "8.3+: two processes")
port=$(free_port) rport=$(free_port)
printf 'http.port: %s\nreadiness.port: %s\n' "$port" "$rport" > "$T/es-8.15.3/config/elasticsearch.yml"
mkdir -m 700 "$T/estmp"
env -u JAVA_HOME -u ES_JAVA_HOME -u LIBFFI_TMPDIR FAKE_ES_RECORD="$T/rec/cli.json" FAKE_ES_HTTP_PORT="$port" \
  FAKE_ES_JOINED_FILE="$T/joined" ES_JAVA_OPTS="-Xms1g -Xmx1g" ES_TMPDIR="$T/estmp" \
  "$T/es-8.15.3/bin/elasticsearch" -p "$T/es.pid" 2> "$T/cli.err" & pid=$!; PIDS+=("$pid")
if wait_listening 127.0.0.1 "$port"; then ok; else fail "8.15.3: the server does not answer HTTP"; fi
CLI=$T/rec/cli.json.cli SRV=$T/rec/cli.json
expect "8.15.3 CLI pid" "$(field "$CLI" pid)" "$pid"
expect "8.15.3 CLI heap" "$(field "$CLI" heap xms) $(field "$CLI" heap xmx)" "4m 64m"
expect "8.15.3 CLI main class" "$(field "$CLI" main_class)" org.elasticsearch.launcher.CliToolLauncher
expect "8.15.3 server's parent" "$(field "$SRV" ppid)" "$pid"
expect "8.15.3 server heap" "$(field "$SRV" heap xms) $(field "$SRV" heap xmx)" "1g 1g"
expect "8.15.3 server main class" "$(field "$SRV" main_class)" org.elasticsearch.bootstrap.Elasticsearch
expect "8.15.3 server args, from stdin" "$(field "$SRV" args)" "[\"-p\", \"$T/es.pid\"]"
env_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["environment"].get(sys.argv[2], "(unset)"))' "$1" "$2"; }
expect "8.15.3 CLI's ES_JAVA_OPTS" "$(env_of "$CLI" ES_JAVA_OPTS)" "-Xms1g -Xmx1g"
expect "8.15.3 server's ES_JAVA_OPTS" "$(env_of "$SRV" ES_JAVA_OPTS)" "(unset)"
expect "8.15.3 server's ES_TMPDIR" "$(env_of "$SRV" ES_TMPDIR)" "(unset)"
expect "8.15.3 server's LIBFFI_TMPDIR" "$(env_of "$SRV" LIBFFI_TMPDIR)" "$T/estmp"
srv=$(field "$SRV" pid)
# readiness.port opens once the node has joined (the file), not with HTTP.
port_open() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)' "$1" 2>/dev/null; }
if port_open "$rport"; then fail "8.15.3: readiness.port open before joining"; else ok; fi
: > "$T/joined"
if wait_file "$T/cli.err" "readiness port open"; then ok; else fail "8.15.3: no readiness port after joining"; fi
if port_open "$rport"; then ok; else fail "8.15.3: readiness.port refused after joining"; fi
expect "8.15.3 the ready marker stays with the CLI" "$(grep -c $'\x18' "$T/cli.err")" 0
# The server killed: the CLI exits with its status, 128+9.
kill -KILL "$srv"; wait "$pid"; expect "8.15.3 server SIGKILLed: the CLI's exit" "$?" 137
expect "8.15.3 server SIGKILLed: the CLI says" "$(tail -n 1 "$T/cli.err")" "ERROR: Elasticsearch exited unexpectedly"
# SIGTERM to the CLI: the shutdown marker, server 0, CLI 143.
env -u JAVA_HOME -u ES_JAVA_HOME FAKE_ES_RECORD="$T/rec/term.json" \
  "$T/es-8.15.3/bin/elasticsearch" 2> "$T/term.err" & pid=$!; PIDS+=("$pid")
if wait_file "$T/rec/term.json"; then ok; else fail "8.15.3: no server record"; fi
kill -TERM "$pid"; wait "$pid"; expect "8.15.3 SIGTERM: the CLI's exit" "$?" 143
expect "8.15.3 SIGTERM: the server's, then the CLI's" "$(tail -n 2 "$T/term.err")" \
  "fake-es: shutdown marker from the CLI, exiting 0
fake-es (cli): Terminated, exiting 143"
# ES_TMPDIR that is not a directory: ServerProcess's message, 78.
launch "$T/es-8.15.3" ES_TMPDIR="$T/no-such-dir"; rc=$?
expect "8.15.3 ES_TMPDIR missing" "$rc $(cat "$T/stderr")" "78 Temporary directory [$T/no-such-dir] does not exist or is not accessible"

# --- OpenSearch homes (make_home.sh opensearch-X.Y.Z): what bin/opensearch
# and bin/opensearch-env do with each variable.
# os_launch HOME [VAR=VALUE...] -- [ARGS...]: bin/opensearch (OS_SCRIPT: another
# of its bin/) with FAKE_ES_EXIT=1
os_launch() {
  local home=$1; shift
  local vars=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  rm -f "$REC"
  env -u OPENSEARCH_JAVA_OPTS -u OPENSEARCH_PATH_CONF -u OPENSEARCH_HOME -u OPENSEARCH_JAVA_HOME -u JAVA_HOME \
    -u JAVA_TOOL_OPTIONS -u JAVA_OPTS -u KEYSTORE_PASSWORD -u OPENSEARCH_KEYSTORE_PASSPHRASE_FILE \
    OPENSEARCH_TMPDIR="$T/tmp" FAKE_ES_RECORD="$REC" FAKE_ES_EXIT=1 "${vars[@]}" \
    "$home/bin/${OS_SCRIPT:-opensearch}" "$@" > "$T/stdout" 2> "$T/stderr"
}
for v in 1.3.20 2.19.1; do
  "$MAKE_HOME" "opensearch-$v" "$T/os-$v" "$FAKE_ES" || die "make_home.sh opensearch-$v failed"
done
expect "opensearch lib" "$(ls "$T/os-2.19.1/lib")" \
  "$(printf '%s\n' opensearch-2.19.1.jar opensearch-cli-2.19.1.jar opensearch-x-content-2.19.1.jar)"
os_launch "$T/os-2.19.1"; expect "opensearch 2.19.1 default heap" "$(heap)" "1g 1g"
expect "opensearch main class" "$(field "$REC" main_class)" "org.opensearch.bootstrap.OpenSearch"
# After jvm.options: the variable's heap wins; exported, the JVM sees it re-assigned.
os_launch "$T/os-2.19.1" OPENSEARCH_JAVA_OPTS="-Xms2g -Xmx2g"; expect "opensearch OPENSEARCH_JAVA_OPTS wins" "$(heap)" "2g 2g"
case $(env_var OPENSEARCH_JAVA_OPTS) in
  *-Xmx1g*-Xmx2g) ok ;; *) fail "OPENSEARCH_JAVA_OPTS not re-assigned: $(env_var OPENSEARCH_JAVA_OPTS)" ;;
esac
printf -- '-Xmx3g\n' > "$T/os-1.3.20/config/jvm.options.d/heap.options"
os_launch "$T/os-1.3.20"; expect "opensearch 1.3.20 jvm.options.d" "$(heap)" "1g 3g"
rm -f "$T/os-1.3.20/config/jvm.options.d/heap.options"
os_launch "$T/os-2.19.1" ES_JAVA_OPTS="-Xmx5g"; expect "opensearch ignores ES_JAVA_OPTS" "$(heap)" "1g 1g"
os_launch "$T/os-2.19.1" JAVA_TOOL_OPTIONS="-Xmx5g"
expect "opensearch unsets JAVA_TOOL_OPTIONS" "$(env_var JAVA_TOOL_OPTIONS) $(head -n 1 "$T/stdout")" \
  "(unset) warning: ignoring JAVA_TOOL_OPTIONS=-Xmx5g"
os_launch "$T/os-2.19.1" JAVA_OPTS="-Xmx5g"
expect "opensearch ignores JAVA_OPTS" "$(heap) $(head -n 1 "$T/stdout")" \
  "1g 1g warning: ignoring JAVA_OPTS=-Xmx5g; pass JVM parameters via OPENSEARCH_JAVA_OPTS"
# OPENSEARCH_TMPDIR: jvm.options' -Djava.io.tmpdir; unset, one of its own, not in the JVM's environment.
os_launch "$T/os-2.19.1"; expect "opensearch OPENSEARCH_TMPDIR" "$(field "$REC" java_io_tmpdir)" "$T/tmp"
rm -f "$REC"
env -u OPENSEARCH_TMPDIR -u OPENSEARCH_JAVA_OPTS -u OPENSEARCH_PATH_CONF FAKE_ES_RECORD="$REC" FAKE_ES_EXIT=1 \
  "$T/os-2.19.1/bin/opensearch" > "$T/stdout" 2> "$T/stderr"
made=$(field "$REC" java_io_tmpdir)
case $made in /tmp/opensearch-?*) [ -d "$made" ] && ok || fail "opensearch made no $made"; rmdir "$made" ;;
  *) fail "opensearch unset OPENSEARCH_TMPDIR: $made" ;; esac
expect "opensearch's own tmpdir stays out of the environment" "$(env_var OPENSEARCH_TMPDIR)" "(unset)"
os_launch "$T/os-2.19.1" OPENSEARCH_TMPDIR="$T/missing"; rc=$?
expect "opensearch missing OPENSEARCH_TMPDIR" "$rc" 1
# Java: OPENSEARCH_JAVA_HOME, else JAVA_HOME, else jdk/.
os_launch "$T/os-2.19.1" OPENSEARCH_JAVA_HOME="$T/jdk11" JAVA_HOME="$T/jdk8"
expect "opensearch OPENSEARCH_JAVA_HOME first" "$(env_var FAKE_ES_JAVA)" "$T/jdk11/bin/java"
os_launch "$T/os-1.3.20" JAVA_HOME="$T/jdk8"; expect "opensearch JAVA_HOME" "$(env_var FAKE_ES_JAVA)" "$T/jdk8/bin/java"
os_launch "$T/os-1.3.20"; expect "opensearch bundled jdk" "$(env_var FAKE_ES_JAVA)" "$T/os-1.3.20/jdk/bin/java"
# A package's environment file: sourced only when OPENSEARCH_PATH_CONF is unset.
mkdir -p "$T/os-etc"; cp "$T/os-2.19.1/config/"* "$T/os-etc/" 2>/dev/null
printf 'OPENSEARCH_PATH_CONF=%s\nOPENSEARCH_JAVA_OPTS="-Xmx7g"\n' "$T/os-etc" > "$T/os-env"
MAKE_HOME_PACKAGE=deb MAKE_HOME_ENV_FILE="$T/os-env" "$MAKE_HOME" opensearch-2.19.1 "$T/os-deb" "$FAKE_ES" ||
  die "make_home.sh opensearch-2.19.1 deb failed"
os_launch "$T/os-deb" OPENSEARCH_JAVA_OPTS="-Xmx2g"
expect "opensearch deb: the file sourced" "$(field "$REC" heap xmx)" "7g"
os_launch "$T/os-deb" OPENSEARCH_PATH_CONF="$T/os-deb/config" OPENSEARCH_JAVA_OPTS="-Xmx2g"
expect "opensearch deb: not sourced with OPENSEARCH_PATH_CONF" "$(field "$REC" heap xmx)" "2g"

# The keystore (keystore.sh, as for 7.x above) in OpenSearch's words; 2.14+
# take KEYSTORE_PASSWORD from the environment first, earlier versions unset it.
for v in 1.3.20 2.13.0 2.14.0; do
  MAKE_HOME_KEYSTORE=passphrase:s3cret "$MAKE_HOME" "opensearch-$v" "$T/osks-$v" "$FAKE_ES" ||
    die "make_home.sh opensearch-$v MAKE_HOME_KEYSTORE=passphrase:s3cret failed"
done
MAKE_HOME_KEYSTORE=plain "$MAKE_HOME" opensearch-2.19.1 "$T/osks-plain" "$FAKE_ES" ||
  die "make_home.sh opensearch-2.19.1 MAKE_HOME_KEYSTORE=plain failed"
"$T/os-2.19.1/bin/opensearch-keystore" has-passwd > /dev/null 2> "$T/stderr"
expect "opensearch has-passwd without a keystore" "$? $(cat "$T/stderr")" "1 ERROR: OpenSearch keystore not found"
"$T/osks-plain/bin/opensearch-keystore" has-passwd > /dev/null 2> "$T/stderr"
expect "opensearch has-passwd of a plain keystore" "$? $(cat "$T/stderr")" "1 ERROR: Keystore is not password-protected"
out=$("$T/osks-2.14.0/bin/opensearch-keystore" has-passwd)
expect "opensearch has-passwd of a protected keystore" "$? $out" "0 Keystore is password-protected"
os_launch "$T/os-2.19.1" < /dev/null; expect "opensearch without a keystore" "$? $(field "$REC" keystore)" "0 null"
os_launch "$T/osks-plain" < /dev/null; expect "opensearch plain keystore" "$? $(field "$REC" keystore)" "0 plain"
for v in 1.3.20 2.13.0 2.14.0; do
  os_launch "$T/osks-$v" < <(printf 's3cret\n')
  expect "opensearch $v passphrase on stdin" "$? $(field "$REC" keystore)" "0 unlocked"
done
for v in 1.3.20 2.13.0; do
  os_launch "$T/osks-$v" KEYSTORE_PASSWORD=s3cret < /dev/null
  expect "opensearch $v ignores KEYSTORE_PASSWORD" "$? $(cat "$T/stderr")" "1 Failed to read keystore password on console"
done
os_launch "$T/osks-1.3.20" KEYSTORE_PASSWORD=s3cret < <(printf 's3cret\n')
expect "opensearch 1.3.20 unsets KEYSTORE_PASSWORD" "$(field "$REC" keystore) $(env_var KEYSTORE_PASSWORD)" "unlocked (unset)"
os_launch "$T/osks-2.14.0" KEYSTORE_PASSWORD=s3cret < /dev/null
expect "opensearch 2.14.0 KEYSTORE_PASSWORD" "$? $(field "$REC" keystore) $(env_var KEYSTORE_PASSWORD) $(cat "$T/stdout")" \
  "0 unlocked s3cret Using value of KEYSTORE_PASSWORD from the environment"
os_launch "$T/osks-2.14.0" < <(printf 'wrong\n'); rc=$?
expect "opensearch wrong passphrase" "$rc $(cat "$T/stderr")" \
  '1 Exception in thread "main" org.opensearch.bootstrap.BootstrapException: java.lang.SecurityException: Provided keystore password was incorrect'
if [ -e "$REC" ]; then fail "opensearch wrong passphrase: fake-es ran"; else ok; fi
printf 's3cret\n' > "$T/os-pw"
OS_SCRIPT=systemd-entrypoint os_launch "$T/osks-1.3.20" OPENSEARCH_KEYSTORE_PASSPHRASE_FILE="$T/os-pw" -- -p /run/os.pid < /dev/null
expect "opensearch systemd-entrypoint OPENSEARCH_KEYSTORE_PASSPHRASE_FILE" "$? $(field "$REC" keystore) $(field "$REC" args)" \
  '0 unlocked ["-p", "/run/os.pid"]'

echo "fake-es selftest: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
