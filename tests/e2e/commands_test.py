"""End-to-end tests of `sparseio punch`, `verify` and `cat` on local files."""

import hashlib
import os
import subprocess
import unittest

from e2e_util import SPARSEIO, TempDirTest, allocated, data_runs, make_source, pattern, sparseio, sparseio_json

MiB = 1 << 20


class CommandsTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.src, self.dst = self.path("src.bin"), self.path("dst.bin")
        self.size = 12 * MiB + 777
        make_source(self.src, self.size, seed=21)

    def test_punch_evicts_and_returns_blocks(self):
        sparseio_json("fetch", self.src, self.dst, "-r", "0-8M")
        before = sparseio_json("stat", self.dst)
        rep = sparseio_json("punch", self.dst, "-r", "1M+2M,5000-5999")
        self.assertEqual(rep["present_bytes"], 8 * MiB + 1 - 2 * MiB - 1000)
        self.assertLess(rep["allocated_bytes"], before["allocated_bytes"] - 2 * MiB + 8192)
        self.assertEqual(rep["allocated_bytes"], allocated(self.dst))
        for b, e in data_runs(self.dst):
            self.assertFalse(b < 3 * MiB and e > MiB, f"data left in punched range: {b}-{e}")
        # Evicted bytes are fetched again, and only those.
        again = sparseio_json("fetch", self.src, self.dst, "-r", "0-8M")
        self.assertEqual(again["fetched_bytes"], 2 * MiB + 1000)
        self.assertEqual(sparseio("verify", self.src, self.dst).returncode, 0)

    def test_punch_of_missing_is_a_no_op_and_bad_ranges_exit_2(self):
        sparseio_json("fetch", self.src, self.dst, "-r", "0-99")
        rep = sparseio_json("punch", self.dst, "-r", "1M+1M")
        self.assertEqual(rep["present_bytes"], 100)
        proc = sparseio("punch", self.dst, "-r", f"{self.size}-")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("at or past the end", proc.stderr)
        self.assertEqual(sparseio("punch", self.dst).returncode, 2)
        proc = sparseio("punch", self.src, "-r", "0-1")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("not a sparseio destination", proc.stderr)

    def test_verify_identical_then_differs_with_offsets(self):
        sparseio_json("fetch", self.src, self.dst, "-r", "0-1M,4M+1M")
        proc = sparseio("verify", self.src, self.dst)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"2097153 bytes compared, 0 differ", proc.stdout)
        with open(self.dst, "r+b") as f:
            for off in (4242, 4 * MiB + 17):
                f.seek(off)
                old = f.read(1)
                f.seek(off)
                f.write(bytes([old[0] ^ 0xFF]))
        proc = sparseio("verify", self.src, self.dst)
        self.assertEqual(proc.returncode, 3)
        self.assertIn("first at offsets 4242, 4194321", proc.stderr)
        self.assertIn(self.dst, proc.stderr)
        # Restricted to a clean range: identical again.
        self.assertEqual(sparseio("verify", self.src, self.dst, "-r", "5000-9999").returncode, 0)
        # Ranges that are not present are not compared.
        proc = sparseio("verify", self.src, self.dst, "-r", "2M+1M")
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"0 bytes compared, 0 differ, 1048576 not present", proc.stdout)

    def test_verify_sparse_source_holes_compare_as_zero(self):
        src = self.path("sparse.bin")
        make_source(src, 8 * MiB, seed=22, hole_runs=[(MiB, 6 * MiB)])
        sparseio_json("fetch", src, self.dst)
        self.assertEqual(sparseio("verify", src, self.dst).returncode, 0)
        with open(self.dst, "r+b") as f:
            f.seek(3 * MiB)
            f.write(b"x")
        proc = sparseio("verify", src, self.dst)
        self.assertEqual(proc.returncode, 3)
        self.assertIn(str(3 * MiB), proc.stderr)

    def test_cat_streams_ranges_in_order_through_a_pipe(self):
        ranges = "-100,10-19,2M+1M,0-9"
        cat = subprocess.Popen([SPARSEIO, "cat", self.src, self.dst, "-r", ranges], stdout=subprocess.PIPE)
        digest = subprocess.run(["sha256sum"], stdin=cat.stdout, capture_output=True).stdout.split()[0].decode()
        cat.stdout.close()
        self.assertEqual(cat.wait(), 0)
        want = (pattern(self.size - 100, 100, 21) + pattern(10, 10, 21) + pattern(2 * MiB, MiB, 21)
                + pattern(0, 10, 21))
        self.assertEqual(digest, hashlib.sha256(want).hexdigest())
        # What cat fetched is kept: fetching it again transfers nothing.
        rep = sparseio_json("fetch", self.src, self.dst, "-r", ranges)
        self.assertEqual(rep["fetched_bytes"], 0)

    def test_cat_needs_ranges_and_writes_nothing_on_bad_range(self):
        proc = sparseio("cat", self.src, self.dst)
        self.assertEqual(proc.returncode, 2)
        proc = sparseio("cat", self.src, self.dst, "-r", "0-9,5-2")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, b"")
        self.assertFalse(os.path.exists(self.dst))


if __name__ == "__main__":
    unittest.main()
