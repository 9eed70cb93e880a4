#!/usr/bin/env python3
"""Synthetic events with the schema of the IRIS-HEP ADL benchmark (CMS Run2012B SingleMu, NanoAOD-like).

Branches: MET_pt, MET_phi (float32); nJet, Jet_pt/eta/phi/mass/btag; nMuon, Muon_pt/eta/phi/mass/charge;
nElectron, Electron_pt/eta/phi/mass/charge (leaf-count arrays, float32 and int32 charge), objects
sorted by decreasing pt. The mixture is chosen so that every ADL query selects many events:
- 30% top-like events: three jets from t -> b W(-> q q') with m_t ~ 172.5 GeV, plus extra jets;
- 25% Z -> ee or mumu (m ~ 91.19 GeV), 40% of them with a third lepton from a W;
- everything else: a falling spectrum of 0-8 jets and 0-2 random leptons.
Deterministic for a given seed.

Needs: pip install uproot awkward numpy
Usage: gen_adl.py OUT.root --events 30000 [--seed 7] [--compression zlib:1]
"""
import argparse

import awkward as ak
import numpy as np
import uproot

M_E, M_MU, M_Z, W_Z, M_T, W_T, M_W = 0.000511, 0.1056584, 91.1876, 2.4952, 172.5, 1.4, 80.38


def decay(rng, p4, m1, m2):
    """Two-body decays of parents p4 (n x 4: px, py, pz, e) into daughters of masses m1, m2."""
    n = len(p4)
    m = np.sqrt(np.maximum(p4[:, 3] ** 2 - (p4[:, :3] ** 2).sum(1), 1e-12))
    p = np.sqrt(np.maximum((m**2 - (m1 + m2) ** 2) * (m**2 - (m1 - m2) ** 2), 0.0)) / (2 * m)
    cos_t = rng.uniform(-1, 1, n)
    sin_t = np.sqrt(1 - cos_t**2)
    ph = rng.uniform(-np.pi, np.pi, n)
    d = np.stack([p * sin_t * np.cos(ph), p * sin_t * np.sin(ph), p * cos_t], axis=1)
    beta = p4[:, :3] / p4[:, 3:4]
    b2 = np.minimum((beta**2).sum(1), 1 - 1e-12)
    gamma = 1 / np.sqrt(1 - b2)
    out = []
    for q, mq in ((d, m1), (-d, m2)):
        e0 = np.sqrt((q**2).sum(1) + mq**2)
        bq = (beta * q).sum(1)
        k = np.where(b2 > 0, (gamma - 1) / np.where(b2 > 0, b2, 1), 0.0)
        v = q + (k * bq + gamma * e0)[:, None] * beta
        e = gamma * (e0 + bq)
        out.append(np.column_stack([v, e]))
    return out


