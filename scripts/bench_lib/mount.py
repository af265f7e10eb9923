"""The mount and handle scenarios of scripts/bench (issue 20).

`--only mount`: `sparseio mount` against httpdirfs (with its cache) and
`rclone mount --vfs-cache-mode full` over an `:http:` remote, all three
mounting the same directory of nginx on 127.0.0.1 behind the latency bed's
Lua delay (and its 50 MiB/s cap per connection), at each --latencies value.
Readers: `unzip -l` of a 2,000-member zip, one `sqlite3` point query (cold,
and warm after a remount of the same cache), a sequential `dd` of a large
object (against `curl -o` of it) and 1,000 random 4 KiB preads from 8 Python
threads. A cold run starts with an empty cache directory and a fresh mount
(so the kernel's page cache of the mount is gone too); only the reader is
timed, not the mount. The tools alternate (A B C A B C ...); the ratios are
of medians, with the min-max of the per-round ratios. The GETs of the warm
query are counted in nginx's access log; the peak RSS is the mount process's
VmHWM just before the unmount.

`--only handle`: tests sparseio::Object::read_at from 8 threads (200 random
4 KiB reads each, a small C++ program built against build-bench's library)
against `sparseio fetch --ranges-from` of the same 1,600 ranges.
"""

import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import zipfile

from bench_lib.common import ENV, KiB, MiB, Variant, alternate, log, make_object, rm
from bench_lib.latency import MODULES, free_port

CONF = """
load_module {modules}/ndk_http_module.so;
load_module {modules}/ngx_http_lua_module.so;
daemon off;
master_process on;
worker_processes 2;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  log_format counts '$request_method $uri $status $body_bytes_sent';
  access_log {prefix}/access.log counts;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  default_type application/octet-stream;
  types {{ }}
  sendfile on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  sendfile_max_chunk 256k;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    root {root};
{locations}
  }}
}}
"""

# autoindex: httpdirfs and rclone's :http: remote list the directory
# (httpdirfs asks for it without the trailing slash: redirected).
LOCATION = """    location = /d{ms} {{ return 301 /d{ms}/; }}
    location /d{ms}/ {{
      alias {root}/;
      autoindex on;
      limit_rate 50m;
      access_by_lua_block {{ ngx.sleep({seconds}) }}
    }}"""


class MountNginx:
    """nginx serving `root` at /d<ms>/ (delayed, capped, listed), logging
    every request's method to access.log so that GETs can be counted."""

    def __init__(self, root, delays_ms):
        for m in ("ndk_http_module.so", "ngx_http_lua_module.so"):
            if not os.path.exists(os.path.join(MODULES, m)):
                raise SystemExit(f"bench: {MODULES}/{m} is missing: apt-get install libnginx-mod-http-lua")
        self.prefix = tempfile.mkdtemp(prefix="sparseio-mount-nginx-")
        self.port = free_port()
        locs = "\n".join(LOCATION.format(ms=ms, root=root, seconds=ms / 1000) for ms in delays_ms)
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(modules=MODULES, prefix=self.prefix, root=root, port=self.port, locations=locs,
                                user="user root root;" if os.geteuid() == 0 else ""))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", conf, "-p", self.prefix], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline and self.proc.poll() is None:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.cleanup()
        raise SystemExit("bench: the mount bed's nginx did not start")

    def url(self, ms, name=""):
        return f"http://127.0.0.1:{self.port}/d{ms}/{name}"

    def log_size(self):
        try:
            return os.path.getsize(os.path.join(self.prefix, "access.log"))
        except OSError:
            return 0

    def methods_since(self, pos):
        """{method: count} of the requests logged after byte pos (nginx
        writes each line when its response ends), and "bytes": the body
        bytes they sent."""
        out = {"bytes": 0}
        with open(os.path.join(self.prefix, "access.log")) as f:
            f.seek(pos)
            for line in f:
                m, _, _, sent = line.split()
                out[m] = out.get(m, 0) + 1
                out["bytes"] += int(sent)
        return out

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


# ---------------------------------------------------------------- the data


