#!/bin/sh
# Installs dependencies, builds Lumis and the bundled C++ simulators, and runs a posterior on the Gaussian model.
set -eu
cd "$(dirname "$0")"
scripts/install-dependencies.sh
simulators/build.sh > /dev/null
swift build -c release --product lumis
echo "Posterior of mu given obs0=8, obs1=9 (exact: mean 7.25, stddev 0.9129):"
.build/release/lumis infer --launch 'simulators/build/bin/gum {endpoint}' \
    --observe obs0=8 --observe obs1=9 --traces 20000 --seed 1
