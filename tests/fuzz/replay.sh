#!/usr/bin/env bash
# Replays every file of a regressions directory through its fuzz target once
# (meson's fuzz suite, tests/fuzz/meson.build): each file named on the
# command line, so libFuzzer runs each one whole. Fails when the directory
# holds no input (a replay of nothing passes and tests nothing), when the
# target crashes, hangs past TIMEOUT s or reports, and when it did not say it
# executed each file.
#
# usage: replay.sh FUZZER DIRECTORY [TIMEOUT]
set -euo pipefail

[[ $# -eq 2 || $# -eq 3 ]] || { echo "usage: replay.sh FUZZER DIRECTORY [TIMEOUT]" >&2; exit 64; }
fuzzer=$1 dir=$2 timeout=${3:-30}

files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$dir" -type f ! -name README.md -print0 | sort -z)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "replay: $dir holds no input: nothing would be tested (keep a seed there)" >&2
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# libFuzzer's own exit statuses for a crash (77) and a timeout would read as
# "skipped" to meson: 1 for both.
status=0
"$fuzzer" -error_exitcode=1 -timeout_exitcode=1 -timeout="$timeout" "${files[@]}" >"$log" 2>&1 || status=$?
executed=$(grep -c '^Executed .* in [0-9]* ms$' "$log" || true)
# A sanitizer that recovers (the library's UBSan) reports and goes on.
reports=$(grep -E -c 'runtime error:|==[0-9]+== *ERROR|INVARIANT FAILED' "$log" || true)
if [[ $status -ne 0 || $executed -ne ${#files[@]} || $reports -ne 0 ]]; then
    cat "$log" >&2
    echo "replay: $(basename "$fuzzer") failed (exit status $status, $executed of ${#files[@]} inputs" \
         "executed, $reports sanitizer/invariant reports)" >&2
    exit 1
fi
echo "replay: $(basename "$fuzzer"): ${#files[@]} inputs from $dir, each executed, no failure"
