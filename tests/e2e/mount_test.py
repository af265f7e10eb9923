"""End-to-end tests of `sparseio mount` through a real FUSE mount: programs
that read on demand (unzip, tar, sqlite3, Python's zipfile, os.pread from
threads, cmp) on local files and over nginx; the cache as ordinary sparseio
files (stat, verify), warm after a remount (no GET for present bytes);
SIGKILL of the mount during reads; a changed source (EIO, never wrong
bytes); --cache-max under a reader that reads three times the cap; the
errors at start. Without /dev/fuse (or fusermount3) the whole file is
skipped (exit 77, which meson counts as skipped), saying why."""

import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))

from e2e_util import SPARSEIO, TempDirTest, make_source, pattern, sparseio  # noqa: E402
from fault_server import FaultServer  # noqa: E402
from nginx_server import Nginx  # noqa: E402

MiB = 1 << 20
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
MISSING = None
if not os.path.exists("/dev/fuse"):
    MISSING = "/dev/fuse is missing (no fuse module, or a container without --device /dev/fuse)"
elif shutil.which("fusermount3") is None:
    MISSING = "fusermount3 is missing (apt-get install fuse3)"


def unmount(mountpoint):
    subprocess.run(["fusermount3", "-u", "-q", mountpoint], stderr=subprocess.DEVNULL)


class Mount:
    """A running `sparseio mount SRC... MOUNTPOINT --cache CACHE EXTRA...`:
    started, waited for until it says it is mounted; stderr kept in .lines."""

    def __init__(self, srcs, mountpoint, cache, *extra, env=None):
        self.mountpoint = mountpoint
        self.lines = []
        self.mounted = threading.Event()
        self.proc = subprocess.Popen([SPARSEIO, "mount", *srcs, mountpoint, "--cache", cache, *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env=env or ENV)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        # A latch, not a sleep: the line is printed once fuse_mount returned.
        if not self.mounted.wait(30):
            self.proc.kill()
            raise AssertionError(f"not mounted after 30 s: {self.stderr()}")

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            if "mounted" in line:
                self.mounted.set()
        self.mounted.set()  # it exited: the caller looks at the return code

    def stderr(self):
        return "".join(self.lines)

    def path(self, name):
        return os.path.join(self.mountpoint, name)

    def stop(self, sig=signal.SIGTERM):
        """Stops it with `sig` (None: fusermount3 -u) and returns its exit code."""
        if sig is None:
            subprocess.run(["fusermount3", "-u", self.mountpoint], check=True)
        else:
            self.proc.send_signal(sig)
        rc = self.proc.wait(30)
        self.reader.join(5)
        self.proc.stderr.close()
        return rc

    def kill(self):
        self.proc.kill()
        self.proc.wait(30)
        self.reader.join(5)
        self.proc.stderr.close()
        unmount(self.mountpoint)  # the kernel keeps a dead mount until then

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()
        unmount(self.mountpoint)


def cache_file(cache, name):
    """The one cache file (not the sidecar) of `name` in `cache`."""
    found = [f for f in os.listdir(cache) if f.startswith(name + "-") and not f.endswith(".sparseio")]
    assert len(found) == 1, (name, os.listdir(cache))
    return os.path.join(cache, found[0])


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def make_db(path, rows):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, pad BLOB)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)",
                    ((i, f"name{i}", random.Random(i).randbytes(200)) for i in range(rows)))
    con.execute("CREATE INDEX t_name ON t (name)")
    con.commit()
    con.close()


def run(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, timeout=60, **kw)


def preads(path, src, threads=8, reads=40, size=4096, seed=3):
    """Random preads of `path` from several threads, each compared with `src`; returns the failures."""
    total = os.path.getsize(src)
    failures = []

    def worker(k):
        rng = random.Random(seed * 100 + k)
        fd = os.open(path, os.O_RDONLY)
        try:
            with open(src, "rb") as s:
                for _ in range(reads):
                    off = rng.randrange(0, total)
                    got = os.pread(fd, size, off)
                    s.seek(off)
                    if got != s.read(size):
                        failures.append((k, off))
        finally:
            os.close(fd)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return failures


