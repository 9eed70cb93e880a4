#!/usr/bin/env python3
"""Run a command and report its wall time, CPU time (user + system, children included) and
peak resident memory, as one JSON line. Used by bench/run.sh so that every tool is measured the
same way. Usage: measure.py [--tree] [--out FILE] -- CMD ARGS...

peak_rss_mb is the largest single process (getrusage: the command or any descendant it reaped;
at least ~14 MB, the forked Python's size before exec). With --tree, peak_tree_rss_mb is also
reported: the largest sum over the command's whole process tree, sampled from /proc every 50 ms
(about 3% of a core), for dask, whose scheduler and workers are separate processes.
other_cpu_s is the CPU time that the rest of the machine used meanwhile (from /proc/stat, less
the command's and this script's): well above zero, another job competed for the cores and the
figures are suspect. The command's stdout is discarded (or written to FILE with --out); its
stderr passes through.
"""
import json
import os
import resource
import subprocess
import sys
import threading
import time

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def busy_s():
    """CPU time spent by the whole machine since boot (/proc/stat, all but idle and iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


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
    argv, tree, out_path = sys.argv[1:], False, os.devnull
    while argv and argv[0] != "--":
        opt = argv.pop(0)
        if opt == "--tree":
            tree = True
        elif opt == "--out" and argv:
            out_path = argv.pop(0)
        else:
            sys.exit(__doc__)
    argv = argv[1:]
    if not argv:
        sys.exit(__doc__)
    stdout = open(out_path, "w")  # noqa: SIM115 (closed below)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # whatever Python's startup ran
    busy0, self0, t0 = busy_s(), time.process_time(), time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout)
    peak_tree = [0.0]
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            peak_tree[0] = max(peak_tree[0], tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if tree:
        sampler.start()
    _, status, ru = os.wait4(proc.pid, 0)
    wall, busy = time.perf_counter() - t0, busy_s() - busy0
    stdout.close()
    done.set()
    if tree:
        sampler.join()
    # wait4's rusage covers the child and the descendants it reaped (dask reaps its workers on
    # shutdown).
    cpu = ru.ru_utime + ru.ru_stime
    rss_mb = ru.ru_maxrss / 1024.0
    busy -= time.process_time() - self0  # this script's own CPU: the /proc sampling
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = max(cpu, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    code = os.waitstatus_to_exitcode(status)
    out = {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss_mb, "other_cpu_s": max(busy - cpu, 0.0), "exit": code}
    if tree:
        out["peak_tree_rss_mb"] = max(peak_tree[0], rss_mb)
    print(json.dumps(out))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
