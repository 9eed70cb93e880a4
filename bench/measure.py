#!/usr/bin/env python3
"""Run a command and report its wall time, CPU time (user + system, children included) and
peak resident memory, as one JSON line. Used by bench/run.sh so that every tool is measured the
same way. Usage: measure.py [--tree] -- CMD ARGS...

peak_rss_mb is the largest single process (getrusage: the command or any descendant it reaped;
at least ~14 MB, the forked Python's size before exec). With --tree, peak_tree_rss_mb is also
reported: the largest sum over the command's whole process tree, sampled from /proc every 50 ms
(about 3% of a core), for dask, whose scheduler and workers are separate processes.
The command's stdout is discarded; its stderr passes through.
"""
import json
import os
import resource
import subprocess
import sys
import threading
import time

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def tree_rss_mb(root):
    """Resident memory of root and all its descendants, from /proc (Linux)."""
    children, rss = {}, {}
    for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/statm") as f:
                rss[pid] = int(f.read().split()[1]) * PAGE_MB
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def main():
    argv = sys.argv[1:]
    tree = argv[:1] == ["--tree"]
    argv = argv[tree:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        sys.exit(__doc__)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # whatever Python's startup ran
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    peak_tree = [0.0]
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            peak_tree[0] = max(peak_tree[0], tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if tree:
        sampler.start()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    if tree:
        sampler.join()
    # wait4's rusage covers the child and the descendants it reaped (dask reaps its workers on
    # shutdown).
    cpu = ru.ru_utime + ru.ru_stime
    rss_mb = ru.ru_maxrss / 1024.0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = max(cpu, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    code = os.waitstatus_to_exitcode(status)
    out = {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss_mb, "exit": code}
    if tree:
        out["peak_tree_rss_mb"] = max(peak_tree[0], rss_mb)
    print(json.dumps(out))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
