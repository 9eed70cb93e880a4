"""Checks ana's UHI histogram JSON against hist itself.

Usage: python3 check_hist_json.py DIR
DIR holds `histograms.json` (written by ana) and `fills.json`: for each histogram, its axes
as ana declared them and the values (strings, so NaN/inf survive) ana filled. This script
loads each histogram with `uhi.io.json.object_hook` into `hist.Hist`, builds the same
histogram with hist's own axes, fills it with the same values, and requires identical edges,
axis kinds and bin contents (flow bins included). Exit status 0 when all agree.
"""

import json
import sys

import hist
import numpy as np
import uhi.io.json


def make_axis(a):
    kind, name, label = a["kind"], a["name"], a["label"]
    if kind == "regular":
        return hist.axis.Regular(a["bins"], a["lo"], a["hi"], name=name, label=label)
    if kind == "log":
        return hist.axis.Regular(
            a["bins"], a["lo"], a["hi"], name=name, label=label, transform=hist.axis.transform.log
        )
    if kind == "variable":
        return hist.axis.Variable(a["edges"], name=name, label=label)
    if kind == "integer":
        return hist.axis.Integer(a["lo"], a["hi"], name=name, label=label)
    if kind == "category":
        return hist.axis.IntCategory(a["values"], name=name, label=label)
    raise ValueError(kind)


def main(d):
    with open(f"{d}/histograms.json") as f:
        ours = json.load(f, object_hook=uhi.io.json.object_hook)
    with open(f"{d}/fills.json") as f:
        fills = json.load(f)
    failures = 0
    for name, spec in fills.items():
        h = hist.Hist(ours[name])
        axes = [make_axis(a) for a in spec["axes"]]
        weighted = spec["weights"] is not None
        ref = hist.Hist(*axes, storage=hist.storage.Weight() if weighted else hist.storage.Double())
        cols = []
        for a, col in zip(spec["axes"], spec["values"]):
            x = np.array([float(v) for v in col])
            if a["kind"] == "integer":
                # hist's Integer axis takes only integers; boost's C++ axis floors a float.
                # ana bins floor(x), with NaN and +inf in overflow, -inf in underflow.
                x = np.where(np.isnan(x) | (x == np.inf), a["hi"] + 10, x)
                x = np.where(x == -np.inf, a["lo"] - 10, x)
                x = np.floor(x)
            dtype = np.int64 if a["kind"] in ("category", "integer") else np.float64
            cols.append(x.astype(dtype))
        if weighted:
            ref.fill(*cols, weight=np.array([float(x) for x in spec["weights"]]))
        else:
            ref.fill(*cols)
        problems = []
        if len(h.axes) != len(ref.axes):
            problems.append("axis count")
        for i, (x, y) in enumerate(zip(h.axes, ref.axes)):
            if type(x) is not type(y):
                problems.append(f"axis {i}: {type(x).__name__} vs {type(y).__name__}")
            if x.name != y.name or x.label != y.label:
                problems.append(f"axis {i}: metadata {x.name!r}/{x.label!r} vs {y.name!r}/{y.label!r}")
            if hasattr(y, "edges") and not np.array_equal(np.asarray(x.edges), np.asarray(y.edges)):
                problems.append(f"axis {i}: edges differ")
            if getattr(y, "transform", None) is not None and getattr(x, "transform", None) is None:
                problems.append(f"axis {i}: transform lost")
        if not problems:
            if not np.array_equal(h.values(flow=True), ref.values(flow=True)):
                diff = np.argwhere(h.values(flow=True) != ref.values(flow=True))
                problems.append(f"values differ at {diff[:5].tolist()}")
            if weighted and not np.array_equal(h.variances(flow=True), ref.variances(flow=True)):
                problems.append("variances differ")
        if problems:
            failures += 1
            print(f"{name}: " + "; ".join(problems))
        else:
            print(f"{name}: ok ({h.sum(flow=True)})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