def parent(rng, n, m0, width, pt_scale):
    m = m0 + 0.5 * width * rng.standard_cauchy(n)
    m = np.clip(m, m0 - 15 * width, m0 + 15 * width)
    pt = rng.exponential(pt_scale, n)
    eta = rng.normal(0, 1.0, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return np.column_stack([px, py, pz, np.sqrt(px**2 + py**2 + pz**2 + m**2)])


def ptetaphi(v):
    pt = np.hypot(v[:, 0], v[:, 1])
    return pt, np.arcsinh(v[:, 2] / np.maximum(pt, 1e-9)), np.arctan2(v[:, 1], v[:, 0])


class Objects:
    """Objects of one kind, gathered as (event, pt, eta, phi, mass, extra) rows."""

    def __init__(self):
        self.rows = []

    def add(self, ev, pt, eta, phi, mass, extra):
        self.rows.append((ev, pt, eta, phi, mass, extra))

    def jagged(self, n, extra_name, extra_dtype):
        ev, pt, eta, phi, mass, extra = (np.concatenate(c) for c in zip(*self.rows))
        keep = (np.abs(eta) < 4.7) & (pt > 0)
        ev, pt, eta, phi, mass, extra = ev[keep], pt[keep], eta[keep], phi[keep], mass[keep], extra[keep]
        order = np.lexsort((-pt, ev))  # by event, then decreasing pt
        ev, pt, eta, phi, mass, extra = ev[order], pt[order], eta[order], phi[order], mass[order], extra[order]
        counts = np.bincount(ev, minlength=n)
        f32 = lambda a: ak.unflatten(a.astype(np.float32), counts)  # noqa: E731
        return ak.zip({"pt": f32(pt), "eta": f32(eta), "phi": f32(phi), "mass": f32(mass),
                       extra_name: ak.unflatten(extra.astype(extra_dtype), counts)})


def generate(rng, n):
    kind = rng.choice(3, size=n, p=[0.30, 0.25, 0.45])
    jets, mus, els = Objects(), Objects(), Objects()
    # top-like: t -> b W, W -> q q'
    top = np.nonzero(kind == 0)[0]
    t = parent(rng, len(top), M_T, W_T, 60.0)
    b, w = decay(rng, t, 4.8, M_W)
    q1, q2 = decay(rng, w, 0.3, 0.3)
    for v, btag in ((b, rng.beta(5, 1.5, len(top))), (q1, rng.beta(1, 5, len(top))), (q2, rng.beta(1, 5, len(top)))):
        pt, eta, phi = ptetaphi(v)
        smear = 1 + 0.1 * rng.standard_normal(len(top))
        jets.add(top, pt * smear, eta, phi, np.full(len(top), 5.0) * smear, btag)
    # Z -> ll, sometimes with a third lepton
    z = np.nonzero(kind == 1)[0]
    zp = parent(rng, len(z), M_Z, W_Z, 25.0)
    is_mu = rng.uniform(size=len(z)) < 0.5
    l1, l2 = decay(rng, zp, M_MU, M_MU)
    for v, q in ((l1, 1), (l2, -1)):
        pt, eta, phi = ptetaphi(v)
        for coll, sel, m in ((mus, is_mu, M_MU), (els, ~is_mu, M_E)):
            coll.add(z[sel], pt[sel], eta[sel], phi[sel], np.full(sel.sum(), m), np.full(sel.sum(), q))
    third = z[rng.uniform(size=len(z)) < 0.4]
    t_mu = rng.uniform(size=len(third)) < 0.5
    pt, eta, phi = 10 + rng.exponential(25, len(third)), rng.uniform(-2.4, 2.4, len(third)), rng.uniform(-np.pi, np.pi, len(third))
    q = rng.choice([-1, 1], len(third))
    mus.add(third[t_mu], pt[t_mu], eta[t_mu], phi[t_mu], np.full(t_mu.sum(), M_MU), q[t_mu])
    els.add(third[~t_mu], pt[~t_mu], eta[~t_mu], phi[~t_mu], np.full((~t_mu).sum(), M_E), q[~t_mu])
    # background jets for every event, random leptons for the rest
    nj = rng.poisson(np.where(kind == 0, 1.5, 2.5))
    ev = np.repeat(np.arange(n), nj)
    jets.add(ev, 15 + rng.exponential(25, len(ev)), rng.normal(0, 1.8, len(ev)), rng.uniform(-np.pi, np.pi, len(ev)),
             rng.uniform(2, 12, len(ev)), rng.beta(1, 4, len(ev)))
    other = np.nonzero(kind == 2)[0]
    for coll, m in ((mus, M_MU), (els, M_E)):
        nl = rng.choice(3, size=len(other), p=[0.6, 0.3, 0.1])
        ev = np.repeat(other, nl)
        coll.add(ev, 5 + rng.exponential(15, len(ev)), rng.uniform(-2.5, 2.5, len(ev)), rng.uniform(-np.pi, np.pi, len(ev)),
                 np.full(len(ev), m), rng.choice([-1, 1], len(ev)))
    met_pt = (rng.exponential(25, n) + np.where(kind == 1, 5.0, 15.0)).astype(np.float32)
    met_phi = rng.uniform(-np.pi, np.pi, n).astype(np.float32)
    return {
        "MET_pt": met_pt,
        "MET_phi": met_phi,
        "Jet": jets.jagged(n, "btag", np.float32),
        "Muon": mus.jagged(n, "charge", np.int32),
        "Electron": els.jagged(n, "charge", np.int32),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--compression", default="zlib:1")
    a = ap.parse_args()
    algo, _, level = a.compression.partition(":")
    comp = None if algo == "none" else {"zlib": uproot.ZLIB, "lzma": uproot.LZMA, "lz4": uproot.LZ4, "zstd": uproot.ZSTD}[algo](int(level or 1))
    rng = np.random.default_rng(a.seed)
    data = generate(rng, a.events)
    with uproot.recreate(a.out, compression=comp) as f:
        f.mktree("Events", {k: (v.type.content if isinstance(v, ak.Array) else v.dtype) for k, v in data.items()})
        f["Events"].extend(data)


if __name__ == "__main__":
    main()
