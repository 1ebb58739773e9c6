#!/usr/bin/env python3
"""Small measuring tools for scripts/bench (see docs/performance.md). Standard library only.

  bench_tools.py median FILE.json...        per command name: median wall time (ms), runs, and
                                            mean CPU time (user + system, ms) of hyperfine
                                            exports; every run of every file (the alternated
                                            rounds) counts
  bench_tools.py rss CMD ARG...             peak RSS (KiB) of CMD, as GNU time reports it from
                                            the rusage of its child (wait4); CMD's exit status is
                                            checked
  bench_tools.py apdus SOCKET CMD ARG...    APDUs the virtual YubiKey (control SOCKET) received
                                            while CMD ran
  bench_tools.py concurrent N OUTDIR CMD ARG...
                                            N copies of CMD at once; prints
                                            `ok=K wall_ms=W rss_kib=R`; each one's stdout goes to
                                            OUTDIR/N.out, stderr to OUTDIR/N.err; R is the
                                            largest peak RSS of the N

Peak RSS: the kernel keeps a process's high-water mark across exec, and a child forked from this
Python starts with Python's pages, so CMD is started through GNU time (`/usr/bin/time -f %M`),
whose own small image is what CMD's process holds before its exec.
"""

import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict


def median(files):
    times = OrderedDict()
    cpu = {}
    for path in files:
        with open(path) as f:
            for result in json.load(f)["results"]:
                times.setdefault(result["command"], []).extend(result["times"])
                # hyperfine 1.15 exports the mean CPU time of a command, not one per run.
                cpu.setdefault(result["command"], []).append(
                    (result["user"] + result["system"], len(result["times"]))
                )
    for name, samples in times.items():
        wall = statistics.median(samples) * 1000
        used = sum(t * n for t, n in cpu[name]) / sum(n for _, n in cpu[name]) * 1000
        print(f"{name}\t{wall:.3f}\t{len(samples)}\t{used:.3f}")


def timed(argv, rss_file):
    return ["/usr/bin/time", "-f", "%M", "-o", rss_file, *argv]


def peak_rss(argv):
    with tempfile.NamedTemporaryFile("r") as rss:
        status = subprocess.run(timed(argv, rss.name), stdout=subprocess.DEVNULL).returncode
        if status != 0:
            sys.exit(f"bench_tools rss: {argv[0]} exited with {status}")
        print(int(rss.read().split()[-1]))


def card_stats(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall(b"stats\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def apdus(path, argv):
    before = card_stats(path)["apdu_count"]
    status = subprocess.run(argv, stdout=subprocess.DEVNULL).returncode
    if status != 0:
        sys.exit(f"bench_tools apdus: {argv[0]} exited with {status}")
    print(card_stats(path)["apdu_count"] - before)


def concurrent(n, outdir, argv):
    start = time.monotonic()
    children = []
    for i in range(n):
        out = open(f"{outdir}/{i}.out", "wb")
        err = open(f"{outdir}/{i}.err", "wb")
        command = timed(argv, f"{outdir}/{i}.rss")
        children.append((subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL), out, err))
    ok = 0
    for child, out, err in children:
        ok += child.wait() == 0
        out.close()
        err.close()
    wall = (time.monotonic() - start) * 1000
    rss = max(int(open(f"{outdir}/{i}.rss").read().split()[-1]) for i in range(n))
    print(f"ok={ok} wall_ms={wall:.0f} rss_kib={rss}")


def main(args):
    match args:
        case ["median", *files] if files:
            median(files)
        case ["rss", *argv] if argv:
            peak_rss(argv)
        case ["apdus", path, *argv] if argv:
            apdus(path, argv)
        case ["concurrent", n, outdir, *argv] if argv:
            concurrent(int(n), outdir, argv)
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
