#!/usr/bin/env python3
"""Independent reference for the eight ADL benchmark queries (examples/adl/q1..q8.ana).

Written with uproot + awkward + vector + hist only, without looking at ana's code; the
histogram definitions below are the contract with the .ana scripts (names, binning). Writes,
for one input file, the histogram contents (flow bins included, as hist orders them) to a JSON
fixture that tests/run compares with ana's histograms.json bin by bin.

Usage: adl_ref.py INPUT.root OUT.json [--btag Jet_btag]
"""
import argparse
import json

import awkward as ak
import hist
import numpy as np
import uproot
import vector

vector.register_awkward()

HISTS = {
    "q1": {"met": (100, 0.0, 200.0)},
    "q2": {"jet_pt": (100, 15.0, 60.0)},
    "q3": {"jet_pt": (100, 15.0, 60.0)},
    "q4": {"met": (100, 0.0, 200.0)},
    "q5": {"met": (100, 0.0, 200.0)},
    "q6": {"trijet_pt": (100, 15.0, 40.0), "trijet_maxbtag": (100, 0.0, 1.0)},
    "q7": {"ht": (100, 15.0, 200.0)},
    "q8": {"mt": (100, 0.0, 200.0)},
}


def f64(a):
    return ak.values_astype(a, np.float64)


def objects(ev, prefix, extra):
    fields = {k: f64(ev[f"{prefix}_{k}"]) for k in ("pt", "eta", "phi", "mass")}
    for name, branch in extra.items():
        fields[name] = ev[branch]
    return ak.zip(fields, with_name="Momentum4D")


def queries(ev, btag):
    met, met_phi = f64(ev["MET_pt"]), f64(ev["MET_phi"])
    jets = objects(ev, "Jet", {"btag": btag})
    mu = objects(ev, "Muon", {"charge": "Muon_charge"})
    el = objects(ev, "Electron", {"charge": "Electron_charge"})
    out = {}
    out[("q1", "met")] = met
    out[("q2", "jet_pt")] = ak.flatten(jets.pt)
    out[("q3", "jet_pt")] = ak.flatten(jets.pt[np.abs(jets.eta) < 1])
    out[("q4", "met")] = met[ak.sum(jets.pt > 40, axis=1) >= 2]
    pairs = ak.combinations(mu, 2, fields=["a", "b"])
    good = (pairs.a.charge != pairs.b.charge) & ((pairs.a + pairs.b).mass > 60) & ((pairs.a + pairs.b).mass < 120)
    out[("q5", "met")] = met[ak.any(good, axis=1)]
    j3 = jets[ak.num(jets) >= 3]
    tri = ak.combinations(j3, 3, fields=["a", "b", "c"])
    p4 = tri.a + tri.b + tri.c
    best = ak.argmin(np.abs(p4.mass - 172.5), axis=1, keepdims=True)
    out[("q6", "trijet_pt")] = ak.flatten(p4[best].pt)
    bt = tri[best]
    out[("q6", "trijet_maxbtag")] = ak.flatten(np.maximum(np.maximum(bt.a.btag, bt.b.btag), bt.c.btag))
    leps = ak.concatenate([el, mu], axis=1)
    leps10 = leps[leps.pt > 10]
    j30 = jets[jets.pt > 30]
    jl = ak.cartesian([j30, leps10], nested=True)
    near = ak.any(jl["0"].deltaR(jl["1"]) < 0.4, axis=2)
    out[("q7", "ht")] = ak.sum(j30.pt[~near], axis=1)
    flav = ak.concatenate([ak.full_like(el.charge, 11), ak.full_like(mu.charge, 13)], axis=1)
    leps = ak.with_field(leps, flav, "flavour")
    idx = ak.local_index(leps)
    leps = ak.with_field(leps, idx, "idx")
    three = leps[ak.num(leps) >= 3]
    met3, metphi3 = met[ak.num(leps) >= 3], met_phi[ak.num(leps) >= 3]
    pr = ak.combinations(three, 2, fields=["a", "b"])
    sfos = pr[(pr.a.flavour == pr.b.flavour) & (pr.a.charge != pr.b.charge)]
    has = ak.num(sfos) > 0
    sfos, three, met3, metphi3 = sfos[has], three[has], met3[has], metphi3[has]
    bi = ak.argmin(np.abs((sfos.a + sfos.b).mass - 91.2), axis=1, keepdims=True)
    bp = ak.firsts(sfos[bi])
    rest = three[(three.idx != bp.a.idx) & (three.idx != bp.b.idx)]
    lead = ak.firsts(rest[ak.argmax(rest.pt, axis=1, keepdims=True)])
    mt = np.sqrt(2 * lead.pt * met3 * (1 - np.cos(lead.phi - metphi3)))
    out[("q8", "mt")] = mt
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--btag", default="Jet_btag")
    a = ap.parse_args()
    branches = ["MET_pt", "MET_phi", a.btag] + [f"{c}_{f}" for c in ("Jet", "Muon", "Electron") for f in ("pt", "eta", "phi", "mass")]
    branches += ["Muon_charge", "Electron_charge"]
    ev = uproot.open(a.input)["Events"].arrays(branches)
    values = queries(ev, a.btag)
    result = {}
    for q, hs in HISTS.items():
        for name, (n, lo, hi) in hs.items():
            h = hist.Hist.new.Reg(n, lo, hi, name=name).Double()
            h.fill(ak.to_numpy(values[(q, name)]))
            result.setdefault(q, {})[name] = {"bins": [n, lo, hi], "values_flow": h.values(flow=True).tolist(), "entries": float(h.sum(flow=True))}
    with open(a.out, "w") as f:
        json.dump({"input": a.input.split("/")[-1], "btag": a.btag, "queries": result}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