class MountCase(TempDirTest):
    def setUp(self):
        super().setUp()
        self.mnt = self.path("mnt")
        self.cache = self.path("cache")
        os.mkdir(self.mnt)

    def tearDown(self):
        unmount(self.mnt)
        super().tearDown()


class LocalMountTest(MountCase):
    def test_programs_read_local_files_through_the_mount_and_the_cache_is_sparseio_files(self):
        members = {f"dir/m{i}.txt": f"member {i}\n".encode() * (i + 1) for i in range(30)}
        members["big.bin"] = pattern(0, 3 * MiB, seed=5)
        zpath = self.path("a.zip")
        make_zip(zpath, members)
        tpath = self.path("b.tar")
        with tarfile.open(tpath, "w") as t:
            for name in ("x/one", "x/two"):
                info = tarfile.TarInfo(name)
                data = pattern(0, 700_000, seed=len(name))
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        raw = self.path("raw.bin")
        make_source(raw, 6 * MiB + 123, seed=7)
        os.utime(raw, (1_600_000_000, 1_600_000_000))
        with Mount([zpath, tpath, raw], self.mnt, self.cache) as m:
            self.assertEqual(sorted(os.listdir(self.mnt)), ["a.zip", "b.tar", "raw.bin"])
            st = os.stat(m.path("raw.bin"))
            self.assertEqual(st.st_size, 6 * MiB + 123)
            self.assertEqual(int(st.st_mtime), 1_600_000_000)
            self.assertEqual(st.st_mode & 0o777, 0o444)
            listing = run("unzip", "-l", m.path("a.zip"))
            self.assertEqual(listing.returncode, 0, listing.stderr)
            self.assertIn(b"dir/m29.txt", listing.stdout)
            self.assertIn(b"31 files", listing.stdout)
            self.assertEqual(run("unzip", "-p", m.path("a.zip"), "big.bin").stdout, members["big.bin"])
            self.assertEqual(run("unzip", "-p", m.path("a.zip"), "dir/m3.txt").stdout, members["dir/m3.txt"])
            tar = run("tar", "-tf", m.path("b.tar"))
            self.assertEqual(tar.stdout.split(), [b"x/one", b"x/two"], tar.stderr)
            self.assertEqual(preads(m.path("raw.bin"), raw), [])
            self.assertEqual(run("cmp", raw, m.path("raw.bin")).returncode, 0)
            with self.assertRaises(OSError):
                open(m.path("raw.bin"), "r+b")
            self.assertEqual(m.stop(None), 0, m.stderr())  # fusermount3 -u: a clean end
        self.assertIn("mounted 3 files at", m.stderr())
        # The cache: ordinary destinations that stat and verify understand.
        cached = cache_file(self.cache, "raw.bin")
        report = json.loads(sparseio("stat", cached, "--json").stdout)
        self.assertEqual(report["present_bytes"], 6 * MiB + 123)
        proc = sparseio("verify", raw, cached)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sparseio("verify", zpath, cache_file(self.cache, "a.zip")).returncode, 0)

    def test_sigkill_during_reads_never_leaves_a_false_claim(self):
        src = self.path("k.bin")
        make_source(src, 24 * MiB + 5, seed=9)
        rng = random.Random(1)
        kills = 20
        for i in range(kills):
            m = Mount([src], self.mnt, self.cache, "--read-block-size", "256K")
            stop = threading.Event()

            def reader(k):
                r = random.Random(i * 10 + k)
                try:
                    fd = os.open(m.path("k.bin"), os.O_RDONLY)
                except OSError:
                    return
                try:
                    while not stop.is_set():
                        os.pread(fd, 64 * 1024, r.randrange(0, 24 * MiB))
                except OSError:
                    pass  # the mount died under it: ENOTCONN
                try:
                    os.close(fd)
                except OSError:
                    pass

            ts = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
            for t in ts:
                t.start()
            time.sleep(rng.uniform(0.02, 0.12))
            m.kill()
            stop.set()
            for t in ts:
                t.join()
        with Mount([src], self.mnt, self.cache) as m:
            self.assertEqual(preads(m.path("k.bin"), src, threads=4, reads=20), [])
            self.assertEqual(m.stop(), 0)
        proc = sparseio("verify", src, cache_file(self.cache, "k.bin"), "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        summary = json.loads(proc.stdout)
        self.assertEqual(summary["differing_bytes"], 0, summary)
        self.assertFalse(summary["source_changed"], summary)
        self.assertGreater(summary["compared_bytes"], 0, summary)

    def test_a_source_changed_under_the_mount_gives_eio_never_wrong_bytes(self):
        src = self.path("c.bin")
        make_source(src, 8 * MiB, seed=1)
        old_head = pattern(0, MiB, seed=1)
        with Mount([src], self.mnt, self.cache, "--read-block-size", "1M") as m:
            fd = os.open(m.path("c.bin"), os.O_RDONLY)
            try:
                self.assertEqual(os.pread(fd, MiB, 0), old_head)
                # Rewritten in place with other bytes and another mtime.
                make_source(src, 8 * MiB, seed=2)
                os.utime(src, (1_500_000_000, 1_500_000_000))
                errors = 0
                for _ in range(5):
                    try:
                        got = os.pread(fd, 4096, 6 * MiB)
                        self.assertNotEqual(got, pattern(6 * MiB, 4096, seed=2), "new bytes mixed in")
                        self.assertEqual(got, pattern(6 * MiB, 4096, seed=1))
                    except OSError as e:
                        self.assertEqual(e.errno, 5)  # EIO
                        errors += 1
                self.assertEqual(errors, 5)
                self.assertEqual(os.pread(fd, 4096, 0), old_head[:4096])  # present bytes stay readable
            finally:
                os.close(fd)
            self.assertEqual(m.stop(), 0)
        failed = [line for line in m.lines if "failed (EIO)" in line]
        self.assertEqual(len(failed), 1, m.stderr())  # one line, not one per read
        self.assertIn("c.bin", failed[0])

    def test_a_source_changed_between_mounts_starts_its_cache_over(self):
        src = self.path("v.bin")
        make_source(src, 3 * MiB, seed=1)
        with Mount([src], self.mnt, self.cache) as m:
            with open(m.path("v.bin"), "rb") as f:
                self.assertEqual(f.read(MiB), pattern(0, MiB, seed=1))
            self.assertEqual(m.stop(), 0)
        make_source(src, 3 * MiB, seed=2)
        os.utime(src, (1_500_000_000, 1_500_000_000))
        with Mount([src], self.mnt, self.cache) as m:
            self.assertEqual(run("cmp", src, m.path("v.bin")).returncode, 0)
            self.assertEqual(m.stop(), 0)
        self.assertIn("changed since it was cached", m.stderr())
        self.assertEqual(sparseio("verify", src, cache_file(self.cache, "v.bin")).returncode, 0)

    def test_cache_max_holds_under_a_reader_of_three_times_the_cap(self):
        src = self.path("big.bin")
        make_source(src, 24 * MiB, seed=4)
        cap = 8 * MiB
        # Slack: what the cache may hold past the cap before the evictor has
        # caught up: the handle's readahead ahead of the reader (a window of
        # --readahead-max, 2 MiB, and the next one starting), a read block
        # (1 MiB) and a sixteenth of the cap read before the evictor looks.
        # Measured peaks here: 9.0-11.5 MB.
        slack = 6 * MiB

        def used():
            return sum(os.stat(os.path.join(self.cache, n)).st_blocks * 512 for n in os.listdir(self.cache))

        with Mount([src], self.mnt, self.cache, "--cache-max", "8M", "--readahead-max", "2M",
                   "--read-block-size", "1M") as m:
            cached = cache_file(self.cache, "big.bin")
            peak = 0
            with open(m.path("big.bin"), "rb", buffering=0) as f, open(src, "rb") as s:
                for off in range(0, 24 * MiB, MiB):
                    self.assertEqual(f.read(MiB), s.read(MiB), off)
                    peak = max(peak, used())
            self.assertLessEqual(peak, cap + slack, f"peak {peak}")
            self.assertGreater(peak, cap // 2)  # it did fill the cache
            # Once the reader stops, the evictor brings it under the cap (it
            # looks every 250 ms).
            deadline = time.time() + 5
            while used() > cap and time.time() < deadline:
                time.sleep(0.05)
            self.assertLessEqual(used(), cap)
            self.assertEqual(m.stop(), 0)
        proc = sparseio("verify", src, cached)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_errors_at_start_are_one_line_with_fetchs_exit_codes(self):
        src = self.path("s.bin")
        make_source(src, 1000, seed=1)
        other = self.path("other")
        os.mkdir(other)
        os.mkdir(os.path.join(other, "s.bin"))
        proc = sparseio("mount", src, os.path.join(other, "s.bin"), self.mnt)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(f"SRC {src} and SRC {other}/s.bin would both appear as s.bin", proc.stderr)
        with open(os.path.join(self.mnt, "x"), "w"):
            pass
        proc = sparseio("mount", src, self.mnt, "--cache", self.cache)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("not an empty directory", proc.stderr)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        os.unlink(os.path.join(self.mnt, "x"))
        proc = sparseio("mount", self.path("nothere.bin"), self.mnt, "--cache", self.cache)
        self.assertEqual(proc.returncode, 6, proc.stderr)
        self.assertIn("nothere.bin", proc.stderr)
        proc = sparseio("mount", "http://127.0.0.1:9/x.bin", self.mnt, "--cache", self.cache, "--retries", "0",
                        "--connect-timeout", "2", env=ENV)
        self.assertEqual(proc.returncode, 7, proc.stderr)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        self.assertFalse(os.path.ismount(self.mnt))

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"), "needs root and unshare(1)")
    def test_a_missing_dev_fuse_is_one_line_and_exit_1(self):
        src = self.path("s.bin")
        make_source(src, 1000, seed=1)
        # A mount namespace whose /dev is an empty tmpfs: no /dev/fuse.
        proc = subprocess.run(["unshare", "-m", "sh", "-c", 'mount -t tmpfs none /dev && exec "$@"', "sh",
                               SPARSEIO, "mount", src, self.mnt, "--cache", self.cache],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertEqual(proc.stderr.splitlines(), [
            "sparseio: /dev/fuse: No such file or directory: cannot mount "
            "(load the fuse module; a container needs --device /dev/fuse)"])


class HttpMountTest(MountCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="sparseio-mount-http-")
        cls.members = {f"d/f{i:03}.txt": (f"file {i}\n" * (50 + i)).encode() for i in range(200)}
        cls.members["blob.bin"] = pattern(0, 2 * MiB, seed=8)
        make_zip(os.path.join(cls.root, "r.zip"), cls.members)
        make_db(os.path.join(cls.root, "r.db"), 20_000)
        cls.nginx = Nginx(cls.root)
        cls.fault = FaultServer(cls.root)

    @classmethod
    def tearDownClass(cls):
        cls.fault.stop()
        cls.nginx.cleanup()
        shutil.rmtree(cls.root, ignore_errors=True)

    def reads(self, m):
        """What a user runs on the mount; each result checked."""
        listing = run("unzip", "-l", m.path("r.zip"))
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertIn(b"201 files", listing.stdout)
        self.assertEqual(run("unzip", "-p", m.path("r.zip"), "d/f123.txt").stdout, self.members["d/f123.txt"])
        q = run("sqlite3", "-readonly", m.path("r.db"), "SELECT id, name FROM t WHERE name = 'name12345'")
        self.assertEqual(q.stdout.strip(), b"12345|name12345", q.stderr)
        # Python's zipfile and os.pread from several threads at once.
        errors = []

        def zip_reader(names):
            with zipfile.ZipFile(m.path("r.zip")) as z:
                for n in names:
                    if z.read(n) != self.members[n]:
                        errors.append(n)

        names = sorted(self.members)
        ts = [threading.Thread(target=zip_reader, args=(names[k::4],)) for k in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(preads(m.path("r.db"), os.path.join(self.root, "r.db")), [])

    def test_programs_read_over_http_and_a_remount_sends_no_get_for_present_bytes(self):
        urls = [self.nginx.http_url + "r.zip", self.nginx.http_url + "r.db"]
        with Mount(urls, self.mnt, self.cache) as m:
            self.reads(m)  # leaves part of r.db missing: the preads are random
            self.assertEqual(m.stop(signal.SIGINT), 0)
        db_cache = cache_file(self.cache, "r.db")
        present = {}
        for name in ("r.zip", "r.db"):
            out = sparseio("stat", "--ranges-only", cache_file(self.cache, name)).stdout.decode().split()
            present["/" + name] = [tuple(map(int, r.split("-"))) for r in out]
        self.assertLess(sum(b - a + 1 for a, b in present["/r.db"]), os.path.getsize(os.path.join(self.root, "r.db")))
        before = len(self.nginx.access_log())
        with Mount(urls, self.mnt, self.cache) as m:
            self.reads(m)
            after = self.nginx.access_log()[before:]
            # One discovery per object, and no GET of a byte that was present
            # (the handle's readahead may fetch what the first mount left
            # missing: its timing decides where an interrupted window ended).
            self.assertEqual(len([line for line in after if line.startswith("HEAD")]), len(urls), after)
            for line in after:
                if not line.startswith("GET"):
                    continue
                uri, rng = line.split()[1], line.split()[2].strip('"')
                a, b = map(int, rng.removeprefix("bytes=").split("-"))
                overlap = [(pa, pb) for pa, pb in present[uri] if pa <= b and a <= pb]
                self.assertEqual(overlap, [], f"GET of present bytes: {line}")
            # The rest is fetched now, and the whole files are the sources'.
            self.assertEqual(run("cmp", os.path.join(self.root, "r.zip"), m.path("r.zip")).returncode, 0)
            self.assertEqual(run("cmp", os.path.join(self.root, "r.db"), m.path("r.db")).returncode, 0)
            self.assertEqual(m.stop(), 0)
        proc = sparseio("verify", urls[1], db_cache, env=ENV)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_a_second_signal_leaves_at_once_while_a_read_hangs(self):
        # Every ranged GET gets no answer for 20 s: the read holds the loop
        # up, so the first SIGINT cannot finish the unmount; the second leaves.
        url = self.fault.url("hang/r.db?fails=1000&t=twosig")
        m = Mount([url], self.mnt, self.cache, "--retries", "0")
        reader = subprocess.Popen(["cat", m.path("r.db")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            while not [r for r in self.fault.requests_for("twosig") if r["method"] == "GET"] and time.time() < deadline:
                time.sleep(0.02)
            m.proc.send_signal(signal.SIGINT)
            with self.assertRaises(subprocess.TimeoutExpired):
                m.proc.wait(0.3)
            start = time.time()
            m.proc.send_signal(signal.SIGINT)
            self.assertEqual(m.proc.wait(5), 130)
            self.assertLess(time.time() - start, 2)
            m.reader.join(5)
            self.assertIn("Interrupt: exiting at once", m.stderr())
        finally:
            reader.kill()
            reader.wait()
            m.proc.stderr.close()
            unmount(self.mnt)


if __name__ == "__main__":
    if MISSING:
        print(f"e2e_mount: skipped: {MISSING}")
        sys.exit(77)
    unittest.main(verbosity=2)
