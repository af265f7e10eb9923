"""End-to-end tests of the streaming `cat` and of `verify --repair/--json`
on local files: order, no DST (nothing on disk), a closed pipe, a closed or
read-only stdout, a read-only complete DST, and the repair of exactly the
corrupted blocks (one of them inside a zero block kept as a hole)."""

import json
import os
import subprocess
import time
import unittest

from e2e_util import SPARSEIO, TempDirTest, data_runs, make_source, pattern, sparseio, sparseio_json

MiB = 1 << 20
SEED = 31


def want(ranges):
    """The bytes of inclusive (a, b) ranges of the seed-SEED object, in order."""
    return b"".join(pattern(a, b - a + 1, SEED) for a, b in ranges)


class CatTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.src, self.dst = self.path("src.bin"), self.path("dst.bin")
        self.size = 24 * MiB + 333
        make_source(self.src, self.size, seed=SEED)

    def test_cat_without_dst_writes_nothing_to_disk(self):
        before = sorted(os.listdir(self.dir))
        ranges = [(20 * MiB, 22 * MiB - 1), (5, 9), (0, 3 * MiB), (5, 9)]
        spec = ",".join(f"{a}-{b}" for a, b in ranges)
        proc = sparseio("cat", self.src, "-r", spec, "-j", "3", "--chunk-size", "256K")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout == want(ranges), "cat without DST wrote other bytes")
        self.assertEqual(sorted(os.listdir(self.dir)), before)
        # --no-store with a DST that does not exist: still nothing on disk.
        proc = sparseio("cat", self.src, self.dst, "--no-store", "-r", spec)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout == want(ranges))
        self.assertEqual(sorted(os.listdir(self.dir)), before)

    def test_cat_with_dst_stores_and_no_store_leaves_it_alone(self):
        proc = sparseio("cat", self.src, self.dst, "-r", "1M+2M,0-99")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout == want([(MiB, 3 * MiB - 1), (0, 99)]))
        self.assertEqual(sparseio_json("stat", self.dst)["present_bytes"], 2 * MiB + 100)
        # --no-store: present bytes come from DST, missing ones are streamed, DST does not grow.
        proc = sparseio("cat", self.src, self.dst, "--no-store", "-r", "0-4M")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout == want([(0, 4 * MiB)]))
        self.assertEqual(sparseio_json("stat", self.dst)["present_bytes"], 2 * MiB + 100)

    def test_closed_pipe_exits_0_quietly_and_records_what_was_fetched(self):
        # -j 1 and small chunks: the whole range would take many transfers.
        start = time.monotonic()
        cat = subprocess.Popen([SPARSEIO, "cat", self.src, self.dst, "-r", "0-", "-j", "1", "--chunk-size", "64K"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        head = cat.stdout.read(10)
        cat.stdout.close()
        rc = cat.wait(timeout=60)
        err = cat.stderr.read().decode()
        cat.stderr.close()
        self.assertEqual(head, pattern(0, 10, SEED))
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        self.assertLess(time.monotonic() - start, 30)
        rep = sparseio_json("stat", self.dst, "--ranges")
        self.assertGreater(rep["present_bytes"], 0)
        self.assertLess(rep["present_bytes"], self.size // 2, "cat went on fetching after the reader left")
        self.assertEqual(sparseio("verify", self.src, self.dst).returncode, 0)

    def test_closed_or_read_only_stdout_is_an_error_naming_it(self):
        for redirect in (">&-", f"1<{self.src}"):
            proc = subprocess.run(f'"{SPARSEIO}" cat "{self.src}" "{self.dst}" -r 0-9 {redirect}', shell=True,
                                  capture_output=False, stderr=subprocess.PIPE, timeout=60)
            self.assertEqual(proc.returncode, 1, redirect)
            self.assertIn("standard output", proc.stderr.decode())
            self.assertFalse(os.path.exists(self.dst), "DST was made although nothing could be written")

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run as another user")
    def test_read_only_complete_dst_is_enough(self):
        sparseio_json("fetch", self.src, self.dst, "-r", "0-1M,-100")
        os.chmod(self.dir, 0o755)
        for f in (self.dst, self.dst + ".sparseio"):
            os.chmod(f, 0o444)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        proc = subprocess.run(as_nobody + [SPARSEIO, "cat", self.src, self.dst, "-r", "-100,10-19"],
                              capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertTrue(proc.stdout == want([(self.size - 100, self.size - 1), (10, 19)]))
        # Bytes that are missing need write access: the error names DST (exit 8).
        proc = subprocess.run(as_nobody + [SPARSEIO, "cat", self.src, self.dst, "-r", "2M+10"],
                              capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 8, proc.stderr.decode())
        self.assertIn(self.dst, proc.stderr.decode())


class VerifyRepairTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.src, self.dst = self.path("src.bin"), self.path("dst.bin")
        self.size = 6 * MiB + 4321
        # 1M..2M is zeros in the source: whole zero blocks stay holes in DST.
        make_source(self.src, self.size, seed=SEED, zero_runs=[(MiB, 2 * MiB)])

    def corrupt(self, offsets):
        with open(self.dst, "r+b") as f:
            for off in offsets:
                f.seek(off)
                old = f.read(1)
                f.seek(off)
                f.write(bytes([old[0] ^ 0x5A]))

    def test_repair_fetches_exactly_the_differing_blocks(self):
        sparseio_json("fetch", self.src, self.dst)
        hole = MiB + 8192 + 5
        self.assertFalse(any(b <= hole < e for b, e in data_runs(self.dst)), "zero block was not a hole")
        offsets = [4242, 4243, hole, 5 * MiB + 1, self.size - 1]
        self.corrupt(offsets)
        proc = sparseio("verify", self.src, self.dst)
        self.assertEqual(proc.returncode, 3)
        self.assertIn(f"first at offsets 4242-4243, {hole}, {5 * MiB + 1}, {self.size - 1}", proc.stderr)

        proc = sparseio("verify", self.src, self.dst, "--repair", "--json", "-j", "2")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rep = json.loads(proc.stdout)
        blocks = [(4096, 8191), (MiB + 8192, MiB + 12287), (5 * MiB, 5 * MiB + 4095),
                  (self.size - self.size % 4096, self.size - 1)]
        self.assertEqual([tuple(r) for r in rep["differing_blocks"]], blocks)
        self.assertEqual([tuple(r) for r in rep["repaired_ranges"]], blocks)
        self.assertEqual(rep["fetched_bytes"], sum(b - a + 1 for a, b in blocks))
        self.assertEqual(rep["differing_bytes"], 5)
        self.assertEqual(rep["compared_bytes"], self.size)
        self.assertEqual([tuple(r) for r in rep["compared_ranges"]], [(0, self.size - 1)])
        self.assertTrue(rep["identical"])
        self.assertEqual(rep["differing_bytes_after_repair"], 0)

        proc = sparseio("verify", self.src, self.dst, "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["repaired_ranges"], [])
        self.assertFalse(any(b <= hole < e for b, e in data_runs(self.dst)), "repaired zero block is not a hole")
        with open(self.src, "rb") as a, open(self.dst, "rb") as b:
            self.assertTrue(a.read() == b.read())

    def test_verify_without_repair_changes_nothing(self):
        sparseio_json("fetch", self.src, self.dst, "-r", "0-1M")
        self.corrupt([100])
        proc = sparseio("verify", self.src, self.dst, "--json")
        self.assertEqual(proc.returncode, 3)
        rep = json.loads(proc.stdout)
        self.assertEqual(rep["differing_blocks"], [[0, 4095]])
        self.assertEqual(rep["repaired_ranges"], [])
        self.assertEqual(rep["missing_bytes"], 0)
        self.assertEqual(sparseio("verify", self.src, self.dst).returncode, 3)


if __name__ == "__main__":
    unittest.main()
