"""Shared pieces of scripts/bench: running a tool under /usr/bin/time,
alternating variants in pairs, the per-pair ratios and their spread,
collecting results, generating the data.

Why pairs: on this shared 2-core machine the same command's wall time moves
by 2-3x between minutes (other helpers' builds), so a ratio of two medians
taken over the whole scenario can show a false regression or a false win.
alternate() runs the variants round by round (A B, B A, A B, ...), so round i
of A and round i of B ran under nearly the same load; pair_ratios() divides
them round by round, and the spread of those ratios (min-max, IQR) says how
much to trust the median: a noisy machine shows as a wide spread."""

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # 127.0.0.1 only


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- running


class Run:
    def __init__(self, wall, cpu, rss_kib, out):
        self.wall, self.cpu, self.rss_kib, self.out = wall, cpu, rss_kib, out


def run(cmd, capture=False, check=True):
    """Runs cmd; wall seconds, user+sys seconds and peak RSS of the process
    tree (/usr/bin/time)."""
    # Through /usr/bin/time: ru_maxrss of a child forked straight from this
    # python would count python's own pages from before the exec.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("w+") as usage:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-o", usage.name, "-f", "%U %S %M"] + list(cmd), env=ENV,
                              stdout=out if capture else subprocess.DEVNULL, stderr=err)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        text = out.read() if capture else None
        if check and proc.returncode != 0:
            sys.exit(f"bench: {' '.join(map(str, cmd[:4]))}... exited {proc.returncode}: {err.read().strip()[-800:]}")
        user, system, rss = usage.read().split()[-3:]
    return Run(wall, float(user) + float(system), int(rss), text)


def rm(*paths):
    for p in paths:
        for q in (p, p + ".sparseio"):
            if os.path.isdir(q):
                shutil.rmtree(q)
            elif os.path.lexists(q):
                os.unlink(q)


class Variant:
    def __init__(self, label, cmd, setup=None, fetched=None):
        self.label, self.cmd, self.setup, self.fetched = label, cmd, setup, fetched
        self.runs = []

    def once(self):
        if self.setup:
            self.setup()
        r = run(self.cmd, capture=True)
        self.runs.append(r)
        return r

    def med(self, attr):
        return statistics.median(getattr(r, attr) for r in self.runs)


def alternate(variants, reps, warmup=True):
    """Runs the variants in turn, reps times (after one uncounted warm-up
    round that fills the page cache and nginx's connections). Every other
    round runs them in reverse order (A B, B A, ...): whichever runs second
    inherits the first's dirty pages and freed memory, and reversing puts that
    cost on each in turn instead of always on the same one. Round i of every
    variant is its runs[i], which pair_ratios() relies on."""
    if warmup:
        for v in variants:
            v.once()
            v.runs.clear()
    for i in range(reps):
        for v in (variants if i % 2 == 0 else list(reversed(variants))):
            v.once()


class Spread:
    """The median of per-pair ratios and how far they scatter."""

    def __init__(self, ratios):
        rs = sorted(ratios)
        if not rs:
            raise ValueError("no pairs")
        self.ratios = rs
        self.median = statistics.median(rs)
        self.lo, self.hi = rs[0], rs[-1]
        # Quartiles by the inclusive method: with 5 pairs, the 2nd and 4th ratio.
        q = statistics.quantiles(rs, n=4, method="inclusive") if len(rs) > 1 else [rs[0]] * 3
        self.q1, self.q3 = q[0], q[2]

    def text(self):
        """'0.95 [0.90–1.02, IQR 0.93–0.98, 5 pairs]'"""
        return (f"{self.median:.2f} [{self.lo:.2f}–{self.hi:.2f}, IQR {self.q1:.2f}–{self.q3:.2f},"
                f" {len(self.ratios)} pairs]")


def pair_ratios(a, b, attr="wall"):
    """a's runs over b's, round by round (both run by the same alternate())."""
    if len(a.runs) != len(b.runs):
        raise ValueError(f"{a.label}: {len(a.runs)} runs, {b.label}: {len(b.runs)}: not paired")
    return Spread([getattr(x, attr) / getattr(y, attr) for x, y in zip(a.runs, b.runs)])


