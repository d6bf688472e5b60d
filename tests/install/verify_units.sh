#!/bin/bash
# verify_units.sh UNIT.service... [PAGE.1 PAGE.5]: systemd-analyze verify on
# the project's units (configured with ExecStart= in the build, so the program
# exists), failing on any line it prints about them. systemd-analyze also
# loads the host's units that ours name (multi-user.target,
# network-online.target, ...) and may complain about those: only lines that
# name one of our unit files count. The man pages given make the units'
# Documentation=man:eslaunch(1) man:eslaunch.ini(5) checkable: systemd-analyze
# runs man(1) for each, here on a MANPATH holding only them.
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

# Our unit names, as systemd-analyze prints them: "elasticsearch.service: ...",
# "/path/elasticsearch.service:12: ...", "elasticsearch@verify.service: ...".
pattern=
for a in "${args[@]}"; do
    n=${a##*/}
    pattern+="${pattern:+|}(^|[/ ])${n//./\\.}(:| )"
done
ours=$(grep -E "$pattern" <<<"$out")
if [ -n "$ours" ]; then
    echo "systemd-analyze verify $man_check printed, about our units:"
    echo "$ours"
    echo "FAIL: units-verify"
    exit 1
fi
if [ "$rc" != 0 ] && [ -z "$out" ]; then
    echo "FAIL: systemd-analyze verify exited $rc without a word"
    exit 1
fi
[ -n "$out" ] && { echo "systemd-analyze verify printed, about other units only (ignored):"; echo "$out"; }
echo "ok: systemd-analyze verify $man_check: ${args[*]##*/} (exit $rc)"
