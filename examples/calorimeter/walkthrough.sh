#!/usr/bin/env bash
# From an offline dataset to a trained network to a posterior, on the calorimeter simulator
# (docs/calorimeter.md). Every step runs on MPI ranks; the same commands scale out with examples/slurm/.
#
#   examples/calorimeter/walkthrough.sh [WORK_DIR]        (default: ./calorimeter-walkthrough)
#
# Run ./install.sh first. Sizes come from the environment (defaults take a few minutes on a 2-core machine):
#   RANKS=2             MPI ranks (1 runs without mpirun)
#   GRID=6x10x10        calorimeter grid (the full detector is 20x35x35)
#   NOISE=0.5           per-cell noise, GeV
#   TRACES=20000        dataset size (its last VALIDATION traces are held out for validation)
#   SHARD=5000          traces per shard file
#   VALIDATION=500      validation traces
#   TRAIN=60000         training traces (cycling over the dataset)
#   POSTERIOR=2000      posterior traces
#   EVENT=7             seed of the simulated event to explain
#   LUMIS=.build/release/lumis
# Rerunning continues an interrupted dataset (--resume) and retrains the network.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-calorimeter-walkthrough}
RANKS=${RANKS:-2} GRID=${GRID:-6x10x10} NOISE=${NOISE:-0.5} TRACES=${TRACES:-20000} SHARD=${SHARD:-5000}
VALIDATION=${VALIDATION:-500} TRAIN=${TRAIN:-60000} POSTERIOR=${POSTERIOR:-2000} EVENT=${EVENT:-7}
. "$root/examples/calorimeter/common.sh"
model="$simulator {endpoint} --grid $GRID --noise $NOISE"

mkdir -p "$work"
cd "$work"

echo "== 1. dataset: $TRACES prior traces with simulated calorimeter images, $SHARD per shard, on $RANKS ranks"
resume=()
[ -e data/manifest.json ] && resume=(--resume)
ranks dataset --launch "$model" --workers 1 --traces "$TRACES" --shard-traces "$SHARD" --seed 1 --out data \
    --no-progress "${resume[@]}"
"$lumis" dataset-info data --types 5

echo "== 2. training: $TRAIN traces, 3D-CNN embedding of the image, data-parallel on $RANKS ranks"
ranks train --dataset data --traces "$TRAIN" --validation-traces "$VALIDATION" --batch-size 64 \
    --observe-embedding calo:cnn3d --lstm-hidden 64 --seed 2 --out calorimeter.lumisnet --no-progress

echo "== 3. an event to explain (its true latents are in truth.txt)"
"$simulator" --simulate "$EVENT" --grid "$GRID" --noise "$NOISE" > event.json 2> truth.txt
cat truth.txt

echo "== 4. posterior with the trained proposals (IC), and with the prior as proposal (IS) for comparison"
ranks infer --engine ic --network calorimeter.lumisnet --launch "$model" --observe-file event.json \
    --traces "$POSTERIOR" --seed 3 --out posterior-ic.json --no-progress
ranks infer --engine is --launch "$model" --observe-file event.json \
    --traces "$POSTERIOR" --seed 3 --out posterior-is.json --no-progress
"$lumis" summary posterior-ic.json
for engine in ic is; do
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print("%s: %d traces, effective sample size %.1f" % (sys.argv[2], d["traces"], d["ess"]))' \
        "posterior-$engine.json" "$engine"
done
echo "wrote $(pwd)/posterior-ic.json and posterior-is.json"
