#!/bin/sh
# Data-parallel training scaling (issue 5 part 7): `lumis train` on 1 rank (no mpirun) and on 2 ranks
# (mpirun -np 2) over the same data (same seed, same global minibatch), printing for each: traces/s, per-step compute and allreduce time (the trainer's own
# instrumentation, TrainingReport.computeSeconds/communicationSeconds), the allreduce's share of the step, the
# time waiting for traces and the gradient buffer's size; then the scaling efficiency (rate on R ranks divided by
# R times the 1-rank rate). Each rank runs single-threaded BLAS. SOURCE `dataset` (default) first writes TRACES + 64
# traces of MODEL with `lumis dataset` and trains on it with --dataset (no simulator in the timed runs); `online`
# trains from the C++ simulators, WORKERS per rank. Build first:
#   simulators/build.sh && swift build -c release
# Usage: benchmarks/scaling.sh [MODEL] [TRACES] [BATCH] [LSTM] [WORKERS] [SOURCE]
#   (defaults hmm 1024 64 512 1 dataset)
# On a 2-core machine 2 ranks share the cores with their simulators, so efficiency is bounded by the cores,
# not by MPI; docs/performance.md extrapolates to many nodes from the measured step and allreduce times.
set -eu
cd "$(dirname "$0")/.."
model=${1:-hmm}
traces=${2:-1024}
batch=${3:-64}
lstm=${4:-512}
workers=${5:-1}
source=${6:-dataset}
lumis=.build/release/lumis
bin=simulators/build/bin
out=$(mktemp -d /tmp/lumis-scaling-XXXXXX)
trap 'rm -rf "$out"' EXIT
export OPENBLAS_NUM_THREADS=1
if [ "$source" = dataset ]; then
    $lumis dataset --launch "$bin/$model {endpoint}" --workers 2 --traces $((traces + 64)) --seed 1 \
        --out "$out/data" 2>/dev/null
fi
run() {
    ranks=$1
    set -- --traces "$traces" --batch-size "$batch" --lstm-hidden "$lstm" --components 10 \
        --validation-traces 64 --validate-every 1000000000 --seed 1 --no-progress --out "$out/net$ranks.lumisnet"
    if [ "$source" = dataset ]; then
        set -- train --dataset "$out/data" "$@"
    else
        set -- train --launch "$bin/$model {endpoint}" --workers "$workers" "$@"
    fi
    if [ "$ranks" = 1 ]; then
        $lumis "$@" 2>"$out/log$ranks"
    else
        mpirun --allow-run-as-root --oversubscribe -np "$ranks" -x OPENBLAS_NUM_THREADS=1 $lumis "$@" \
            2>"$out/log$ranks"
    fi
    line=$(grep 'trained on' "$out/log$ranks")
    rate=$(echo "$line" | sed -n 's/.*(\([0-9.]*\) traces\/s).*/\1/p')
    compute=$(echo "$line" | sed -n 's/.*step \([0-9.]*\) ms compute.*/\1/p')
    reduce=$(echo "$line" | sed -n 's/.*compute + \([0-9.]*\) ms gradient allreduce.*/\1/p')
    share=$(echo "$line" | sed -n 's/.*allreduce (\([0-9.]*\)% of the step).*/\1/p')
    other=$(echo "$line" | sed -n 's/.* + \([0-9.]*\) ms other collectives.*/\1/p')
    wait=$(echo "$line" | sed -n 's/.*; \([0-9.]*\) ms waiting for traces.*/\1/p')
    bytes=$(echo "$line" | sed -n 's/.*gradient \([0-9]*\) bytes.*/\1/p')
    printf '%s (%s), %d rank(s): %s traces/s; step %s ms compute + %s ms gradient allreduce (%s%% of step) + %s ms other collectives/waiting for ranks; %s ms waiting for traces; gradient %s bytes\n' \
        "$model" "$source" "$ranks" "$rate" "$compute" "$reduce" "$share" "$other" "$wait" "$bytes"
    eval "rate$ranks=$rate"
}
run 1
run 2
printf 'scaling efficiency on 2 ranks: %.2f (rate2 / (2 * rate1))\n' "$(echo "$rate2 / (2 * $rate1)" | bc -l)"