def make_zip(path, members=2000):
    """2,000 stored members of 1-8 KiB: the central directory is what
    `unzip -l` reads (about 100 KiB at the end)."""
    if os.path.exists(path):
        return
    rng = random.Random(20)
    with zipfile.ZipFile(path + ".tmp", "w") as z:
        for i in range(members):
            z.writestr(f"dir{i % 20:02}/file{i:05}.bin", rng.randbytes(rng.randrange(1, 8) * KiB))
    os.replace(path + ".tmp", path)


def make_db(path, size):
    """A table of ~1 KiB rows with an integer key, about `size` bytes."""
    if os.path.exists(path) and os.path.getsize(path) >= size * 0.9:
        return
    rm(path)
    rows = size // 1100
    log(f"bench: writing a {size // MiB} MiB sqlite database ({rows} rows) to {path}")
    subprocess.run(["sqlite3", path + ".tmp"], check=True, text=True, stdout=subprocess.DEVNULL, input=(
        "PRAGMA journal_mode=OFF; CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, payload BLOB);"
        f"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {rows})"
        " INSERT INTO t SELECT i, (i * 7919) % 1000003, randomblob(1000) FROM c;"))
    os.replace(path + ".tmp", path)


PREAD = r"""
import os, random, sys, threading
path, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
rng = random.Random(20)
offs = [rng.randrange(size - 4096) for _ in range(n)]
bad = []
def work(t):
    for o in offs[t::threads]:
        if len(os.pread(fd, 4096, o)) != 4096:
            bad.append(o)
ts = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
sys.exit(1 if bad else 0)
"""


# ---------------------------------------------------------------- the mounts


class Mount:
    """One tool's mount of the directory at `url` on `mnt`, its cache in
    `cache`; start() waits until `probe` is listed, stop() returns the mount
    process's peak RSS (KiB) and unmounts."""

    def __init__(self, label, cmd, mnt, cache, probe):
        self.label, self.cmd, self.mnt, self.cache, self.probe = label, cmd, mnt, cache, probe
        self.proc = None
        self.rss = []  # KiB, one per mount

    def empty_cache(self):
        shutil.rmtree(self.cache, ignore_errors=True)
        os.makedirs(self.cache)

    def start(self):
        os.makedirs(self.mnt, exist_ok=True)
        os.makedirs(self.cache, exist_ok=True)
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.err.seek(0)
                raise SystemExit(f"bench: {self.label} exited {self.proc.returncode}: "
                                 f"{self.err.read().decode(errors='replace')[-600:]}")
            try:
                if os.path.ismount(self.mnt) and self.probe in os.listdir(self.mnt):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise SystemExit(f"bench: {self.label} did not mount {self.mnt} within 60 s")

    def peak_rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self):
        if self.proc is None:
            return
        self.rss.append(self.peak_rss_kib())
        subprocess.run(["fusermount3", "-u", self.mnt], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            subprocess.run(["fusermount3", "-uz", self.mnt], stderr=subprocess.DEVNULL)
        self.proc = None


def make_mounts(cfg, url, base, probe):
    sp = cfg.sparseio
    m = {}
    mnt, cache = os.path.join(base, "mnt-sparseio"), os.path.join(base, "cache-sparseio")
    srcs = [url + n for n in cfg.mount_names]
    m["sparseio"] = Mount("sparseio mount", [sp, "mount", *srcs, mnt, "--cache", cache], mnt, cache, probe)
    # --no-range-check: httpdirfs 1.2.5's check wrongly fails against nginx
    # (fangfufu/httpdirfs#188) and it exits on the first open.
    mnt, cache = os.path.join(base, "mnt-httpdirfs"), os.path.join(base, "cache-httpdirfs")
    m["httpdirfs"] = Mount("httpdirfs --cache", ["httpdirfs", "-f", "--no-range-check", "--cache", "--cache-location",
                                                 cache, url, mnt], mnt, cache, probe)
    mnt, cache = os.path.join(base, "mnt-rclone"), os.path.join(base, "cache-rclone")
    m["rclone"] = Mount("rclone mount --vfs-cache-mode full",
                        ["rclone", "mount", ":http:", mnt, "--http-url", url, "--vfs-cache-mode", "full",
                         "--cache-dir", cache, "--read-only", "--config", "/dev/null"], mnt, cache, probe)
    return m


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:3])}... exited {p.returncode}: {p.stderr.decode()[-600:]}")
    return wall


