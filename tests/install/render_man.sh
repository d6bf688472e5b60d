#!/bin/bash
# render_man.sh PAGE...: each man page as `man -l` shows it on an 80-column
# terminal, failing on any warning man or groff prints on stderr, on an empty
# page, and on a page without its NAME, SYNOPSIS and SEE ALSO sections.
set -u
die() { echo "ERROR: man-pages: $*" >&2; exit 99; }
if [ $# -eq 0 ]; then
    echo "SKIP: man-pages: the man pages were not built (apt-get install scdoc, then reconfigure)"
    exit 77
fi
command -v man >/dev/null || die "man not found (apt-get install man-db groff-base)"

T=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$T"' EXIT
fail=0
for page in "$@"; do
    name=${page##*/}
    MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" != 0 ] || [ -s "$T/err" ]; then
        echo "FAIL: man --warnings -l $name (exit $rc):"
        cat "$T/err"
        fail=1
        continue
    fi
    for section in NAME SYNOPSIS 'SEE ALSO'; do
        grep -qx "$section" "$T/out" || { echo "FAIL: $name has no $section section"; fail=1; }
    done
    echo "ok: $name, $(wc -l <"$T/out") lines"
done
exit $fail
