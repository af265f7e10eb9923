"""The many-objects scenario of scripts/bench (issue 21, `--only objects`).

200 real Parquet files (scripts/bench_lib/make_parquet.mjs, hyparquet-writer:
one row group of five 128 KiB DOUBLE columns a, x, b, y, z, 641 KiB each)
behind the latency bed of scripts/bench_lib/latency.py (nginx + Lua delaying
every response, 50 MiB/s per connection), at each --latencies delay. Each
tool fetches the footer and the column chunks of a and b of every file:

- sparseio: one process, `fetch URL1 ... URL200 DIR/ --select
  'parquet:columns=a,b'` (it discovers each object, reads its footer, plans,
  then fetches the chunks);
- `xargs -P 16` of sparseio, one process per object, 16 at a time;
- a shell `for` loop of sparseio, one object after the other (one round only:
  at 100 ms it takes a minute; no target);
- `curl --parallel --parallel-max 64 -K LIST`, given every object's byte
  ranges up front (magic + a, b, footer: 3 requests an object): it needs no
  discovery and no planning, so it is the bound of a tool that already knows.

Targets (issue 21): sparseio ≤ 0.25 of xargs -P 16 and ≤ 0.7 of curl. Ratios
are the median of per-round ratios (the tools run in rounds, the order
reversed every other one) with their spread; walls are medians with
[min, max].
"""

import json
import os
import shutil
import statistics
import subprocess

from bench_lib.common import GiB, MiB, Variant, alternate, log
from bench_lib.latency import LatencyNginx, fresh_dir, spread

try:  # the paired ratios of issue 22, when the harness has them
    from bench_lib.common import pair_ratios
except ImportError:  # pragma: no cover - older harness
    pair_ratios = None

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SELECT = "parquet:columns=a,b"
ROWS = 16384  # 128 KiB chunks: the transfer stays small beside the round trips (52 MB in all)
TARGETS = {"xargs -P 16": 0.25, "curl --parallel-max 64": 0.7}


def make_objects(root, count):
    """DIR/part-NNNNN.parquet, written once (a count that changed rewrites them)."""
    names = [f"part-{i:05}.parquet" for i in range(count)]
    if all(os.path.exists(os.path.join(root, n)) for n in names):
        return names
    npm = os.environ.get("SPARSEIO_NPM_DIR") or os.path.join(REPO, "tests", ".npm")
    if not os.path.isdir(os.path.join(npm, "node_modules", "hyparquet-writer")):
        raise SystemExit(f"bench: hyparquet-writer is missing from {npm}: run scripts/install-deps test"
                         " (or set SPARSEIO_NPM_DIR)")
    log(f"bench: writing {count} Parquet files to {root}")
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(["node", os.path.join(HERE, "make_parquet.mjs"), root, str(count), str(ROWS)], check=True,
                   env=dict(os.environ, SPARSEIO_NPM_DIR=npm))
    return names


def planned_ranges(sp, path):
    """The ranges sparseio plans for one file, merged where they touch
    (the magic and column a): what curl is given."""
    out = subprocess.run([sp, "plan", path, "--select", SELECT, "--json"], check=True, capture_output=True,
                         text=True).stdout
    ranges = sorted((r["offset"], r["offset"] + r["length"]) for r in json.loads(out)["ranges"])
    merged = []
    for b, e in ranges:
        if merged and b <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([b, e])
    return [tuple(r) for r in merged]


def ratio_text(sp_variant, peer):
    """sparseio / peer: the median of per-round ratios and their spread."""
    if pair_ratios is not None:
        s = pair_ratios(sp_variant, peer)
        return s.median, s.text()
    rs = sorted(a.wall / b.wall for a, b in zip(sp_variant.runs, peer.runs))
    med = statistics.median(rs)
    return med, f"{med:.2f} [{rs[0]:.2f}–{rs[-1]:.2f}, {len(rs)} pairs]"


