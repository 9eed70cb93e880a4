#!/usr/bin/env python3
"""One ADL benchmark query (examples/adl/qN.ana) as a physicist writes it with uproot + awkward +
vector + hist: reads only the query's branches, in chunks of 400k events, fills the histogram(s)
chunk by chunk. The baseline for ana's ADL timings in bench/run.sh. The selections and the
histogram definitions (HISTS) are those of the independent reference tests/reference/adl_ref.py.

Usage: adl_stack.py --query N [--btag Jet_btag] [-o OUT.json] FILE.root [FILE.root ...]
OUT.json: {histogram name: contents with flow bins}, for bench/check.py.
"""
import argparse
import json
import os
import sys

import awkward as ak
import hist
import numpy as np
import uproot

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from adl_ref import HISTS, f64, objects  # (also registers vector's awkward behaviours)

STEP = 400_000
P4 = ["pt", "eta", "phi", "mass"]


def p4(prefix, *extra):
    return [f"{prefix}_{k}" for k in P4 + list(extra)]


def q1(ev, _):
    return {"met": ev.MET_pt}


def q2(ev, _):
    return {"jet_pt": ak.flatten(ev.Jet_pt)}


def q3(ev, _):
    return {"jet_pt": ak.flatten(ev.Jet_pt[np.abs(ev.Jet_eta) < 1])}


def q4(ev, _):
    return {"met": ev.MET_pt[ak.sum(ev.Jet_pt > 40, axis=1) >= 2]}


def q5(ev, _):
    mu = objects(ev, "Muon", {"charge": "Muon_charge"})
    pair = ak.combinations(mu, 2, fields=["a", "b"])
    mass = (pair.a + pair.b).mass
    good = (pair.a.charge != pair.b.charge) & (mass > 60) & (mass < 120)
    return {"met": ev.MET_pt[ak.any(good, axis=1)]}


def q6(ev, btag):
    jets = objects(ev, "Jet", {"btag": btag})
    tri = ak.combinations(jets[ak.num(jets) >= 3], 3, fields=["a", "b", "c"])
    top = tri.a + tri.b + tri.c
    best = ak.argmin(np.abs(top.mass - 172.5), axis=1, keepdims=True)
    bt = tri[best]
    return {"trijet_pt": ak.flatten(top[best].pt), "trijet_maxbtag": ak.flatten(np.maximum(np.maximum(bt.a.btag, bt.b.btag), bt.c.btag))}


def q7(ev, _):
    jets = objects(ev, "Jet", {})
    leps = ak.concatenate([objects(ev, "Electron", {}), objects(ev, "Muon", {})], axis=1)
    leps, jets = leps[leps.pt > 10], jets[jets.pt > 30]
    jl = ak.cartesian([jets, leps], nested=True)
    near = ak.any(jl["0"].deltaR(jl["1"]) < 0.4, axis=2)
    return {"ht": ak.sum(jets.pt[~near], axis=1)}


def q8(ev, _):
    el, mu = objects(ev, "Electron", {"charge": "Electron_charge"}), objects(ev, "Muon", {"charge": "Muon_charge"})
    leps = ak.concatenate([el, mu], axis=1)
    leps = ak.with_field(leps, ak.concatenate([ak.full_like(el.charge, 11), ak.full_like(mu.charge, 13)], axis=1), "flavour")
    leps = ak.with_field(leps, ak.local_index(leps), "idx")
    pair = ak.combinations(leps, 2, fields=["a", "b"])
    sfos = pair[(pair.a.flavour == pair.b.flavour) & (pair.a.charge != pair.b.charge)]
    sel = (ak.num(leps) >= 3) & (ak.num(sfos) > 0)
    leps, sfos, met, met_phi = leps[sel], sfos[sel], f64(ev.MET_pt[sel]), f64(ev.MET_phi[sel])
    z = ak.firsts(sfos[ak.argmin(np.abs((sfos.a + sfos.b).mass - 91.2), axis=1, keepdims=True)])
    rest = leps[(leps.idx != z.a.idx) & (leps.idx != z.b.idx)]
    lead = ak.firsts(rest[ak.argmax(rest.pt, axis=1, keepdims=True)])
    return {"mt": np.sqrt(2 * lead.pt * met * (1 - np.cos(lead.phi - met_phi)))}


QUERIES = {
    1: (q1, lambda b: ["MET_pt"]),
    2: (q2, lambda b: ["Jet_pt"]),
    3: (q3, lambda b: ["Jet_pt", "Jet_eta"]),
    4: (q4, lambda b: ["MET_pt", "Jet_pt"]),
    5: (q5, lambda b: ["MET_pt"] + p4("Muon", "charge")),
    6: (q6, lambda b: p4("Jet") + [b]),
    7: (q7, lambda b: p4("Jet") + p4("Electron") + p4("Muon")),
    8: (q8, lambda b: ["MET_pt", "MET_phi"] + p4("Electron", "charge") + p4("Muon", "charge")),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--query", type=int, required=True, choices=sorted(QUERIES))
    ap.add_argument("--btag", default="Jet_btag")
    ap.add_argument("-o", "--out")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    compute, branches = QUERIES[a.query]
    hists = {name: hist.Hist.new.Reg(n, lo, hi, name=name).Double() for name, (n, lo, hi) in HISTS[f"q{a.query}"].items()}
    for ev in uproot.iterate([{f: "Events"} for f in a.files], branches(a.btag), step_size=STEP):
        for name, values in compute(ev, a.btag).items():
            hists[name].fill(ak.to_numpy(values))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({name: h.values(flow=True).tolist() for name, h in hists.items()}, f)


if __name__ == "__main__":
    main()
