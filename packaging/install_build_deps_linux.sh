#!/usr/bin/env bash
# Debian/Ubuntu packages a Linux bundle build needs on the build machine (run as root):
# Qt's host libraries (EGL/GL, fontconfig, xkbcommon, D-Bus, glib, X11, Wayland), which the
# bundle leaves to the user's system, and the xcb helper libraries (libxcb-cursor, -icccm,
# -keysyms ...), which PyInstaller copies from the build machine into the bundle. Without the
# helpers the build's library check fails ("libxcb-icccm.so.4 not found"): a bundle made
# without them would not start on desktops that lack them. binutils: objdump for the glibc
# check. Installs only what is missing, so it is quick on a prepared machine.
set -euo pipefail
PACKAGES=(
    libegl1 libgl1 libopengl0 libfontconfig1 libfreetype6 libxkbcommon0 libxkbcommon-x11-0
    libdbus-1-3 libglib2.0-0 libxcb1 libx11-6 libx11-xcb1 libxcb-cursor0 libxcb-icccm4
    libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
    libxcb-xfixes0 libxcb-xkb1 libwayland-client0 libwayland-cursor0 binutils
)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "bundle build packages: all present"
    exit 0
fi
echo "bundle build packages: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
