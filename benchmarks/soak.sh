#!/usr/bin/env bash
# Soak test: a run disturbed by crashes and preemption ends exactly where an undisturbed one does.
#
#   benchmarks/soak.sh [--traces N] [--train-traces M] [--workers W] [--kill-every S] [--no-build]
#
#   --traces N        GUM traces of the inference part (default 100000).
#   --train-traces M  traces of the training part (default 20000; 0 skips it).
#   --workers W       launched simulators (default 2).
#   --kill-every S    seconds between kill -9s of a launched simulator (default 0.3).
#   --term-after T    a training run gets SIGTERM between T/2 and T seconds after it starts (default: 3/4 of the
#                     uninterrupted run's wall time, so preemptions land mid-run at any machine speed).
#   --no-build        use the binaries already built.
#
# LUMIS_BIN=path overrides the lumis binary (default: the release build of this checkout).
#
# Inference: `lumis infer` on GUM with W workers, once undisturbed and once while a loop kill -9s one of its
# launched simulators every S seconds. The two posterior files must be equal byte for byte once the counters
# of failed traces and restarts (the only fields a crash may change) are masked.
# Training: `lumis train --until-traces M` once uninterrupted, and once SIGTERMed every few seconds and resumed
# with --resume until done (each SIGTERM must exit 143 after writing a checkpoint). The final parameter sections
# (everything but the validation bookkeeping) must be equal; the test suite compares the decoded parameters.
#
# Exits 0 and prints "soak: ok" when both parts agree; 1 with the reason otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

traces=100000
train_traces=20000
workers=2
kill_every=0.3
term_after=auto
build=1
while [ $# -gt 0 ]; do
    case "$1" in
    --traces) traces="$2"; shift 2 ;;
    --train-traces) train_traces="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --kill-every) kill_every="$2"; shift 2 ;;
    --term-after) term_after="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
if [ "$build" = 1 ]; then
    simulators/build.sh >/dev/null
    swift build -c release --product lumis >/dev/null
fi
lumis="${LUMIS_BIN:-$(swift build -c release --show-bin-path)/lumis}"
gum="$PWD/simulators/build/bin/gum"
export OPENBLAS_NUM_THREADS=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

infer=(infer --launch "$gum {endpoint}" --workers "$workers" --traces "$traces" --seed 7 --observe obs0=8
    --observe obs1=9 --no-progress --max-failures 1000)

echo "soak: $traces GUM traces, $workers workers, undisturbed"
"$lumis" "${infer[@]}" --out "$work/reference.json" 2>"$work/reference.err"

echo "soak: the same, kill -9 of a launched simulator every $kill_every s"
"$lumis" "${infer[@]}" --out "$work/disturbed.json" 2>"$work/disturbed.err" &
pid=$!
kills=0
while kill -0 "$pid" 2>/dev/null; do
    sleep "$kill_every"
    # Launched simulators carry their private endpoint, $TMPDIR/lumis-<lumis pid>-XXXXXX/<worker>.sock.
    victims=($(pgrep -f "/lumis-$pid-" || true))
    if [ ${#victims[@]} -gt 0 ]; then
        kill -9 "${victims[$((RANDOM % ${#victims[@]}))]}" 2>/dev/null && kills=$((kills + 1)) || true
    fi
done
wait "$pid" || { echo "soak: the disturbed run failed:"; cat "$work/disturbed.err"; exit 1; }
mask() { sed -E 's/"(failed_traces|restarts)":[0-9]+/"\1":_/g' "$1"; }
if ! cmp -s <(mask "$work/reference.json") <(mask "$work/disturbed.json"); then
    echo "soak: FAILED: the posterior after $kills kills differs from the undisturbed one"
    exit 1
fi
echo "soak: $kills kills; $(tail -n 2 "$work/disturbed.err" | head -n 1)"
echo "soak: posterior identical to the undisturbed run (failed_traces and restarts masked)"

if [ "$train_traces" -gt 0 ]; then
    train=(train --launch "$gum {endpoint}" --workers "$workers" --until-traces "$train_traces" --batch-size 32
        --lstm-hidden 8 --embedding-dim 4 --validation-traces 32 --seed 11 --no-progress)
    echo "soak: training on $train_traces traces, uninterrupted"
    started=$(date +%s.%N)
    "$lumis" "${train[@]}" --out "$work/whole.lumisnet" 2>"$work/whole.err"
    if [ "$term_after" = auto ]; then term_after=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print (b - a) * 3 / 4 }'); fi
    echo "soak: the same, SIGTERM every few seconds and --resume"
    terms=0
    resume=()
    while :; do
        "$lumis" "${train[@]}" "${resume[@]}" --out "$work/part.lumisnet" 2>"$work/part.err" &
        pid=$!
        # After 10 preemptions the run is left to finish, so a machine whose start-up takes longer than T ends.
        if [ "$terms" -lt 10 ]; then
            sleep "$(awk -v r=$RANDOM -v t="$term_after" 'BEGIN { printf "%.2f", t / 2 + t / 2 * r / 32768 }')"
            kill -TERM "$pid" 2>/dev/null || true
        fi
        status=0
        wait "$pid" || status=$?
        if [ "$status" = 0 ]; then break; fi
        if [ "$status" != 143 ]; then echo "soak: training exited $status:"; cat "$work/part.err"; exit 1; fi
        terms=$((terms + 1))
        # A SIGTERM before the first step leaves no checkpoint: that run starts afresh.
        if [ -f "$work/part.lumisnet" ]; then resume=(--resume "$work/part.lumisnet"); fi
    done
    echo "soak: $terms runs ended by SIGTERM (exit 143) and resumed"
    if [ -n "${SOAK_KEEP:-}" ]; then cp "$work/whole.lumisnet" "$work/part.lumisnet" "$SOAK_KEEP/"; fi
fi
echo "soak: ok"
