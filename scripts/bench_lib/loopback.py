"""The loopback scenarios of scripts/bench: local files, HTTP from nginx on
127.0.0.1 with no added latency, and the memory measurements."""

import json
import os
import signal
import statistics
import subprocess
import sys
import time

from bench_lib.common import (GiB, KiB, MiB, ENV, Variant, alternate, random_ranges, rm, run, spread_ranges)


PY_LOOP = """
import os, sys
src, dst, listing = sys.argv[1:4]
fi = os.open(src, os.O_RDONLY)
fo = os.open(dst, os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fo, os.fstat(fi).st_size)
for line in open(listing):
    off, n = map(int, line.split('+'))
    os.pwrite(fo, os.pread(fi, n, off), off)
"""


def fetched_bytes(r):
    return json.loads(r.out)["fetched_bytes"]


def local_scenarios(cfg, res):
    sp, d, size, reps = cfg.sparseio, cfg.dir, cfg.size, cfg.reps
    src = cfg.obj
    out = os.path.join(d, "out.bin")
    gib = size / GiB
    name = f"local: whole {size / GiB:g} GiB file"
    sp_default = Variant("sparseio", [sp, "fetch", src, out, "--json"], lambda: rm(out))
    sp_none = Variant("sparseio --sync none", [sp, "fetch", src, out, "--json", "--sync", "none"], lambda: rm(out))
    cp = Variant("cp", ["cp", src, out], lambda: rm(out))
    alternate([sp_default, sp_none, cp], reps)
    res.add(name, sp_default, gib)
    res.add(name, sp_none, gib, note="(no hashes)")
    res.add(name, cp, gib, target=1.0, pair=sp_default)

    n = 256
    listing = os.path.join(d, "ranges-256x1M.txt")
    random_ranges(listing, size, n, MiB, 256)
    dd_script = os.path.join(d, "dd-loop.sh")
    with open(dd_script, "w") as f:
        f.write(f"set -e\ntruncate -s {size} {out}\nwhile IFS=+ read off n; do\n"
                f"  dd if={src} of={out} bs=$n count=1 skip=$off seek=$off iflag=skip_bytes oflag=seek_bytes"
                f" conv=notrunc status=none\ndone < {listing}\n")
    name = f"local: {n} random 1 MiB ranges"
    sp_r = Variant("sparseio", [sp, "fetch", src, out, "--json", "--ranges-from", listing], lambda: rm(out))
    py = Variant("python3 pread/pwrite loop", [sys.executable, "-c", PY_LOOP, src, out, listing], lambda: rm(out))
    dd = Variant("dd conv=notrunc loop", ["bash", dd_script], lambda: rm(out))
    alternate([sp_r, py, dd], reps)
    gib = n * MiB / GiB
    res.add(name, sp_r, gib)
    res.add(name, py, gib, target=0.7, pair=sp_r)
    res.add(name, dd, gib, target=0.2, pair=sp_r)
    rm(out)


