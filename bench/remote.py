#!/usr/bin/env python3
"""Remote reading with latency: `ana run examples/dimuon.ana` on synthetic events read over
root:// (and http://) from a local xrootd through a proxy that delays every byte by RTT/2 each
way, against the same run on the local files. Prints the wall times (median of --repeat), the
ratio, and the data requests per chunk from run.json.

    bench/remote.py [--events 2000000] [--files 4] [--rtt-ms 20] [--repeat 3]

Needs target/release/ana (cargo build --release) and xrootd (apt-get install xrootd-server).
The proxy is Python threads in this process: its CPU time is shared with ana's on the machine.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import queue

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pipe(src, dst, delay):
    q = queue.Queue()

    def reader():
        while True:
            try:
                b = src.recv(1 << 20)
            except OSError:
                b = b""
            q.put((time.monotonic() + delay, b))
            if not b:
                return

    def writer():
        while True:
            at, b = q.get()
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not b:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                dst.sendall(b)
            except OSError:
                return

    threading.Thread(target=reader, daemon=True).start()
    threading.Thread(target=writer, daemon=True).start()


def proxy(target, delay):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)

    def serve():
        while True:
            c, _ = ls.accept()
            s = socket.create_connection(("127.0.0.1", target))
            for x in (c, s):
                x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pipe(c, s, delay)
            pipe(s, c, delay)

    threading.Thread(target=serve, daemon=True).start()
    return ls.getsockname()[1]


def run(ana, inputs, out):
    shutil.rmtree(out, ignore_errors=True)
    t = time.monotonic()
    subprocess.run([ana, "run", "examples/dimuon.ana", "-q", "-o", out, *inputs], cwd=ROOT, check=True)
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--rtt-ms", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", default=os.path.join(ROOT, "target/bench-data/remote"))
    ap.add_argument("--ana", default=os.path.join(ROOT, "target/release/ana"))
    args = ap.parse_args()
    ana = args.ana
    os.makedirs(args.data, exist_ok=True)
    names = [f"dimuon_{i}.root" for i in range(args.files)]
    if not all(os.path.exists(os.path.join(args.data, n)) for n in names):
        gen = next(p for p in ("../shared/tools/gen_dimuon.py", "../../shared/tools/gen_dimuon.py")
                   if os.path.exists(os.path.join(ROOT, p)))
        subprocess.run([sys.executable, os.path.join(ROOT, gen), os.path.join(args.data, "dimuon_{}.root"),
                        "--events", str(args.events), "--files", str(args.files), "--seed", "23"], check=True)
    tmp = tempfile.mkdtemp()
    os.chmod(tmp, 0o755)
    for sub in ("data", "admin"):
        os.mkdir(os.path.join(tmp, sub))
        os.chmod(os.path.join(tmp, sub), 0o777)
    for n in names:
        shutil.copy(os.path.join(args.data, n), os.path.join(tmp, "data", n))
        os.chmod(os.path.join(tmp, "data", n), 0o644)
    port, hport = free_port(), free_port()
    cfg = os.path.join(tmp, "x.cfg")
    with open(cfg, "w") as f:
        f.write(f"all.export /\noss.localroot {tmp}/data\nxrd.port {port}\nall.adminpath {tmp}/admin\n"
                f"all.pidpath {tmp}/admin\nxrd.protocol XrdHttp:{hport} libXrdHttp.so\n")
    os.chmod(cfg, 0o644)
    cmd = ["xrootd", "-c", cfg, "-l", os.path.join(tmp, "admin/log")]
    if os.getuid() == 0:
        cmd += ["-R", "nobody"]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        delay = args.rtt_ms / 2000.0
        rport, hproxy = proxy(port, delay), proxy(hport, delay)
        local = [os.path.join(args.data, n) for n in names]
        cases = {
            "local": local,
            "root:// direct": [f"root://localhost:{port}//{n}" for n in names],
            "http:// direct": [f"http://localhost:{hport}/{n}" for n in names],
            f"root:// +{args.rtt_ms:g} ms RTT": [f"root://localhost:{rport}//{n}" for n in names],
            f"http:// +{args.rtt_ms:g} ms RTT": [f"http://localhost:{hproxy}/{n}" for n in names],
        }
        out = os.path.join(tmp, "out")
        times = {k: [] for k in cases}
        record = {}
        for _ in range(args.repeat):
            for k, inputs in cases.items():
                times[k].append(run(ana, inputs, out))
                with open(os.path.join(out, "run.json")) as f:
                    record[k] = json.load(f)
        base = statistics.median(times["local"])
        print(f"| input ({args.events:,} events, {args.files} files) | wall s (median of {args.repeat}) | x local | chunks | data requests | per chunk |")
        print("|---|---|---|---|---|---|")
        for k in cases:
            m = statistics.median(times[k])
            r = record[k]
            req = r.get("remote_requests")
            per = f"{req / r['chunks']:.2f}" if req is not None else "-"
            print(f"| {k} | {m:.3f} | {m / base:.2f} | {r['chunks']} | {req if req is not None else '-'} | {per} |")
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
