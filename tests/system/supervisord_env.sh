#!/bin/bash
# supervisord_env.sh ESLAUNCH -- eslaunch.ini(5)'s one rule, against the real
# supervisord: for every spec file in supervisord-env/, the environment (and
# argv) that `eslaunch check --json` says the program gets must be exactly what
# supervisord gives the program, minus the four SUPERVISOR_* variables that
# supervisord adds to every child.
#
# Needs root and the Debian `supervisor` package; otherwise prints SKIP and
# exits 77 (meson: skipped). Takes a few seconds.
set -u

ESLAUNCH=${1:-}
case ${BASH_SOURCE[0]} in */*) SELF_DIR=${BASH_SOURCE[0]%/*} ;; *) SELF_DIR=. ;; esac
SELF_DIR=$(cd "$SELF_DIR" && pwd)
SPEC_SRC=$SELF_DIR/supervisord-env

skip() { echo "SKIP: supervisord-env: $*"; exit 77; }
die()  { echo "ERROR: supervisord-env: $*" >&2; exit 99; }

[ -n "$ESLAUNCH" ] || die "usage: supervisord_env.sh /path/to/eslaunch"
[ -x "$ESLAUNCH" ] || die "not executable: $ESLAUNCH"
case $ESLAUNCH in /*) ;; *) ESLAUNCH=$PWD/$ESLAUNCH ;; esac
[ "$EUID" -eq 0 ] || skip "needs root (supervisord runs the programs as root; eslaunch checks root-owned spec paths)"
for p in supervisord supervisorctl python3; do
  command -v "$p" >/dev/null 2>&1 || skip "'$p' not found (apt-get install supervisor python3)"
done
shopt -s nullglob
SPECS=("$SPEC_SRC"/*.ini)
[ ${#SPECS[@]} -gt 0 ] || die "no spec files in $SPEC_SRC"

T=
SP=
cleanup() {
  if [ -n "$SP" ] && kill -0 "$SP" 2>/dev/null; then
    kill -TERM "$SP" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SP" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SP" 2>/dev/null && kill -KILL "$SP" 2>/dev/null
    wait "$SP" 2>/dev/null
  fi
  SP=
  [ -n "$T" ] && [ -d "$T" ] && rm -rf -- "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# /tmp explicitly: eslaunch (as root) wants the spec and every directory above
# it root-owned and not group/other-writable (sticky /tmp is fine).
T=$(mktemp -d /tmp/eslaunch-supervisord-env.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
mkdir -m 755 "$T/specs" "$T/logs" "$T/check"
mkdir -m 1777 "$T/out"   # a spec with user= can record too

# The program every spec starts: records its environment and argv, NUL-separated.
# /proc/$$/environ is exactly the block execve() passed, untouched by the shell.
cat > "$T/specs/recorder.sh" <<'EOF'
#!/bin/sh
out=$1
/bin/cat /proc/$$/environ > "$out.tmp" || exit 1
printf '%s\0' "$0" "$@" > "$out.argv" || exit 1
/bin/mv -f "$out.tmp" "$out"
exit 0
EOF
chmod 755 "$T/specs/recorder.sh"

for f in "${SPECS[@]}"; do install -m 644 "$f" "$T/specs/"; done

# The controlled environment of both supervisord and eslaunch. LANG must be a
# UTF-8 locale: under LANG=C or no LANG, Python (PEP 538) adds LC_CTYPE=C.UTF-8
# to supervisord's environment and so to every child.
ENVV=(
  HOME=/root
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  LANG=C.UTF-8
  RECORD_DIR="$T/out"
  RECORDER="$T/specs/recorder.sh"
  SPACEY="hello big world"
  COMMA_VAL="red,green,blue"
  PLAIN=plain-value_1
  PCT_VAL="100%"
)

cat > "$T/supervisord.conf" <<EOF
[unix_http_server]
file=$T/supervisor.sock
chmod=0700

[supervisord]
nodaemon=true
user=root
logfile=$T/supervisord.log
pidfile=$T/supervisord.pid
childlogdir=$T/logs
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$T/supervisor.sock

[include]
files = $T/specs/*.ini
EOF

# Program names, one per spec file ("[program:NAME]").
declare -A NAME_OF
for f in "${SPECS[@]}"; do
  b=$(basename "$f")
  # (supervisord strips blanks around NAME)
  n=$(sed -n 's/^\[program:[[:space:]]*\([^]]*[^][:space:]]\)[[:space:]]*\].*/\1/p' "$T/specs/$b" | head -n1)
  [ -n "$n" ] || die "$b: no [program:NAME] section"
  NAME_OF[$b]=$n