def ratios_note(sp_walls, peer_walls):
    rs = [a / b for a, b in zip(sp_walls, peer_walls)]
    return statistics.median(sp_walls) / statistics.median(peer_walls), min(rs), max(rs)


def mount_scenarios(cfg, rows, notes):
    """rows: dicts scenario, tool, wall, walls, ratio, spread, target, met,
    rss_mib, note."""
    root = os.path.join(cfg.dir, "mountroot")
    os.makedirs(root, exist_ok=True)
    seq_size = 128 * MiB if cfg.quick else 512 * MiB
    db_size = 50 * MiB if cfg.quick else 200 * MiB
    # The random reads get a 1 GiB object at --quick too (the latency bed's size): on 128 MiB,
    # 1,000 reads touch nearly every 1 MiB block, and a tool that streams the whole file wins.
    names = {"zip": "bench2000.zip", "db": f"bench-{db_size // MiB}M.db", "seq": f"seq-{seq_size // MiB}M.bin",
             "rnd": "rnd-1024M.bin"}
    make_zip(os.path.join(root, names["zip"]))
    make_db(os.path.join(root, names["db"]), db_size)
    make_object(os.path.join(root, names["seq"]), seq_size, 20)
    make_object(os.path.join(root, names["rnd"]), 1024 * MiB, 21)
    for n in os.listdir(root):  # only the bench's files in the listing
        if n not in names.values():
            rm(os.path.join(root, n))
    cfg.mount_names = list(names.values())
    pread = os.path.join(cfg.dir, "pread8.py")
    with open(pread, "w") as f:
        f.write(PREAD)
    os.sync()
    nginx = MountNginx(root, cfg.latencies)
    base = os.path.join(cfg.dir, "mounts")
    out = os.path.join(cfg.dir, "curl-out.bin")
    peaks = []  # sparseio mount's VmHWM (KiB) of every mount
    try:
        for n in names.values():  # the files in nginx's page cache, not timed
            with open(os.path.join(root, n), "rb") as f:
                while f.read(16 * MiB):
                    pass
        for ms in cfg.latencies:
            url = nginx.url(ms)
            mounts = make_mounts(cfg, url, base, names["zip"])
            readers = [
                ("zip", "unzip -l of a 2,000-member zip",
                 lambda mnt: ["unzip", "-l", os.path.join(mnt, names["zip"])]),
                ("sqlite", f"sqlite3 point query, {db_size // MiB} MB database",
                 lambda mnt: ["sqlite3", "-readonly", os.path.join(mnt, names["db"]),
                              "SELECT length(payload) FROM t WHERE id = 31337"]),
                ("random", "1,000 random 4 KiB preads of 1 GiB, 8 threads",
                 lambda mnt: ["python3", pread, os.path.join(mnt, names["rnd"]), "1000", "8"]),
                ("seq", f"sequential read of {seq_size // MiB} MiB (dd bs=1M)",
                 lambda mnt: ["dd", f"if={os.path.join(mnt, names['seq'])}", "of=/dev/null", "bs=1M"]),
            ]
            for key, title, reader in readers:
                title = f"{ms} ms: {title}"
                first = len(rows)
                walls = {k: [] for k in mounts}
                traffic = {k: [] for k in mounts}  # (GETs, bytes) of each cold run
                warm = {k: [] for k in mounts}
                curl = []
                gets = []
                for _ in range(cfg.reps):
                    for k, m in mounts.items():
                        m.empty_cache()
                        m.start()
                        try:
                            pos = nginx.log_size()
                            walls[k].append(timed(reader(m.mnt)))
                        finally:
                            m.stop()
                        time.sleep(0.1)  # the unmount closed the connections: nginx logs their lines
                        got = nginx.methods_since(pos)
                        traffic[k].append((got.get("GET", 0), got["bytes"]))
                        if key == "sqlite":  # warm: the same cache, a fresh mount
                            m.start()
                            try:
                                pos = nginx.log_size()
                                warm[k].append(timed(reader(m.mnt)))
                            finally:
                                m.stop()
                            time.sleep(0.1)
                            if k == "sparseio":
                                gets.append(nginx.methods_since(pos).get("GET", 0))
                    if key == "seq":
                        rm(out)
                        curl.append(timed(["curl", "-sS", "--fail", "-o", out, url + names["seq"]]))
                        rm(out)
                peers = [k for k in mounts if k != "sparseio"]
                best = min(peers, key=lambda k: statistics.median(walls[k]))
                for k, m in mounts.items():
                    row = {"scenario": title + " (cold)", "tool": m.label, "wall": statistics.median(walls[k]),
                           "walls": walls[k], "rss_mib": max(m.rss) / 1024 if m.rss else None, "ratio": None,
                           "spread": None, "target": None, "met": None, "note": ""}
                    if k == "sparseio":
                        if key == "seq":
                            r, lo, hi = ratios_note(curl, walls[k])  # throughput ratio sparseio / curl
                            row.update(ratio=r, spread=(lo, hi), target="≥ 0.9 of curl -o throughput",
                                       met=r >= 0.9, note=f"{seq_size / row['wall'] / MiB:.0f} MiB/s")
                        else:
                            r, lo, hi = ratios_note(walls[k], walls[best])
                            row.update(ratio=r, spread=(lo, hi), met=r <= 0.5,
                                       target=f"≤ 0.5 × better peer ({mounts[best].label})")
                    elif key == "seq":
                        row["note"] = f"{seq_size / row['wall'] / MiB:.0f} MiB/s"
                    n_gets = statistics.median(g for g, _ in traffic[k])
                    mib = statistics.median(b for _, b in traffic[k]) / MiB
                    row["note"] = (row["note"] + f"; {n_gets:g} GETs, {mib:.1f} MiB transferred").lstrip("; ")
                    rows.append(row)
                    if k == "sparseio":
                        peaks.extend(m.rss)
                    m.rss.clear()
                if key == "seq":
                    rows.append({"scenario": title, "tool": "curl -o", "wall": statistics.median(curl), "walls": curl,
                                 "rss_mib": None, "ratio": None, "spread": None, "target": None, "met": None,
                                 "note": f"{seq_size / statistics.median(curl) / MiB:.0f} MiB/s"})
                if key == "sqlite":
                    for k, m in mounts.items():
                        row = {"scenario": title + " (warm, remounted)", "tool": m.label,
                               "wall": statistics.median(warm[k]), "walls": warm[k], "rss_mib": None, "ratio": None,
                               "spread": None, "target": None, "met": None, "note": ""}
                        if k == "sparseio":
                            row.update(target="zero GETs", met=max(gets) == 0,
                                       note=f"GETs during the warm query: {gets}")
                        rows.append(row)
                for r in rows[first:]:
                    ratio = "" if r["ratio"] is None else f"ratio {r['ratio']:.2f}"
                    log(f"bench: {r['scenario']:<60} {r['tool']:<36} {r['wall']:8.3f} s {ratio} {r['note']}")
        # The window's bytes go to the cache file, not memory (lib/api/object.cc), so the
        # target is 64 MiB + the 32 MiB remote readahead window at most.
        peak = max(peaks) / 1024
        notes.append(f"peak RSS of sparseio mount over every run: {peak:.0f} MiB (target ≤ 64 MiB + the 32 MiB"
                     f" readahead window = 96 MiB: {'met' if peak <= 96 else 'NOT met'})")
        log("bench: " + notes[-1])
    finally:
        for m in list(locals().get("mounts", {}).values()):
            m.stop()
        nginx.cleanup()
        rm(out)


