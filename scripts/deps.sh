# Sourced by scripts/test and scripts/demo: installs Debian packages that are
# missing, with apt-get, when running as root; otherwise says what to install.
ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "eslaunch: missing Debian packages: ${missing[*]}" >&2
        echo "eslaunch: install them as root: apt-get install ${missing[*]}" >&2
        return 1
    fi
    echo "== installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

BUILD_PACKAGES=(meson ninja-build g++ pkg-config libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libsystemd-dev libcurl4-openssl-dev scdoc)
# scripts/package: dpkg-buildpackage and lintian (it installs debian/control's
# Build-Depends, debhelper among them, with apt-get build-dep).
PACKAGE_PACKAGES=(dpkg-dev debhelper lintian)
TEST_PACKAGES=("${PACKAGE_PACKAGES[@]}" libgtest-dev libgmock-dev supervisor python3 clang libclang-rt-14-dev openjdk-17-jre-headless passwd util-linux openssl systemd-container dbus systemd man-db groff-base)
