# shellcheck shell=bash
# Sourced by bench/launch.sh: the peers eslaunch is timed against when it
# launches a program as an unprivileged user. `prepare_peers DIR` makes them
# available and exports their absolute paths:
#   CHPST         runit's chpst, extracted into DIR from the Debian package
#                 (never installed: installing runit may change init)
#   GOSU          gosu (Debian package gosu; installed with apt-get if missing)
#   S6_SETUIDGID  s6-setuidgid, S6_SOFTLIMIT s6-softlimit (Debian package s6;
#                 installed only if apt-get would add nothing but s6 and its
#                 libraries: the package ships binaries only, no maintainer
#                 scripts, no services, nothing for init)
#   SETPRIV       util-linux setpriv
# Returns non-zero with a message saying what is missing and why.

_peers_fail() {
    echo "bench/peers.sh: $*" >&2
    return 1
}

# Installs the Debian packages given, if missing. Refuses when not root, and
# when apt-get would also install a package outside the allowed pattern (so
# nothing that could pull in an init system is ever installed).
_peers_install() {
    local allowed=$1 missing=() p extra
    shift
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        _peers_fail "missing Debian packages: ${missing[*]}; install them as root: apt-get install --no-install-recommends ${missing[*]}"
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-cache show "${missing[@]}" >/dev/null 2>&1 || apt-get update -qq ||
        { _peers_fail "apt-get update failed"; return 1; }
    extra=$(apt-get install -s --no-install-recommends "${missing[@]}" 2>/dev/null |
        awk '$1 == "Inst" { print $2 }' | grep -Ev "^($allowed)\$" || true)
    if [ -n "$extra" ]; then
        _peers_fail "installing ${missing[*]} would also install: ${extra//$'\n'/ }; not doing that (could touch init); install by hand or extract the binaries"
        return 1
    fi
    echo "== installing ${missing[*]}"
    local log
    log=$(apt-get install -y -qq --no-install-recommends "${missing[@]}" 2>&1) ||
        { printf '%s\n' "$log" >&2; _peers_fail "apt-get install ${missing[*]} failed"; return 1; }
}

# Downloads runit's .deb into DIR/deb and extracts it into DIR/runit, without
# installing it (no maintainer scripts run, nothing outside DIR is touched).
_peers_extract_chpst() {
    local dir=$1 deb
    mkdir -p "$dir/deb" "$dir/runit"
    if ! apt-cache show runit >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] && apt-get update -qq
        apt-cache show runit >/dev/null 2>&1 ||
            { _peers_fail "apt-cache knows no package runit (run apt-get update as root)"; return 1; }
    fi
    # As root, apt-get drops to the _apt user to download unless told not to;
    # DIR is a private temp dir that user cannot write.
    (cd "$dir/deb" && apt-get -qq -o APT::Sandbox::User=root download runit) >/dev/null ||
        { _peers_fail "apt-get download runit failed"; return 1; }
    local debs=("$dir"/deb/runit_*.deb)
    deb=${debs[0]}
    [ -f "$deb" ] || { _peers_fail "apt-get download runit left no runit_*.deb in $dir/deb"; return 1; }
    dpkg-deb -x "$deb" "$dir/runit" || { _peers_fail "dpkg-deb -x $deb failed"; return 1; }
    [ -x "$dir/runit/usr/bin/chpst" ] ||
        { _peers_fail "$(basename "$deb") has no usr/bin/chpst"; return 1; }
    CHPST=$dir/runit/usr/bin/chpst
    echo "== chpst extracted from $(basename "$deb") (runit not installed)"
}

_peers_path() {  # VAR PROGRAM DIRS...: the first executable DIR/PROGRAM
    local var=$1 prog=$2 d
    shift 2
    for d in "$@"; do
        if [ -x "$d/$prog" ]; then
            printf -v "$var" '%s' "$d/$prog"
            return 0
        fi
    done
    _peers_fail "$prog not found in $* after installing its package"
}

prepare_peers() {
    local dir=${1:?prepare_peers DIR}
    _peers_install 'gosu|s6|libs6-[0-9.]+|libskarnet[0-9.]+|libexecline[0-9.]+' gosu s6 util-linux || return 1
    _peers_extract_chpst "$dir" || return 1
    _peers_path GOSU gosu /usr/sbin /usr/bin /sbin /bin || return 1
    _peers_path S6_SETUIDGID s6-setuidgid /usr/bin /bin || return 1
    _peers_path S6_SOFTLIMIT s6-softlimit /usr/bin /bin || return 1
    _peers_path SETPRIV setpriv /usr/bin /bin || return 1
    export CHPST GOSU S6_SETUIDGID S6_SOFTLIMIT SETPRIV
}