def loadavg():
    return os.getloadavg()[0]


# ---------------------------------------------------------------- results


class Results:
    def __init__(self):
        self.rows = []  # dicts: scenario, tool, wall, ratio, target, met, cpu_gib, rss_mib, note
        self.memory = []  # dicts: what, rss_mib, note, target, met
        self.notes = []

    def add(self, scenario, variant, gib, base=None, target=None, note="", fetched=None, pair=None):
        """base: sparseio's median wall time (ratio = base / this median), or
        pair: sparseio's Variant, run beside this one by alternate() (ratio =
        the median of the per-round ratios sparseio / this, with its spread;
        the target is judged on that median). fetched: the bytes the tool
        transferred (None: not known), shown beside the time, since a faster
        run that fetches more is no win for a disk or an egress bill."""
        wall = variant.med("wall")
        row = {"scenario": scenario, "tool": variant.label, "wall": wall, "ratio": None, "target": target,
               "met": None, "cpu_gib": variant.med("cpu") / gib if gib else None,
               "rss_mib": variant.med("rss_kib") / 1024, "note": note, "spread": None,
               "fetched_mib": None if fetched is None else fetched / (1 << 20)}
        if pair is not None:
            sp = pair_ratios(pair, variant)
            row["ratio"], row["spread"] = sp.median, sp
        elif base is not None:
            row["ratio"] = base / wall
        if row["ratio"] is not None and target is not None:
            row["met"] = row["ratio"] <= target
        self.rows.append(row)
        ratio = f"{row['ratio']:6.2f}" if row["ratio"] is not None else "     -"
        if row["spread"] is not None:
            ratio = row["spread"].text()
        tgt = f"<= {target:g} {'met' if row['met'] else 'NOT met'}" if target is not None else ""
        cpu = f"{row['cpu_gib']:6.2f}" if row["cpu_gib"] is not None else "     -"
        got = f"{row['fetched_mib']:9.1f} MiB" if row["fetched_mib"] is not None else "          -    "
        print(f"{scenario:<40} {variant.label:<34} {wall:8.3f} s  fetched {got}  ratio {ratio}  cpu/GiB {cpu} s"
              f"  rss {row['rss_mib']:7.1f} MiB  {tgt} {note}", flush=True)

    def add_memory(self, what, rss_mib, target=None, met=None, note=""):
        self.memory.append({"what": what, "rss_mib": rss_mib, "target": target, "met": met, "note": note})
        print(f"{what:<60} {rss_mib:8.1f} MiB  {note}" + (f"  target {target}: {'met' if met else 'NOT met'}"
                                                          if target else ""), flush=True)


# ---------------------------------------------------------------- data


def make_object(path, size, seed):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    log(f"bench: writing {size / GiB:g} GiB of random bytes to {path}")
    rng = random.Random(seed)
    with open(path + ".tmp", "wb") as f:
        for _ in range(size // (16 * MiB)):
            f.write(rng.randbytes(16 * MiB))
    os.replace(path + ".tmp", path)


def concat_object(path, part, times):
    size = os.path.getsize(part) * times
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    log(f"bench: writing {size / GiB:g} GiB to {path}")
    with open(path + ".tmp", "wb") as out:
        for _ in range(times):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 16 * MiB)
    os.replace(path + ".tmp", path)


def random_ranges(path, size, count, length, seed):
    rng = random.Random(seed)
    starts = [rng.randrange(size - length) for _ in range(count)]
    with open(path, "w") as f:
        f.writelines(f"{s}+{length}\n" for s in starts)
    return starts


def spread_ranges(path, size, count, seed):
    """count disjoint small ranges spread over the object, in random order."""
    rng = random.Random(seed)
    step = size // count
    length = max(1, min(256, step // 4))
    starts = [i * step + rng.randrange(step // 2) for i in range(count)]
    rng.shuffle(starts)
    with open(path, "w") as f:
        f.writelines(f"{s}+{length}\n" for s in starts)
