#!/bin/sh
# Configures and builds the C++ front end, the bundled simulators and the tools into simulators/build/bin.
set -eu
cd "$(dirname "$0")/.."
cmake -S simulators -B simulators/build -DCMAKE_BUILD_TYPE=Release
cmake --build simulators/build -j2
