#!/usr/bin/env python3
"""Run a command and report its wall time, CPU time (user + system, children included) and
peak resident memory, as one JSON line. Used by bench/run.sh so that every tool is measured the
same way. Usage: measure.py -- CMD ARGS..."""
import json
import os
import subprocess
import sys
import time


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    # ru covers the direct child; the grandchildren (dask workers) are in RUSAGE_CHILDREN of
    # this process only after they are reaped by the child, which dask does on shutdown.
    children = __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN)
    cpu = max(ru.ru_utime + ru.ru_stime, children.ru_utime + children.ru_stime)
    rss_mb = max(ru.ru_maxrss, children.ru_maxrss) / 1024.0
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss_mb, "exit": code}))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
