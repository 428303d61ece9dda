#!/usr/bin/env bash
# Throughput of `lumis infer --engine prior` on the GUM simulator over ipc, against a bare ZeroMQ REQ/REP
# ping-pong of the same frame sizes, measured in the same run. See docs/performance.md.
#
#   benchmarks/throughput.sh [--traces N] [--repeats R] [--rss-traces M] [--no-build] [--baseline LUMIS]
#
#   --traces N       GUM traces per Lumis measurement (default 20000); the ping-pong does 4·N round trips.
#   --repeats R      rounds; each round runs ping-pong, Lumis 1 worker and Lumis 2 workers once (default 3).
#   --rss-traces M   traces of the peak-RSS run (default 200000; 0 skips it).
#   --no-build       use the binaries already built.
#   --baseline LUMIS also time another lumis binary (e.g. one built from main) in every round, 1 worker.
#
# LUMIS_BIN=path overrides the lumis binary under test (default: the release build of this checkout).
#
# Prints every measurement, then a table of medians. The ratio compares messages per second: Lumis round
# trips/s (4 per GUM trace) ÷ ping-pong round trips/s, per round, median over rounds.
set -euo pipefail
cd "$(dirname "$0")/.."

traces=20000
repeats=3
rss_traces=200000
build=1
baseline=""
while [ $# -gt 0 ]; do
    case "$1" in
    --traces) traces="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --rss-traces) rss_traces="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --baseline) baseline="$2"; shift 2 ;;
    *) echo "usage: $0 [--traces N] [--repeats R] [--rss-traces M] [--no-build] [--baseline LUMIS]" >&2; exit 64 ;;
    esac
done

export OPENBLAS_NUM_THREADS=1
bin=simulators/build/bin
if [ "$build" = 1 ]; then
    echo "building simulators and lumis (release)..." >&2
    bash simulators/build.sh >/dev/null
    swift build -c release --product lumis >/dev/null
fi
lumis="${LUMIS_BIN:-$(swift build -c release --show-bin-path)/lumis}"
for tool in "$bin/gum" "$bin/zmq_pingpong" "$lumis"; do
    [ -x "$tool" ] || { echo "missing $tool (run without --no-build)" >&2; exit 1; }
done

tag="lumis-bench-$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f /tmp/"$tag"-*
}
trap cleanup EXIT

# Two GUM simulators, started once and reused by every Lumis run (each run connects and handshakes anew).
for w in 0 1; do
    "$bin/gum" "ipc:///tmp/$tag-gum$w" &
    pids+=($!)
done
sleep 0.3

now() { date +%s.%N; }

# The PPX frame sizes of one GUM trace as Lumis sends and receives them: strace the data socket of a
# two-trace run and take the last 4 exchanges. Each ZMTP write/read carries the REQ envelope's empty
# delimiter frame (2 bytes) and a short-frame header (2 bytes) before the PPX bytes.
sizes="32:168 80:168 32:168 32:80"
if command -v strace >/dev/null; then
    strace -f -e trace=sendto,recvfrom -o "/tmp/$tag-strace" \
        "$lumis" infer --simulator "ipc:///tmp/$tag-gum0" --engine prior --traces 2 --seed 1 --no-progress \
        >/dev/null 2>&1 || true
    measured=$(awk '/(sendto|recvfrom)\(.*"\\1\\0\\0/ && $NF > 4 {
            op = ($2 ~ /^sendto/) ? "S" : "R"; print op, $NF - 4 }' "/tmp/$tag-strace" |
        tail -n 8 | awk '$1 == "S" { req = $2 } $1 == "R" { printf "%s%d:%d", sep, req, $2; sep = " " }')
    if [ "$(echo "$measured" | wc -w)" = 4 ]; then sizes="$measured"; else
        echo "could not read frame sizes from strace; using the documented ones" >&2
    fi
fi
echo "GUM trace frame sizes (request:reply bytes): $sizes"

run_lumis() { # workers traces [binary] -> seconds
    local workers=$1 n=$2 binary=${3:-$lumis} args=() start end
    for ((w = 0; w < workers; w++)); do args+=(--simulator "ipc:///tmp/$tag-gum$w"); done
    start=$(now)
    "$binary" infer "${args[@]}" --workers "$workers" --engine prior --traces "$n" --seed 7 --no-progress \
        >/dev/null
    end=$(now)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }'
}

run_probe() { # traces -> traces/s of the minimal C++ PPX engine (ppx_probe; its per-message lines go to /dev/null)
    local start end
    start=$(now)
    "$bin/ppx_probe" "ipc:///tmp/$tag-gum0" "$1" 7 >/dev/null
    end=$(now)
    awk -v n="$1" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", n / (b - a) }'
}

run_pingpong() { # round trips -> round trips/s
    # --fork: the echo in a process of its own, as a simulator is.
    "$bin/zmq_pingpong" --fork "ipc:///tmp/$tag-pp" "$1" $sizes | awk '{ print $2 }'
}