# ---------------------------------------------------------------- the handle


def build_handle_bench(cfg):
    """Compiles handle_bench.cc against the bench build's libsparseio.so."""
    build = os.path.dirname(os.path.dirname(cfg.sparseio))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "handle_bench.cc")
    exe = os.path.join(build, "handle_bench")
    libdir = os.path.join(build, "lib")
    # `ninja app/sparseio` links the static internal library only: build the shared one.
    shared = [n[:-2] for n in os.listdir(libdir) if n.startswith("libsparseio.so.") and n.endswith(".p")]
    subprocess.run(["ninja", "-C", build, *(f"lib/{n}" for n in shared)], check=True, stdout=subprocess.DEVNULL)
    newest = max(os.path.getmtime(src), os.path.getmtime(os.path.join(libdir, "libsparseio.so")))
    if not os.path.exists(exe) or os.path.getmtime(exe) < newest:
        subprocess.run(["g++", "-std=c++20", "-O2", "-Wall", "-Wextra", "-Werror", "-I",
                        os.path.join(repo, "lib", "include"), "-I", libdir, src, "-o", exe, f"-L{libdir}",
                        "-lsparseio", f"-Wl,-rpath,{libdir}", "-pthread"], check=True)
    return exe


def handle_scenarios(cfg, rows, notes):
    exe = build_handle_bench(cfg)
    root = os.path.join(cfg.dir, "mountroot")
    os.makedirs(root, exist_ok=True)
    # 1 GiB, the random mount scenario's object, at --quick too: on 128 MiB the 1,600 reads fall in
    # nearly every 1 MiB block, so most reads hit a block another thread fetched (a last run's 1.25x).
    size = 1024 * MiB
    name = "rnd-1024M.bin"
    make_object(os.path.join(root, name), size, 21)
    ranges = os.path.join(cfg.dir, "handle-ranges.txt")
    rng = random.Random(1600)
    with open(ranges, "w") as f:
        f.writelines(f"{rng.randrange(size - 4 * KiB)}+{4 * KiB}\n" for _ in range(1600))
    dst = os.path.join(cfg.dir, "handle-dst.bin")
    nginx = MountNginx(root, [20])
    try:
        url = nginx.url(20, name)
        h = Variant("Object::read_at, 8 threads x 200", [exe, url, dst, ranges, "8"], lambda: rm(dst))
        f = Variant("sparseio fetch --ranges-from (1,600)", [cfg.sparseio, "fetch", url, dst, "-q",
                                                             "--ranges-from", ranges], lambda: rm(dst))
        alternate([h, f], cfg.reps)
        hw, fw = [r.wall for r in h.runs], [r.wall for r in f.runs]
        r, lo, hi = ratios_note(hw, fw)
        title = f"20 ms: 1,600 random 4 KiB reads of {size // MiB} MiB"
        rows.append({"scenario": title, "tool": h.label, "wall": statistics.median(hw), "walls": hw,
                     "rss_mib": h.med("rss_kib") / 1024, "ratio": r, "spread": (lo, hi), "target": "≤ 1.3 × fetch",
                     "met": r <= 1.3, "note": ""})
        rows.append({"scenario": title, "tool": f.label, "wall": statistics.median(fw), "walls": fw,
                     "rss_mib": f.med("rss_kib") / 1024, "ratio": None, "spread": None, "target": None,
                     "met": None, "note": ""})
        log(f"bench: handle {statistics.median(hw):.3f} s, fetch {statistics.median(fw):.3f} s, ratio {r:.2f}"
            f" [{lo:.2f}-{hi:.2f}]")
    finally:
        nginx.cleanup()
        rm(dst)