def http_scenarios(cfg, res, nginx):
    sp, d, size, reps = cfg.sparseio, cfg.dir, cfg.size, cfg.reps
    url = nginx.http_url + os.path.basename(cfg.obj)
    out = os.path.join(d, "out.bin")
    parts = os.path.join(d, "curl-parts")
    aria = os.path.join(d, "aria")
    gib = size / GiB

    def fresh_dir(p):
        def setup():
            rm(p)
            os.makedirs(p)
        return setup

    name = f"HTTP: whole {size / GiB:g} GiB object"
    sp_w = Variant("sparseio", [sp, "fetch", url, out, "--json"], lambda: rm(out))
    ar = Variant("aria2c -x16 -s16", ["aria2c", "-x16", "-s16", "-q", "--file-allocation=none",
                                      "--allow-overwrite=true", "--auto-file-renaming=false", "-d", aria, "-o",
                                      "obj.bin", url], fresh_dir(aria))
    cu = Variant("curl -o", ["curl", "-sS", "--fail", "-o", out, url], lambda: rm(out))
    alternate([sp_w, ar, cu], reps)
    full = sp_w.med("wall")
    res.add(name, sp_w, gib)
    res.add(name, ar, gib, full, 0.8)
    res.add(name, cu, gib, full, 0.5)
    rm(aria)

    first_1000 = None
    for count, length in cfg.http_ranges:
        listing = os.path.join(d, f"ranges-{count}x{length}.txt")
        starts = random_ranges(listing, size, count, length, count)
        cfgfile = os.path.join(d, f"curl-{count}x{length}.cfg")
        with open(cfgfile, "w") as f:
            for i, s in enumerate(starts):
                f.write(f'url = "{url}"\nrange = {s}-{s + length - 1}\noutput = "{parts}/{i}"\n')
        name = f"HTTP: {count:,} random {length // KiB} KiB ranges"
        sp_r = Variant("sparseio", [sp, "fetch", url, out, "--json", "--ranges-from", listing], lambda: rm(out))
        cu_r = Variant("curl --parallel --parallel-max 16", ["curl", "-sS", "--fail", "--parallel",
                                                              "--parallel-max", "16", "-K", cfgfile],
                       fresh_dir(parts))
        alternate([sp_r, cu_r], reps)
        base = sp_r.med("wall")
        g = count * length / GiB
        res.add(name, sp_r, g)
        res.add(name, cu_r, g, base, 0.8, note="(one file per range)")
        rm(parts)
        if length == 64 * KiB:
            first_1000 = (count, length, listing, base)

    if first_1000:
        count, length, listing, first = first_1000
        name = f"HTTP: the same {count:,} ranges again"
        again = Variant("sparseio (all present)", [sp, "fetch", url, out, "--json", "--ranges-from", listing])
        rm(out)
        run([sp, "fetch", url, out, "-q", "--ranges-from", listing])
        alternate([again], reps, warmup=False)
        moved = max(fetched_bytes(r) for r in again.runs)
        wall = again.med("wall")
        met = wall <= 0.05 * first and moved == 0
        res.rows.append({"scenario": name, "tool": again.label, "wall": wall, "ratio": wall / first,
                         "target": 0.05, "met": met, "cpu_gib": None, "rss_mib": again.med("rss_kib") / 1024,
                         "note": f"{moved} bytes transferred; ratio to the first run"})
        print(f"{name:<40} {again.label:<34} {wall:8.3f} s  ratio {wall / first:6.3f} of the first run "
              f"({first:.3f} s), {moved} bytes transferred  <= 0.05 and 0 bytes {'met' if met else 'NOT met'}",
              flush=True)

    # Interrupted at ~50% (SIGKILL once half the object is on disk), then resumed.
    name = "HTTP: interrupted at ~50%, resumed"
    resumes, fractions = [], []
    for _ in range(reps):
        rm(out)
        proc = subprocess.Popen([sp, "fetch", url, out, "-q"], env=ENV, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            try:
                if os.stat(out).st_blocks * 512 >= size // 2:
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        st = json.loads(run([sp, "stat", out, "--json"], capture=True).out)
        fractions.append(st["present_bytes"] / size)
        r = run([sp, "fetch", url, out, "--json"], capture=True)
        resumes.append(r)
    resumed = Variant("sparseio (resume)", [])
    resumed.runs = resumes
    wall = resumed.med("wall")
    frac = statistics.median(fractions)
    met = wall / full <= 0.6
    res.rows.append({"scenario": name, "tool": resumed.label, "wall": wall, "ratio": wall / full, "target": 0.6,
                     "met": met, "cpu_gib": resumed.med("cpu") / (gib * (1 - frac)),
                     "rss_mib": resumed.med("rss_kib") / 1024,
                     "note": f"ratio to the uninterrupted run ({full:.3f} s); {frac:.0%} was present at the kill"})
    print(f"{name:<40} {resumed.label:<34} {wall:8.3f} s  ratio {wall / full:6.2f} of the full run; "
          f"{frac:.0%} present when killed  <= 0.6 {'met' if met else 'NOT met'}", flush=True)
    rm(out)


def memory_scenarios(cfg, res, nginx):
    sp, d = cfg.sparseio, cfg.dir
    out = os.path.join(d, "out.bin")
    for obj in cfg.memory_objects:
        size = os.path.getsize(obj)
        for kind, src in (("HTTP", nginx.http_url + os.path.basename(obj)), ("local", obj)):
            rm(out)
            r = run([sp, "fetch", src, out, "-q"])
            mib = r.rss_kib / 1024
            res.add_memory(f"peak RSS, whole-object fetch, {kind}, {size / GiB:g} GiB", mib, "<= 32 MiB",
                           mib <= 32, f"({r.wall:.2f} s)")
            rm(out)
    rm(out)
    base = run([sp, "fetch", cfg.obj, out, "-q", "-r", "0+4096"]).rss_kib * 1024
    res.add_memory("peak RSS, one range (baseline)", base / MiB)
    rm(out)
    for count in cfg.range_counts:
        listing = os.path.join(d, f"spread-{count}.txt")
        spread_ranges(listing, cfg.size, count, count)
        r = run([sp, "fetch", cfg.obj, out, "-q", "--ranges-from", listing])
        peak = r.rss_kib * 1024
        per, above = peak / count, (peak - base) / count
        big = count >= 10**6  # the target is for a list of 10^6 ranges
        res.add_memory(f"peak RSS, {count:,} ranges (local source)", peak / MiB, "<= 100 B/range" if big else None,
                       per <= 100 if big else None,
                       f"{per:.0f} B/range, {above:.0f} B/range above the baseline ({r.wall:.2f} s)")
        rm(out)
