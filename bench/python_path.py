#!/usr/bin/env python3
"""The Python module's cost over the CLI (issue 19): the same run of a script through
`ana run` and through `ana.Analysis(...).run(...)` (then `Result.write`, so that both produce
the same files), and the cost of handing a table to pandas against reading it back from its
Parquet files. Medians of --reps runs, alternating, on the same files; prints one JSON line.

Usage: bench/python_path.py [--ana target/release/ana] [--script examples/dimuon.ana]
                            [--table zmmtable] [--threads 2] [--reps 5] FILE...
Needs the module installed (pip install ./python) and pandas, pyarrow.
"""
import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import ana
import pandas as pd


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ana", default="target/release/ana")
    p.add_argument("--script", default="examples/dimuon.ana")
    p.add_argument("--table", default="zmmtable")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("files", nargs="+")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ana-python-bench-"))
    cli, py_run, py_total, to_pandas, read_parquet = [], [], [], [], []
    rows = 0
    for _ in range(args.reps):
        t = time.perf_counter()
        subprocess.run(
            [args.ana, "run", args.script, *args.files, "-q", "--threads", str(args.threads),
             "-o", str(work / "cli")],
            check=True,
        )
        cli.append(time.perf_counter() - t)

        t = time.perf_counter()
        r = ana.Analysis(args.script).run(args.files, threads=args.threads, progress=False)
        py_run.append(time.perf_counter() - t)
        r.write(work / "py")
        py_total.append(time.perf_counter() - t)

        t = time.perf_counter()
        df = r.tables[args.table]
        to_pandas.append(time.perf_counter() - t)
        rows = len(df)
        del df, r

        t = time.perf_counter()
        df = pd.read_parquet(work / "cli" / args.table)
        read_parquet.append(time.perf_counter() - t)
        assert len(df) == rows
        del df
    shutil.rmtree(work)
    med = statistics.median
    print(json.dumps({
        "files": args.files, "threads": args.threads, "reps": args.reps,
        "cli_s": med(cli), "python_run_s": med(py_run), "python_run_write_s": med(py_total),
        "python_overhead_pct": 100 * (med(py_total) / med(cli) - 1),
        "table_rows": rows, "to_pandas_s": med(to_pandas), "read_parquet_s": med(read_parquet),
    }))


if __name__ == "__main__":
    main()
