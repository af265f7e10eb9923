"""The `cat` scenarios of scripts/bench: time to the first byte against
`curl -r`, and throughput against `fetch` of the same ranges, with and
without DST, over nginx on 127.0.0.1."""

import os
import statistics
import subprocess
import sys
import time

from bench_lib.common import ENV, GiB, KiB, Spread, Variant, alternate, pair_ratios, random_ranges, rm


def first_byte(cmd):
    """Seconds from starting cmd to the first byte on its stdout (then it is killed)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    got = proc.stdout.read(1)
    t = time.perf_counter() - t0
    proc.kill()
    proc.wait()
    proc.stdout.close()
    if not got:
        sys.exit(f"bench: {' '.join(map(str, cmd[:3]))}... wrote nothing")
    return t


def cat_scenarios(cfg, res, nginx):
    """`cat`: time to the first byte of a whole-object range against `curl -r`
    (target: within 2x), and its throughput against `fetch` of the same ranges
    (target: cat's wall time <= fetch's / 0.9), with and without DST. cat's
    output goes to /dev/null."""
    sp, d, size, reps = cfg.sparseio, cfg.dir, cfg.size, cfg.reps
    url = nginx.http_url + os.path.basename(cfg.obj)
    out = os.path.join(d, "out.bin")
    whole = f"0-{size - 1}"

    name = f"cat: first byte of a {size / GiB:g} GiB range"
    times = {"sparseio cat (no DST)": [], "curl -r": []}
    first_byte([sp, "cat", url, "-r", whole])  # warm-up
    for i in range(max(reps, 5)):  # in pairs, the order reversed every other round (as alternate())
        order = ("sparseio cat (no DST)", "curl -r") if i % 2 == 0 else ("curl -r", "sparseio cat (no DST)")
        for tool in order:
            cmd = [sp, "cat", url, "-r", whole] if tool.startswith("sparseio") else ["curl", "-sS", "-r", whole, url]
            times[tool].append(first_byte(cmd))
    sp_t = statistics.median(times["sparseio cat (no DST)"])
    cu_t = statistics.median(times["curl -r"])
    pairs = Spread([a / b for a, b in zip(times["sparseio cat (no DST)"], times["curl -r"])])
    for tool, t in (("sparseio cat (no DST)", sp_t), ("curl -r", cu_t)):
        lo, hi = min(times[tool]), max(times[tool])
        ratio = pairs.median if tool == "curl -r" else None
        met = None if ratio is None else ratio <= 2
        note = f"(min {lo * 1000:.1f} ms, max {hi * 1000:.1f} ms over {len(times[tool])} runs)"
        res.rows.append({"scenario": name, "tool": tool, "wall": t, "ratio": ratio, "target": 2 if ratio else None,
                         "met": met, "cpu_gib": None, "rss_mib": 0.0, "note": note,
                         "spread": pairs if ratio else None})
        print(f"{name:<40} {tool:<34} {t * 1000:8.1f} ms {note}"
              + (f"  ratio {pairs.text()} <= 2 {'met' if met else 'NOT met'}" if ratio else ""), flush=True)

    listing = os.path.join(d, "ranges-1000x64K-cat.txt")
    random_ranges(listing, size, 1000, 64 * KiB, 4242)
    for what, args, gib in ((f"whole {size / GiB:g} GiB range", ["-r", whole], size / GiB),
                            ("1,000 random 64 KiB ranges", ["--ranges-from", listing], 1000 * 64 * KiB / GiB)):
        fetch = Variant("sparseio fetch", [sp, "fetch", url, out, "--json"] + args, lambda: rm(out))
        nodst = Variant("sparseio cat (no DST) > /dev/null",
                        ["sh", "-c", " ".join([sp, "cat", url] + args) + " > /dev/null"])
        withdst = Variant("sparseio cat DST > /dev/null",
                          ["sh", "-c", " ".join([sp, "cat", url, out] + args) + " > /dev/null"], lambda: rm(out))
        alternate([fetch, nodst, withdst], reps)
        name = f"cat vs fetch: {what}"
        res.add(name, fetch, gib)
        # ratio here: cat's wall / fetch's; throughput >= 0.9x fetch means <= 1/0.9.
        for v in (nodst, withdst):
            wall = v.med("wall")
            pairs = pair_ratios(v, fetch)  # cat / fetch, round by round
            ratio = pairs.median
            walls = sorted(r.wall for r in v.runs)
            note = f"(cat / fetch wall time; runs {walls[0]:.3f}-{walls[-1]:.3f} s)"
            res.rows.append({"scenario": name, "tool": v.label, "wall": wall, "ratio": ratio, "target": 1 / 0.9,
                             "met": ratio <= 1 / 0.9, "cpu_gib": v.med("cpu") / gib,
                             "rss_mib": v.med("rss_kib") / 1024, "note": note, "spread": pairs})
            print(f"{name:<40} {v.label:<34} {wall:8.3f} s  cat/fetch {pairs.text()} <= 1.11 "
                  f"{'met' if ratio <= 1 / 0.9 else 'NOT met'}  rss {v.med('rss_kib') / 1024:.1f} MiB {note}",
                  flush=True)
    rm(out)
