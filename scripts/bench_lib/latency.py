"""The latency scenarios of scripts/bench (issue 14): nginx on 127.0.0.1 with
Debian's libnginx-mod-http-lua delays every response by S seconds before its
first byte (access_by_lua_block { ngx.sleep(S) }, which does not block the
worker) and caps each connection with limit_rate. Four reads at 20 ms and
100 ms, each against its peers in the same run, with the lower bound the
scenario admits and a sweep of hand-tuned -j/--coalesce-gap settings.

The bed is checked first: at 0 ms without a cap it must not be more than 10%
slower than a location of the same nginx without Lua, and a single request
must take the configured delay within 2 ms.
"""

import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

from bench_lib.common import ENV, GiB, KiB, MiB, Variant, alternate, log, rm

MODULES = "/usr/lib/nginx/modules"
CAP = 50 * MiB  # bytes/s per connection: nginx reads limit_rate 50m as 50 MiB/s
CONNECTIONS = 64  # the bound's connections: sparseio's --max-connections default and curl's best

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
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  default_type application/octet-stream;
  types {{ }}
  sendfile on;
  tcp_nopush off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  # limit_rate lets a response send what fits in one send call, then waits
  # (sent / rate) before the next: 256 KiB calls keep the cap smooth
  # (the default, 2 MiB, would let a 2 MiB response through uncapped).
  sendfile_max_chunk 256k;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    root {root};
    location /plain/ {{ alias {root}/; }}
{locations}
  }}
}}
"""

LOCATION = """    location /d{ms}{capname}/ {{
      alias {root}/;
      {limit}
      access_by_lua_block {{ ngx.sleep({seconds}) }}
    }}"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LatencyNginx:
    """nginx serving `root` at /plain/ (no Lua) and at /d<ms>/ (delayed by
    ms milliseconds) and /d<ms>c/ (delayed and capped at CAP per connection)."""

    def __init__(self, root, delays_ms):
        for m in ("ndk_http_module.so", "ngx_http_lua_module.so"):
            if not os.path.exists(os.path.join(MODULES, m)):
                raise SystemExit(f"bench: {MODULES}/{m} is missing: apt-get install libnginx-mod-http-lua")
        self.root = root
        self.prefix = tempfile.mkdtemp(prefix="sparseio-latency-nginx-")
        locs = []
        for ms in delays_ms:
            for capped in (False, True):
                locs.append(LOCATION.format(ms=ms, capname="c" if capped else "", root=root,
                                            limit="limit_rate 50m;" if capped else "", seconds=ms / 1000))
        self.port = free_port()
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(modules=MODULES, prefix=self.prefix, root=root, port=self.port,
                                locations="\n".join(locs),
                                user="user root root;" if os.geteuid() == 0 else ""))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", conf, "-p", self.prefix], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.prefix, "stderr.log"), "wb"))
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    self.base = f"http://127.0.0.1:{self.port}/"
                    return
            time.sleep(0.05)
        self.cleanup()
        raise SystemExit("bench: the latency nginx did not start: " + self.errors())

    def url(self, name, ms=None, capped=True):
        where = "plain" if ms is None else f"d{ms}{'c' if capped else ''}"
        return f"{self.base}{where}/{name}"

    def errors(self):
        text = ""
        for n in ("stderr.log", "error.log"):
            try:
                text += open(os.path.join(self.prefix, n)).read()[-2000:]
            except OSError:
                pass
        return text

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


# ---------------------------------------------------------------- the bed's own checks


def single_request_delays(nginx, name, ms, n=7):
    """Seconds to the first byte of n one-byte requests on one kept-alive
    connection (the first, which also connects, is not counted)."""
    conn = http.client.HTTPConnection("127.0.0.1", nginx.port)
    path = nginx.url(name, ms).split(f":{nginx.port}", 1)[1]
    times = []
    for _ in range(n + 1):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Range": "bytes=0-0"})
        r = conn.getresponse()
        times.append(time.perf_counter() - t0)
        r.read()
    conn.close()
    return times[1:]