def objects_scenarios(cfg, res):
    count = 50 if cfg.quick else 200
    root = os.path.join(cfg.dir, f"objects-{count}")
    names = make_objects(root, count)
    sp, d, reps = cfg.sparseio, cfg.dir, cfg.reps
    out, parts = os.path.join(d, "objects-out"), os.path.join(d, "objects-curl")
    layouts = {}
    for n in names:  # every file has the same layout (uncompressed DOUBLEs); checked, not assumed
        size = os.path.getsize(os.path.join(root, n))
        if size not in layouts:
            layouts[size] = planned_ranges(sp, os.path.join(root, n))
    nginx = LatencyNginx(root, cfg.latencies)
    try:
        for ms in cfg.latencies:
            urls = [nginx.url(n, ms) for n in names]
            title = f"{ms} ms: {count} Parquet files, footer + 2 of 5 columns each"
            pairs_file = os.path.join(d, f"objects-{ms}.list")
            with open(pairs_file, "w") as f:
                f.writelines(f"{u} {out}/{n}\n" for u, n in zip(urls, names))
            curl_cfg = os.path.join(d, f"objects-{ms}.curl")
            wanted = 0
            with open(curl_cfg, "w") as f:
                for i, (u, n) in enumerate(zip(urls, names)):
                    for j, (b, e) in enumerate(layouts[os.path.getsize(os.path.join(root, n))]):
                        f.write(f'url = "{u}"\nrange = {b}-{e - 1}\noutput = "{parts}/{i}-{j}"\n')
                        wanted += e - b
            spv = Variant("sparseio (one run)", [sp, "fetch", *urls, out + "/", "--select", SELECT, "--json"],
                          fresh_dir(out))
            xargs = Variant("xargs -P 16", ["sh", "-c", f"xargs -P 16 -L 1 {sp} fetch --select '{SELECT}' -q"
                                                        f" < {pairs_file}"], fresh_dir(out))
            curl = Variant("curl --parallel-max 64", ["curl", "-sS", "--fail", "--parallel", "--parallel-max", "64",
                                                      "-K", curl_cfg], fresh_dir(parts))
            loop = Variant("for loop", ["sh", "-c", f"while read u p; do {sp} fetch \"$u\" \"$p\" --select '{SELECT}'"
                                                    f" -q || exit 1; done < {pairs_file}"], fresh_dir(out))
            alternate([spv, xargs, curl], reps)
            alternate([loop], 1, warmup=False)
            rep = json.loads(spv.runs[-1].out)
            if rep["objects_ok"] != count:
                raise SystemExit(f"bench: sparseio fetched {rep['objects_ok']} of {count} objects")
            gib = wanted / GiB
            note = (f"{rep['requests']} requests, {rep['fetched_bytes'] / MiB:.1f} MiB transferred"
                    f" (planning reads included)")
            res.add(title, spv, gib, note=note + spread(spv), fetched=rep["fetched_bytes"])
            for peer in (xargs, curl, loop):
                target = TARGETS.get(peer.label)
                if len(peer.runs) == len(spv.runs):
                    ratio, text = ratio_text(spv, peer)
                else:  # the loop's one round: against sparseio's median
                    ratio = spv.med("wall") / peer.med("wall")
                    text = f"{ratio:.2f} (one round)"
                # Printed with the ratio of medians; the row keeps the paired median.
                res.add(title, peer, gib, base=spv.med("wall"), note=f"sparseio / this = {text}" + spread(peer),
                        fetched=wanted if peer is curl else None)
                row = res.rows[-1]
                row["ratio"] = ratio
                if target is not None:
                    row["target"], row["met"] = target, ratio <= target
                    res.notes.append(f"{title}: sparseio / {peer.label} = {text} (target ≤ {target}:"
                                     f" {'met' if ratio <= target else 'NOT met'})")
                    log("bench: " + res.notes[-1])
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(parts, ignore_errors=True)
    finally:
        nginx.cleanup()
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(parts, ignore_errors=True)


def objects_markdown(cfg, res):
    """The "## Many objects (issue 21)" section of docs/BENCHMARKS.md."""
    lines = ["## Many objects (issue 21)", "",
             "`scripts/bench --only objects` (scripts/bench_lib/objects.py): real Parquet files (hyparquet-writer,"
             " one row group of five 128 KiB DOUBLE columns a, x, b, y, z) behind the latency bed of the Latency"
             " section (nginx + Lua delaying each response, 50 MiB/s per connection). Every tool fetches the footer"
             " and the chunks of columns a and b of every file. sparseio runs once over all the URLs"
             f" (`fetch URL... DIR/ --select '{SELECT}'`); `xargs -P 16` and the `for` loop start one sparseio per"
             " file; curl is given every byte range up front (3 requests a file, no discovery, no planning)."
             f" {cfg.reps} rounds after a warm-up, the order reversed every other round; the `for` loop runs one"
             " round. Ratio = sparseio / peer: the median of per-round ratios, with [min–max] (and IQR when the"
             " harness has paired spreads).", "",
             "| scenario | tool | median wall (s) | ratio | target | met | note |",
             "|---|---|---:|---:|---|---|---|"]
    for r in res.rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        tgt = "" if r["target"] is None else f"≤ {r['target']:g}"
        lines.append(f"| {r['scenario']} | {r['tool']} | {r['wall']:.3f} | {ratio} | {tgt} | {met} |"
                     f" {r['note'].strip()} |")
    lines.append("")
    for n in res.notes:
        lines.append(f"- {n}")
    lines.append("")
    return "\n".join(lines)
