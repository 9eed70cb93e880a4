#!/usr/bin/env python3
"""Independent reference for the skim tables of tests/frontend/ok/skim.ana.

Written with uproot + awkward + vector only, without looking at ana's code. Reads the input
with uproot, selects events and objects with awkward, and writes every row of both tables
(list columns as lists, one list per event) to a JSON fixture that
tests/reference/check_table_parquet.py compares with ana's Parquet row by row.

Branch values are written as read (float32 values as their exact float64), so they compare
exactly; sums and ratios are computed in float64, element by element in order, as ana
defines them; pair masses (vector, float64) compare within 1e-6 relative.

Usage: skim_ref.py INPUT.root OUT.json
"""
import json
import sys

import awkward as ak
import numpy as np
import uproot
import vector

vector.register_awkward()


def f64(a):
    return ak.values_astype(a, np.float64)


def seq_sum(xs):
    """Sum in element order from 0.0 (numpy's pairwise sum may round differently)."""
    s = 0.0
    for x in xs:
        s += float(x)
    return s


def main(path, out):
    ev = uproot.open(path)["Events"].arrays(
        [
            "event", "run", "luminosityBlock", "MET_pt",
            "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_nConstituents", "Jet_jetId",
            "Muon_pt", "Muon_charge", "Muon_tightId",
        ]
    )
    good = (ev.Jet_pt > 20) & (abs(ev.Jet_eta) < 2.4)
    sel = ak.sum(good, axis=1) >= 1
    ev = ev[sel]
    good = good[sel]
    jets = ak.zip(
        {
            "pt": ev.Jet_pt[good],
            "eta": ev.Jet_eta[good],
            "phi": ev.Jet_phi[good],
            "mass": ev.Jet_mass[good],
            "ncons": ev.Jet_nConstituents[good],
            "id": ev.Jet_jetId[good],
        }
    )
    p4 = ak.zip(
        {"pt": f64(jets.pt), "eta": f64(jets.eta), "phi": f64(jets.phi), "mass": f64(jets.mass)},
        with_name="Momentum4D",
    )
    pairs = ak.combinations(p4, 2, fields=["a", "b"])
    jpairs = ak.combinations(jets, 2, fields=["a", "b"])
    dijet_mass = (pairs.a + pairs.b).mass
    # Stable descending sort by pt.
    order = ak.argsort(jets.pt, axis=1, ascending=False, stable=True)

    ht = [seq_sum(row) for row in ak.to_list(jets.pt)]
    skim = {
        "event": ak.to_list(ev.event),
        "run": ak.to_list(ev.run),
        "lumi": ak.to_list(ev.luminosityBlock),
        "met": ak.to_list(ev.MET_pt),
        "njets": ak.to_list(ak.num(jets)),
        "ht": ht,
        "jet_pt": ak.to_list(jets.pt),
        "jet_eta": ak.to_list(jets.eta),
        "jet_ncons": ak.to_list(jets.ncons),
        "jet_id": ak.to_list(jets.id),
        "jet_frac": [[float(x) / h for x in row] for row, h in zip(ak.to_list(jets.pt), ht)],
        "jet_pt_sorted": ak.to_list(jets.pt[order]),
        "mu_pt": ak.to_list(ev.Muon_pt),
        "mu_charge": ak.to_list(ev.Muon_charge),
        "mu_tight": ak.to_list(ev.Muon_tightId),
        "dijet_mass": ak.to_list(dijet_mass),
    }
    dijets = {
        "mass": ak.to_list(ak.flatten(dijet_mass)),
        "pt0": ak.to_list(ak.flatten(jpairs.a.pt)),
        "pt1": ak.to_list(ak.flatten(jpairs.b.pt)),
        "ncons0": ak.to_list(ak.flatten(jpairs.a.ncons)),
    }
    # The Parquet types: a plain load keeps its branch's type (uint64 event, uint32 run,
    # float32 pt, uint8 nConstituents, ...), a count is int64, anything computed float64;
    # a value per object in a per-event table is a list.
    skim_types = {
        "event": "uint64", "run": "uint32", "lumi": "uint32", "met": "float", "njets": "int64",
        "ht": "double", "jet_pt": "list<item: float>", "jet_eta": "list<item: float>",
        "jet_ncons": "list<item: uint8>", "jet_id": "list<item: int32>",
        "jet_frac": "list<item: double>", "jet_pt_sorted": "list<item: float>",
        "mu_pt": "list<item: float>", "mu_charge": "list<item: int32>",
        "mu_tight": "list<item: bool>", "dijet_mass": "list<item: double>",
    }
    dijet_types = {"mass": "double", "pt0": "float", "pt1": "float", "ncons0": "uint8"}
    fixture = {
        "input": path.rsplit("/", 1)[-1],
        "entries": int(len(sel)),
        "tables": {
            "skim": {
                "rows": len(ht),
                "types": skim_types,
                "approx": ["dijet_mass"],
                "columns": skim,
            },
            "dijets": {
                "rows": len(dijets["mass"]),
                "types": dijet_types,
                "approx": ["mass"],
                "columns": dijets,
            },
        },
    }
    with open(out, "w") as f:
        json.dump(fixture, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
