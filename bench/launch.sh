#!/usr/bin/env bash
# Times launching /bin/true as nobody with nofile 4096: eslaunch (from a spec
# file) against runit's chpst, setpriv, gosu and s6-softlimit + s6-setuidgid
# (bench/peers.sh), with /bin/true alone as the baseline, side by side in one
# hyperfine run. Checks first that each one really runs the program as nobody
# (and with nofile 4096 where it can), measures peak memory with
# /usr/bin/time, and replaces its own section of bench/RESULTS.md.
# Goal: eslaunch's median at or below that of setpriv --init-groups, the peer
# doing the same identity work (chpst, no initgroups, is for information).
# Runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
. bench/peers.sh

SECTION='## Launching /bin/true as nobody with nofile 4096 (bench/launch.sh)'
RUN_AS=nobody
NOFILE=4096

[ "$(id -u)" = 0 ] || { echo "bench/launch.sh: run as root (every launcher here drops from root to $RUN_AS)" >&2; exit 1; }
ensure_packages "${BUILD_PACKAGES[@]}" hyperfine time python3
# Quiet when it works; the compiler's output when it doesn't.
build_log=$( { [ -f build/build.ninja ] || meson setup build; } 2>&1 && ninja -C build shim/eslaunch 2>&1) ||
    { printf '%s\n' "$build_log" >&2; echo "bench/launch.sh: building eslaunch failed" >&2; exit 1; }
ESLAUNCH=$PWD/build/shim/eslaunch

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# eslaunch refuses, as root, a spec file others can write: root-owned 644
# files in a root-owned 755 directory (also readable/executable by nobody,
# for the probe below).
chmod 755 "$work"
prepare_peers "$work/peers"

want_uid=$(id -u "$RUN_AS")
want_gid=$(id -g "$RUN_AS")
want_group=$(id -gn "$RUN_AS")
want_groups=$(id -G "$RUN_AS")

spec() {  # FILE COMMAND
    printf '[program:bench]\ncommand=%s\nuser=%s\nlimit_nofile=%s\n' "$2" "$RUN_AS" "$NOFILE" >"$1"
    chmod 644 "$1"
}
spec "$work/bench.ini" /bin/true
spec "$work/probe.ini" "$work/probe.sh"

# Run in place of /bin/true to see what the launcher set up. Shell builtins
# only (a launcher may clear PATH): the four uids and gids (real, effective,
# saved, fs), the supplementary groups, the permitted/effective capabilities,
# the nofile soft/hard limits.
cat >"$work/probe.sh" <<'SH'
#!/bin/sh
while read -r key rest; do
    set -- $rest
    case $key in
        Uid:) uid="$1/$2/$3/$4" ;;
        Gid:) gid="$1/$2/$3/$4" ;;
        Groups:) groups="$*" ;;
        CapPrm:) capprm=$1 ;;
        CapEff:) capeff=$1 ;;
    esac
done </proc/self/status
echo "uid=$uid gid=$gid groups=${groups:-none} caps=$capprm/$capeff nofile=$(ulimit -Sn)/$(ulimit -Hn)"
SH
chmod 755 "$work/probe.sh"

# The commands, in table order. NAME, the command timed, the command checked
# (the same launcher running the probe), whether it sets nofile, and what it
# does and doesn't do.
names=() timed=() probes=() sets_nofile=() does=()
add() {
    names+=("$1") timed+=("$2") probes+=("$3") sets_nofile+=("$4") does+=("$5")
}
add "/bin/true (baseline)" /bin/true "$work/probe.sh" no \
    "no launcher: runs as root, limits as inherited"

# eslaunch: left out (loudly) while `eslaunch FILE` does not launch yet.
eslaunch_skip=""
if es_err=$("$ESLAUNCH" "$work/bench.ini" 2>&1 >/dev/null); then
    add eslaunch "$ESLAUNCH $work/bench.ini" "$ESLAUNCH $work/probe.ini" yes \
        "reads the spec; nofile soft and hard; drops to $RUN_AS (uid, gid, initgroups); execs the command's full path"
else
    rc=$?
    eslaunch_skip="\`eslaunch SPEC\` exits $rc: $(printf '%s' "$es_err" | head -n1)"
    {
        echo
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!!! eslaunch LEFT OUT of this run: '$ESLAUNCH $work/bench.ini' exited $rc:"
        printf '%s\n' "$es_err" | sed 's/^/!!!   /'
        echo "!!! only the peers are timed; RESULTS.md will say eslaunch was not measured."
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo
    } >&2