def check_bed(cfg, res, nginx, name):
    sp, out = cfg.sparseio, os.path.join(cfg.dir, "out.bin")
    ok = True
    for ms in cfg.latencies:
        t = statistics.median(single_request_delays(nginx, name, ms))
        good = abs(t - ms / 1000) <= 0.002
        ok &= good
        res.notes.append(f"bed: a single request to the {ms} ms location took {t * 1000:.2f} ms (median of 7;"
                         f" target {ms} ± 2 ms: {'met' if good else 'NOT met'})")
        log("bench: " + res.notes[-1])
    # 0 ms and no cap against the same files without Lua: sparseio and curl
    # fetching the whole object, and 1,000 ranges with curl --parallel.
    plain = Variant("plain nginx", [sp, "fetch", nginx.url(name), out, "-q"], lambda: rm(out))
    lua0 = Variant("Lua, 0 ms", [sp, "fetch", nginx.url(name, 0, False), out, "-q"], lambda: rm(out))
    alternate([plain, lua0], cfg.reps)
    ratio = lua0.med("wall") / plain.med("wall")
    good = ratio <= 1.10
    ok &= good
    res.notes.append(f"bed: whole {os.path.getsize(os.path.join(nginx.root, name)) // MiB} MiB object at 0 ms, no cap: {lua0.med('wall'):.3f} s against"
                     f" {plain.med('wall'):.3f} s without Lua (ratio {ratio:.2f}, target ≤ 1.10:"
                     f" {'met' if good else 'NOT met'})")
    log("bench: " + res.notes[-1])
    rm(out)
    return ok


# ---------------------------------------------------------------- scenarios


class Scenario:
    """A read: `ranges` (begin, end) half-open, in the order a reader asks."""

    def __init__(self, key, title, ranges, whole=False):
        self.key, self.title, self.ranges, self.whole = key, title, ranges, whole


def scenario_ranges(size, seed=14):
    rng = random.Random(seed)
    out = []
    # 1. 1,000 random 64 KiB ranges.
    r1 = [(s, s + 64 * KiB) for s in (rng.randrange(size - 64 * KiB) for _ in range(1000))]
    out.append(Scenario("random", f"1,000 random 64 KiB ranges of {size / GiB:g} GiB", r1))
    # 2. Parquet-like: 4 row groups of 12 column chunks (256 KiB-6 MiB each)
    # before a 64 KiB footer at the end; the reader reads the footer and 5
    # of the 12 columns (the same 5 in each row group).
    chunks = [[rng.randrange(256 * KiB, 6 * MiB) for _ in range(12)] for _ in range(4)]
    total = sum(map(sum, chunks))
    footer = (size - 64 * KiB, size)
    pos = footer[0] - total
    columns = sorted(rng.sample(range(12), 5))
    r2 = [footer]
    for group in chunks:
        for c, n in enumerate(group):
            if c in columns:
                r2.append((pos, pos + n))
            pos += n
    out.append(Scenario("parquet", "Parquet-like: 64 KiB footer + 5 of 12 columns in 4 row groups", r2))
    # 3. 4,000 reads of 4 KiB in 200 clusters of 20, 0-16 KiB apart inside a cluster.
    r3 = []
    for _ in range(200):
        pos = rng.randrange(size - 20 * 20 * KiB)
        for _ in range(20):
            r3.append((pos, pos + 4 * KiB))
            pos += 4 * KiB + rng.randrange(0, 16 * KiB + 1)
    rng.shuffle(r3)
    out.append(Scenario("clustered", "4,000 clustered 4 KiB reads (200 clusters)", r3))
    out.append(Scenario("whole", f"whole {size / GiB:g} GiB object", [(0, size)], whole=True))
    return out


def merged(ranges):
    out = []
    for b, e in sorted(ranges):
        if out and b <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([b, e])
    return out


