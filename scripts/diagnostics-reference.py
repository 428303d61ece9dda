#!/usr/bin/env python3
"""Reference values for Tests/LumisInferenceTests/ConvergenceDiagnosticsTests.swift, computed once with ArviZ.

Run: python3 scripts/diagnostics-reference.py   (needs `pip install arviz`). The chains are built from SplitMix64
with exact IEEE arithmetic only, so the Swift test rebuilds bit-identical draws.
"""
import arviz as az
import numpy as np

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return float(self.next() >> 11) * 2.0**-53


def ar1_chains(seed, chains, draws, phi, shift, rounding=None):
    rng = SplitMix64(seed)
    result = []
    for c in range(chains):
        x = 0.0
        chain = []
        for _ in range(draws):
            # Sum of four uniforms, centred: an approximately normal innovation from exact operations.
            e = (rng.uniform() + rng.uniform()) + (rng.uniform() + rng.uniform()) - 2.0
            x = phi * x + e
            value = x + shift * c
            if rounding is not None:
                value = float(round(value * rounding)) / rounding
            chain.append(value)
        result.append(chain)
    return np.array(result)


CASES = {
    "fourChainsShifted": dict(seed=1, chains=4, draws=200, phi=0.5, shift=0.1),
    "threeChainsOddSticky": dict(seed=2, chains=3, draws=101, phi=0.9, shift=0.0),
    "twoChainsTies": dict(seed=3, chains=2, draws=9, phi=0.3, shift=0.0, rounding=2),
    "oneChain": dict(seed=4, chains=1, draws=64, phi=-0.4, shift=0.0),
}

for name, case in CASES.items():
    ary = ar1_chains(**case)
    values = {
        "rHat": az.rhat(ary, method="rank") if case["chains"] > 1 else float("nan"),
        "essBulk": az.ess(ary, method="bulk"),
        "essTail": az.ess(ary, method="tail"),
        "essMean": az.ess(ary, method="mean"),
        "mcseMean": az.mcse(ary, method="mean"),
    }
    autocorr = az.autocorr(ary[0])[:3]
    text = ", ".join(f"{key}: {float(value)!r}" for key, value in values.items())
    print(f"{name}: {text}, autocorrelation: {[float(v) for v in autocorr]}")
