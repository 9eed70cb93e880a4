#!/usr/bin/env python3
"""ADL benchmark data for bench/run.sh: tests/tools/gen_adl.py's events, written in baskets of
100k events as NanoAOD files have (gen_adl.py writes one basket per branch, which no reader can
split between threads).

Usage: gen_adl_data.py OUT.root --events N [--seed 7] [--basket-events 100000]
"""
import argparse
import os
import sys

import awkward as ak
import numpy as np
import uproot

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "tools"))
from gen_adl import generate


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--basket-events", type=int, default=100_000)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    with uproot.recreate(a.out, compression=uproot.ZLIB(1)) as f:
        for start in range(0, a.events, a.basket_events):
            data = generate(rng, min(a.basket_events, a.events - start))
            if start == 0:
                f.mktree("Events", {k: (v.type.content if isinstance(v, ak.Array) else v.dtype) for k, v in data.items()})
            f["Events"].extend(data)


if __name__ == "__main__":
    main()