def lower_bound(sc, latency_s, connections=CONNECTIONS, cap=CAP):
    """round trips x latency + bytes / (connections x cap): every range its
    own request (no over-fetch), requests in ceil(n / connections) rounds, each
    connection at the cap the whole time; no connection set-up (loopback), no
    discovery request, no CPU cost."""
    m = merged(sc.ranges)
    nbytes = sum(e - b for b, e in m)
    rounds = -(-len(m) // connections)
    return rounds * latency_s + nbytes / (connections * cap)


def write_ranges(path, ranges):
    with open(path, "w") as f:
        f.writelines(f"{b}-{e - 1}\n" for b, e in ranges)


def curl_config(path, url, ranges, parts):
    with open(path, "w") as f:
        for i, (b, e) in enumerate(ranges):
            f.write(f'url = "{url}"\nrange = {b}-{e - 1}\noutput = "{parts}/{i}"\n')


def fresh_dir(p):
    def setup():
        shutil.rmtree(p, ignore_errors=True)
        os.makedirs(p)
    return setup


def sweep_settings(sc, quick):
    """Hand-tuned settings to compare the defaults with."""
    if sc.whole:
        return [["-j", str(j)] for j in ((16, 64) if quick else (8, 16, 32, 64))]
    jobs = (16, 64) if quick else (8, 16, 32, 64)
    gaps = ("64K", "1M") if quick else ("0", "64K", "256K", "1M", "4M")
    return [["-j", str(j), "--coalesce-gap", g] for j in jobs for g in gaps]


def make_bench_zip(path, members=2000):
    """A zip of `members` stored members of 16-64 KiB (half of them train/),
    made once: the planning scenario's object."""
    if os.path.exists(path):
        return
    import zipfile
    rng = random.Random(15)
    with zipfile.ZipFile(path + ".tmp", "w") as z:
        for i in range(members):
            z.writestr(f"{'train' if i % 2 else 'val'}/img{i:05}.jpg", rng.randbytes(rng.randrange(16, 64) * KiB))
    os.replace(path + ".tmp", path)


def planning_scenario(cfg, res, nginx, ms):
    """fetch --select zip:'train/*' of a 2,000-member zip: the round trips
    planning takes (target: at most 3 before member data, issue 15) and the
    wall time against (planning round trips + 1) x latency + bytes at the
    cap over the connections used."""
    sp, d, reps = cfg.sparseio, cfg.dir, cfg.reps
    zpath = os.path.join(os.path.dirname(cfg.obj_for_latency), "bench.zip")
    make_bench_zip(zpath)
    url = nginx.url("bench.zip", ms)
    out = os.path.join(d, "out.zip")
    v = Variant("sparseio fetch --select zip:train/*", [sp, "fetch", url, out, "--json", "--select", "zip:train/*"],
                lambda: rm(out))
    alternate([v], reps)
    rep = json.loads(v.runs[-1].out)
    trips = rep.get("plan_round_trips", 0)
    conns = max(1, rep.get("peak_connections") or 1)
    bound = (trips + 1) * ms / 1000 + rep["fetched_bytes"] / (conns * CAP)
    title = f"{ms} ms: zip plan + fetch of 1,000 of 2,000 members"
    res.add(title, v, rep["fetched_bytes"] / GiB, fetched=rep["fetched_bytes"],
            note=f"{trips} planning round trips, {rep['requests']} requests, bound {bound:.3f} s"
                 f" ({v.med('wall') / bound:.2f}x)" + spread(v))
    res.notes.append(f"{title}: {trips} round trips to plan (target ≤ 3: {'met' if trips <= 3 else 'NOT met'})")
    rm(out)


def latency_scenarios(cfg, res, obj):
    """Runs every scenario at every latency; adds rows and notes to res."""
    name = os.path.basename(obj)
    size = os.path.getsize(obj)
    cfg.obj_for_latency = obj
    nginx = LatencyNginx(os.path.dirname(obj), [0] + cfg.latencies)
    sp, d, reps = cfg.sparseio, cfg.dir, cfg.reps
    out = os.path.join(d, "out.bin")
    parts, aria = os.path.join(d, "curl-parts"), os.path.join(d, "aria")
    try:
        bed_ok = check_bed(cfg, res, nginx, name)
        if not bed_ok:
            log("bench: the latency bed failed its own checks (see the notes); its figures are suspect")
        # The loopback rate: sparseio on the same nginx without delay or cap.
        loop = Variant("sparseio, no delay/cap", [sp, "fetch", nginx.url(name), out, "-q"], lambda: rm(out))
        alternate([loop], reps)
        loop_rate = size / loop.med("wall")
        res.notes.append(f"loopback rate (sparseio, whole object, no delay, no cap): {loop_rate / MiB:.0f} MiB/s")
        scenarios = [s for s in scenario_ranges(size) if not cfg.latency_only or s.key in cfg.latency_only]
        for ms in cfg.latencies:
            url = nginx.url(name, ms)
            for sc in scenarios:
                title = f"{ms} ms: {sc.title}"
                listing = os.path.join(d, f"lat-{sc.key}.txt")
                write_ranges(listing, sc.ranges)
                spargs = [] if sc.whole else ["--ranges-from", listing]
                spv = Variant("sparseio", [sp, "fetch", url, out, "--json", *spargs], lambda: rm(out))
                peers = []
                if sc.whole:
                    peers.append((Variant("aria2c -x16 -s16", [
                        "aria2c", "-x16", "-s16", "-q", "--file-allocation=none", "--allow-overwrite=true",
                        "--auto-file-renaming=false", "-d", aria, "-o", "obj.bin", url], fresh_dir(aria)), 0.6))
                    peers.append((Variant("curl -o", ["curl", "-sS", "--fail", "-o", out, url],
                                          lambda: rm(out)), None))
                else:
                    cfgfile = os.path.join(d, f"lat-{sc.key}.curl")
                    curl_config(cfgfile, url, sc.ranges, parts)
                    for p in (16, 64):
                        peers.append((Variant(f"curl --parallel-max {p}", [
                            "curl", "-sS", "--fail", "--parallel", "--parallel-max", str(p), "-K", cfgfile],
                            fresh_dir(parts)), None))
                alternate([spv] + [p for p, _ in peers], reps)
                base = spv.med("wall")
                bound = lower_bound(sc, ms / 1000)
                rep = json.loads(spv.runs[-1].out)
                note = (f"bound {bound:.3f} s ({base / bound:.2f}x); peak {rep.get('peak_connections')} in flight,"
                        f" {rep['requests']} requests, {rep.get('overfetched_bytes', 0) / MiB:.1f} MiB over-fetched,"
                        f" TTFB {rep.get('ttfb_s', 0) * 1000:.1f} ms, gap {rep.get('coalesce_gap', 0) // KiB} KiB")
                wanted = sum(e - b for b, e in merged(sc.ranges))
                gib = wanted / GiB
                res.add(title, spv, gib, note=note + spread(spv), fetched=rep["fetched_bytes"])
                best_curl = None
                for p, target in peers:
                    if not sc.whole:
                        best_curl = p.med("wall") if best_curl is None else min(best_curl, p.med("wall"))
                    tgt = target
                    if sc.key == "random" and p.label.endswith("64"):
                        tgt = 0.5
                    # curl and aria2c fetch exactly the ranges (the whole object).
                    res.add(title, p, gib, base, tgt, note=spread(p), fetched=wanted)
                targets = {"parquet": 0.7, "clustered": 0.2}
                if sc.key in targets:
                    ratio = base / best_curl
                    res.notes.append(f"{title}: sparseio / the better curl = {ratio:.2f} (target ≤ "
                                     f"{targets[sc.key]}: {'met' if ratio <= targets[sc.key] else 'NOT met'})")
                if sc.key == "random":
                    good = base <= 1.5 * bound
                    res.notes.append(f"{title}: sparseio / bound = {base / bound:.2f} (target ≤ 1.5:"
                                     f" {'met' if good else 'NOT met'})")
                if sc.whole:
                    floor_rate = 0.8 * min(CONNECTIONS * CAP, loop_rate)
                    rate = size / base
                    res.notes.append(f"{title}: {rate / MiB:.0f} MiB/s against 80% of min(64 x cap, loopback) ="
                                     f" {floor_rate / MiB:.0f} MiB/s: {'met' if rate >= floor_rate else 'NOT met'}")
                # The sweep: is any hand-tuned setting better than the defaults by more than 1.2x?
                if cfg.sweep:
                    sweeps = [Variant("sparseio " + " ".join(s), [sp, "fetch", url, out, "--json", *spargs, *s],
                                      lambda: rm(out)) for s in sweep_settings(sc, cfg.quick)]
                    alternate(sweeps, max(1, reps - 2), warmup=False)
                    best = min(sweeps, key=lambda v: v.med("wall"))
                    for v in sweeps:
                        res.add(title + " (sweep)", v, gib, note=spread(v),
                                fetched=json.loads(v.runs[-1].out)["fetched_bytes"])
                    good = base <= 1.2 * best.med("wall")
                    res.notes.append(f"{title}: defaults {base:.3f} s, best hand-tuned {best.label}"
                                     f" {best.med('wall'):.3f} s (defaults / best = {base / best.med('wall'):.2f},"
                                     f" target ≤ 1.2: {'met' if good else 'NOT met'})")
                rm(out, parts, aria)
            if not cfg.latency_only or "plan" in cfg.latency_only:
                planning_scenario(cfg, res, nginx, ms)
    finally:
        nginx.cleanup()
        rm(out, parts, aria)


def spread(v):
    walls = [r.wall for r in v.runs]
    if len(walls) < 2:
        return ""
    return f" [min {min(walls):.3f}, max {max(walls):.3f}]"


def latency_markdown(cfg, res):
    """The "## Latency" section of docs/BENCHMARKS.md."""
    lines = ["## Latency", "",
             "nginx on 127.0.0.1 with Debian's libnginx-mod-http-lua: `access_by_lua_block { ngx.sleep(S) }` delays"
             " each response's first byte by S, `limit_rate 50m` caps each connection at 50 MiB/s"
             " (`sendfile_max_chunk 256k` keeps the cap smooth). sparseio runs with no tuning flags;"
             f" {cfg.reps} alternating rounds after a warm-up, medians with [min, max]. Ratio = sparseio / peer."
             " The bound is round trips × latency + bytes / (64 connections × cap), every range its own"
             " request, no connection set-up, no discovery request and no CPU cost: sparseio also pays one"
             " discovery round trip (HEAD) that the bound leaves out. Sweep rows are hand-tuned settings of the"
             " same build (fewer rounds).", "",
             " Fetched is what the tool transferred (sparseio's report; curl and aria2c fetch the ranges"
             " exactly): coalescing by the link over-fetches at most the wanted bytes.", "",
             "| scenario | tool | median wall (s) | fetched (MiB) | ratio | target | met | note |",
             "|---|---|---:|---:|---:|---|---|---|"]
    for r in res.rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        tgt = "" if r["target"] is None else f"≤ {r['target']:g}"
        got = "—" if r.get("fetched_mib") is None else f"{r['fetched_mib']:.1f}"
        lines.append(f"| {r['scenario']} | {r['tool']} | {r['wall']:.3f} | {got} | {ratio} | {tgt} | {met} |"
                     f" {r['note'].strip()} |")
    lines.append("")
    for n in res.notes:
        lines.append(f"- {n}")
    lines.append("")
    return "\n".join(lines)


def put_section(path, section, heading="## Latency"):
    """Replaces the `heading` section of the Markdown file at path (or
    adds it at the end)."""
    try:
        text = open(path).read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    if "\n" + heading in text:
        start = text.index("\n" + heading) + 1
        nxt = text.find("\n## ", start)
        text = text[:start] + section + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
    log(f"bench: wrote the {heading[3:]} section of {path}")
