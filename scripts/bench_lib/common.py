"""Shared pieces of scripts/bench: running a tool under /usr/bin/time,
alternating variants, collecting results, generating the data."""

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
    round that fills the page cache and nginx's connections)."""
    if warmup:
        for v in variants:
            v.once()
            v.runs.clear()
    for _ in range(reps):
        for v in variants:
            v.once()


def loadavg():
    return os.getloadavg()[0]


# ---------------------------------------------------------------- results


class Results:
    def __init__(self):
        self.rows = []  # dicts: scenario, tool, wall, ratio, target, met, cpu_gib, rss_mib, note
        self.memory = []  # dicts: what, rss_mib, note, target, met
        self.notes = []

    def add(self, scenario, variant, gib, base=None, target=None, note="", fetched=None):
        """fetched: the bytes the tool transferred (None: not known), shown
        beside the time, since a faster run that fetches more is no win for
        a disk or an egress bill."""
        wall = variant.med("wall")
        row = {"scenario": scenario, "tool": variant.label, "wall": wall, "ratio": None, "target": target,
               "met": None, "cpu_gib": variant.med("cpu") / gib if gib else None,
               "rss_mib": variant.med("rss_kib") / 1024, "note": note,
               "fetched_mib": None if fetched is None else fetched / (1 << 20)}
        if base is not None:
            row["ratio"] = base / wall
            if target is not None:
                row["met"] = row["ratio"] <= target
        self.rows.append(row)
        ratio = f"{row['ratio']:6.2f}" if row["ratio"] is not None else "     -"
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
