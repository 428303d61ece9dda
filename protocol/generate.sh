#!/bin/sh
# Regenerates protocol/ppx_generated.h from protocol/ppx.fbs with Debian's flatc 2.0.8 (run from anywhere).
set -eu
cd "$(dirname "$0")/.."
flatc --cpp --gen-object-api --gen-compare -o protocol protocol/ppx.fbs
