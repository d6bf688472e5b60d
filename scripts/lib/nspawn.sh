# Sourced: boots a real systemd as PID 1 of a systemd-nspawn container that
# runs the host's /usr with a fresh tmpfs /etc, /var and /run (recipe and why
# each option: the comments below). Used by tests/system and
# scripts/demo.
#
#   nspawn_boot NAME [--volatile=overlay] [--bind-ro=HOST:CONTAINER ...]
#       sets LEADER (the container's PID 1 on the host); needs a private
#       mount namespace (nspawn_enter_mount_namespace) and root.
#       --volatile=overlay: the host's root filesystem under an overlay with
#       a tmpfs upper (writable, e.g. for apt-get install; gone at exit).
#       nspawn refuses its own --volatile=overlay on /, so this mounts one.
#   IN CMD...   runs CMD in the container;  SC ARGS...   its systemctl
#   nspawn_halt   powers the container off and removes its cgroups (from an EXIT trap)

NSPAWN_PID=""
LEADER=""
NSPAWN_CG=""
NSPAWN_CG_ROOTS=()
NSPAWN_LOG=""
NSPAWN_OVERLAY=""

# Re-runs the calling script in a private mount namespace: nspawn's tmpfs
# and every mount vanish with it. Call first, with the script's arguments.
nspawn_enter_mount_namespace() {
    if [ -z "${ESLAUNCH_IN_MNTNS:-}" ]; then
        export ESLAUNCH_IN_MNTNS=1
        exec unshare --mount --propagation private -- bash "$0" "$@"
    fi
}

nspawn_boot() {
    local name=$1 volatile=yes arg
    shift
    local args=()
    for arg in "$@"; do
        case $arg in --volatile=*) volatile=${arg#--volatile=} ;; *) args+=("$arg") ;; esac
    done
    NSPAWN_CG="$name"
    NSPAWN_LOG=$(mktemp "/tmp/$name.nspawn-log.XXXXXX")
    # nspawn insists that its propagation directory is a tmpfs; the private
    # mount namespace removes it again.
    mkdir -p /run/systemd/nspawn
    mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
    if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
        NSPAWN_CG_ROOTS=(/sys/fs/cgroup)
    else
        local h
        for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
            [ -e "$h/cgroup.procs" ] && NSPAWN_CG_ROOTS+=("$h")
        done
    fi
    local r root=/
    for r in "${NSPAWN_CG_ROOTS[@]}"; do mkdir -p "$r/$NSPAWN_CG"; done
    if [ "$volatile" = overlay ]; then
        NSPAWN_OVERLAY=$(mktemp -d "/tmp/$name.root.XXXXXX")
        mount -t tmpfs -o mode=0755 tmpfs "$NSPAWN_OVERLAY"
        mkdir "$NSPAWN_OVERLAY/upper" "$NSPAWN_OVERLAY/work" "$NSPAWN_OVERLAY/root"
        mount -t overlay overlay -o "lowerdir=/,upperdir=$NSPAWN_OVERLAY/upper,workdir=$NSPAWN_OVERLAY/work" \
            "$NSPAWN_OVERLAY/root"
        root=$NSPAWN_OVERLAY/root volatile=no
    fi
    # A cgroup of its own, removed by nspawn_halt. --register=no --keep-unit:
    # no system D-Bus needed; systemd.firstboot=off: no prompt at boot.
    (
        for r in "${NSPAWN_CG_ROOTS[@]}"; do echo "$BASHPID" >"$r/$NSPAWN_CG/cgroup.procs"; done
        exec systemd-nspawn --quiet -D "$root" --volatile="$volatile" --register=no --keep-unit --machine="$name" "${args[@]}" \
            --console=passive -b -- systemd.firstboot=off systemd.show_status=0
    ) </dev/null >"$NSPAWN_LOG" 2>&1 &
    NSPAWN_PID=$!
    local c
    for _ in $(seq 1 200); do
        for c in $(cat "/proc/$NSPAWN_PID/task/$NSPAWN_PID/children" 2>/dev/null); do
            grep -qE '^NSpid:.*[[:space:]]1$' "/proc/$c/status" 2>/dev/null && LEADER=$c
        done
        [ -n "$LEADER" ] && break
        kill -0 "$NSPAWN_PID" 2>/dev/null || { echo "systemd-nspawn died:" >&2; cat "$NSPAWN_LOG" >&2; return 1; }
        sleep 0.1
    done
    [ -n "$LEADER" ] || { echo "no container PID 1 appeared" >&2; return 1; }
    for _ in $(seq 1 300); do [ -S "/proc/$LEADER/root/run/systemd/private" ] && break; sleep 0.1; done
    timeout 60 nsenter -t "$LEADER" -a -- systemctl is-system-running --wait >/dev/null || true
}

IN() { nsenter -t "$LEADER" -a -- "$@"; }
SC() { timeout 90 nsenter -t "$LEADER" -a -- systemctl --no-pager "$@"; }

nspawn_halt() {
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        kill -TERM "$NSPAWN_PID"  # the container's systemd halts cleanly
        for _ in $(seq 1 150); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            [ -n "$LEADER" ] && kill -KILL "$LEADER"
            kill -KILL "$NSPAWN_PID"
        fi
        wait "$NSPAWN_PID" 2>/dev/null
    fi
    local r
    for r in "${NSPAWN_CG_ROOTS[@]}"; do
        [ -d "$r/$NSPAWN_CG" ] && find "$r/$NSPAWN_CG" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    [ -n "$NSPAWN_LOG" ] && rm -f "$NSPAWN_LOG"
    # The overlay's mounts end with the private mount namespace; its mount point stays.
    [ -n "$NSPAWN_OVERLAY" ] && { umount -R "$NSPAWN_OVERLAY" 2>/dev/null; rmdir "$NSPAWN_OVERLAY"; }
    return 0
}
