#!/usr/bin/env python3
"""Prints what ArviZ makes of a Lumis NetCDF file, as JSON: used by Tests/LumisCommandLineTests to check that
ArviZ's numbers agree with Lumis's own.

Usage: arviz-summary.py FILE. Needs arviz and netCDF4 (pip install arviz netCDF4). Output:
{"groups": [...], "attributes": {...}, "summary": {variable: {"mean": m, "sd": s}}, "draws": n}
"""
import json
import sys
import warnings

import arviz

path = sys.argv[1]
with warnings.catch_warnings():
    # The weighted_* groups are outside ArviZ's schema; ArviZ warns about them and keeps them.
    warnings.simplefilter("ignore")
    data = arviz.from_netcdf(path)
    table = arviz.summary(data, kind="stats")
out = {
    "groups": sorted(data.groups()),
    "attributes": {k: str(v) for k, v in data.posterior.attrs.items()},
    "summary": {name: {"mean": float(row["mean"]), "sd": float(row["sd"])} for name, row in table.iterrows()},
    "draws": int(data.posterior.sizes["chain"] * data.posterior.sizes["draw"]),
}
print(json.dumps(out))
