#!/usr/bin/env python3
"""Results of bench/run.sh: from its raw records to JSON, Markdown and BENCHMARKS.md.

  report.py env --python PY --ana BIN --mode M --reps N   the machine and versions, one JSON line
  report.py summarize RAW.jsonl -o RESULTS.json           medians and ratios; Markdown on stdout
  report.py markdown RESULTS.json                         the Markdown again
  report.py update RESULTS.json BENCHMARKS.md [--force]   replace its results section (refused if
                                                          other work disturbed a measurement)
Standard library only.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BEGIN, END = "<!-- results:begin (bench/report.py update) -->", "<!-- results:end -->"
VERSIONS = """
import importlib, json, sys
out = {"python": sys.version.split()[0]}
for m in ("uproot", "awkward", "vector", "hist", "numpy", "pandas", "pyarrow", "dask", "distributed"):
    try:
        out[m] = importlib.import_module(m).__version__
    except Exception:
        out[m] = None
print(json.dumps(out))
"""


def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def env(a):
    cpuinfo, meminfo = Path("/proc/cpuinfo").read_text(), Path("/proc/meminfo").read_text()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    mem_kb = int(re.search(r"MemTotal:\s*(\d+)", meminfo).group(1))
    osname = re.search(r'PRETTY_NAME="(.*)"', Path("/etc/os-release").read_text()) if os.path.exists("/etc/os-release") else None
    commit = run("git", "rev-parse", "--short", "HEAD")
    if commit and run("git", "status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    print(json.dumps({
        "kind": "env", "mode": a.mode, "reps": a.reps,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(), "cpu": model.group(1) if model else platform.processor(),
        "memory_gib": round(mem_kb / 2**20, 1), "kernel": platform.release(), "os": osname.group(1) if osname else None,
        "ana": run(a.ana, "--version"), "rustc": run("rustc", "--version"), "commit": commit,
        "python_packages": json.loads(run(a.python, "-c", VERSIONS) or "{}"),
    }))


def median(values):
    return statistics.median(values) if values else None


KERNEL_LINE = re.compile(  # "NAME (SCRIPT) interp X ms (R Mev/s)  jit X ms (R Mev/s)  native X ms (R Mev/s)  interp/jit Zx  jit/native Wx  WHAT code C ms"
    r"^(\w+)\s+(?:\((\S+)\)\s+)?interp\s+([\d.]+) ms \(\s*([\d.]+) Mev/s\)\s+jit\s+([\d.]+) ms \(\s*([\d.]+) Mev/s\)"
    r"\s+native\s+([\d.]+) ms \(\s*([\d.]+) Mev/s\)\s+interp/jit\s+([\d.]+)x\s+jit/native\s+([\d.]+)x\s+(\S+) code ([\d.]+) ms")
KERNEL_INPUT = re.compile(r"^kernel benchmark: \d+ events of (\S+)")


def busy(m):
    """Whether the rest of the machine used more than 0.1 core (and 50 ms) during a measurement."""
    return (m.get("other_cpu_s") or 0) > max(0.1 * m["wall_s"], 0.05)


def summarize(a):
    recs = [json.loads(line) for line in Path(a.raw).read_text().splitlines() if line.strip()]
    by = lambda kind: [r for r in recs if r["kind"] == kind]
    env_rec = (by("env") or [{}])[0]
    datasets = {r["name"]: r for r in by("dataset")}
    runs = {}
    for r in by("measure"):
        key = f"{r['group']}/{r['name']}"
        m = runs.setdefault(key, {k: r[k] for k in ("group", "name", "tool", "threads", "dataset")} | {"reps": []})
        m["reps"].append(r["result"])
    for m in runs.values():
        # the runs during which the rest of the machine was quiet; all of them if none was
        quiet = [x for x in m["reps"] if not busy(x)] or m["reps"]
        m["reps_used"] = len(quiet)
        m["median"] = {k: median([x[k] for x in quiet if k in x]) for k in ("wall_s", "cpu_s", "peak_rss_mb", "peak_tree_rss_mb", "other_cpu_s")}
        events = datasets.get(m["dataset"], {}).get("events")
        m["events"] = events
        m["events_per_s"] = events / m["median"]["wall_s"] if events else None
    floor = {f"{r['result']['what']}-{r['result']['threads']}t": r["result"] | {"measure": r.get("measure")} for r in by("floor")}
    for f in floor.values():
        f["events_per_s"] = f["events"] / f["seconds"]
    kernels = {}
    for r in by("kernels"):
        data = None
        for line in r["text"].splitlines():
            if h := KERNEL_INPUT.match(line.strip()):
                data = Path(h.group(1)).name
            if k := KERNEL_LINE.match(line.strip()):
                name, script, ti, ri, tj, rj, tn, rn, speed, gap, what, cg = k.groups()
                kernels[f"{name} on {data}"] = {
                    "name": name, "data": data, "script": script, "interp_ms": float(ti), "interp_mev_s": float(ri),
                    "jit_ms": float(tj), "jit_mev_s": float(rj), "native_ms": float(tn), "native_mev_s": float(rn),
                    "interp_over_jit": float(speed), "jit_over_native": float(gap), "compile": what, "compile_ms": float(cg)}
    res = {
        "env": env_rec, "datasets": datasets, "runs": runs, "floor": floor, "kernels": kernels,
        "kernels_text": "".join(r["text"] for r in by("kernels")),
        "compile": [r | {"median_ms": median(r["ms"])} for r in by("compile")],
        "checks": {r["id"]: r["result"] for r in by("check")},
        "failures": [r["what"] for r in by("failure")], "notes": [r["text"] for r in by("note")],
        "suite_seconds": a.seconds,
    }
    res["ratios"] = ratios(res)
    dropped = [f"{k} ({len(m['reps']) - m['reps_used']} of {len(m['reps'])})" for k, m in runs.items() if m["reps_used"] < len(m["reps"])]
    if dropped:
        res["notes"].append("runs left out of the medians because other processes used the CPU meanwhile: " + ", ".join(dropped))
    timed = [(k, m["median"]) for k, m in runs.items()] + [(f"floor/{k}", f["measure"]) for k, f in floor.items() if f["measure"]]
    timed += [("kernels", r["measure"]) for r in by("kernels") if r.get("measure")]
    suspect = [f"{k} ({m['other_cpu_s'] / m['wall_s']:.2f} cores)" for k, m in timed if busy(m)]
    res["suspect"] = suspect
    if suspect:
        res["notes"].append("other processes used the CPU during every run of these measurements (CPU time of the rest of the "
                            "machine per wall second), which are therefore suspect: " + ", ".join(suspect))
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print(markdown(res))


def ratios(res):
    """Wall-time ratios (medians); below 1 means the first is faster."""
    runs, floor = res["runs"], res["floor"]
    wall = lambda k: (runs.get(k) or {}).get("median", {}).get("wall_s")
    secs = lambda k: (floor.get(k) or {}).get("seconds")
    rss = lambda k: (runs.get(k) or {}).get("median", {}).get("peak_rss_mb")
    pairs = {
        "ana 1 thread / notebook single": (wall("dimuon/ana-jit-1t"), wall("dimuon/notebook-single")),
        "ana 2 threads / notebook single": (wall("dimuon/ana-jit-2t"), wall("dimuon/notebook-single")),
        "ana 2 threads / notebook dask (2 workers)": (wall("dimuon/ana-jit-2t"), wall("dimuon/notebook-dask")),
        "ana 1 thread / floor read, 1 thread": (wall("dimuon/ana-jit-1t"), secs("read-1t")),
        "ana 2 threads / floor read, 2 threads": (wall("dimuon/ana-jit-2t"), secs("read-2t")),
        "ana 1 thread / floor decompress, 1 thread": (wall("dimuon/ana-jit-1t"), secs("decompress-1t")),
        "ana 2 threads / floor decompress, 2 threads": (wall("dimuon/ana-jit-2t"), secs("decompress-2t")),
        "ana JIT / ana interpreter (2 threads, end to end)": (wall("dimuon/ana-jit-2t"), wall("dimuon/ana-interp-2t")),
        "speedup 2 threads / 1 thread: ana": (wall("dimuon/ana-jit-1t"), wall("dimuon/ana-jit-2t")),
        "speedup 2 threads / 1 thread: floor read": (secs("read-1t"), secs("read-2t")),
        "speedup 2 threads / 1 thread: floor decompress": (secs("decompress-1t"), secs("decompress-2t")),
        "speedup dask (2 workers) / single": (wall("dimuon/notebook-single"), wall("dimuon/notebook-dask")),
        "ana peak RSS: 2x the events / 1x": (rss("memory/ana-jit-2t-x2"), rss("dimuon/ana-jit-2t")),
    }
    for q in range(1, 9):
        pairs[f"ADL q{q}: ana 2 threads / stack"] = (wall(f"adl/q{q}-ana-2t"), wall(f"adl/q{q}-stack"))
        pairs[f"ADL q{q}: ana 1 thread / stack"] = (wall(f"adl/q{q}-ana-1t"), wall(f"adl/q{q}-stack"))
    return {k: a / b for k, (a, b) in pairs.items() if a and b}


def fmt(x, unit=""):
    if x is None:
        return "–"
    digits = 3 if abs(x) < 1 else 2 if abs(x) < 10 else 1 if abs(x) < 100 else 0
    return f"{x:,.{digits}f}{unit}"


def mev(x):
    return "–" if x is None else f"{x / 1e6:.2f}"


def ratio(x):
    if x is None:
        return "–"
    return f"{x:.3f} ({1 / x:.1f}× faster)" if x < 1 else f"{x:.3f} ({x:.2f}× slower)"


LABELS = {
    "ana-jit-2t": "ana, JIT, 2 threads", "ana-jit-1t": "ana, JIT, 1 thread", "ana-interp-2t": "ana, interpreter, 2 threads",
    "notebook-single": "notebook stack, one process", "notebook-dask": "notebook stack, dask, 2 workers",
}


def markdown(res):
    env, ds, runs, floor, r = res["env"], res["datasets"], res["runs"], res["floor"], res["ratios"]
    pk = env.get("python_packages", {})
    out = [f"### Results: {env.get('mode', '?')} run, {env.get('date', '?')}", ""]
    machine = f"{env.get('nproc')} cores (`nproc`), {env.get('cpu')}, {env.get('memory_gib')} GiB of memory, {env.get('os')}, Linux {env.get('kernel')}"
    python = ", ".join(f"{m} {pk.get(m) or '(not installed)'}" for m in ("uproot", "awkward", "vector", "hist", "numpy", "pandas", "dask"))
    out += [f"- Machine: {machine}", f"- Versions: {env.get('ana')} (commit {env.get('commit')}), {env.get('rustc')}; Python {pk.get('python')}, {python}",
            f"- Medians of {env.get('reps')} run(s) each (fewer where the notes say so); the whole suite took {fmt(res.get('suite_seconds'))} s", ""]
    d = ds.get("dimuon", {})
    out += [f"#### Dimuon analysis (`examples/dimuon.ana`): {d.get('events', 0):,} events, {len(d.get('files', []))} file(s), {fmt(d.get('bytes', 0) / 1e6)} MB", "",
            "| run | wall s | CPU s | peak RSS MB | M events/s | outputs = notebook's |", "|---|---:|---:|---:|---:|---|"]
    for key, label in LABELS.items():
        m = runs.get(f"dimuon/{key}")
        if not m:
            continue
        md = m["median"]
        rss = fmt(md["peak_rss_mb"], "") + (f" ({fmt(md['peak_tree_rss_mb'])} all processes)" if md.get("peak_tree_rss_mb") else "")
        chk = res["checks"].get(f"dimuon/{key}")
        same = "reference" if key == "notebook-single" else "–" if chk is None else "yes" if chk.get("same") else "**NO**"
        if key == "notebook-dask":
            same = "no (see failures)" if any("single and --mode dask" in f for f in res["failures"]) else "yes"
        out.append(f"| {label} | {fmt(md['wall_s'])} | {fmt(md['cpu_s'])} | {rss} | {mev(m['events_per_s'])} | {same} |")
    for key in ("decompress-1t", "decompress-2t", "read-1t", "read-2t"):
        if f := floor.get(key):
            what = "decompress only" if key.startswith("decompress") else "decompress + decode to columns"
            out.append(f"| floor: {what}, {f['threads']} thread(s) | {fmt(f['seconds'])} | – | – | {mev(f['events_per_s'])} | – |")
    out += ["", "| ratio (median wall times) | value |", "|---|---|"]
    for k, v in r.items():
        if not k.startswith("ADL"):
            out.append(f"| {k} | {f'{v:.2f}×' if k.startswith(('speedup', 'ana peak RSS')) else ratio(v)} |")
    mem = [("dimuon-2M", "memory/ana-jit-2t-2M"), ("dimuon", "dimuon/ana-jit-2t"), ("dimuon-x2", "memory/ana-jit-2t-x2")]
    out += ["", "#### Memory: ana (JIT, 2 threads) as the input grows", "", "| input | events | wall s | peak RSS MB |", "|---|---:|---:|---:|"]
    for name, key in mem:
        if (m := runs.get(key)) and name in ds:
            label = {"dimuon-x2": "the files twice", "dimuon-2M": "one 2M-event file"}.get(name, "the dataset")
            out.append(f"| {label} | {ds[name]['events']:,} | {fmt(m['median']['wall_s'])} | {fmt(m['median']['peak_rss_mb'])} |")
    out += ["", "#### ana's parts", "", "| script | engine | compile ms (summary's `compiled in`, median) |", "|---|---|---:|"]
    for c in res["compile"]:
        out.append(f"| `{c['script']}` | {c['engine']} | {fmt(c['median_ms'])} |")
    for key, label in (("parts/ana-check", "`ana check examples/dimuon.ana`, whole process"), ("parts/python-imports", "Python: `import uproot, awkward, vector, hist, pandas`")):
        if m := runs.get(key):
            out.append(f"\n{label}: {fmt(m['median']['wall_s'] * 1e3)} ms wall.")
    if res["kernels"]:
        out += ["", "Kernels (`cargo bench -p ana-runtime --bench kernels`: decoded columns in memory, 1 thread; "
                "native: the script written by hand in Rust, `runtime/benches/kernels/native.rs`):", "",
                "| kernel | events | interpreter ms (M events/s) | JIT ms (M events/s) | native ms (M events/s) | interpreter / JIT | JIT / native | compile ms |",
                "|---|---|---:|---:|---:|---:|---:|---:|"]
        for k in res["kernels"].values():
            label = f"{k['name']} (`{k['script']}`)" if k["script"] else k["name"]
            out.append(f"| {label} | `{k['data']}` | {fmt(k['interp_ms'])} ({k['interp_mev_s']:.1f}) | {fmt(k['jit_ms'])} ({k['jit_mev_s']:.1f}) | "
                       f"{fmt(k['native_ms'])} ({k['native_mev_s']:.1f}) | {k['interp_over_jit']:.1f}× | {k['jit_over_native']:.2f}× | "
                       f"{fmt(k['compile_ms'])} ({k['compile']}) |")
    a = ds.get("adl", {})
    out += ["", f"#### ADL queries (`examples/adl/qN.ana` vs `bench/adl_stack.py`): {a.get('events', 0):,} events", "",
            "| query | ana 2 threads s | ana 1 thread s | stack s | ana 2t / stack | ana 1t / stack | peak RSS MB ana 2t / stack | same histograms |",
            "|---|---:|---:|---:|---:|---:|---:|---|"]
    for q in range(1, 9):
        a2, a1, st = (runs.get(f"adl/q{q}-{s}") for s in ("ana-2t", "ana-1t", "stack"))
        if not (a2 or a1 or st):
            continue
        w = lambda m: m and m["median"]["wall_s"]
        rss = lambda m: m and m["median"]["peak_rss_mb"]
        chk = res["checks"].get(f"adl/q{q}")
        same = "–" if chk is None else "yes" if chk.get("same") else "**NO**"
        out.append(f"| q{q} | {fmt(w(a2))} | {fmt(w(a1))} | {fmt(w(st))} | {ratio(r.get(f'ADL q{q}: ana 2 threads / stack'))} | "
                   f"{ratio(r.get(f'ADL q{q}: ana 1 thread / stack'))} | {fmt(rss(a2))} / {fmt(rss(st))} | {same} |")
    if res["notes"] or res["failures"]:
        out += ["", "#### Notes and failures", ""] + [f"- {n}" for n in res["notes"]] + [f"- **FAILED**: {f}" for f in res["failures"]]
    return "\n".join(out) + "\n"


def update(a):
    res = json.loads(Path(a.results).read_text())
    if res.get("suspect") and not a.force:
        sys.exit(f"{a.doc} not updated: other work disturbed every run of {len(res['suspect'])} measurement(s); "
                 "run the suite again on a quiet machine (or pass --force)")
    text = Path(a.doc).read_text()
    if BEGIN not in text or END not in text:
        sys.exit(f"{a.doc} has no results section ({BEGIN} ... {END})")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(a.doc, "w") as f:
        f.write(f"{head}{BEGIN}\n{markdown(res)}{END}{tail}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("env")
    e.add_argument("--python", required=True)
    e.add_argument("--ana", required=True)
    e.add_argument("--mode", required=True)
    e.add_argument("--reps", type=int, required=True)
    s = sub.add_parser("summarize")
    s.add_argument("raw")
    s.add_argument("-o", "--out", required=True)
    s.add_argument("--seconds", type=float)
    m = sub.add_parser("markdown")
    m.add_argument("results")
    u = sub.add_parser("update")
    u.add_argument("results")
    u.add_argument("doc")
    u.add_argument("--force", action="store_true", help="even if some measurements are suspect")
    a = ap.parse_args()
    if a.cmd == "markdown":
        print(markdown(json.loads(Path(a.results).read_text())))
    else:
        {"env": env, "summarize": summarize, "update": update}[a.cmd](a)


if __name__ == "__main__":
    main()
