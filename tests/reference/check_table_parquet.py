"""Checks ana's Parquet tables against a fixture written by an awkward reference.

Usage: python3 check_table_parquet.py FIXTURE.json OUT...
For each output folder and each table of the fixture, reads OUT/<table>/ three ways (pandas, pyarrow, awkward's
`ak.from_parquet`) and requires: the fixture's column names in order, its Arrow types
(`list<item: T>` for list columns), its number of rows, and every row equal to the
fixture's (lists element by element; columns named in `approx` within 1e-6 relative, the
others exactly). awkward must read a list column as jagged (`var *`). Prints one line per
table and reader; exit status 0 when all agree.
"""

import json
import math
import sys

import awkward as ak
import pandas as pd
import pyarrow.parquet as pq


def same(a, b, approx):
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(same(x, y, approx) for x, y in zip(a, b))
    if isinstance(b, bool) or isinstance(a, bool):
        return a == b
    if approx:
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
    return a == b


def to_py(v):
    """A pandas cell as plain Python (numpy scalars and arrays to numbers and lists)."""
    if hasattr(v, "tolist"):
        return v.tolist()
    return v


def compare(what, name, got_columns, want, failures):
    cols = want["columns"]
    for col, rows in cols.items():
        got = got_columns[col]
        if len(got) != want["rows"]:
            failures.append(f"{what} {name}.{col}: {len(got)} rows, want {want['rows']}")
            continue
        approx = col in want["approx"]
        for r, (g, w) in enumerate(zip(got, rows)):
            if not same(g, w, approx):
                failures.append(f"{what} {name}.{col} row {r}: {g!r} != {w!r}")
                break


def main(fixture_path, outs):
    with open(fixture_path) as f:
        fixture = json.load(f)
    failures = []
    for out, (name, want) in ((o, t) for o in outs for t in fixture["tables"].items()):
        path = f"{out}/{name}"
        names = list(want["columns"])

        table = pq.read_table(path)
        if table.column_names != names:
            failures.append(f"pyarrow {out}/{name}: columns {table.column_names} != {names}")
            continue
        types = {f.name: str(f.type) for f in table.schema}
        for col, t in want["types"].items():
            if types[col] != t:
                failures.append(f"pyarrow {out}/{name}.{col}: type {types[col]} != {t}")
        compare(f"pyarrow {out}", name, {c: table.column(c).to_pylist() for c in names}, want, failures)
        print(f"{out}: {name}: pyarrow read {table.num_rows} rows")

        df = pd.read_parquet(path)
        if list(df.columns) != names:
            failures.append(f"pandas {out}/{name}: columns {list(df.columns)} != {names}")
            continue
        compare(f"pandas {out}", name, {c: [to_py(v) for v in df[c]] for c in names}, want, failures)
        print(f"{out}: {name}: pandas read {len(df)} rows")

        arr = ak.from_parquet(path)
        for col, t in want["types"].items():
            jagged = "var *" in str(ak.type(arr[col]))
            if jagged != t.startswith("list<"):
                failures.append(f"awkward {out}/{name}.{col}: type {ak.type(arr[col])}")
        compare(f"awkward {out}", name, {c: ak.to_list(arr[c]) for c in names}, want, failures)
        print(f"{out}: {name}: awkward read {len(arr)} rows")
    for f in failures[:20]:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
