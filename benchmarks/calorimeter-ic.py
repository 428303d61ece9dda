#!/usr/bin/env python3
"""IC posteriors against the calorimeter reference posteriors (called by calorimeter-ic.sh).

    calorimeter-ic.py compare REFERENCE DIR SEED...   prints the per-event table, writes DIR/acceptance.json
    calorimeter-ic.py calibration FILE DIR            prints px, py, pz 90% coverage against its band, adds it to
                                                      DIR/acceptance.json

REFERENCE is the reference file of benchmarks/calorimeter-reference.sh (per event: channel_probabilities and
diagnostics.{px,py,pz}.{mean,sd,mcse_mean}); DIR/event-SS/posterior.json is `lumis infer --engine ic` on event SS.
An event passes when the channel probabilities are within total variation 0.15 of the reference and each of px,
py, pz has |mean_ic - mean_ref| <= max(4 sqrt(sd_ic^2 / ESS_ic + MCSE_ref^2), 0.1 sd_ref) (issue 15 part 3).
"""
import json
import math
import os
import sys

MOMENTA = ("px", "py", "pz")
TV_MAX = 0.15
SIGMAS = 4.0
SD_FRACTION = 0.1
LEVEL = "0.9"


def fail(message):
    sys.exit("calorimeter-ic.py: " + message)


def load(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        fail("%s: %s" % (path, error))


def number(value, where):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        fail("%s: expected a finite number, found %r" % (where, value))
    return float(value)


def reference_events(path):
    document = load(path)
    events = document.get("events")
    if not isinstance(events, list):
        fail("%s: no events list" % path)
    return {event.get("seed"): event for event in events}


def compare_event(seed, reference, posterior, where):
    """The criteria of one event: total variation, and per momentum the difference against its bound."""
    probabilities = reference.get("channel_probabilities")
    result = (posterior.get("result") or {}).get("mean")
    if not isinstance(probabilities, list) or not isinstance(result, list) or len(result) != len(probabilities):
        fail("%s: result mean and the reference's channel_probabilities of event %d differ in length" % (where, seed))
    tv = 0.5 * sum(abs(number(a, where) - number(b, "reference")) for a, b in zip(result, probabilities))
    ess = number(posterior.get("ess"), where + ": ess")
    row = {"seed": seed, "ess": ess, "tv": tv, "tv_ok": tv <= TV_MAX}
    for name in MOMENTA:
        stats = posterior["variables"].get(name)
        ref = reference["diagnostics"].get(name)
        if stats is None or ref is None:
            fail("%s: %s missing in the posterior or the reference of event %d" % (where, name, seed))
        mean = number(stats["mean"], "%s: %s.mean" % (where, name))
        sd = number(stats["stddev"], "%s: %s.stddev" % (where, name))
        ref_mean = number(ref["mean"], "reference %d %s.mean" % (seed, name))
        ref_sd = number(ref["sd"], "reference %d %s.sd" % (seed, name))
        mcse = number(ref["mcse_mean"], "reference %d %s.mcse_mean" % (seed, name))
        combined = math.sqrt(sd * sd / ess + mcse * mcse) if ess > 0 else math.inf
        bound = max(SIGMAS * combined, SD_FRACTION * ref_sd)
        difference = mean - ref_mean
        row[name] = {"mean": mean, "sd": sd, "reference_mean": ref_mean, "reference_sd": ref_sd,
                     "reference_mcse": mcse, "difference": difference, "bound": bound,
                     "ok": abs(difference) <= bound}
    row["pass"] = row["tv_ok"] and all(row[name]["ok"] for name in MOMENTA)
    return row


def compare(reference_path, directory, seeds):
    references = reference_events(reference_path)
    rows = []
    for seed in seeds:
        if seed not in references:
            fail("%s: no event with seed %d" % (reference_path, seed))
        path = os.path.join(directory, "event-%02d" % seed, "posterior.json")
        rows.append(compare_event(seed, references[seed], load(path), path))
    print("event    ESS     TV  %s  pass" % "  ".join("%-27s" % ("%s ic-ref (bound)" % n) for n in MOMENTA))
    for row in rows:
        cells = ["%+8.3f (%6.3f) %-4s" % (row[n]["difference"], row[n]["bound"], "ok" if row[n]["ok"] else "FAIL")
                 for n in MOMENTA]
        print("%5d %6.0f %6.3f%s  %s  %s" % (row["seed"], row["ess"], row["tv"], " " if row["tv_ok"] else "!",
                                             "  ".join(cells), "yes" if row["pass"] else "NO"))
    passed = sum(row["pass"] for row in rows)
    needed = math.ceil(0.8 * len(rows))
    print("%d of %d events pass (needed %d)" % (passed, len(rows), needed))
    summary = {"events": rows, "passed": passed, "needed": needed, "accepted": passed >= needed,
               "tv_max": TV_MAX, "sigmas": SIGMAS, "sd_fraction": SD_FRACTION}
    write(directory, summary)


def calibration(path, directory):
    document = load(path)
    variables = document.get("variables") or {}
    lines = {}
    for name in MOMENTA:
        stats = variables.get(name)
        if stats is None:
            fail("%s: no variable %s" % (path, name))
        coverage = number(stats["coverage"][LEVEL], "%s: %s.coverage" % (path, name))
        low, high = (number(x, "%s: %s.coverage_band" % (path, name)) for x in stats["coverage_band"][LEVEL])
        inside = low <= coverage <= high
        lines[name] = {"coverage": coverage, "band": [low, high], "inside": inside,
                       "ks_p": stats.get("ks_p"), "flags": stats.get("flags", [])}
        print("%s: 90%% coverage %.3f, band [%.3f, %.3f]: %s; KS p %s" % (
            name, coverage, low, high, "inside" if inside else "OUTSIDE", stats.get("ks_p")))
    within = all(line["inside"] for line in lines.values())
    print("calibration over %d events, %d traces each, median ESS %.1f: px, py, pz 90%% coverage %s the band" % (
        document["events"], document["traces_per_event"], document["median_ess"], "within" if within else "NOT within"))
    summary = load(os.path.join(directory, "acceptance.json"))
    summary["calibration"] = {"events": document["events"], "traces_per_event": document["traces_per_event"],
                              "median_ess": document["median_ess"], "variables": lines, "within": within}
    write(directory, summary)


def write(directory, summary):
    path = os.path.join(directory, "acceptance.json")
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(summary, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, path)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], [int(seed) for seed in sys.argv[4:]])
    elif len(sys.argv) == 4 and sys.argv[1] == "calibration":
        calibration(sys.argv[2], sys.argv[3])
    else:
        fail("usage: calorimeter-ic.py compare REFERENCE DIR SEED... | calibration FILE DIR")


if __name__ == "__main__":
    main()
