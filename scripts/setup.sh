#!/usr/bin/env bash
# Installs what Clearsky needs on a Debian machine that has the Swift toolchain.
# Safe to run again: it only installs what is missing.
set -euo pipefail

# Extra packages named on the command line (the benchmarks' wrk) are installed too.
packages=(pkg-config libssl-dev libpng-dev libsqlite3-dev libturbojpeg0-dev libopenblas-dev python3 python3-pip postgresql-15 "$@")

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v swift >/dev/null || { echo "setup: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
