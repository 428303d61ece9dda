#!/bin/sh
# MCMC overhead benchmark (issue 3 item 14): LMH steps/s beside prior-sampling traces/s on the same simulator,
# one simulator process each, in the same run. Build first: simulators/build.sh && swift build -c release.
# Usage: benchmarks/mcmc.sh [STEPS]   (default 20000)
set -eu
cd "$(dirname "$0")/.."
steps=${1:-20000}
lumis=.build/release/lumis
bin=simulators/build/bin
hmm_obs=""
t=0
for v in 0.9 0.8 0.7 0.0 -0.025 -5.0 -2.0 -0.1 0.0 0.13 0.45 6 0.2 0.3 -1 -1; do
    hmm_obs="$hmm_obs --observe obs$t=$v"; t=$((t + 1))
done
now() { date +%s.%N; }
rate() { echo "$1 / ($3 - $2)" | bc -l; }
for model in gum hmm; do
    if [ "$model" = gum ]; then obs="--observe obs0=8 --observe obs1=9"; else obs=$hmm_obs; fi
    start=$(now)
    # shellcheck disable=SC2086
    $lumis infer --launch "$bin/$model {endpoint}" --engine prior --workers 1 --traces "$steps" --seed 1 \
        --no-progress --out /tmp/lumis-bench-prior.json $obs 2>/dev/null
    middle=$(now)
    # shellcheck disable=SC2086
    $lumis infer --launch "$bin/$model {endpoint}" --engine lmh --chains 1 --burn-in 0 --traces "$steps" --seed 1 \
        --no-progress --out /tmp/lumis-bench-lmh.json $obs 2>/dev/null
    end=$(now)
    prior=$(rate "$steps" "$start" "$middle")
    lmh=$(rate "$steps" "$middle" "$end")
    printf '%s: prior %.0f traces/s, LMH %.0f steps/s, ratio %.3f\n' "$model" "$prior" "$lmh" \
        "$(echo "$lmh / $prior" | bc -l)"
done
rm -f /tmp/lumis-bench-prior.json /tmp/lumis-bench-lmh.json
