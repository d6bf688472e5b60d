#!/bin/bash
# make_home.sh VERSION DIR FAKE_ES
# make_home.sh opensearch-VERSION DIR FAKE_ES  (make_opensearch_home.sh: 1.3.x, 2.x)
# MAKE_HOME_PACKAGE=deb|rpm [MAKE_HOME_ENV_FILE=FILE] make_home.sh ...
# MAKE_HOME_KEYSTORE=none|plain|passphrase:SECRET make_home.sh ...  (7.7+)
#
# Builds a fake Elasticsearch home in DIR for VERSION (X.Y.Z; 1.x to 9.x,
# behaviour by major version, and minor where it matters: jvm.options.d/ from
# 7.7, the automatic heap from 7.11, readiness.port from 8.2, the server CLI
# and its child server process from 8.3). Its bin/elasticsearch is a POSIX sh
# script that builds the JVM options the way that version's real launch script
# does (which heap variables it honours, rejects or ignores, which files it
# reads, in which order) and then execs FAKE_ES (tests/fake-es/fake_es.cpp),
# which records what it got. See README.md next to this file.
#
# From 6.0, bin/elasticsearch sources bin/elasticsearch-env, which finds the
# config directory as the archives do, or with MAKE_HOME_PACKAGE as the
# deb/rpm packages do: it sources MAKE_HOME_ENV_FILE (default
# /etc/default/elasticsearch, rpm: /etc/sysconfig/elasticsearch) and has no
# default config directory.
#
# The tree is owned by the caller with modes 755/644, so a service user can
# use it after eslaunch drops privileges; DIR's parents must let it in too.
set -euo pipefail

die() { echo "make_home.sh: $*" >&2; exit 2; }

[ $# -eq 3 ] || die "usage: make_home.sh VERSION DIR FAKE_ES"
version=$1 dir=$2 fake_es=$3

# opensearch-X.Y.Z: an OpenSearch home (1.3.x, 2.x), by its own script.
case $version in
  opensearch-*) exec bash "$(dirname "$0")/make_opensearch_home.sh" "${version#opensearch-}" "$dir" "$fake_es" ;;
esac

[[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)(-[A-Za-z0-9.]+)?$ ]] ||
  die "VERSION must look like 7.17.25, not '$version'"
major=$((10#${BASH_REMATCH[1]})) minor=$((10#${BASH_REMATCH[2]}))
case $major in
  1|2|5|6|7|8|9) ;;
  *) die "no Elasticsearch $version: majors 1, 2, 5, 6, 7, 8 and 9 exist" ;;
esac
# 7.7 brought jvm.options.d/, 7.11 the automatic heap.
at_least() { [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }; }

# Package mode (6.0+): which environment file bin/elasticsearch-env sources.
package=${MAKE_HOME_PACKAGE:-}
case $package in
  '') env_file= ;;
  deb) env_file=${MAKE_HOME_ENV_FILE:-/etc/default/elasticsearch} ;;
  rpm) env_file=${MAKE_HOME_ENV_FILE:-/etc/sysconfig/elasticsearch} ;;
  *) die "MAKE_HOME_PACKAGE must be deb or rpm, not '$package'" ;;
esac
if [ -n "$package" ] && [ "$major" -lt 6 ]; then
  die "MAKE_HOME_PACKAGE needs 6.0 or later: the scripts of $major.x do not source the environment file"
