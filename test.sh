#!/bin/sh
# Builds everything and runs the whole test suite (C++ front-end tests, then the Swift suite in release mode:
# the statistical acceptance tests need release speed).
set -eu
cd "$(dirname "$0")"
export OPENBLAS_NUM_THREADS=1
simulators/build.sh > /dev/null
ctest --test-dir simulators/build --output-on-failure
swift build -c release --build-tests
swift test -c release --skip-build
