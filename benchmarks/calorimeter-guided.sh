#!/usr/bin/env bash
# Network-guided RMH beside plain RMH on the calorimeter reference events (issue 15 part 4; docs/mcmc.md
# "Independence moves from a network", docs/calorimeter.md "Reference posteriors"): for each event, the same
# chains, burn-in, steps and seed with and without --network, one lumis process at a time (niced), and per
# kernel the wall time, R-hat and bulk ESS per second of px, py, pz and the indicator of every channel that holds
# at least 0.05 of the reference posterior (the worst of them is shown), with the channel probabilities' total
# variation from the reference.
#
#   benchmarks/calorimeter-guided.sh --network NET [--no-build] [--events "1 2 ..."] [--steps N] [--burn-in B]
#                                    [--out DIR]
#
#   --network NET  a network trained on `calorimeter {endpoint} --grid 4x6x6 --noise 4.0` (docs/calorimeter.md)
#   --events       event seeds (default 1..10): Tests/Fixtures/calorimeter-reference/event-SS.json
#   --steps N      post-burn-in steps per chain (default 10000; 4 chains, seed 2000 + event seed)
#   --burn-in B    burn-in steps per chain (default 2000)
#   --out DIR      work directory for the posterior files (default calorimeter-guided)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=1 events="1 2 3 4 5 6 7 8 9 10" steps=10000 burn_in=2000 out=calorimeter-guided network=""
while [ $# -gt 0 ]; do
    case $1 in
        --network) network=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
        --no-build) build=0 ;;
        --events) events=$2; shift ;;
        --steps) steps=$2; shift ;;
        --burn-in) burn_in=$2; shift ;;
        --out) out=$2; shift ;;
        *)
            echo "usage: $0 --network NET [--no-build] [--events \"1 2 ...\"] [--steps N] [--burn-in B] [--out DIR]" >&2
            exit 64
            ;;
    esac
    shift
done
[ -n "$network" ] || { echo "$0: --network NET is required" >&2; exit 64; }
[ -f "$network" ] || { echo "$0: no network file $network" >&2; exit 1; }
lumis=$root/.build/release/lumis
fixtures=$root/Tests/Fixtures/calorimeter-reference
if [ "$build" = 1 ]; then
    (cd "$root" && simulators/build.sh >/dev/null && swift build -c release --product lumis >/dev/null)
fi
[ -x "$lumis" ] || { echo "missing $lumis: build first (or drop --no-build)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"
model="simulators/build/bin/calorimeter {endpoint} --grid 4x6x6 --noise 4.0"

for seed in $events; do
    event=$(printf %02d "$seed")
    for kernel in plain guided; do
        guide=()
        [ "$kernel" = guided ] && guide=(--network "$network")
        start=$(date +%s.%N)
        nice -n 5 "$lumis" infer --launch "$model" --engine rmh --chains 4 --burn-in "$burn_in" --traces "$steps" \
            --seed $((2000 + seed)) --observe-file "$fixtures/event-$event.json" "${guide[@]}" --no-progress \
            --out "$out/event-$event-$kernel.json" 2>"$out/event-$event-$kernel.log"
        end=$(date +%s.%N)
        echo "$end - $start" | bc -l >"$out/event-$event-$kernel.seconds"
    done
done

python3 - "$out" "$fixtures/reference.json" $events <<'EOF'
import json, sys
out, reference_path = sys.argv[1:3]
references = {e["seed"]: e for e in json.load(open(reference_path))["events"]}
print("| event | kernel | s | acceptance | network acceptance | px R-hat, ESS/s | py R-hat, ESS/s | pz R-hat, ESS/s"
      " | worst channel indicator R-hat, ESS/s | TV to reference |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for seed in map(int, sys.argv[3:]):
    reference = references[seed]
    channels = [c for c, p in enumerate(reference["channel_probabilities"]) if p >= 0.05]
    for kernel in ("plain", "guided"):
        stem = "%s/event-%02d-%s" % (out, seed, kernel)
        posterior = json.load(open(stem + ".json"))
        seconds = float(open(stem + ".seconds").read())
        chains = posterior["chains"]
        proposals = sum(c["proposals"] for c in chains)
        accepted = sum(c["accepted"] for c in chains)
        moves = [c["addresses"].get("(network)") for c in chains]
        network = "-"
        if all(moves):
            network = "%.3f" % (sum(m["accepted"] for m in moves) / max(1, sum(m["proposals"] for m in moves)))
        cells = []
        for name in ("px", "py", "pz"):
            v = posterior["variables"][name]
            cells.append("%.3f, %.2f" % (v["r_hat"], v["ess_bulk"] / seconds))
        result = posterior["result"]
        worst = min(channels, key=lambda c: result["ess_bulk"][c])
        cells.append("%.3f, %.2f (channel %d)" % (result["r_hat"][worst], result["ess_bulk"][worst] / seconds, worst))
        tv = 0.5 * sum(abs(a - b) for a, b in zip(result["mean"], reference["channel_probabilities"]))
        print("| %d | %s | %.0f | %.3f | %s | %s | %.3f |" % (
            seed, kernel, seconds, accepted / proposals, network, " | ".join(cells), tv))
EOF
