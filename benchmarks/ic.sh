#!/bin/sh
# Inference-compilation benchmark (issue 12 part 5), at pyprob's default sizes for an LSTM network: LSTM 512 x 1
# layer, 10 mixture components, observation embedding 256 per observed name, address embedding 64, sample
# embedding 4, minibatch 64. For gum and hmm (C++ simulators), with 1 thread and then with every core this process
# may use, it prints:
#   - training traces/s: the trainer's own rate (minibatch loop; startup and writing the network file excluded;
#     validation only at the end), 1 simulator worker;
#   - IC inference traces/s: `lumis infer --engine ic`, steady rate from two runs of N/5 and N traces (so without
#     startup: reading the network, launching simulators), and the whole command's time for N; 1 worker with
#     1 thread, as many workers as cores (proposals batched across them) with all cores;
#   - the training step's achieved GFLOP/s: the LSTM's GEMM FLOPs per minibatch, 6 B 4H (T W + C) with W the
#     per-step LSTM input plus H and C the hoisted observation columns, over the step's compute time;
#   - the network file's size and the peak RSS of each training run;
#   - beside it, the dgemm and sgemm GFLOP/s of this machine's OpenBLAS measured in the same run for the LSTM's
#     matrix shapes (per-step gates, hoisted observation term, weight gradient): the physical limit.
# Build first: simulators/build.sh && swift build -c release
# Usage: benchmarks/ic.sh [GUM_TRAINING_TRACES] [HMM_TRAINING_TRACES] [GUM_IC_TRACES] [HMM_IC_TRACES]
#   (defaults 12800 1280 4000 1000)
set -eu
cd "$(dirname "$0")/.."
gum_training=${1:-12800}
hmm_training=${2:-1280}
gum_inference=${3:-4000}
hmm_inference=${4:-1000}
lumis=.build/release/lumis
bin=simulators/build/bin
cores=$(getconf _NPROCESSORS_ONLN)
if command -v nproc > /dev/null; then cores=$(nproc); fi  # nproc honours the affinity mask
work=$(mktemp -d /tmp/lumis-ic-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/gemm" benchmarks/gemm.c -lopenblas
hmm_obs=""
t=0
for v in 0.9 0.8 0.7 0.0 -0.025 -5.0 -2.0 -0.1 0.0 0.13 0.45 6 0.2 0.3 -1 -1; do
    hmm_obs="$hmm_obs --observe obs$t=$v"; t=$((t + 1))
done
batch=64 hidden=512 address=64 sample=4 kind=4
gates=$((4 * hidden))
width=$((sample + 2 * (kind + address) + hidden))  # per-step LSTM input (without observations) plus h
now() { date +%s.%N; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $cores cores usable," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg); OpenBLAS $(ls /usr/lib/x86_64-linux-gnu/openblas-pthread/ \
    | grep -o 'r[0-9.]*so' | head -1 | sed 's/so$//')"
echo
echo "| model | products | threads | training traces/s | step ms | step GFLOP/s | IC inference traces/s (whole run) |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
shapes=""
for model in gum hmm; do
    if [ "$model" = gum ]; then
        obs="--observe obs0=8 --observe obs1=9"; observed=2; steps=1
        training=$gum_training; inference=$gum_inference
    else
        obs=$hmm_obs; observed=16; steps=17
        training=$hmm_training; inference=$hmm_inference
    fi
    columns=$((256 * observed))
    shapes="$shapes $model:$columns:$steps"
    for run in float64:1 float32:1 "float32:$cores"; do
        precision=${run%%:*}; threads=${run#*:}
        net="$work/$model.lumisnet"
        # shellcheck disable=SC2086
        line=$(OPENBLAS_NUM_THREADS=$threads /usr/bin/time -f 'peak RSS %M KB' -o "$work/rss" $lumis train --launch "$bin/$model {endpoint}" --workers 1 \
            --traces "$training" --batch-size $batch --lstm-hidden $hidden --lstm-layers 1 --components 10 \
            --embedding-dim 256 --address-embedding $address --sample-embedding $sample --validation-traces 64 \
            --validate-every "$training" --threads "$threads" --precision "$precision" --seed 1 --no-progress --out "$net" 2>&1 \
            | grep 'trained on')
        rate=$(echo "$line" | sed -n 's/.*(\([0-9]*\) traces\/s).*/\1/p')
        step=$(echo "$line" | sed -n 's/.*step \([0-9.]*\) ms compute.*/\1/p')
        flops=$((6 * batch * gates * (steps * width + columns)))
        gflops=$(echo "$flops / ($step / 1000) / 1000000000" | bc -l)
        workers=$([ "$threads" = 1 ] && echo 1 || echo "$cores")
        # Two runs, N/5 and N traces: their difference is the steady rate, without startup (reading the network
        # file, launching simulators), which the first run's time shows.
        times=""
        for count in $((inference / 5)) "$inference"; do
            start=$(now)
            # shellcheck disable=SC2086
            OPENBLAS_NUM_THREADS=1 $lumis infer --launch "$bin/$model {endpoint}" --engine ic --network "$net" \
                --workers "$workers" --traces "$count" --seed 2 --no-progress --out "$work/ic.json" $obs \
                > /dev/null 2>&1
            end=$(now)
            times="$times $(echo "$end - $start" | bc -l)"
        done
        set -- $times
        ic=$(echo "($inference - $inference / 5) / ($2 - $1)" | bc -l)
        printf '| %s | %s | %s | %s | %.0f | %.1f | %.0f (%.1f s for %d) |\n' "$model" "$precision" "$threads" "$rate" "$step" \
            "$gflops" "$ic" "$2" "$inference"
        echo "$model training, $precision, $threads threads: $(cat "$work/rss")" >> "$work/sizes"
    done
    echo "$model network file: $(stat -c %s "$net") bytes" >> "$work/sizes"
done
echo
cat "$work/sizes"
echo
echo "OpenBLAS GEMM GFLOP/s for the LSTM's shapes (M N K), same run:"
echo
echo "| shape | M N K | threads | dgemm GFLOP/s | sgemm GFLOP/s |"
echo "| --- | --- | ---: | ---: | ---: |"
for entry in $shapes; do
    model=${entry%%:*}; rest=${entry#*:}; columns=${rest%%:*}; steps=${rest#*:}
    for threads in 1 "$cores"; do
        set -- "$model per-step gates" "$batch $gates $width 0 1" \
            "$model hoisted observation term" "$batch $gates $columns 0 1" \
            "$model per-step weight gradient" "$gates $width $((steps * batch)) 1 0"
        while [ $# -gt 0 ]; do
            # shellcheck disable=SC2086
            r=$(OPENBLAS_NUM_THREADS=$threads "$work/gemm" $2)
            echo "$r" | awk -v name="$1" -v t="$threads" '{ printf "| %s | %s %s %s | %s | %s | %s |\n", name, $1, $2, $3, t, $4, $5 }'
            shift 2
        done
    done
done
echo
echo "pyprob 1.5.0 reference (issue 12, same machine kind, 1 BLAS thread, 1 worker): gum training 280-299 traces/s," \
    "IC 176-185 traces/s; hmm training 9.5-9.7 traces/s, IC 5.1-6.6 traces/s."
