"""Shared helpers for the end-to-end tests: run the built sparseio binary on
real files in a temporary directory and inspect the result (holes via
SEEK_DATA/SEEK_HOLE, st_blocks)."""

import ctypes
import json
import os
import random
import subprocess
import tempfile
import unittest

SPARSEIO = os.environ.get("SPARSEIO", "build/app/sparseio")


def sparseio(*args, input=None, timeout=300, env=None):
    """Runs sparseio with args; returns CompletedProcess (bytes stdout, text stderr)."""
    proc = subprocess.run([SPARSEIO, *map(str, args)], input=input, capture_output=True,
                          timeout=timeout, env=env)
    proc.stderr = proc.stderr.decode(errors="replace")
    return proc


def sparseio_json(*args, **kw):
    """Runs sparseio with --json and expects exit 0; returns the parsed report."""
    proc = sparseio(*args, "--json", **kw)
    if proc.returncode != 0:
        raise AssertionError(f"sparseio {' '.join(map(str, args))} exited {proc.returncode}: {proc.stderr}")
    return json.loads(proc.stdout)


# Sidecar layout (lib/store/sidecar_codec.h): the header's length is the u32
# at offset 12 and its last 8 bytes are its XXH64, the seed of every record's
# checksum; 40-byte records: u32 type | u32 flags | u64 begin | u64 end |
# u64 hash | u64 XXH64(first 32 bytes). Session ('S') records hold the boot id.
_xxh = ctypes.CDLL("libxxhash.so.0")
_xxh.XXH64.restype = ctypes.c_uint64
_xxh.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]


def as_if_rebooted(log, require_session=True):
    """The sidecar bytes `log` with every session record's boot id replaced by
    one no kernel has, sealed again: what sparseio reads then is a log written
    before a reboot. (sparseio reads the boot id only from the kernel.)
    Records before any session record come from a rewrite and are synced:
    a log of only those needs no change, and require_session=False allows it."""
    out = bytearray(log)
    header = int.from_bytes(log[12:16], "little")
    seed = int.from_bytes(log[header - 8:header], "little")
    sessions = 0
    for at in range(header, len(log) - 39, 40):
        rec = log[at:at + 40]
        if int.from_bytes(rec[32:40], "little") != _xxh.XXH64(rec[:32], 32, seed):
            break  # a torn tail: replay stops here too
        if int.from_bytes(rec[0:4], "little") == ord("S"):
            body = rec[:8] + (0x5EB0075EB0075EB0).to_bytes(8, "little") + (1).to_bytes(8, "little") + rec[24:32]
            out[at:at + 40] = body + _xxh.XXH64(body, 32, seed).to_bytes(8, "little")
            sessions += 1
    assert sessions or not require_session, "no session record to rewrite"
    return bytes(out)


def simulate_reboot(dst):
    """Makes DST's sidecar look written under an earlier boot (as_if_rebooted)."""
    with open(dst + ".sparseio", "rb") as f:
        log = f.read()
    with open(dst + ".sparseio", "wb") as f:
        f.write(as_if_rebooted(log))


def pattern(offset, n, seed=1):
    """Deterministic bytes: byte i of the object depends only on (seed, i)."""
    rng = random.Random(seed * 1_000_003 + offset // (1 << 20))
    block_start = offset - offset % (1 << 20)
    out = bytearray()
    pos = block_start
    while pos < offset + n:
        rng = random.Random(seed * 1_000_003 + pos // (1 << 20))
        out += rng.randbytes(1 << 20)
        pos += 1 << 20
    skip = offset - block_start
    return bytes(out[skip:skip + n])


def make_source(path, size, seed=1, zero_runs=(), hole_runs=()):
    """Writes a source of `size` deterministic bytes; zero_runs are (begin, end)
    ranges written as zero bytes, hole_runs are left as holes (sparse source)."""
    with open(path, "wb") as f:
        f.truncate(size)
        pos = 0
        step = 8 << 20
        while pos < size:
            n = min(step, size - pos)
            chunk = bytearray(pattern(pos, n, seed))
            for b, e in zero_runs:
                lo, hi = max(b, pos), min(e, pos + n)
                if lo < hi:
                    chunk[lo - pos:hi - pos] = bytes(hi - lo)
            holes = [(max(b, pos), min(e, pos + n)) for b, e in hole_runs if max(b, pos) < min(e, pos + n)]
            if not holes:
                f.seek(pos)
                f.write(chunk)
            else:
                cur = pos
                for lo, hi in sorted(holes):
                    if lo > cur:
                        f.seek(cur)
                        f.write(chunk[cur - pos:lo - pos])
                    cur = hi
                if cur < pos + n:
                    f.seek(cur)
                    f.write(chunk[cur - pos:])
            pos += n


def data_runs(path):
    """Data runs of a file as SEEK_DATA/SEEK_HOLE report them: [(begin, end)]."""
    runs = []
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break
            hole = os.lseek(fd, data, os.SEEK_HOLE)
            runs.append((data, hole))
            pos = hole
    finally:
        os.close(fd)
    return runs


def allocated(path):
    return os.stat(path).st_blocks * 512


def read_range(path, begin, end):
    with open(path, "rb") as f:
        f.seek(begin)
        return f.read(end - begin)


def merge(ranges):
    """Sorted, coalesced list of half-open ranges."""
    out = []
    for b, e in sorted(ranges):
        if out and b <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((b, e))
    return out


class TempDirTest(unittest.TestCase):
    """A test case with self.dir, a fresh directory removed afterwards."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="sparseio-e2e-")
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def assert_materialized(self, src, dst, ranges, block=4096, slack_blocks=8):
        """Every byte of `ranges` (half-open, merged or not) equals the source,
        everything else reads as zero, data lies only inside the ranges (whole
        blocks rounded out), and allocation is within fetched bytes + slack."""
        merged = merge(ranges)
        self.assertEqual(os.path.getsize(dst), os.path.getsize(src))
        with open(src, "rb") as s, open(dst, "rb") as d:
            cur = 0
            size = os.path.getsize(src)
            for b, e in merged + [(size, size)]:
                if b > cur:
                    d.seek(cur)
                    gap = d.read(b - cur)
                    self.assertEqual(gap.count(0), len(gap), f"non-zero bytes in hole {cur}-{b}")
                if e > b:
                    s.seek(b)
                    d.seek(b)
                    self.assertEqual(s.read(e - b), d.read(e - b), f"bytes differ in {b}-{e}")
                cur = max(cur, e)
        rounded = merge([(b - b % block, -(-e // block) * block) for b, e in merged])
        for db, de in data_runs(dst):
            inside = any(rb <= db and de <= re for rb, re in rounded)
            self.assertTrue(inside, f"data run {db}-{de} outside the fetched ranges")
        budget = sum(e - b for b, e in rounded) + slack_blocks * block
        self.assertLessEqual(allocated(dst), budget)