fi
case $env_file in
  ''|/*) ;;
  *) die "MAKE_HOME_ENV_FILE must be an absolute path, not '$env_file'" ;;
esac

# The keystore (7.7+ brought has-passwd and the passphrase): none, one
# without a passphrase, or one that needs SECRET on the launch script's
# stdin (keystore.sh, shared with the OpenSearch homes).
# shellcheck source=SCRIPTDIR/keystore.sh
. "$(dirname "${BASH_SOURCE[0]}")/keystore.sh"
keystore_mode
if [ "$keystore" != none ] && ! at_least 7 7; then
  die "MAKE_HOME_KEYSTORE needs 7.7 or later: $version has no password-protected keystore or has-passwd"
fi
ks_product=Elasticsearch ks_name=elasticsearch ks_home=ES_HOME ks_conf=ES_PATH_CONF
ks_bootstrap=org.elasticsearch.bootstrap ks_variable=ES_KEYSTORE_PASSPHRASE_FILE ks_generator=make_home.sh
ks_read=none
if at_least 8 3; then ks_read=stdin; elif at_least 7 7; then ks_read=unset-then-stdin; fi
# shellcheck disable=SC2016 # the tool's own lines
ks_tool_env='ES_HOME=$(cd "$(dirname "$0")/.." && pwd) || exit 1
. "$ES_HOME/bin/elasticsearch-env"'

if [ ! -f "$fake_es" ] || [ ! -x "$fake_es" ]; then
  die "FAKE_ES '$fake_es' is not an executable file"
fi
fake_es=$(realpath -- "$fake_es")

umask 022
mkdir -p -- "$dir"
dir=$(realpath -- "$dir")
chmod 755 "$dir"
mkdir -p "$dir/bin" "$dir/config" "$dir/lib" "$dir/logs" "$dir/data"
chmod 755 "$dir/bin" "$dir/config" "$dir/lib"
# Elasticsearch writes path.data and path.logs as its user, and eslaunch
# check says so when it cannot: any service user may write these two.
chmod 1777 "$dir/logs" "$dir/data"

# The jar whose name eslaunch reads the version from, and one it must not.
rm -f "$dir"/lib/elasticsearch-*.jar
: > "$dir/lib/elasticsearch-$version.jar"
[ "$major" -lt 7 ] || : > "$dir/lib/elasticsearch-x-content-$version.jar"

cat > "$dir/config/elasticsearch.yml" <<EOF
# Fake Elasticsearch $version (tests/fake-es/make_home.sh)
cluster.name: fake-es
http.port: 9200
EOF

# config/jvm.options as that version ships it (heap part abridged). From 7.11
# the heap lines are commented out: the automatic heap is the default.
write_jvm_options() {
  local out=$dir/config/jvm.options
  {
    echo "## JVM configuration (fake Elasticsearch $version)"
    echo
    echo "# Xms represents the initial size of total heap space"
    echo "# Xmx represents the maximum size of total heap space"
    if at_least 7 11; then
      echo "## The heap size is automatically configured by Elasticsearch based on"
      echo "## the available memory; to set it, add a file to jvm.options.d with:"
      echo "## -Xms4g"
      echo "## -Xmx4g"
    else
      echo "-Xms1g"
      echo "-Xmx1g"
    fi
    echo
    case $major in
      5) echo "-XX:+UseConcMarkSweepGC"
         echo "-XX:CMSInitiatingOccupancyFraction=75" ;;
      6) echo "-XX:+UseConcMarkSweepGC"
         echo "8:-XX:+PrintGCDetails"
         echo "9-:-Xlog:gc*,gc+age=trace,safepoint:file=logs/gc.log:utctime,pid,tags:filecount=32,filesize=64m" ;;
      7) echo "8-13:-XX:+UseConcMarkSweepGC"
         echo "14-:-XX:+UseG1GC" ;;
      *) echo "-XX:+UseG1GC" ;;
    esac
    echo "-XX:+HeapDumpOnOutOfMemoryError"
    if at_least 6 2; then
      echo
      echo "## JVM temporary directory"
      # shellcheck disable=SC2016 # the file's own placeholder
      echo '-Djava.io.tmpdir=${ES_TMPDIR}'
    fi
  } > "$out"
  chmod 644 "$out"
}

case $major in
  1|2) rm -f "$dir/config/jvm.options" ;;
  *)   write_jvm_options ;;
esac
if at_least 7 7; then
  mkdir -p "$dir/config/jvm.options.d"
  chmod 755 "$dir/config/jvm.options.d"
fi

# --- bin/elasticsearch: a header with the baked-in values, the part of the
# real script that builds the JVM options, and the exec of fake-es.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

header() {
  cat <<EOF
#!/bin/sh
# Fake Elasticsearch $version launch script, generated by tests/fake-es/make_home.sh.
# Builds the JVM options as the real bin/elasticsearch of $major.x does, then
# execs fake-es, which records what it got (FAKE_ES_RECORD) and can answer HTTP.
FAKE_ES=$(sh_quote "$fake_es")
FAKE_ES_VERSION=$(sh_quote "$version")
export FAKE_ES_VERSION
EOF
  cat <<'EOF'

if [ -z "${FAKE_ES_RECORD:-}" ]; then
  echo "fake Elasticsearch: FAKE_ES_RECORD is not set: where should fake-es record what it got?" >&2
  exit 2
fi

# ES_HOME from where this script is, following symlinks (as the real one does).
SCRIPT="$0"
while [ -h "$SCRIPT" ]; do
  ls=$(ls -ld "$SCRIPT")
  link=$(expr "$ls" : '.*-> \(.*\)$')
  if expr "$link" : '/.*' > /dev/null; then
    SCRIPT="$link"
  else
    SCRIPT=$(dirname "$SCRIPT")/"$link"
  fi
done
ES_HOME=$(cd "$(dirname "$SCRIPT")/.." && pwd) || exit 1
ES_CLASSPATH="$ES_HOME/lib/*"

# No globbing from here on: options like -Xlog:gc* are words, not patterns.
set -f
JVM_OPTIONS=
EOF
}

# Which java the version's script runs, as it chooses it (README.md, "Which
# java"); exported as FAKE_ES_JAVA, for the record. Nothing runs it.
java_selection() {
  case $major in
    1|2|5) cat <<'EOF'

# bin/elasticsearch of 2.x and 5.x: JAVA_HOME's java if executable, else PATH's.
if [ -x "$JAVA_HOME/bin/java" ]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA=$(which java 2>/dev/null)
fi
if [ ! -x "$JAVA" ]; then
  echo "Could not find any executable java binary. Please install java in your PATH or set JAVA_HOME"
  exit 1
fi
EOF
    ;;
    6) java_selection_6x ;;
    *) java_selection_bundled ;;
  esac
  cat <<'EOF'
export FAKE_ES_JAVA="$JAVA"
EOF
}

# elasticsearch-env of 6.x: as 2.x, with the error on stderr; 6.7 deprecated
# the fallback to PATH.
java_selection_6x() {
  cat <<'EOF'

# bin/elasticsearch-env of 6.x: JAVA_HOME's java if executable, else PATH's.
if [ -x "$JAVA_HOME/bin/java" ]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA=$(which java 2>/dev/null)
EOF
  if at_least 6 7; then
    echo '  echo "warning: Falling back to java on path. This behavior is deprecated. Specify JAVA_HOME" >&2'
  fi
  cat <<'EOF'
fi
if [ ! -x "$JAVA" ]; then
  echo "could not find java; set JAVA_HOME or ensure java is in PATH" >&2
  exit 1
fi
EOF
}

# elasticsearch-env of 7.x and later: the bundled JDK unless JAVA_HOME (up to
# 7.11) or ES_JAVA_HOME (from 7.12; 7.12-7.17 still read JAVA_HOME, 8.x not).
java_selection_bundled() {
  echo
  if at_least 7 12; then
    cat <<'EOF'
if [ -n "$ES_JAVA_HOME" ]; then
  JAVA="$ES_JAVA_HOME/bin/java"
  JAVA_TYPE="ES_JAVA_HOME"
EOF
    [ "$major" -ne 7 ] || cat <<'EOF'
elif [ -n "$JAVA_HOME" ]; then
  echo "warning: usage of JAVA_HOME is deprecated, use ES_JAVA_HOME" >&2
  JAVA="$JAVA_HOME/bin/java"
  JAVA_TYPE="JAVA_HOME"
EOF
    cat <<'EOF'
else
  JAVA="$ES_HOME/jdk/bin/java"
  JAVA_TYPE="bundled JDK"
fi
EOF
  else
    cat <<'EOF'
if [ -n "$JAVA_HOME" ]; then
  JAVA="$JAVA_HOME/bin/java"
  JAVA_TYPE="JAVA_HOME"
else
  JAVA="$ES_HOME/jdk/bin/java"
  JAVA_TYPE="bundled jdk"
fi
EOF
  fi
  cat <<'EOF'
if [ ! -x "$JAVA" ]; then
  echo "could not find java in $JAVA_TYPE at $JAVA" >&2
  exit 1
fi
EOF
  [ "$major" -lt 8 ] || cat <<'EOF'
if [ -n "$JAVA_HOME" ]; then
  echo "warning: ignoring JAVA_HOME=$JAVA_HOME; using $JAVA_TYPE" >&2
fi
EOF
}

# The Java major version for jvm.options' "N:", "N-:" and "N-M:" prefixes
# (6.x+): FAKE_ES_JAVA_MAJOR, else the JAVA_VERSION of the chosen java's
# JDK (its release file), else that version's usual Java.
java_major() {
  cat <<'EOF'
if [ -z "${FAKE_ES_JAVA_MAJOR:-}" ]; then
  release=$(dirname "$(dirname "$(readlink -f "$JAVA")")")/release
  FAKE_ES_JAVA_MAJOR=$(sed -n 's/^JAVA_VERSION="\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' "$release" 2>/dev/null)
fi
EOF
  echo "JAVA_MAJOR=\${FAKE_ES_JAVA_MAJOR:-$(case $major in 6) echo 8 ;; 7) echo 17 ;; *) echo 21 ;; esac)}"
}

# jvm.options of 6.x and later: comments, blank lines, "-opt", and "N:-opt",
# "N-:-opt", "N-M:-opt" for Java versions; anything else stops the launch.
parse_jvm_options_fn() {
  cat <<'EOF'

parse_jvm_options() {
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    case $line in
      '#'*) continue ;;
      -*) case $line in
            *'${ES_TMPDIR}'*) line="${line%%'${ES_TMPDIR}'*}$ES_TMPDIR${line#*'${ES_TMPDIR}'}" ;;
          esac
          JVM_OPTIONS="$JVM_OPTIONS $line"; continue ;;
    esac
    if [ -z "$(printf '%s' "$line" | tr -d ' \t\r')" ]; then
      continue
    fi
    range=${line%%:*}
    option=${line#*:}
    low=${range%%-*}
    case $range in
      *-*) high=${range#*-} ;;
      *) high=$low ;;
    esac
    valid=yes
    case $low in ''|*[!0-9]*) valid=no ;; esac
    case $high in *[!0-9]*) valid=no ;; esac
    case $option in -*) ;; *) valid=no ;; esac
    [ "$line" != "$range" ] || valid=no
    if [ "$valid" = no ]; then
      echo "encountered [1] error parsing [$1]" >&2
      echo "[$n]: encountered improperly formatted JVM option in [$1] on line number [$n]: [$line]" >&2
      exit 1
    fi
    if [ "$JAVA_MAJOR" -ge "$low" ] && { [ -z "$high" ] || [ "$JAVA_MAJOR" -le "$high" ]; }; then
      JVM_OPTIONS="$JVM_OPTIONS $option"
    fi
  done < "$1"
}
EOF
}

# ES_PATH_CONF (6.x+): bin/elasticsearch-env finds the config directory.
path_conf() {
  cat <<'EOF'

# bin/elasticsearch-env: the config directory (a package's also sources its
# environment file over the inherited environment).
. "$ES_HOME/bin/elasticsearch-env"
EOF
}

# bin/elasticsearch-env of 6.x+, its part about the config directory: the
# build's @source.path.env@ line (an archive's default, or a package's
# `source FILE`), then the check only a package can fail.
env_script() {
  cat <<EOF
#!/bin/sh
# Fake bin/elasticsearch-env of Elasticsearch $version (${package:-archive}), generated by
# tests/fake-es/make_home.sh; bin/elasticsearch sources it.

EOF
  if [ -n "$package" ]; then
    echo ". $(sh_quote "$env_file")"
  else
    # shellcheck disable=SC2016 # the script's own line, expanded when it runs
    echo 'if [ -z "$ES_PATH_CONF" ]; then ES_PATH_CONF="$ES_HOME"/config; fi'
  fi
  cat <<'EOF'

if [ -z "$ES_PATH_CONF" ]; then
  echo "ES_PATH_CONF must be set to the configuration path"
  exit 1
fi

# now make ES_PATH_CONF absolute
ES_PATH_CONF=$(cd "$ES_PATH_CONF" && pwd) || exit 1
EOF
}

body_2x() {
  cat <<'EOF'

# bin/elasticsearch.in.sh of 2.x: JAVA_OPTS from the environment first; then
# ES_HEAP_SIZE sets -Xms and -Xmx, else ES_MIN_MEM (256m) / ES_MAX_MEM (1g);
# ES_HEAP_NEWSIZE, ES_DIRECT_SIZE; ES_GC_OPTS instead of the GC options.
if [ -z "$ES_MIN_MEM" ]; then
  ES_MIN_MEM=256m
fi
if [ -z "$ES_MAX_MEM" ]; then
  ES_MAX_MEM=1g
fi
if [ -n "$ES_HEAP_SIZE" ]; then
  ES_MIN_MEM=$ES_HEAP_SIZE
  ES_MAX_MEM=$ES_HEAP_SIZE
fi
JVM_OPTIONS="$JAVA_OPTS -Xms${ES_MIN_MEM}"
JVM_OPTIONS="$JVM_OPTIONS -Xmx${ES_MAX_MEM}"
if [ -n "$ES_HEAP_NEWSIZE" ]; then
  JVM_OPTIONS="$JVM_OPTIONS -Xmn${ES_HEAP_NEWSIZE}"
fi
if [ -n "$ES_DIRECT_SIZE" ]; then
  JVM_OPTIONS="$JVM_OPTIONS -XX:MaxDirectMemorySize=${ES_DIRECT_SIZE}"
fi
JVM_OPTIONS="$JVM_OPTIONS -Djava.awt.headless=true"
if [ -z "$ES_GC_OPTS" ]; then
  ES_GC_OPTS="-XX:+UseParNewGC -XX:+UseConcMarkSweepGC -XX:CMSInitiatingOccupancyFraction=75 -XX:+UseCMSInitiatingOccupancyOnly"
fi
JVM_OPTIONS="$JVM_OPTIONS $ES_GC_OPTS -XX:+HeapDumpOnOutOfMemoryError -XX:+DisableExplicitGC"
JVM_OPTIONS="$JVM_OPTIONS -Dfile.encoding=UTF-8 -Djna.nosys=true"
EOF
  java_selection
  cat <<'EOF'

# bin/elasticsearch of 2.x: the JVM must not read JAVA_TOOL_OPTIONS.
if [ -n "$JAVA_TOOL_OPTIONS" ]; then
  echo "Warning: Ignoring JAVA_TOOL_OPTIONS=$JAVA_TOOL_OPTIONS"
  echo "Please pass JVM parameters via JAVA_OPTS instead"
  unset JAVA_TOOL_OPTIONS
fi

# shellcheck disable=SC2086 # word splitting of the options is the point
exec "$FAKE_ES" --record "$FAKE_ES_RECORD" $FAKE_ES_FLAGS -- \
  $JVM_OPTIONS $ES_JAVA_OPTS -Des.path.home="$ES_HOME" -cp "$ES_CLASSPATH" \
  org.elasticsearch.bootstrap.Elasticsearch start "$@"
EOF
}

body_5x() {
  cat <<'EOF'

# 5.x refuses the heap variables of 2.x.
unsupported_environment_variable() {
  if test -n "$1"; then
    echo "$2=$1: $3" >&2
  fi
}
if test -n "$ES_MIN_MEM" || test -n "$ES_MAX_MEM" || test -n "$ES_HEAP_SIZE" ||
   test -n "$ES_HEAP_NEWSIZE" || test -n "$ES_DIRECT_SIZE" || test -n "$ES_USE_IPV4" ||
   test -n "$ES_GC_OPTS" || test -n "$ES_GC_LOG_FILE"; then
  echo "Error: encountered environment variables that are no longer supported" >&2
  echo "Use jvm.options or ES_JAVA_OPTS to configure the JVM" >&2
  unsupported_environment_variable "$ES_MIN_MEM" ES_MIN_MEM "set -Xms$ES_MIN_MEM in jvm.options or add \"-Xms$ES_MIN_MEM\" to ES_JAVA_OPTS"
  unsupported_environment_variable "$ES_MAX_MEM" ES_MAX_MEM "set -Xmx$ES_MAX_MEM in jvm.options or add \"-Xmx$ES_MAX_MEM\" to ES_JAVA_OPTS"
  unsupported_environment_variable "$ES_HEAP_SIZE" ES_HEAP_SIZE "set -Xms$ES_HEAP_SIZE and -Xmx$ES_HEAP_SIZE in jvm.options or add \"-Xms$ES_HEAP_SIZE -Xmx$ES_HEAP_SIZE\" to ES_JAVA_OPTS"
  unsupported_environment_variable "$ES_HEAP_NEWSIZE" ES_HEAP_NEWSIZE "set -Xmn$ES_HEAP_NEWSIZE in jvm.options or add \"-Xmn$ES_HEAP_SIZE\" to ES_JAVA_OPTS"
  unsupported_environment_variable "$ES_DIRECT_SIZE" ES_DIRECT_SIZE "set -XX:MaxDirectMemorySize=$ES_DIRECT_SIZE in jvm.options or add \"-XX:MaxDirectMemorySize=$ES_DIRECT_SIZE\" to ES_JAVA_OPTS"
  unsupported_environment_variable "$ES_USE_IPV4" ES_USE_IPV4 "set -Djava.net.preferIPv4Stack=true in jvm.options or add \"-Djava.net.preferIPv4Stack=true\" to ES_JAVA_OPTS"
  unsupported_environment_variable "$ES_GC_OPTS" ES_GC_OPTS "set $(echo "$ES_GC_OPTS" | tr ' ' '\n') in jvm.options or add \"$ES_GC_OPTS\" to ES_JAVA_OPTS"
  unsupported_environment_variable "$ES_GC_LOG_FILE" ES_GC_LOG_FILE "set -Xloggc:$ES_GC_LOG_FILE in jvm.options or add \"-Xloggc:$ES_GC_LOG_FILE\" to ES_JAVA_OPTS"
  exit 1
fi
EOF
  java_selection
  cat <<'EOF'

# The JVM must not read JAVA_TOOL_OPTIONS; JAVA_OPTS is not looked at.
if [ -n "$JAVA_TOOL_OPTIONS" ]; then
  echo "Warning: Ignoring JAVA_TOOL_OPTIONS=$JAVA_TOOL_OPTIONS"
  echo "Please pass JVM parameters via ES_JAVA_OPTS instead"
  unset JAVA_TOOL_OPTIONS
fi

# 5.x knows no ES_PATH_CONF: jvm.options is ES_JVM_OPTIONS, else the first
# readable of $ES_HOME/config/jvm.options and /etc/elasticsearch/jvm.options;
# its lines that start with '-', then ES_JAVA_OPTS.
if [ -z "$ES_JVM_OPTIONS" ]; then
  for jvm_options in "$ES_HOME"/config/jvm.options /etc/elasticsearch/jvm.options; do
    if [ -r "$jvm_options" ]; then
      ES_JVM_OPTIONS=$jvm_options
      break
    fi
  done
fi
if [ -f "$ES_JVM_OPTIONS" ]; then
  JVM_OPTIONS=$(grep "^-" "$ES_JVM_OPTIONS" | tr '\n' ' ')
fi

# shellcheck disable=SC2086 # word splitting of the options is the point
exec "$FAKE_ES" --record "$FAKE_ES_RECORD" $FAKE_ES_FLAGS -- \
  $JVM_OPTIONS $ES_JAVA_OPTS -Des.path.home="$ES_HOME" -cp "$ES_CLASSPATH" \
  org.elasticsearch.bootstrap.Elasticsearch "$@"
EOF
}

# ES_TMPDIR (6.2+), as elasticsearch-env (6.x, 7.x), bin/elasticsearch
# (8.0-8.2) and the server CLI (8.3+) set it; jvm.options passes it as
# -Djava.io.tmpdir. 8.x also gives libffi the same directory.
es_tmpdir() {
  at_least 6 2 || return 0
  if at_least 8 3; then
    cat <<'EOF'

# 8.3+ (ServerProcess): a given ES_TMPDIR must be a directory, else exit 78.
if [ -n "$ES_TMPDIR" ]; then
  if [ ! -e "$ES_TMPDIR" ]; then
    echo "Temporary directory [$ES_TMPDIR] does not exist or is not accessible" >&2
    exit 78
  elif [ ! -d "$ES_TMPDIR" ]; then
    echo "Temporary directory [$ES_TMPDIR] is not a directory" >&2
    exit 78
  fi
fi
EOF
  fi
  if [ "$major" -eq 6 ]; then
    cat <<'EOF'

if [ -z "$ES_TMPDIR" ]; then
  ES_TMPDIR=$(mktemp -d --tmpdir "elasticsearch.XXXXXXXX")
fi
EOF
  else
    cat <<'EOF'

# Launchers' TempDirectory (Java's createTempDirectory: java.io.tmpdir, /tmp).
if [ -z "$ES_TMPDIR" ]; then
  ES_TMPDIR=$(mktemp -d "/tmp/elasticsearch-XXXXXXXXXXXXXXXXXXX")
fi
EOF
  fi
  [ "$major" -lt 8 ] || cat <<'EOF'
if [ -z "$LIBFFI_TMPDIR" ]; then
  LIBFFI_TMPDIR="$ES_TMPDIR"
  export LIBFFI_TMPDIR
fi
EOF
}

# 6.x and later: $ES_PATH_CONF/jvm.options, [7.7+: jvm.options.d/*.options in
# order], then ES_JAVA_OPTS. ES_HEAP_SIZE is not looked at.
body_6x_and_later() {
  java_major
  cat <<'EOF'

# bin/elasticsearch-env: the JVM must not read JAVA_TOOL_OPTIONS, and
# JAVA_OPTS is named and ignored.
if [ -n "$JAVA_TOOL_OPTIONS" ]; then
  echo "warning: ignoring JAVA_TOOL_OPTIONS=$JAVA_TOOL_OPTIONS"
  unset JAVA_TOOL_OPTIONS
fi
if [ -n "$JAVA_OPTS" ]; then
  echo "warning: ignoring JAVA_OPTS=$JAVA_OPTS; pass JVM parameters via ES_JAVA_OPTS"
fi

EOF
  es_tmpdir
  cat <<'EOF'
parse_jvm_options "$ES_PATH_CONF/jvm.options"
EOF
  if at_least 7 7; then
    cat <<'EOF'
# In byte order, as ES sorts them (dash's globbing sorts with strcmp).
set +f
for options_file in "$ES_PATH_CONF"/jvm.options.d/*.options; do
  [ -f "$options_file" ] && parse_jvm_options "$options_file"
done
set -f
EOF
  fi
  cat <<'EOF'
JVM_OPTIONS="$JVM_OPTIONS $ES_JAVA_OPTS"
EOF
  if at_least 7 11; then
    cat <<'EOF'

# 7.11+: without a heap flag anywhere, half the machine's memory, at most 31g.
heap_given=no
for option in $JVM_OPTIONS; do
  case $option in
    -Xms*|-Xmx*|-XX:InitialHeapSize=*|-XX:MaxHeapSize=*|-XX:MinHeapSize=*) heap_given=yes ;;
  esac
done
if [ "$heap_given" = no ]; then
  mem_kb=0
  while read -r key value _; do
    [ "$key" != MemTotal: ] || mem_kb=$value
  done < /proc/meminfo
  heap_mb=$((mem_kb / 2 / 1024))
  [ "$heap_mb" -le 31744 ] || heap_mb=31744
  JVM_OPTIONS="$JVM_OPTIONS -Xms${heap_mb}m -Xmx${heap_mb}m"
fi
EOF
  fi
  if at_least 8 2; then readiness_port; fi
  if at_least 8 3; then
    server_cli
    return
  fi
  cat <<'EOF'

# shellcheck disable=SC2086 # word splitting of the options is the point
exec "$FAKE_ES" --record "$FAKE_ES_RECORD" $FAKE_ES_FLAGS -- \
  $JVM_OPTIONS -Des.path.home="$ES_HOME" -Des.path.conf="$ES_PATH_CONF" -cp "$ES_CLASSPATH" \
  org.elasticsearch.bootstrap.Elasticsearch "$@"
EOF
}

# 8.2+: the readiness service listens on readiness.port (elasticsearch.yml,
# or -Ereadiness.port= among the arguments) once the node has joined.
readiness_port() {
  cat <<'EOF'

READINESS_PORT=$(sed -n 's/^readiness\.port: *\([0-9][0-9]*\) *$/\1/p' "$ES_PATH_CONF/elasticsearch.yml" 2>/dev/null)
for arg in "$@"; do
  case $arg in -Ereadiness.port=*) READINESS_PORT=${arg#-Ereadiness.port=} ;; esac
done
[ -z "$READINESS_PORT" ] || FAKE_ES_FLAGS="$FAKE_ES_FLAGS --readiness-port=$READINESS_PORT"
[ -z "${FAKE_ES_JOINED_FILE:-}" ] || FAKE_ES_FLAGS="$FAKE_ES_FLAGS --joined-file=$FAKE_ES_JOINED_FILE"
EOF
}

# 8.3+: bin/elasticsearch runs the server CLI (a small JVM of its own), which
# computes the server's options (above) and starts the server JVM as its child.
server_cli() {
  cat <<EOF

# bin/elasticsearch-cli of 8.3+: the CLI's own small heap; it hands the
# server the options computed above (fake-es --cli, README.md).
ES_DISTRIBUTION_TYPE=${package:-tar}
EOF
  cat <<'EOF'
CLI_JAVA_OPTS="-Xms4m -Xmx64m -XX:+UseSerialGC ${CLI_JAVA_OPTS:-}"
# shellcheck disable=SC2086 # word splitting of the options is the point
exec "$FAKE_ES" --cli --record "$FAKE_ES_RECORD" $FAKE_ES_FLAGS \
  --server-options="$JVM_OPTIONS -Des.path.home=$ES_HOME -Des.path.conf=$ES_PATH_CONF -Des.distribution.type=$ES_DISTRIBUTION_TYPE" -- \
  $CLI_JAVA_OPTS -Dcli.name=server -Dcli.script="$0" -Dcli.libs=lib/tools/server-cli \
  -Des.path.home="$ES_HOME" -Des.path.conf="$ES_PATH_CONF" -Des.distribution.type="$ES_DISTRIBUTION_TYPE" \
  -cp "$ES_HOME/lib/cli-launcher/*" org.elasticsearch.launcher.CliToolLauncher "$@"
EOF
}

# How fake-es runs, from the FAKE_ES_* variables.
fake_es_flags() {
  cat <<'EOF'

FAKE_ES_FLAGS=
[ -z "${FAKE_ES_HTTP_PORT:-}" ] || FAKE_ES_FLAGS="$FAKE_ES_FLAGS --http-port=$FAKE_ES_HTTP_PORT"
[ -z "${FAKE_ES_HTTP_HOST:-}" ] || FAKE_ES_FLAGS="$FAKE_ES_FLAGS --http-host=$FAKE_ES_HTTP_HOST"
[ -z "${FAKE_ES_DELAY_MS:-}" ] || FAKE_ES_FLAGS="$FAKE_ES_FLAGS --delay-ms=$FAKE_ES_DELAY_MS"
[ -z "${FAKE_ES_STOP_DELAY_MS:-}" ] || FAKE_ES_FLAGS="$FAKE_ES_FLAGS --stop-delay-ms=$FAKE_ES_STOP_DELAY_MS"
[ "${FAKE_ES_EXIT:-}" != 1 ] || FAKE_ES_FLAGS="$FAKE_ES_FLAGS --exit-after-record"
[ "${FAKE_ES_HANG:-}" != 1 ] || FAKE_ES_FLAGS="$FAKE_ES_FLAGS --hang-after-ready"
EOF
}

script=$dir/bin/elasticsearch
{
  header
  fake_es_flags
  # 6.x+: java is chosen before bin/elasticsearch-env sources a package's
  # environment file, so a JAVA_HOME there changes nothing, as in Elastic's.
  case $major in
    1|2) body_2x ;;
    5)   body_5x ;;
    *)   parse_jvm_options_fn; java_selection; path_conf; keystore_passphrase; body_6x_and_later ;;
  esac
} > "$script.tmp"
chmod 755 "$script.tmp"
mv -f "$script.tmp" "$script"

rm -f "$dir/bin/elasticsearch-env"
if [ "$major" -ge 6 ]; then
  env_script > "$dir/bin/elasticsearch-env.tmp"
  chmod 644 "$dir/bin/elasticsearch-env.tmp"
  mv -f "$dir/bin/elasticsearch-env.tmp" "$dir/bin/elasticsearch-env"
fi

write_keystore

# The packages' systemd entry point (7.x+) runs bin/elasticsearch, feeding it
# the keystore passphrase if there is one.
rm -f "$dir/bin/systemd-entrypoint"
if [ "$major" -ge 7 ]; then write_entrypoint; fi

# The bundled JDK of 7.x and later, as far as `eslaunch check` looks: it runs
# `java -version` as the service user (fake-es needs no java).
rm -rf "$dir/jdk"
if [ "$major" -ge 7 ]; then
  mkdir -p "$dir/jdk/bin"
  chmod 755 "$dir/jdk" "$dir/jdk/bin"
  jdk=$(case $major in 7) echo 17.0.2 ;; *) echo 21.0.2 ;; esac)
  printf '#!/bin/sh
# A stand-in for the bundled JDK'"'"'s java (tests/fake-es/make_home.sh).
echo '"'"'openjdk version "%s" 2024-01-16'"'"' >&2
' "$jdk" > "$dir/jdk/bin/java"
  chmod 755 "$dir/jdk/bin/java"
  # As a JDK's: eslaunch and the script read the Java version from it.
  printf 'JAVA_VERSION="%s"\n' "$jdk" > "$dir/jdk/release"
  chmod 644 "$dir/jdk/release"
fi

# A service user needs to reach DIR: warn about a parent it cannot enter
# (mktemp -d makes 0700 directories).
parent=$dir
while [ "$parent" != / ]; do
  parent=$(dirname "$parent")
  if [ "$(( 0$(stat -c %a "$parent") & 01 ))" -eq 0 ]; then
    echo "make_home.sh: warning: $parent is not searchable by others (mode $(stat -c %a "$parent")); a service user cannot reach $dir" >&2
  fi
done
