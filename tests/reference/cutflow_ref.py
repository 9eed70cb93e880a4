#!/usr/bin/env python3
"""Named, weighted cutflows computed with uproot + awkward, independently of ana, as the
reference for `tests/frontend/ok/cutflow.ana`.

Each cutflow is a list of rows: "all events", then the events passing its first i regions
together (coffea's PackedSelection.cutflow, RDataFrame's Report), each with its event count
and its sum of weights in float64 (the weight's inputs widened to float64 first, as ana does).
A region declared `in` a parent includes the parent's condition.

Usage: cutflow_ref.py FILE.root -o OUT.json
"""
import argparse
import json

import awkward as ak
import numpy as np
import uproot


def analyse(path):
    with uproot.open(path) as f:
        t = f["Events"]
        a = t.arrays(["Muon_charge", "Jet_pt", "MET_pt"], library="ak")
    met = ak.to_numpy(a["MET_pt"]).astype(np.float64)
    charge = a["Muon_charge"]
    nmu = ak.to_numpy(ak.num(charge))
    jet_pt = ak.values_astype(a["Jet_pt"], np.float64)
    twomu = nmu >= 2
    padded = ak.fill_none(ak.pad_none(charge, 2), 0)
    os = twomu & ak.to_numpy(padded[:, 0] != padded[:, 1])
    regions = {
        "twomu": twomu,
        "os": os,
        "met": met > 30,
        "jets2": ak.to_numpy(ak.sum(jet_pt > 30, axis=1)) >= 2,
    }
    weights = {
        "w": 0.5 + met / 100,
        "count(jets)": ak.to_numpy(ak.num(jet_pt)).astype(np.float64),
        None: np.ones(len(met)),
    }
    cutflows = {
        "main": (["twomu", "os", "met", "jets2"], "w"),
        "reordered": (["jets2", "met", "os"], None),
        "ints": (["met", "twomu"], "count(jets)"),
    }
    out = {}
    for name, (rows, weight) in cutflows.items():
        w = weights[weight]
        mask = np.ones(len(met), dtype=bool)
        table = [{"name": "all events", "events": int(mask.sum()), "sumw": float(w[mask].sum())}]
        for r in rows:
            mask = mask & regions[r]
            table.append({"name": r, "events": int(mask.sum()), "sumw": float(w[mask].sum())})
        out[name] = {"weight": weight, "rows": table}
    return {
        "total": len(met),
        "selections": [{"name": r, "events": int(m.sum())} for r, m in regions.items()],
        "cutflows": out,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    with open(args.output, "w") as f:
        json.dump(analyse(args.file), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
