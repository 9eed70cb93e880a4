#!/usr/bin/env python3
"""Writes a TTree file's `Events` as an RNTuple with uproot (same fields, same entries, one
cluster per `--cluster-events` entries), to run the same scripts on both formats.

Usage: python3 bench/to_rntuple.py IN.root OUT.root [--compression zlib:1] [--cluster-events N]
"""
import argparse

import uproot


def compression(spec):
    if spec == "none":
        return None
    name, level = spec.split(":")
    return {"zlib": uproot.ZLIB, "lzma": uproot.LZMA, "lz4": uproot.LZ4, "zstd": uproot.ZSTD}[name](int(level))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--compression", default="zlib:1")
    ap.add_argument("--cluster-events", type=int, default=500_000)
    a = ap.parse_args()
    tree = uproot.open(a.inp)["Events"]
    # nMuon is the RNTuple's collection size, not a field of its own.
    keys = [k for k in tree.keys() if not (k.startswith("n") and "_" not in k)]
    with uproot.recreate(a.out, compression=compression(a.compression)) as f:
        nt = None
        for chunk in tree.iterate(keys, step_size=a.cluster_events, library="ak"):
            data = {k: chunk[k] for k in keys}
            if nt is None:
                nt = f.mkrntuple("Events", data)  # holds the first cluster already
            else:
                nt.extend(data)


if __name__ == "__main__":
    main()
