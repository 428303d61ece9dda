#!/usr/bin/env bash
# The calorimeter training recipe that passes the acceptance of docs/calorimeter.md "Training a network that works":
# online training (fresh prior traces from the simulator, never the same trace twice) of a network with a dense
# embedding of the 144-cell image, LSTM 128, 5 mixture components, Adam at 3e-3 decaying linearly to 1e-4, then
# its description. Check it with benchmarks/calorimeter-ic.sh --network OUT (IC against the reference posteriors,
# and calibration over 200 prior events).
#
#   examples/calorimeter/recipe.sh [WORK_DIR]        (default: ./calorimeter-recipe)
#
# Run ./install.sh first. Sizes come from the environment (the defaults are the recipe as measured: 30 minutes of
# one shared core on a 2-core machine; examples/slurm/calorimeter-train.sbatch runs it on a cluster):
#   RANKS=1             MPI ranks (each launches its own simulator; --batch-size is the global minibatch)
#   GRID=4x6x6          calorimeter grid (the reference events' grid)
#   NOISE=4.0           per-cell noise, GeV
#   TRAIN=204800        traces to train on in all (rerunning resumes the network in WORK_DIR up to TRAIN)
#   SCHEDULE=480000     length of the learning-rate schedule: a rerun with a larger TRAIN (up to SCHEDULE)
#                       continues the same schedule
#   BATCH=64            minibatch
#   LSTM=128            LSTM hidden units
#   EMBEDDING=calo:ff:64  observation embedding (2 dense layers to 64; calo:cnn3d:64 for the 3D CNN)
#   COMPONENTS=5        mixture components per continuous proposal
#   LR=3e-3 LR_END=1e-4 Adam's learning rate, linear (poly1) to LR_END over SCHEDULE traces
#   VALIDATION=1024     validation traces
#   SEED=15             training data seed
#   LUMIS=.build/release/lumis
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-calorimeter-recipe}
RANKS=${RANKS:-1} GRID=${GRID:-4x6x6} NOISE=${NOISE:-4.0} TRAIN=${TRAIN:-204800} SCHEDULE=${SCHEDULE:-480000}
BATCH=${BATCH:-64} LSTM=${LSTM:-128} EMBEDDING=${EMBEDDING:-calo:ff:64} COMPONENTS=${COMPONENTS:-5} LR=${LR:-3e-3}
LR_END=${LR_END:-1e-4} VALIDATION=${VALIDATION:-1024} SEED=${SEED:-15}
. "$root/examples/calorimeter/common.sh"
model="$simulator {endpoint} --grid $GRID --noise $NOISE"

mkdir -p "$work"
cd "$work"
network=(--observe-embedding "$EMBEDDING" --lstm-hidden "$LSTM" --components "$COMPONENTS" --optimizer adam
    --learning-rate "$LR" --schedule poly1 --learning-rate-end "$LR_END" --schedule-traces "$SCHEDULE")
resume=()
# A rerun continues the checkpoint (its sizes and schedule are in the file).
[ -e calorimeter.lumisnet ] && resume=(--resume calorimeter.lumisnet) && network=()

echo "== training up to $TRAIN traces on $RANKS rank(s), grid $GRID, noise $NOISE GeV"
ranks train --launch "$model" --workers 1 --threads 1 --until-traces "$TRAIN" --batch-size "$BATCH" \
    --validation-traces "$VALIDATION" --checkpoint-every 300 --seed "$SEED" --out calorimeter.lumisnet \
    "${network[@]}" "${resume[@]}"
"$lumis" network-info calorimeter.lumisnet --points 10
echo "wrote $(pwd)/calorimeter.lumisnet; check it: benchmarks/calorimeter-ic.sh --network $(pwd)/calorimeter.lumisnet"
