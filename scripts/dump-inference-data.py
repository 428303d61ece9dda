#!/usr/bin/env python3
"""Prints a NetCDF InferenceData file's groups as JSON: used by Tests/LumisOutputTests to check what Lumis writes.

Usage: dump-inference-data.py FILE. Needs netCDF4 (pip install netCDF4); when arviz is installed it also loads the
file with arviz.from_netcdf and reports the groups and posterior sizes it sees.
"""
import json
import math
import sys

import netCDF4

path = sys.argv[1]
out = {"groups": {}}
with netCDF4.Dataset(path) as root:
    out["attributes"] = {name: str(root.getncattr(name)) for name in root.ncattrs()}
    for group_name, group in root.groups.items():
        variables = {}
        for name, variable in group.variables.items():
            values = variable[:].filled(float("nan")) if hasattr(variable[:], "filled") else variable[:]
            flat = [None if isinstance(v, float) and math.isnan(v) else float(v) for v in values.ravel().tolist()]
            variables[name] = {
                "dimensions": list(variable.dimensions),
                "shape": list(variable.shape),
                "values": flat,
                "attributes": {a: str(variable.getncattr(a)) for a in variable.ncattrs()},
            }
        out["groups"][group_name] = variables
try:
    import arviz
except ImportError:
    out["arviz"] = None
else:
    data = arviz.from_netcdf(path)
    out["arviz"] = {
        "groups": sorted(data.groups()),
        "posterior_sizes": {k: int(v) for k, v in data.posterior.sizes.items()},
    }
print(json.dumps(out))
