#!/bin/sh
# Installs the Debian packages Lumis builds against (skips what is already there). Needs root or sudo.
set -eu
packages="libzmq3-dev libflatbuffers-dev flatbuffers-compiler libopenblas-dev cmake g++ pkg-config"
missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
