#!/usr/bin/env bash
# Debian/Ubuntu packages the Windows bundle build and its checks need (run as root): Wine 8
# (64-bit: runs the Windows CPython that runs PyInstaller, then the frozen executables), NSIS
# (makensis, a native Linux build, makes the installer), the MinGW-w64 cross compiler (the
# stand-in DLLs of packaging/windows/standin_dll.py),
# Xvfb + ImageMagick (a real window and its screenshot). Installs only what is missing.
set -euo pipefail
PACKAGES=(wine wine64 nsis gcc-mingw-w64-x86-64-win32 xvfb xauth x11-utils imagemagick)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "windows build packages: all present"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "windows build packages missing: ${missing[*]} (run this script as root)" >&2
    exit 1
fi
echo "windows build packages: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