pp=() l1=() l2=() ratio=() lb=() ratio_b=() cp=()
printf '%-6s %14s %16s %14s %16s %8s %16s' round "pingpong rt/s" "lumis1 traces/s" "lumis1 rt/s" "lumis2 traces/s" ratio \
    "probe traces/s"
[ -n "$baseline" ] && printf ' %16s %8s' "baseline traces/s" "ratio"
echo
for ((r = 1; r <= repeats; r++)); do
    p=$(run_pingpong $((4 * traces)))
    s1=$(run_lumis 1 "$traces")
    s2=$(run_lumis 2 "$traces")
    t1=$(awk -v n="$traces" -v s="$s1" 'BEGIN { printf "%.1f", n / s }')
    t2=$(awk -v n="$traces" -v s="$s2" 'BEGIN { printf "%.1f", n / s }')
    c=$(run_probe "$traces")
    q=$(awk -v t="$t1" -v p="$p" 'BEGIN { printf "%.3f", 4 * t / p }')
    pp+=("$p"); l1+=("$t1"); l2+=("$t2"); ratio+=("$q"); cp+=("$c")
    printf '%-6s %14s %16s %14s %16s %8s %16s' "$r" "$p" "$t1" "$(awk -v t="$t1" 'BEGIN { printf "%.1f", 4 * t }')" \
        "$t2" "$q" "$c"
    if [ -n "$baseline" ]; then
        sb=$(run_lumis 1 "$traces" "$baseline")
        tb=$(awk -v n="$traces" -v s="$sb" 'BEGIN { printf "%.1f", n / s }')
        qb=$(awk -v t="$tb" -v p="$p" 'BEGIN { printf "%.3f", 4 * t / p }')
        lb+=("$tb"); ratio_b+=("$qb")
        printf ' %16s %8s' "$tb" "$qb"
    fi
    echo
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mp=$(median "${pp[@]}"); m1=$(median "${l1[@]}"); m2=$(median "${l2[@]}"); mq=$(median "${ratio[@]}")


echo
echo "medians over $repeats rounds, $traces GUM traces per Lumis run, $((4 * traces)) ping-pong round trips:"
echo
echo "| measurement | traces/s | round trips/s | ÷ ping-pong |"
echo "| --- | ---: | ---: | ---: |"
printf '| bare ZeroMQ REQ/REP ping-pong | %s | %s | 1 |\n' "$(awk -v p="$mp" 'BEGIN { printf "%.0f", p / 4 }')" \
    "$(awk -v p="$mp" 'BEGIN { printf "%.0f", p }')"
printf '| lumis infer --engine prior, 1 worker | %s | %s | %s |\n' "$(awk -v t="$m1" 'BEGIN { printf "%.0f", t }')" \
    "$(awk -v t="$m1" 'BEGIN { printf "%.0f", 4 * t }')" "$mq"
printf '| lumis infer --engine prior, 2 workers | %s | %s | %s |\n' \
    "$(awk -v t="$m2" 'BEGIN { printf "%.0f", t }')" "$(awk -v t="$m2" 'BEGIN { printf "%.0f", 4 * t }')" \
    "$(awk -v t="$m2" -v p="$mp" 'BEGIN { printf "%.3f", 4 * t / p }')"
mc=$(median "${cp[@]}")
printf '| minimal C++ PPX engine (ppx_probe) against the same gum | %s | %s | %s |\n' \
    "$(awk -v t="$mc" 'BEGIN { printf "%.0f", t }')" "$(awk -v t="$mc" 'BEGIN { printf "%.0f", 4 * t }')" \
    "$(awk -v t="$mc" -v p="$mp" 'BEGIN { printf "%.3f", 4 * t / p }')"
if [ -n "$baseline" ]; then
    mb=$(median "${lb[@]}"); mqb=$(median "${ratio_b[@]}")
    printf '| baseline %s, 1 worker | %s | %s | %s |\n' "$baseline" "$(awk -v t="$mb" 'BEGIN { printf "%.0f", t }')" \
        "$(awk -v t="$mb" 'BEGIN { printf "%.0f", 4 * t }')" "$mqb"
fi
echo
awk -v q="$mq" 'BEGIN { printf "ratio (1 worker) %.3f: target 0.8 %s\n", q, (q >= 0.8 ? "met" : "NOT met") }'

if [ "$rss_traces" -gt 0 ]; then
    # Peak RSS of a small and a large run; the difference per extra trace is what the posterior store (and the
    # summary computed from it) costs per trace.
    small=2000
    rss() {
        /usr/bin/time -f '%M' -o "/tmp/$tag-time" "$lumis" infer --simulator "ipc:///tmp/$tag-gum0" --engine prior \
            --traces "$1" --seed 7 --no-progress >/dev/null
        tail -n 1 "/tmp/$tag-time"
    }
    k_small=$(rss "$small")
    k_large=$(rss "$rss_traces")
    echo
    awk -v s="$k_small" -v l="$k_large" -v ns="$small" -v nl="$rss_traces" 'BEGIN {
        printf "peak RSS: %d traces %.1f MiB, %d traces %.1f MiB: %.0f bytes per trace\n",
            ns, s / 1024, nl, l / 1024, (l - s) * 1024 / (nl - ns) }'
fi