done

# 1. eslaunch's view, under the same environment supervisord gets.
declare -A CHECK_RC
for f in "${SPECS[@]}"; do
  b=$(basename "$f")
  env -i "${ENVV[@]}" "$ESLAUNCH" check --json "$T/specs/$b" \
    >"$T/check/$b.json" 2>"$T/check/$b.stderr"
  CHECK_RC[$b]=$?
done

# 2. supervisord's view: what the programs actually receive.
env -i "${ENVV[@]}" supervisord -c "$T/supervisord.conf" >"$T/supervisord.out" 2>&1 &
SP=$!
deadline=$((SECONDS + 20))
while :; do
  missing=0
  for b in "${!NAME_OF[@]}"; do
    [ -e "$T/out/${NAME_OF[$b]}.env" ] || missing=$((missing + 1))
  done
  [ $missing -eq 0 ] && break
  if ! kill -0 "$SP" 2>/dev/null; then
    echo "supervisord exited early; its output:"; cat "$T/supervisord.out"
    [ -f "$T/supervisord.log" ] && { echo "--- supervisord.log"; cat "$T/supervisord.log"; }
    SP=
    break
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "timeout: $missing program(s) recorded no environment within 20 s"
    break
  fi
  # Every second: stop waiting once no program can still record (all done or failed).
  tick=$((${tick:-0} + 1))
  if [ $((tick % 10)) -eq 0 ] && [ -S "$T/supervisor.sock" ]; then
    st=$(supervisorctl -c "$T/supervisord.conf" status 2>&1)
    if [ -n "$st" ] && ! grep -qE ' (STARTING|RUNNING|BACKOFF|STOPPING) ' <<<"$st" \
       && ! grep -qiE 'refused|no such file|error' <<<"$st"; then
      sleep 0.2   # the last file may just be renamed
      missing=0
      for b in "${!NAME_OF[@]}"; do
        [ -e "$T/out/${NAME_OF[$b]}.env" ] || missing=$((missing + 1))
      done
      [ $missing -eq 0 ] || echo "$missing program(s) ended without recording an environment"
      break
    fi
  fi
  sleep 0.1
