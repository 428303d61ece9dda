#!/usr/bin/env python3
"""Convergence check and summary of one calorimeter reference event (called by calorimeter-reference.sh).

    calorimeter-reference.py check EVENT_DIR     prints "met", or "more TOTAL" (steps per chain to reach next)
    calorimeter-reference.py summary EVENT_DIR   writes EVENT_DIR/summary.json
    calorimeter-reference.py collect OUT CONFIG FILE...  merges summaries into one reference file
    calorimeter-reference.py table REFERENCE     prints the Markdown table of docs/calorimeter.md

EVENT_DIR holds run-1.json, run-1.draws.csv, run-2.json (a `lumis infer --resume` of run 1), ... and runs.jsonl
(one line per run: command, steps per chain, wall seconds). The draws of all runs are joined per chain, so the
diagnostics are those of the chains' whole post-burn-in length. Diagnostics as lumis computes them (Vehtari et
al. 2021, through ArviZ, which lumis matches to 1e-9): rank-normalised split R-hat, bulk ESS, MCSE of the mean.
"""
import csv
import glob
import json
import math
import os
import sys

import arviz
import numpy

CHANNELS = 29
R_HAT_MAX = 1.05
ESS_MIN = 400.0
# Channels whose pooled posterior probability reaches this get their indicator checked.
INDICATOR_PROBABILITY = 0.05
MOMENTA = ("px", "py", "pz")


def runs(directory):
    """The run files in order (run-1.json, run-2.json, ...)."""
    files = glob.glob(os.path.join(directory, "run-*.json"))
    return sorted(files, key=lambda f: int(os.path.basename(f)[4:-5]))


