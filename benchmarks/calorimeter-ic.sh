#!/usr/bin/env bash
# Acceptance of a trained calorimeter network (issue 15 part 3, docs/calorimeter.md "Training a network that
# works"): IC posteriors of the reference events against their long-RMH reference posteriors, then simulation-based
# calibration over prior events.
#   1. For each reference event SEED (`calorimeter --simulate SEED` on the reference's grid and noise; its truth
#      line must be the reference's): `lumis infer --engine ic --network FILE --traces N`. The event passes when the
#      channel probabilities (the result mean) are within total variation 0.15 of the reference's, and px, py, pz
#      means are within max(4 sqrt(sd_ic^2/ESS_ic + MCSE_ref^2), 0.1 sd_ref) of the reference's. Prints the table
#      and "k of n events pass (needed ceil(0.8 n))"; the network is accepted at 8 of 10.
#   2. `lumis calibrate --engine ic --events M --traces N`: whether the 90% coverage of px, py, pz lies within its
#      binomial 4-sigma band (and `lumis summary` of the file, which flags miscalibration).
# Everything runs niced, one simulator worker, one network thread. Results: OUT/acceptance.json (table, verdicts,
# calibration), OUT/event-SS/ (observation, truth, posterior), OUT/calibration.json, OUT/times.txt.
#
#   benchmarks/calorimeter-ic.sh --network FILE [--no-build] [--reference FILE] [--events "1 2 ..."] [--traces N]
#       [--calibration-events M] [--calibration-traces N] [--seed S] [--out DIR]
#
#   --reference   reference file (default Tests/Fixtures/calorimeter-reference/reference.json)
#   --events      reference event seeds (default 1..10)
#   --traces      IC traces per reference event (default 20000)
#   --calibration-events, --calibration-traces   (default 200 and 1000; 0 events skips the calibration)
#   --seed        inference and calibration seed (default 1)
#   --out         work directory (default calorimeter-ic)
#   LUMIS         the lumis executable (default .build/release/lumis)
# With the recipe's network the defaults took about 40 minutes on one shared core (docs/calorimeter.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=1 network="" reference=$root/Tests/Fixtures/calorimeter-reference/reference.json
events="1 2 3 4 5 6 7 8 9 10" traces=20000 calibration_events=200 calibration_traces=1000 seed=1
out=calorimeter-ic
usage="usage: $0 --network FILE [--no-build] [--reference FILE] [--events \"1 2 ...\"] [--traces N] \
[--calibration-events M] [--calibration-traces N] [--seed S] [--out DIR]"
while [ $# -gt 0 ]; do
    case $1 in
        --no-build) build=0; shift; continue ;;
        --network | --reference | --events | --traces | --calibration-events | --calibration-traces | --seed | --out)
            [ $# -ge 2 ] || { echo "$1 needs a value; $usage" >&2; exit 64; } ;;
        *) echo "$usage" >&2; exit 64 ;;
    esac
    case $1 in
        --network) network=$2 ;;
        --reference) reference=$2 ;;
        --events) events=$2 ;;
        --traces) traces=$2 ;;
        --calibration-events) calibration_events=$2 ;;
        --calibration-traces) calibration_traces=$2 ;;
        --seed) seed=$2 ;;
        --out) out=$2 ;;
    esac
    shift 2
done
[ -n "$network" ] || { echo "--network is required; $usage" >&2; exit 64; }
[ -r "$network" ] || { echo "--network $network: cannot read the file" >&2; exit 1; }
[ -r "$reference" ] || { echo "--reference $reference: cannot read the file" >&2; exit 1; }
network=$(cd "$(dirname "$network")" && pwd)/$(basename "$network")
reference=$(cd "$(dirname "$reference")" && pwd)/$(basename "$reference")
if [ "$build" = 1 ]; then
    (cd "$root" && simulators/build.sh >/dev/null && swift build -c release --product lumis >/dev/null)
fi
lumis=${LUMIS:-$root/.build/release/lumis}
simulator=$root/simulators/build/bin/calorimeter
helper=$root/benchmarks/calorimeter-ic.py
for tool in "$lumis" "$simulator"; do
    [ -x "$tool" ] || { echo "missing $tool: build first (or drop --no-build)" >&2; exit 1; }
done
read -r grid noise < <(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["grid"], d["noise"])' \
    "$reference") || { echo "--reference $reference: no grid and noise" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
model="$simulator {endpoint} --grid $grid --noise $noise"
mkdir -p "$out"
out=$(cd "$out" && pwd)
: > "$out/times.txt"
now() { date +%s.%N; }
elapsed() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }

echo "== IC on the reference events ($grid, noise $noise GeV, $traces traces each, network $network)"
for event in $events; do
    dir=$out/event-$(printf %02d "$event")
    mkdir -p "$dir"
    "$simulator" --simulate "$event" --grid "$grid" --noise "$noise" > "$dir/event.json" 2> "$dir/truth.txt"
    python3 - "$reference" "$event" "$dir/truth.txt" <<'EOF'
import json, sys
events = {e["seed"]: e for e in json.load(open(sys.argv[1]))["events"]}
truth = open(sys.argv[3]).read().strip()
if int(sys.argv[2]) not in events:
    sys.exit("reference %s: no event with seed %s" % (sys.argv[1], sys.argv[2]))
if events[int(sys.argv[2])]["truth"] != truth:
    sys.exit("event %s: the simulator's truth '%s' is not the reference's '%s'" % (
        sys.argv[2], truth, events[int(sys.argv[2])]["truth"]))
EOF
    start=$(now)
    nice -n 5 "$lumis" infer --engine ic --network "$network" --launch "$model" --observe-file "$dir/event.json" \
        --traces "$traces" --workers 1 --seed "$seed" --out "$dir/posterior.json" --no-progress 2> "$dir/infer.log"
    echo "infer event $event: $(elapsed "$start" "$(now)") s for $traces traces" >> "$out/times.txt"
done
python3 "$helper" compare "$reference" "$out" $events

if [ "$calibration_events" -gt 0 ]; then
    echo "== calibration: $calibration_events prior events, $calibration_traces IC traces each"
    start=$(now)
    nice -n 5 "$lumis" calibrate --engine ic --network "$network" --launch "$model" --workers 1 \
        --events "$calibration_events" --traces "$calibration_traces" --seed "$seed" --out "$out/calibration.json" \
        --no-progress 2> "$out/calibrate.log"
    echo "calibrate: $(elapsed "$start" "$(now)") s for $calibration_events events x $calibration_traces traces" \
        >> "$out/times.txt"
    "$lumis" summary "$out/calibration.json"
    python3 "$helper" calibration "$out/calibration.json" "$out"
fi
cat "$out/times.txt"
echo "wrote $out/acceptance.json"