done
if [ "$missing" -ne 0 ] && [ -n "$SP" ]; then
  echo "--- supervisorctl status"
  supervisorctl -c "$T/supervisord.conf" status 2>&1 | sed 's/^/  /'
  echo "--- supervisord.log"; sed 's/^/  /' "$T/supervisord.log" 2>/dev/null
  for l in "$T"/logs/*; do
    [ -s "$l" ] && { echo "--- $(basename "$l")"; sed 's/^/  /' "$l"; }
  done
fi
if [ -n "$SP" ]; then
  kill -TERM "$SP" 2>/dev/null
  wait "$SP"
  rc=$?
  SP=
  [ $rc -eq 0 ] || echo "note: supervisord exited with status $rc"
fi

# 3. Compare.
cat > "$T/compare.py" <<'EOF'
import json, sys

# What supervisord adds to every child -- exactly these, nothing more.
SUPERVISOR_ADDED = {"SUPERVISOR_ENABLED", "SUPERVISOR_PROCESS_NAME",
                    "SUPERVISOR_GROUP_NAME", "SUPERVISOR_SERVER_URL"}

spec, check_json, env_file, argv_file = sys.argv[1:5]

def nul_list(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.endswith(b"\0"):
        data = data[:-1]
    return [x.decode("utf-8", "surrogateescape") for x in data.split(b"\0")] if data else []

with open(check_json, "rb") as f:
    j = json.load(f)
want_env = j.get("environment")
want_argv = j.get("argv")
problems = []
if not isinstance(want_env, dict):
    problems.append("eslaunch check --json has no .environment object")
    want_env = {}

got_env = {}
for item in nul_list(env_file):
    k, sep, v = item.partition("=")
    if not sep:
        problems.append("recorded environment entry without '=': %r" % item)
        continue
    if k in got_env:
        problems.append("recorded environment has %s twice" % k)
    got_env[k] = v
for k in SUPERVISOR_ADDED:
    got_env.pop(k, None)

# With user=, eslaunch sets HOME, USER, LOGNAME and SHELL from the passwd entry
# where supervisord keeps its own HOME (the documented difference): those four
# must be the passwd entry's, and must be named in .differences.
if j.get("user") is not None:
    import pwd
    entry = pwd.getpwnam(j["user"])
    passwd_env = {"HOME": entry.pw_dir, "USER": entry.pw_name, "LOGNAME": entry.pw_name, "SHELL": entry.pw_shell}
    for k, v in passwd_env.items():
        if want_env.get(k) != v:
            problems.append("  with user=, eslaunch gives %s=%r, not the passwd entry's %r" % (k, want_env.get(k), v))
        want_env.pop(k, None)
        got_env.pop(k, None)
    if not any("HOME, USER, LOGNAME and SHELL" in d["message"] for d in j.get("differences", [])):
        problems.append("  .differences does not name the HOME/USER/LOGNAME/SHELL difference")

for k in sorted(set(want_env) | set(got_env)):
    if k not in got_env:
        problems.append("  only eslaunch:    %s=%r" % (k, want_env[k]))
    elif k not in want_env:
        problems.append("  only supervisord: %s=%r" % (k, got_env[k]))
    elif want_env[k] != got_env[k]:
        problems.append("  differs %s:\n      eslaunch    %r\n      supervisord %r"
                        % (k, want_env[k], got_env[k]))

# The argv too: the recorder saw its output path, so the command got through.
got_argv = nul_list(argv_file)
if want_argv != got_argv:
    problems.append("  argv differs:\n      eslaunch    %r\n      supervisord %r"
                    % (want_argv, got_argv))

if problems:
    print("FAIL %s: eslaunch and supervisord disagree:" % spec)
    for p in problems:
        print(p)
    sys.exit(1)
print("ok   %s (%d variables, %d args)" % (spec, len(want_env), len(got_argv)))
EOF

pass=0
fail=0
compare() {  # compare SPEC_NAME CHECK_JSON PROGRAM_NAME: counts a pass or a fail
  if python3 "$T/compare.py" "$1" "$2" "$T/out/$3.env" "$T/out/$3.env.argv"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
  fi
}
for f in "${SPECS[@]}"; do
  b=$(basename "$f")
  n=${NAME_OF[$b]}
  if [ "${CHECK_RC[$b]}" -ne 0 ]; then
    echo "FAIL $b: 'eslaunch check --json' exited ${CHECK_RC[$b]}:"
    sed 's/^/  /' "$T/check/$b.stderr"
    fail=$((fail + 1)); continue
  fi
  if [ ! -e "$T/out/$n.env" ]; then
    echo "FAIL $b: supervisord's [program:$n] recorded no environment ($T/out/$n.env missing)"
    fail=$((fail + 1)); continue
  fi
  compare "$b" "$T/check/$b.json" "$n"
done

# 4. Whole supervisord.conf files as specs (supervisord-main/): [supervisord]
# environment= and the rest of the file as supervisord itself reads it.
for f in "$SELF_DIR"/supervisord-main/*.conf; do
  b=$(basename "$f")
  d="$T/main-${b%.conf}"
  mkdir -m 755 "$d"
  install -m 644 "$f" "$d/$b"
  n=$(sed -n 's/^\[program:\([^]]*\)\].*/\1/p' "$d/$b" | head -n1)
  if ! env -i "${ENVV[@]}" "$ESLAUNCH" check --json "$d/$b" >"$d/check.json" 2>"$d/check.stderr"; then
    echo "FAIL $b: 'eslaunch check --json' failed:"; sed 's/^/  /' "$d/check.stderr"
    fail=$((fail + 1)); continue
  fi
  env -i "${ENVV[@]}" supervisord -c "$d/$b" >"$d/supervisord.out" 2>&1 &
  SP=$!
  for _ in $(seq 200); do
    [ -e "$T/out/$n.env" ] && break
    kill -0 "$SP" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$SP" 2>/dev/null
  wait "$SP" 2>/dev/null
  SP=
  if [ ! -e "$T/out/$n.env" ]; then
    echo "FAIL $b: supervisord's [program:$n] recorded no environment"; sed 's/^/  /' "$d/supervisord.out"
    fail=$((fail + 1)); continue
  fi
  compare "$b" "$d/check.json" "$n"
done

echo "supervisord-env: $pass passed, $fail failed"
[ $fail -eq 0 ]