def draws(directory):
    """Per variable, an array (chain, draw) of every run's draws joined in run order."""
    columns = {name: {} for name in MOMENTA + ("channel",)}
    for run in runs(directory):
        with open(run[:-5] + ".draws.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                chain = int(row["chain"])
                for name, per_chain in columns.items():
                    per_chain.setdefault(chain, []).append(float(row[name]))
    arrays = {}
    for name, per_chain in columns.items():
        length = min(len(values) for values in per_chain.values())
        arrays[name] = numpy.array([per_chain[c][:length] for c in sorted(per_chain)])
    return arrays


def diagnostics(values):
    """R-hat, bulk ESS, MCSE of the mean, mean and sd of one (chain, draw) array."""
    flat = values.reshape(-1)
    if numpy.all(flat == flat[0]):
        # Every draw of every chain equal: R-hat is undefined (0/0); the chains agree exactly.
        return {"mean": float(flat[0]), "sd": 0.0, "mcse_mean": 0.0, "r_hat": None,
                "ess_bulk": float(flat.size), "constant": True}
    return {
        "mean": float(flat.mean()),
        "sd": float(flat.std()),
        "mcse_mean": float(arviz.mcse(values, method="mean")),
        "r_hat": float(arviz.rhat(values, method="rank")),
        "ess_bulk": float(arviz.ess(values, method="bulk")),
    }


def meets(stats):
    if stats.get("constant"):
        return True
    return stats["r_hat"] <= R_HAT_MAX and stats["ess_bulk"] >= ESS_MIN


def assess(directory):
    arrays = draws(directory)
    channel = arrays["channel"]
    probabilities = [float(numpy.mean(channel == c)) for c in range(CHANNELS)]
    checked = {name: diagnostics(arrays[name]) for name in MOMENTA}
    for c, p in enumerate(probabilities):
        if p >= INDICATOR_PROBABILITY:
            checked["channel=%d" % c] = diagnostics((channel == c).astype(float))
    return arrays, probabilities, checked


def steps_so_far(directory):
    with open(os.path.join(directory, "runs.jsonl")) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check(directory, cap):
    _, _, checked = assess(directory)
    steps = sum(run["steps_per_chain"] for run in steps_so_far(directory))
    if all(meets(stats) for stats in checked.values()):
        print("met")
        return
    # ESS grows about linearly with the chain length: aim 25% above what the worst variable needs.
    worst = min(stats["ess_bulk"] for stats in checked.values())
    factor = 1.25 * ESS_MIN / max(worst, 1.0)
    if all(stats.get("constant") or stats["ess_bulk"] >= ESS_MIN for stats in checked.values()):
        factor = 2.0  # only R-hat fails: double
    factor = min(max(factor, 1.5), 4.0)
    target = min(cap, int(math.ceil(steps * factor / 1000.0)) * 1000)
    print("more %d" % target if target > steps else "cap")


def summary(directory, cap):
    arrays, probabilities, checked = assess(directory)
    log = steps_so_far(directory)
    first = json.load(open(runs(directory)[0]))
    last = json.load(open(runs(directory)[-1]))
    with open(os.path.join(directory, "truth.txt")) as handle:
        truth = handle.read().strip()
    # The channel probabilities as lumis wrote them: each run's result mean, weighted by its kept draws.
    weights = []
    result = numpy.zeros(CHANNELS)
    for run in runs(directory):
        posterior = json.load(open(run))
        result += posterior["traces"] * numpy.array(posterior["result"]["mean"])
        weights.append(posterior["traces"])
    result /= sum(weights)
    if numpy.max(numpy.abs(result - numpy.array(probabilities))) > 1e-9:
        sys.exit("%s: result means disagree with the channel draws" % directory)
    event = {
        "seed": int(os.path.basename(directory).split("-")[1]),
        "truth": truth,
        "converged": all(meets(stats) for stats in checked.values()),
        "channel_probabilities": [float(p) for p in result],
        "diagnostics": checked,
        # The channel index as a number: not a criterion (its scale is the arbitrary channel numbering), for
        # comparison with the indicators.
        "channel_index": diagnostics(arrays["channel"]),
        "chains": arrays["channel"].shape[0],
        "draws_per_chain": arrays["channel"].shape[1],
        "burn_in": first["mcmc"]["burn_in"],
        "steps_per_chain": sum(run["steps_per_chain"] for run in log),
        "step_cap_per_chain": cap,
        "thin": first["mcmc"]["thin"],
        "inference_seed": first["seed"],
        "acceptance_rate": float(numpy.mean([c["acceptance_rate"] for c in last["chains"]])),
        "seconds": round(sum(run["seconds"] for run in log), 1),
        "runs": log,
    }
    with open(os.path.join(directory, "summary.json"), "w") as handle:
        json.dump(event, handle, indent=1, sort_keys=True)
        handle.write("\n")


def collect(out, files, configuration):
    events = [json.load(open(f)) for f in files]
    events.sort(key=lambda e: e["seed"])
    document = dict(configuration)
    document["events"] = events
    with open(out, "w") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.write("\n")


def table(path):
    reference = json.load(open(path))
    print("| event | truth | channel posterior (top 3) | px | py | pz | worst R-hat | lowest ESS | steps/chain"
          " | time | converged |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for event in reference["events"]:
        truth = event["truth"].split(",")[0].replace("truth: channel ", "")
        ranked = sorted(enumerate(event["channel_probabilities"]), key=lambda item: -item[1])[:3]
        top = ", ".join("%d: %.2f" % item for item in ranked)
        stats = event["diagnostics"]
        momenta = ["%.2f ± %.2f" % (stats[n]["mean"], stats[n]["sd"]) for n in MOMENTA]
        checked = [(name, s) for name, s in stats.items() if not s.get("constant")]
        worst = max(checked, key=lambda item: item[1]["r_hat"])
        lowest = min(checked, key=lambda item: item[1]["ess_bulk"])
        print("| %d | %s | %s | %s | %.3f (%s) | %.0f (%s) | %d | %.0f s | %s |" % (
            event["seed"], truth, top, " | ".join(momenta), worst[1]["r_hat"], worst[0], lowest[1]["ess_bulk"],
            lowest[0], event["steps_per_chain"], event["seconds"], "yes" if event["converged"] else "**no**"))


def main():
    command = sys.argv[1]
    if command == "check":
        check(sys.argv[2], int(sys.argv[3]))
    elif command == "summary":
        summary(sys.argv[2], int(sys.argv[3]))
    elif command == "collect":
        configuration = json.loads(sys.argv[3])
        configuration.update({"r_hat_max": R_HAT_MAX, "ess_bulk_min": ESS_MIN,
                              "indicator_probability": INDICATOR_PROBABILITY})
        collect(sys.argv[2], sys.argv[4:], configuration)
    elif command == "table":
        table(sys.argv[2])
    else:
        sys.exit("unknown command %s" % command)


if __name__ == "__main__":
    main()
