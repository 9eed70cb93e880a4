#!/usr/bin/env python3
"""Compare ana's outputs with the Python stack's, for bench/run.sh; prints one JSON line.

  check.py dimuon ANA_OUT NOTEBOOK_OUT   histograms bin by bin, Z table rows and values
  check.py adl ANA_OUT STACK.json        an ADL query's histograms bin by bin

"same" is true when every bin agrees exactly and the tables agree to float32 precision.
"""
import json
import os
import sys

import numpy as np


def ana_hists(out):
    with open(os.path.join(out, "histograms.json")) as f:
        return {k: np.array(h["storage"]["values"]) for k, h in json.load(f).items()}


def compare_hists(ana, ref):
    res = {}
    for name, values in ref.items():
        a, r = ana.get(name), np.array(values)
        if a is None or a.shape != r.shape:
            res[name] = {"missing_or_shape": True}
            continue
        res[name] = {"bins_differing": int((a != r).sum()), "entries_ana": float(a.sum()), "entries_ref": float(r.sum())}
    return res


def main():
    kind, ana_out, ref = sys.argv[1:4]
    with open(ref if kind == "adl" else os.path.join(ref, "summary.json")) as f:
        summary = json.load(f)
    if kind == "adl":
        hists = compare_hists(ana_hists(ana_out), summary)
        same = all(h.get("bins_differing") == 0 for h in hists.values())
        print(json.dumps({"same": same, "hists": hists}))
        return
    import pandas as pd

    hists = compare_hists(ana_hists(ana_out), {k: summary[k] for k in ("nMuons", "mass")})
    a = pd.read_parquet(os.path.join(ana_out, "zmmtable"))
    r = pd.read_parquet(os.path.join(ref, "zmmtable.parquet"))
    table = {"rows_ana": len(a), "rows_ref": len(r)}
    if len(a) == len(r) and list(a.columns) == list(r.columns):
        a, r = (t.sort_values(["mass", "pt"], ignore_index=True).astype(np.float64) for t in (a, r))
        table["max_rel_diff"] = float((np.abs(a - r) / np.maximum(np.abs(r), 1e-30)).max().max())
    same = all(h.get("bins_differing") == 0 for h in hists.values()) and table.get("max_rel_diff", 1) < 1e-6
    print(json.dumps({"same": same, "hists": hists, "table": table}))


if __name__ == "__main__":
    main()