def mount_markdown(cfg, rows, notes, loads):
    lines = ["## Mount and handle (issue 20)", "",
             f"`{cfg.command}` at {cfg.git}; {cfg.reps} rounds, the tools alternating in each round; medians,"
             " ratio = sparseio / the peer named in the target (for the sequential read: sparseio's throughput /"
             " curl's), with the min–max of the per-round ratios. nginx on 127.0.0.1 behind the latency bed's"
             " Lua delay and 50 MiB/s per connection cap, the directory listed by autoindex for httpdirfs and"
             " rclone. Cold: empty cache directory and a fresh mount; only the reader is timed. Peak RSS: the"
             " mount process's VmHWM at the end of the run (max over rounds). Warm: the same cache, remounted.",
             "",
             f"Load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end, on 2 cores shared with"
             " other builds: the figures are noisy.", "",
             "| scenario | tool | median wall (s) | rounds (s) | peak RSS (MiB) | ratio [min–max] | target | met"
             " | note |",
             "|---|---|---:|---|---:|---|---|---|---|"]
    for r in rows:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f} [{r['spread'][0]:.2f}–{r['spread'][1]:.2f}]"
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        rss = "" if r["rss_mib"] is None else f"{r['rss_mib']:.0f}"
        rounds = ", ".join(f"{w:.2f}" for w in r["walls"])
        lines.append(f"| {r['scenario']} | {r['tool']} | {r['wall']:.3f} | {rounds} | {rss} | {ratio} |"
                     f" {r['target'] or ''} | {met} | {r['note']} |")
    lines.append("")
    for n in notes:
        lines.append(f"- {n}")
    lines.append("")
    return "\n".join(lines)
