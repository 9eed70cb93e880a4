#!/usr/bin/env python3
"""The CMS 2012 dimuon analysis as the notebook does it: uproot + awkward + vector + hist + pandas.

This is the baseline that ana is measured against (bench/run.sh). It reads in chunks of 400k
events, like the notebook, either in one process (`--mode single`) or as one dask task per chunk
on a 2-worker dask.distributed LocalCluster (`--mode dask`), and writes the same outputs as
`ana run examples/dimuon.ana`: the nMuons and mass histograms, and the Z-candidate table as
Parquet. Four-vectors in float64, as ana does.

Usage: notebook.py --mode single|dask -o OUTDIR FILE.root [FILE.root ...]
"""
import argparse
import json
import os
import sys

import awkward as ak
import hist
import numpy as np
import pandas as pd
import uproot
import vector

vector.register_awkward()
BRANCHES = ["nMuon", "Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_charge"]
STEP = 400_000


def new_hists():
    h_n = hist.Hist.new.Reg(6, 0, 6, name="nMuons", label="Number of muons").Double()
    h_m = hist.Hist.new.Reg(
        1000, 0.2, 200, name="mass", label="Di-muon invariant mass", transform=hist.axis.transform.log
    ).Double()
    return h_n, h_m


def analyze(arrays):
    """One chunk: partial histograms and the chunk's table rows."""
    h_n, h_m = new_hists()
    muons = ak.zip(
        {
            "pt": ak.values_astype(arrays["Muon_pt"], np.float64),
            "eta": ak.values_astype(arrays["Muon_eta"], np.float64),
            "phi": ak.values_astype(arrays["Muon_phi"], np.float64),
            "mass": ak.values_astype(arrays["Muon_mass"], np.float64),
            "charge": arrays["Muon_charge"],
        },
        with_name="Momentum4D",
    )
    h_n.fill(ak.num(muons))
    two = muons[ak.num(muons) == 2]
    two = two[ak.sum(two.charge, axis=1) == 0]
    z = two[:, 0] + two[:, 1]
    h_m.fill(z.mass)
    inz = np.abs(z.mass - 90) < 30
    zz, mm = z[inz], two[inz]
    plus = ak.firsts(mm[mm.charge > 0])
    minus = ak.firsts(mm[mm.charge < 0])
    table = pd.DataFrame(
        {
            "mass": ak.to_numpy(zz.mass),
            "pt": ak.to_numpy(zz.pt),
            "mu+_pt": ak.to_numpy(plus.pt),
            "mu+_eta": ak.to_numpy(plus.eta),
            "mu+_phi": ak.to_numpy(plus.phi),
            "mu-_pt": ak.to_numpy(minus.pt),
            "mu-_eta": ak.to_numpy(minus.eta),
            "mu-_phi": ak.to_numpy(minus.phi),
        }
    )
    return h_n, h_m, table


def chunk_task(path, start, stop):
    with uproot.open(path) as f:
        arrays = f["Events"].arrays(BRANCHES, entry_start=start, entry_stop=stop)
    return analyze(arrays)


def chunks(paths):
    for path in paths:
        with uproot.open(path) as f:
            n = f["Events"].num_entries
        for start in range(0, n, STEP):
            yield path, start, min(start + STEP, n)


def write(out, h_n, h_m, tables):
    os.makedirs(out, exist_ok=True)
    table = pd.concat(tables, ignore_index=True)
    table.to_parquet(os.path.join(out, "zmmtable.parquet"))
    with open(os.path.join(out, "summary.json"), "w") as f:  # for bench/check.py
        json.dump({"nMuons": h_n.values(flow=True).tolist(), "mass": h_m.values(flow=True).tolist(), "zmmtable_rows": len(table)}, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["single", "dask"], default="single")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    if a.mode == "single":
        h_n, h_m = new_hists()
        tables = []
        for path in a.files:
            for arrays in uproot.iterate({path: "Events"}, BRANCHES, step_size=STEP):
                pn, pm, t = analyze(arrays)
                h_n += pn
                h_m += pm
                tables.append(t)
    else:
        import dask
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster):
            parts = [dask.delayed(chunk_task)(*c) for c in chunks(a.files)]
            results = dask.compute(*parts)
        h_n, h_m = new_hists()
        tables = []
        for pn, pm, t in results:
            h_n += pn
            h_m += pm
            tables.append(t)
    write(a.out, h_n, h_m, tables)


if __name__ == "__main__":
    sys.exit(main())
