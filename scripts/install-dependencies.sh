#!/bin/sh
# Installs the Debian packages Lumis builds against (skips what is already there). Needs root or sudo.
set -eu
packages="libzmq3-dev libflatbuffers-dev flatbuffers-compiler libopenblas-dev cmake g++ pkg-config libnetcdf-dev
    librsvg2-bin libopenmpi-dev openmpi-bin python3 python3-pip"
missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi
# The NetCDF output test reads Lumis's files back with Python's netCDF4 and ArviZ (from PyPI).
python="${LUMIS_PYTHON:-python3}"
if ! "$python" -c "import netCDF4, arviz" 2>/dev/null; then
    echo "installing netCDF4 arviz (pip)"
    "$python" -m pip install --quiet netCDF4 arviz \
        || "$python" -m pip install --quiet --break-system-packages netCDF4 arviz
fi
