# Sourced by walkthrough.sh and recipe.sh: the binaries they need and how they run a command on MPI ranks.
# Expects root (the repository) and RANKS to be set.
lumis=${LUMIS:-$root/.build/release/lumis}
simulator="$root/simulators/build/bin/calorimeter"
for tool in "$lumis" "$simulator"; do
    [ -x "$tool" ] || { echo "missing $tool: run ./install.sh first" >&2; exit 1; }
done
# One network thread per rank: the rank's simulator needs the rest of its core.
export OPENBLAS_NUM_THREADS=1

# Runs a lumis command on RANKS MPI ranks (Open MPI asks root to say so; more ranks than cores need --oversubscribe).
ranks() {
    if [ "$RANKS" -le 1 ]; then "$lumis" "$@"; return; fi
    local flags=(--oversubscribe -np "$RANKS" -x OPENBLAS_NUM_THREADS)
    [ "$(id -u)" = 0 ] && flags+=(--allow-run-as-root)
    mpirun "${flags[@]}" "$lumis" "$@"
}
