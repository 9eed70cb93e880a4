"""Reference for tests/reference/semantics/semantics.ana, computed independently with
uproot + awkward + hist (no ana code). Writes the histograms (values, variances, counts,
flow bins included), the missing-fill counts, the region count and the table's rows.

    python3 tests/reference/semantics_ref.py ../shared/data/nanoAOD_2015_CMS_Open_Data_ttbar.root \
        tests/reference/semantics/nanoAOD_2015_CMS_Open_Data_ttbar.json
"""

import json
import sys

import awkward as ak
import hist
import numpy as np
import uproot


def flow(h):
    """Storage with flow bins, as lists, for JSON."""
    v = h.view(flow=True)
    if h.storage_type in (hist.storage.Double, hist.storage.Int64):
        return {"values": np.asarray(v, dtype=float).tolist()}
    if h.storage_type is hist.storage.Weight:
        return {"values": v.value.tolist(), "variances": v.variance.tolist()}
    if h.storage_type is hist.storage.Mean:
        return {"counts": v.count.tolist(), "values": v.value.tolist(),
                "variances": v.variance.tolist()}
    if h.storage_type is hist.storage.WeightedMean:
        return {"sum_of_weights": v.sum_of_weights.tolist(),
                "sum_of_weights_squared": v.sum_of_weights_squared.tolist(),
                "values": v.value.tolist(), "variances": v.variance.tolist()}
    raise ValueError(h.storage_type)


def nan_to_none(x):
    if isinstance(x, dict):
        return {k: nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list):
        return [nan_to_none(y) for y in x]
    return None if isinstance(x, float) and not np.isfinite(x) else x


def main(path, out):
    t = uproot.open(path)["Events"]
    a = t.arrays(["Muon_pt", "Muon_eta", "Muon_charge", "Muon_jetIdx", "Jet_pt"])
    mu_pt, mu_eta = ak.values_astype(a.Muon_pt, np.float64), ak.values_astype(a.Muon_eta, np.float64)
    mu_q, mu_j = a.Muon_charge, a.Muon_jetIdx
    jet_pt = ak.values_astype(a.Jet_pt, np.float64)
    nmu, njets = ak.to_numpy(ak.num(mu_pt)), ak.to_numpy(ak.num(jet_pt))
    channel = np.where(nmu >= 2, "mumu", np.where(nmu == 1, "mu", "none"))
    hists, missing = {}, {}

    h = hist.Hist(hist.axis.Regular(10, 0, 100), hist.axis.Variable([0, 0.9, 1.2, 2.1, 2.4]),
                  hist.axis.Integer(0, 8), hist.axis.IntCategory([-1, 1]))
    nj_b = ak.broadcast_arrays(njets, mu_pt)[0]
    h.fill(ak.flatten(mu_pt), np.abs(ak.flatten(mu_eta)), ak.flatten(nj_b), ak.flatten(mu_q))
    hists["nd"], missing["nd"] = h, 0

    h = hist.Hist(hist.axis.StrCategory(["none", "mu", "mumu"]), hist.axis.Integer(0, 10))
    h.fill(channel, njets)
    hists["chan"], missing["chan"] = h, 0

    has2 = nmu >= 2
    second_pt = ak.pad_none(mu_pt, 2)[:, 1]
    second_q = ak.pad_none(mu_q, 2)[:, 1]
    h = hist.Hist(hist.axis.Regular(20, 0, 100))
    h.fill(ak.to_numpy(second_pt[has2]))
    hists["second_pt"], missing["second_pt"] = h, int(ak.sum(~has2))
    h = hist.Hist(hist.axis.Integer(-1, 2))
    h.fill(ak.to_numpy(second_q[has2]))
    hists["second_charge"], missing["second_charge"] = h, int(ak.sum(~has2))

    # NanoAOD's convention: an index outside 0..nJet (-1: no jet) is missing.
    ok = (mu_j >= 0) & (mu_j < njets)
    safe = ak.where(ok, mu_j, 0)
    padded = ak.pad_none(jet_pt, 1)
    mjpt = ak.where(ok, padded[safe], np.nan)
    h = hist.Hist(hist.axis.Regular(20, 0, 200))
    h.fill(ak.to_numpy(ak.flatten(mjpt[ok])))
    hists["muon_jet_pt"], missing["muon_jet_pt"] = h, int(ak.sum(~ok))

    hasj = njets >= 1
    last = ak.firsts(jet_pt[:, ::-1])
    h = hist.Hist(hist.axis.Regular(20, 0, 100), storage=hist.storage.Weight())
    h.fill(ak.to_numpy(last[hasj]), weight=2.0)
    hists["last_jet_pt"], missing["last_jet_pt"] = h, int(ak.sum(~hasj))

    h = hist.Hist(hist.axis.Regular(11, -10, 100))
    h.fill(ak.to_numpy(ak.fill_none(second_pt, -5.0)))
    hists["second_or_minus"], missing["second_or_minus"] = h, 0

    h = hist.Hist(hist.axis.Integer(0, 2))
    h.fill(ak.to_numpy(has2).astype(int))
    hists["has_second"], missing["has_second"] = h, 0

    mn = ak.min(jet_pt, axis=1)
    h = hist.Hist(hist.axis.Regular(20, 0, 100))
    h.fill(ak.to_numpy(mn[hasj]))
    hists["min_jet_pt"], missing["min_jet_pt"] = h, int(ak.sum(~hasj))

    lead = ak.firsts(jet_pt)
    h = hist.Hist(hist.axis.Integer(1, 10), storage=hist.storage.Mean())
    h.fill(njets[hasj], sample=ak.to_numpy(lead[hasj]))
    hists["lead_jet_pt"], missing["lead_jet_pt"] = h, int(ak.sum(~hasj))

    h = hist.Hist(hist.axis.Integer(1, 10), hist.axis.StrCategory(["mu", "mumu"]),
                  storage=hist.storage.WeightedMean())
    h.fill(njets[hasj], channel[hasj],
           sample=ak.to_numpy(lead[hasj]), weight=0.5 + nmu[hasj])
    hists["lead_jet_pt_w"], missing["lead_jet_pt_w"] = h, int(ak.sum(~hasj))

    # The region: `mu[1].pt < 20` is missing with fewer than two muons, and `missing or x`
    # is x (Kleene); a missing condition does not hold.
    sel = ak.to_numpy(ak.fill_none(second_pt < 20, False)) | (njets > 6)
    rows = {
        "njets": njets[sel].tolist(),
        "channel": channel[sel].tolist(),
        "second_pt": ak.to_list(ak.values_astype(ak.pad_none(a.Muon_pt, 2)[:, 1][sel], np.float32)),
        "second_charge": ak.to_list(second_q[sel]),
        "last_jet_pt": ak.to_list(ak.firsts(a.Jet_pt[:, ::-1])[sel]),
    }
    doc = {
        "entries": len(njets),
        "hists": {k: flow(v) for k, v in hists.items()},
        "missing": missing,
        "second_soft": int(sel.sum()),
        "skim": rows,
    }
    with open(out, "w") as f:
        json.dump(nan_to_none(doc), f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