fi
add "chpst -u $RUN_AS -o $NOFILE" "$CHPST -u $RUN_AS -o $NOFILE /bin/true" "$CHPST -u $RUN_AS -o $NOFILE $work/probe.sh" yes \
    "setuid/setgid to $RUN_AS; supplementary groups = the primary group only (no initgroups; same here); nofile soft limit only"
add "setpriv --reuid --regid --init-groups" "$SETPRIV --reuid $RUN_AS --regid $want_group --init-groups /bin/true" \
    "$SETPRIV --reuid $RUN_AS --regid $want_group --init-groups $work/probe.sh" no \
    "drops to $RUN_AS:$want_group with initgroups; cannot set rlimits (nofile not set)"
add "gosu $RUN_AS" "$GOSU $RUN_AS /bin/true" "$GOSU $RUN_AS $work/probe.sh" no \
    "drops to $RUN_AS (uid, gid), sets HOME; supplementary groups only from /etc/group members (not initgroups); cannot set rlimits (nofile not set)"
add "s6-softlimit -o $NOFILE s6-setuidgid $RUN_AS" "$S6_SOFTLIMIT -o $NOFILE $S6_SETUIDGID $RUN_AS /bin/true" \
    "$S6_SOFTLIMIT -o $NOFILE $S6_SETUIDGID $RUN_AS $work/probe.sh" yes \
    "four execs: s6-softlimit (nofile soft limit only), s6-setuidgid, s6-envuidgid, s6-applyuidgid (setgroups from the group file, setgid, setuid)"

