#!/usr/bin/env bash
# Reference posteriors on the calorimeter (issue 15 part 2, docs/calorimeter.md "Reference posteriors"): for each
# event, long RMH chains continued with --resume until px, py, pz and the channel indicators reach split R-hat
# <= 1.05 and bulk ESS >= 400, or a step cap. One lumis process at a time, niced: it takes about 3-15 minutes
# per event on a shared 2-core machine.
#
#   benchmarks/calorimeter-reference.sh [--no-build] [--events "1 2 ..."] [--out DIR] [--max-steps N]
#                                       [--fixture DIR]
#
#   --events      event seeds (default 1..10); event S is `calorimeter --simulate S --grid 4x6x6 --noise 4.0`
#   --out DIR     work directory (default calorimeter-reference); DIR/event-SS/ holds the observation, the truth,
#                 every run's posterior and draws, runs.jsonl and summary.json; DIR/calorimeter-reference.json
#                 merges the summaries of every event found in DIR
#   --max-steps N cap on the post-burn-in steps per chain (default 40000)
#   --fixture DIR also copy DIR/calorimeter-reference.json and the observations there as reference.json and
#                 event-SS.json (the committed test data: Tests/Fixtures/calorimeter-reference)
#
# Rerunning continues: an event whose summary says converged is skipped; any other continues its last run
# (--resume) up to --max-steps, so a larger cap extends the unconverged events.
# Chains: 4, RMH, burn-in 2000, first run 10000 steps per chain, thin 10, inference seed 1000 + event seed. Each
# later run resumes the previous one with the steps that the worst diagnostic's ESS says are needed (x 1.25,
# between 1.5x and 4x the length so far), up to the cap. The check and summaries: calorimeter-reference.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=1 events="1 2 3 4 5 6 7 8 9 10" out=calorimeter-reference cap=40000 fixture=""
while [ $# -gt 0 ]; do
    case $1 in
        --no-build) build=0 ;;
        --events) events=$2; shift ;;
        --out) out=$2; shift ;;
        --max-steps) cap=$2; shift ;;
        --fixture) fixture=$(mkdir -p "$2" && cd "$2" && pwd); shift ;;
        *)
            echo "usage: $0 [--no-build] [--events \"1 2 ...\"] [--out DIR] [--max-steps N] [--fixture DIR]" >&2
            exit 64
            ;;
    esac
    shift
done
grid=4x6x6 noise=4.0 chains=4 burn_in=2000 first=10000 thin=10
lumis=$root/.build/release/lumis
simulator=$root/simulators/build/bin/calorimeter
helper=$root/benchmarks/calorimeter-reference.py
if [ "$build" = 1 ]; then
    (cd "$root" && simulators/build.sh >/dev/null && swift build -c release --product lumis >/dev/null)
fi
for tool in "$lumis" "$simulator"; do
    [ -x "$tool" ] || { echo "missing $tool: build first (or drop --no-build)" >&2; exit 1; }
done
export OPENBLAS_NUM_THREADS=1
model="$simulator {endpoint} --grid $grid --noise $noise"
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"

# Runs one lumis infer (arguments after the run index), timing it and logging the command to runs.jsonl.
run() {
    local dir=$1 index=$2 steps=$3; shift 3
    local start end
    start=$(date +%s.%N)
    nice -n 5 "$lumis" infer "$@" --traces "$steps" --thin "$thin" --no-progress \
        --out "$dir/run-$index.json" --draws-csv "$dir/run-$index.draws.csv" 2>"$dir/run-$index.log"
    end=$(date +%s.%N)
    python3 - "$dir/runs.jsonl" "$steps" "$start" "$end" "$root/" "$@" --traces "$steps" --thin "$thin" <<'EOF'
import json, shlex, sys
path, steps, start, end, root = sys.argv[1:6]
# Paths relative to the repository keep the command valid in any checkout.
arguments = [a.replace(root, "") for a in sys.argv[6:]]
entry = {"steps_per_chain": int(steps), "seconds": round(float(end) - float(start), 1),
         "command": shlex.join(["lumis", "infer"] + arguments)}
open(path, "a").write(json.dumps(entry) + "\n")
EOF
}

for seed in $events; do
    dir=$out/event-$(printf %02d "$seed")
    mkdir -p "$dir"
    if [ -e "$dir/summary.json" ] && grep -q '"converged": true' "$dir/summary.json"; then
        echo "event $seed: converged before, skipped"; continue
    fi
    "$simulator" --simulate "$seed" --grid "$grid" --noise "$noise" >"$dir/observation.json" 2>"$dir/truth.txt"
    echo "event $seed: $(cat "$dir/truth.txt")"
    index=$(find "$dir" -name 'run-*.json' | wc -l)
    if [ "$index" = 0 ]; then
        index=1
        run "$dir" 1 "$first" --launch "simulators/build/bin/calorimeter {endpoint} --grid $grid --noise $noise" \
            --engine rmh --chains "$chains" --burn-in "$burn_in" --seed $((1000 + seed)) \
            --observe-file "$dir/observation.json"
    fi
    total=$(python3 -c 'import json, sys; print(sum(json.loads(l)["steps_per_chain"] for l in open(sys.argv[1])))' \
        "$dir/runs.jsonl")
    while :; do
        verdict=$(python3 "$helper" check "$dir" "$cap")
        echo "event $seed: $total steps per chain: $verdict"
        case $verdict in
            more*) ;;
            *) break ;;
        esac
        next=${verdict#more }
        run "$dir" $((index + 1)) $((next - total)) --launch \
            "simulators/build/bin/calorimeter {endpoint} --grid $grid --noise $noise" --engine rmh \
            --resume "$dir/run-$index.json"
        index=$((index + 1)) total=$next
    done
    python3 "$helper" summary "$dir" "$cap"
done
configuration=$(printf '{"grid": "%s", "noise": %s, "chains": %d, "events_command": "%s"}' "$grid" "$noise" \
    "$chains" "simulators/build/bin/calorimeter --simulate SEED --grid $grid --noise $noise")
python3 "$helper" collect "$out/calorimeter-reference.json" "$configuration" "$out"/event-*/summary.json
echo "wrote $out/calorimeter-reference.json"
if [ -n "$fixture" ]; then
    cp "$out/calorimeter-reference.json" "$fixture/reference.json"
    for dir in "$out"/event-*/; do
        cp "$dir/observation.json" "$fixture/$(basename "$dir").json"
    done
    echo "copied the reference and the observations to $fixture"
fi
