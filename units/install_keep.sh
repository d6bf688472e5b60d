#!/bin/sh
# install_keep.sh SOURCE TARGET EXAMPLE: meson's install script for
# -Dsupervisor_confdir=: installs SOURCE as DESTDIR/TARGET unless a
# different file is there, the operator's own section: that one it keeps,
# and fails, since meson 1.0 shows an install script's output only then
# (meson runs it after every other file is installed).
set -eu
src=$1
dst=${DESTDIR:-}$2
if [ -e "$dst" ] || [ -L "$dst" ]; then
    if [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$src" "$dst"; then
        echo "eslaunch: $dst is up to date"
        exit 0
    fi
    echo "eslaunch: kept $dst: it differs from this build's section (an operator's own?);" \
         "compare it with $3 and merge by hand; everything else is installed" >&2
    exit 1
fi
mkdir -p "$(dirname "$dst")"
cp "$src" "$dst"
chmod 644 "$dst"
echo "eslaunch: installed $dst"