# Check each does the job before timing it.
want_uidgid="uid=$want_uid/$want_uid/$want_uid/$want_uid gid=$want_gid/$want_gid/$want_gid/$want_gid"
no_caps=0000000000000000/0000000000000000
want_ids="$want_uidgid groups=$want_groups caps=$no_caps"
checked=()
bad=0
echo "== checks (the launcher runs a probe in place of /bin/true; want $want_ids, nofile soft $NOFILE where set)"
for i in "${!names[@]}"; do
    # shellcheck disable=SC2086  # commands are words without spaces
    if ! ${timed[$i]}; then
        echo "FAIL  ${names[$i]}: '${timed[$i]}' exited non-zero"
        bad=1
        checked+=("fails")
        continue
    fi
    # shellcheck disable=SC2086
    got=$(${probes[$i]} 2>&1) || got="exit $?: $got"
    ids=${got% nofile=*}
    nofile=${got##*nofile=}
    verdict=ok
    if [ "$i" -eq 0 ]; then
        :  # the baseline runs as root on purpose
    elif [ "$ids" = "$want_ids" ]; then
        :
    elif [ "$ids" = "$want_uidgid groups=none caps=$no_caps" ] && [ "$want_groups" = "$want_gid" ]; then
        # No supplementary groups where initgroups would give just the primary
        # group: the same access (the gid is that group), but not initgroups.
        verdict='ok*'
        got="$got (not initgroups: no supplementary groups; same access here)"
    else
        verdict=FAIL
    fi
    if [ "${sets_nofile[$i]}" = yes ] && [ "${nofile%/*}" != "$NOFILE" ]; then
        verdict=FAIL
    fi
    [ "$verdict" != FAIL ] || bad=1
    printf '%-4s  %-42s /bin/true exit 0; probe: %s\n' "$verdict" "${names[$i]}" "$got"
    checked+=("$got")
done
[ $bad = 0 ] || { echo "bench/launch.sh: a launcher does not do the job (FAIL above); not timing" >&2; exit 1; }

# hyperfine times one command's runs after another's: on a shared 2-CPU
# machine the load moves between those blocks, and one run's ratios moved
# from 1.08x to 1.28x between runs minutes apart. So ROUNDS runs, each
# starting at the next command (the order rotates), and per command the
# median of its rounds' medians; the ratios are the medians of the rounds'
# ratios, with their range.
ROUNDS=${ROUNDS:-5}
echo "== hyperfine: ${#names[@]} commands, 20 warmup + 300 runs each, $ROUNDS rounds"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 0 $((ROUNDS - 1))); do
    hf_args=()
    for k in "${!names[@]}"; do
        i=$(( (k + round) % ${#names[@]} ))
        hf_args+=(-n "${names[$i]}" "${timed[$i]}")
    done
    hyperfine -N --warmup 20 --runs 300 --export-json "$work/launch-$round.json" \
        --export-markdown "$work/launch-$round.md" "${hf_args[@]}" >/dev/null
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Peak RSS, median of 5 (/usr/bin/time reports the maximum over the exec chain).
rss=()
for i in "${!names[@]}"; do
    samples=()
    for _ in 1 2 3 4 5; do
        # shellcheck disable=SC2086
        /usr/bin/time -o "$work/rss" -f '%M' ${timed[$i]}
        samples+=("$(tail -n1 "$work/rss")")
    done
    rss+=("$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p)")
done

{
    printf '%s\n' "${names[@]}"
    printf '%s\n' "${rss[@]}"
    printf '%s\n' "${checked[@]}"
    printf '%s\n' "${does[@]}"
} >"$work/meta"
python3 - "$work" "${#names[@]}" "$SECTION" "$eslaunch_skip" "$RUN_AS" "$NOFILE" "$load_before" "$load_after" "$ROUNDS" <<'PY'
import datetime, json, os, platform, statistics, sys
work, n, section, skip, user, nofile, load0, load1, rounds = sys.argv[1:2] + [int(sys.argv[2])] + sys.argv[3:9] + [int(sys.argv[9])]
meta = open(f"{work}/meta").read().split("\n")
names, rss, checked, does = (meta[k * n:(k + 1) * n] for k in range(4))
ms = lambda s: s * 1000
runs = [{r["command"]: r for r in json.load(open(f"{work}/launch-{k}.json"))["results"]} for k in range(rounds)]
med = {c: statistics.median(ms(run[c]["median"]) for run in runs) for c in names}
mean = {c: statistics.median(ms(run[c]["mean"]) for run in runs) for c in names}
stddev = {c: statistics.median(ms(run[c]["stddev"]) for run in runs) for c in names}
peer = next(c for c in names if c.startswith("setpriv"))
ratios = {c: sorted(run[c]["median"] / run[peer]["median"] for run in runs) for c in names}
to_base = {c: statistics.median(run[c]["median"] / run[names[0]]["median"] for run in runs) for c in names}
span = lambda c: f"{statistics.median(ratios[c]):.2f}x ({ratios[c][0]:.2f}-{ratios[c][-1]:.2f})"

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
out = [section, ""]
out.append(f"Measured by `bench/launch.sh` on {datetime.date.today()} ({platform.machine()}, {platform.node()}, "
           f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}): {rounds} `hyperfine -N --warmup 20 --runs 300` "
           f"runs with every command side by side, each run starting at the next command, as root, each launching `/bin/true` as {user} "
           f"(uid, gid, supplementary groups) with nofile {nofile}. Before timing, each ran a probe in place of "
           "`/bin/true` (column \"checked\": real/effective/saved/fs ids, groups, permitted/effective capabilities, "
           "nofile soft/hard). "
           "Per command the median of the runs' medians (and of their means and standard deviations); "
           "the ratios are the medians of the runs' ratios, their range in brackets. The milliseconds depend on the machine. "
           "Max RSS: `/usr/bin/time -f %M`, median of 5 (maximum over the exec chain). "
           f"Load average (1/5/15 min) before the run {load0}, after {load1}: "
           f"with {os.cpu_count()} CPUs, anything else running shows in the milliseconds.")
out.append("")
out.append("| command | median (ms) | mean ± stddev (ms) | ratio to setpriv (range) | ratio to baseline | max RSS (KiB) | checked | does / doesn't |")
out.append("|---|---|---|---|---|---|---|---|")
for c, r, ck, d in zip(names, rss, checked, does):
    out.append(f"| {c} | {med[c]:.2f} | {mean[c]:.2f} ± {stddev[c]:.2f} | {span(c)} | "
               f"{to_base[c]:.2f}x | {r} | {ck} | {d} |")
if skip:
    out.append(f"| eslaunch | – | – | – | – | – | – | not measured |")
out.append("")
if skip:
    verdict = f"eslaunch not measured: {skip}"
else:
    e, p, q = med["eslaunch"], med[peer], statistics.median(ratios["eslaunch"])
    verdict = (f"eslaunch's median {e:.2f} ms is {'at or below' if q <= 1 else 'ABOVE'} that of "
               f"setpriv --init-groups, {p:.2f} ms "
               f"({span('eslaunch')} over {rounds} runs; goal: at or below).")
out.append(f"Verdict: {verdict}")
out.append("")
text = "\n".join(out)
print(text)

open(os.path.join(work, "section.md"), "w").write(text + "\n")
PY
python3 bench/replace_section.py "$work/section.md"
echo "== hyperfine's own table, last round"
cat "$work/launch-$((ROUNDS - 1)).md"
