#!/bin/bash
# verify_units.sh UNIT.service... [PAGE.1 PAGE.5]: systemd-analyze verify on
# the project's units (configured with ExecStart= in the build, so the program
# exists), failing on any line it prints about them, on any line about no
# unit and on a non-zero exit. systemd-analyze also loads the host's units
# that ours name (multi-user.target, network-online.target, ...) and may
# warn about those: such lines are shown, not counted. The man pages given
# make the units' Documentation=man:eslaunch(1) man:eslaunch.ini(5)
# checkable: systemd-analyze runs man(1) for each, on a MANPATH of only them.
set -u
die() { echo "ERROR: units-verify: $*" >&2; exit 99; }
command -v systemd-analyze >/dev/null || die "systemd-analyze not found (apt-get install systemd)"

units=() pages=()
for a in "$@"; do
    case $a in
        *.service) units+=("$a") ;;
        *.[1-8]) pages+=("$a") ;;
        *) die "unexpected argument $a" ;;
    esac
done
[ ${#units[@]} -gt 0 ] || die "no units given"

T=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$T"' EXIT

man_check=--man=no
if [ ${#pages[@]} -gt 0 ]; then
    command -v man >/dev/null || die "man not found (apt-get install man-db)"
    for p in "${pages[@]}"; do
        mkdir -p "$T/man/man${p##*.}"
        ln -s "$(realpath "$p")" "$T/man/man${p##*.}/${p##*/}"
    done
    export MANPATH=$T/man
    man_check=--man=yes
fi

# A template is verified through an instance of it, as systemd loads it.
args=()
for u in "${units[@]}"; do
    name=${u##*/}
    if [[ $name == *@.service ]]; then
        ln -s "$(realpath "$u")" "$T/${name%@.service}@verify.service"
        args+=("$T/${name%@.service}@verify.service")
    else
        args+=("$u")
    fi
done

rc=0
out=$(LC_ALL=C systemd-analyze verify "$man_check" "${args[@]}" 2>&1) || rc=$?

# Each line it prints is about one of our units (a fail), about another
# unit ("/usr/lib/systemd/system/foo.service:12: ..." or "foo.target: ...":
# the host's units it loads as ours name them), or about none, e.g.
# "Failed to initialize manager: ...": the check did not run (a fail).
ours_re=
for a in "${args[@]}"; do
    n=${a##*/}
    ours_re+="${ours_re:+|}(^|[/ '\"])${n//./\\.}([:./ '\"]|$)"
done
unit_re='^(/[^ :]*/)?[^/ :]+\.(service|socket|target|device|mount|automount|swap|timer|path|slice|scope)(:[0-9]+)?: '
ours=$(grep -E "$ours_re" <<<"$out")
unknown=$(grep -vE "$ours_re" <<<"$out" | grep -vE "$unit_re" | grep -v '^$')
others=$(grep -vE "$ours_re" <<<"$out" | grep -E "$unit_re")
verdict=
[ -n "$ours" ] && { echo "systemd-analyze verify $man_check printed, about our units:"; echo "$ours"; verdict=fail; }
[ -n "$unknown" ] && { echo "systemd-analyze verify $man_check printed, about no unit (it may not have run):"; echo "$unknown"; verdict=fail; }
# Without --recursive-errors, warnings about any unit leave the exit status
# 0: only a unit given that fails to load or verify (a missing ExecStart=
# program, man page, Requires= unit), or no run at all, makes it non-zero.
if [ "$rc" != 0 ]; then
    echo "systemd-analyze verify $man_check exited $rc"
    verdict=fail
fi
if [ -n "$verdict" ]; then
    [ -n "$others" ] && { echo "and, about other units:"; echo "$others"; }
    echo "FAIL: units-verify"
    exit 1
fi
[ -n "$others" ] && { echo "systemd-analyze verify printed, about other units only (ignored):"; echo "$others"; }
echo "ok: systemd-analyze verify $man_check: ${args[*]##*/} (exit 0)"
