#!/bin/sh
# Inference-compilation benchmark (issue 4 item 14): training traces/s and seconds per 1,000 IC traces with
# pyprob's default sizes (LSTM 512, depth 1, 10 mixture components), each beside the simulator-only prior-sampling
# rate measured in the same run, on the C++ gum and hmm simulators. Build first:
#   simulators/build.sh && swift build -c release
# Usage: benchmarks/ic.sh [TRAINING_TRACES] [IC_TRACES] [WORKERS]   (defaults 5000 2000 2)
set -eu
cd "$(dirname "$0")/.."
training=${1:-5000}
inference=${2:-2000}
workers=${3:-2}
lumis=.build/release/lumis
bin=simulators/build/bin
hmm_obs=""
t=0
for v in 0.9 0.8 0.7 0.0 -0.025 -5.0 -2.0 -0.1 0.0 0.13 0.45 6 0.2 0.3 -1 -1; do
    hmm_obs="$hmm_obs --observe obs$t=$v"; t=$((t + 1))
done
net=$(mktemp /tmp/lumis-bench-XXXXXX.lumisnet)
now() { date +%s.%N; }
for model in gum hmm; do
    if [ "$model" = gum ]; then obs="--observe obs0=8 --observe obs1=9"; else obs=$hmm_obs; fi
    start=$(now)
    # shellcheck disable=SC2086
    $lumis infer --launch "$bin/$model {endpoint}" --engine prior --workers "$workers" --traces "$training" \
        --seed 1 --no-progress --out /tmp/lumis-bench-prior.json $obs 2>/dev/null
    middle=$(now)
    $lumis train --launch "$bin/$model {endpoint}" --workers "$workers" --traces "$training" --batch-size 64 \
        --lstm-hidden 512 --lstm-layers 1 --components 10 --validation-traces 64 --seed 1 --no-progress \
        --out "$net" 2>/dev/null
    trained=$(now)
    # shellcheck disable=SC2086
    $lumis infer --launch "$bin/$model {endpoint}" --engine ic --network "$net" --workers "$workers" \
        --traces "$inference" --seed 2 --no-progress --out /tmp/lumis-bench-ic.json $obs 2>/dev/null
    end=$(now)
    printf '%s: prior %.0f traces/s; training %.0f traces/s; IC %.2f s per 1,000 traces (prior %.2f s)\n' \
        "$model" "$(echo "$training / ($middle - $start)" | bc -l)" \
        "$(echo "$training / ($trained - $middle)" | bc -l)" \
        "$(echo "1000 * ($end - $trained) / $inference" | bc -l)" \
        "$(echo "1000 * ($middle - $start) / $training" | bc -l)"
done
rm -f "$net" /tmp/lumis-bench-prior.json /tmp/lumis-bench-ic.json
