"""End-to-end tests of `sparseio fetch` and `sparseio stat` on local files."""

import json
import os
import random
import subprocess
import unittest

from e2e_util import (TempDirTest, allocated, data_runs, make_source, merge, read_range, sparseio,
                      sparseio_json)

MiB = 1 << 20


class FetchLocalTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.src = self.path("src.bin")
        self.dst = self.path("dst.bin")
        self.size = 24 * MiB + 12345
        make_source(self.src, self.size, seed=7)

    def test_ranges_materialize_sparse_and_rerun_transfers_nothing(self):
        ranges = "0-99,5M+1M,-64KiB, 20M-20M , 3M-3M"
        rep = sparseio_json("fetch", self.src, self.dst, "-r", ranges, "-j", "3")
        want = [(0, 100), (5 * MiB, 6 * MiB), (self.size - 65536, self.size), (20 * MiB, 20 * MiB + 1),
                (3 * MiB, 3 * MiB + 1)]
        union = sum(e - b for b, e in merge(want))
        self.assert_materialized(self.src, self.dst, want)
        self.assertEqual(rep["logical_size"], self.size)
        self.assertEqual(rep["present_bytes"], union)
        self.assertEqual(rep["fetched_bytes"], union)
        self.assertEqual(rep["reused_bytes"], 0)
        self.assertEqual(rep["present_ranges"], len(merge(want)))
        # ext4 may settle delayed allocation by a block after the process ends.
        self.assertAlmostEqual(rep["allocated_bytes"], allocated(self.dst), delta=2 * 4096)
        self.assertEqual(rep["data_segments"], len(data_runs(self.dst)))
        again = sparseio_json("fetch", self.src, self.dst, "-r", ranges)
        self.assertEqual(again["fetched_bytes"], 0)
        self.assertEqual(again["requests"], 0)
        self.assertEqual(again["reused_bytes"], union)

    def test_new_ranges_fetch_only_what_is_missing(self):
        sparseio_json("fetch", self.src, self.dst, "-r", "1M-2M")
        rep = sparseio_json("fetch", self.src, self.dst, "-r", "1536K+1M")
        self.assertEqual(rep["reused_bytes"], MiB // 2 + 1)
        self.assertEqual(rep["fetched_bytes"], MiB // 2 - 1)
        self.assert_materialized(self.src, self.dst, [(MiB, 1536 * 1024 + MiB)])

    def test_suffix_range_as_separate_argument(self):
        rep = sparseio_json("fetch", self.src, self.dst, "-r", "-64KiB", "-r", "-1K")
        self.assertEqual(rep["present_bytes"], 65536)
        self.assert_materialized(self.src, self.dst, [(self.size - 65536, self.size)])

    def test_no_range_fetches_whole_object(self):
        rep = sparseio_json("fetch", self.src, self.dst, "--chunk-size", "3M")
        self.assertEqual(rep["present_bytes"], self.size)
        self.assertEqual(rep["requests"], -(-self.size // (3 * MiB)))
        with open(self.src, "rb") as a, open(self.dst, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_ranges_from_file_and_stdin(self):
        listing = self.path("ranges.txt")
        with open(listing, "w") as f:
            f.write("# footer and two chunks\n-4K\n\n1M+100   # a comment\n2M-2M,\t7M+1\n")
        want = [(self.size - 4096, self.size), (MiB, MiB + 100), (2 * MiB, 2 * MiB + 1), (7 * MiB, 7 * MiB + 1)]
        sparseio_json("fetch", self.src, self.dst, "--ranges-from", listing)
        self.assert_materialized(self.src, self.dst, want)
        dst2 = self.path("dst2.bin")
        with open(listing, "rb") as f:
            sparseio_json("fetch", self.src, dst2, "--ranges-from", "-", input=f.read())
        self.assert_materialized(self.src, dst2, want)

    def test_end_past_object_is_clipped(self):
        rep = sparseio_json("fetch", self.src, self.dst, "-r", f"{self.size - 10}-99999999999")
        self.assertEqual(rep["present_bytes"], 10)

    def test_bad_range_items_exit_2_quote_item_and_leave_nothing(self):
        cases = {
            f"{self.size}-": "at or past the end",
            f"{self.size + 5}+3": "at or past the end",
            "9-3": "before start",
            "1-2,,3-4": "empty list item",
            "1-2,": "empty list item",
            "5Q-9": "unknown size suffix",
            "1-2X": "unknown size suffix",
            "99999999999999999999-": "64 bits",
            "20000000T-": "64 bits",
            "abc": "expected A-B",
            "7+0": "zero",
        }
        for item, why in cases.items():
            with self.subTest(item=item):
                proc = sparseio("fetch", self.src, self.dst, "-r", item)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(why, proc.stderr)
                quoted = item if item != "1-2,,3-4" and item != "1-2," else item
                self.assertIn(quoted, proc.stderr)
                self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
                self.assertFalse(os.path.exists(self.dst))
                self.assertFalse(os.path.exists(self.dst + ".sparseio"))
        self.assertEqual(os.listdir(self.dir), ["src.bin"])

    def test_usage_errors_exit_2(self):
        for args in (["fetch", self.src], ["fetch", self.src, self.dst, "--jobs", "0"],
                     ["fetch", self.src, self.dst, "--bogus"], ["fetch", self.src, self.dst, "--chunk-size", "4X"],
                     ["frobnicate"], []):
            with self.subTest(args=args):
                proc = sparseio(*args)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertFalse(os.path.exists(self.dst))

    def test_missing_source_exits_6_naming_it(self):
        proc = sparseio("fetch", self.path("nope.bin"), self.dst, "-r", "0-1")
        self.assertEqual(proc.returncode, 6)
        self.assertIn("nope.bin", proc.stderr)
        self.assertIn("No such file", proc.stderr)
        self.assertFalse(os.path.exists(self.dst))

    def test_help_and_version(self):
        self.assertEqual(sparseio("--help").returncode, 0)
        proc = sparseio("--version")
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"sparseio", proc.stdout)

    def test_sparse_source_holes_stay_holes(self):
        src = self.path("sparse.bin")
        make_source(src, 16 * MiB, seed=3, hole_runs=[(2 * MiB, 10 * MiB)])
        rep = sparseio_json("fetch", src, self.dst)
        self.assertEqual(rep["present_bytes"], 16 * MiB)
        runs = data_runs(self.dst)
        self.assertTrue(all(e <= 2 * MiB or b >= 10 * MiB for b, e in runs), runs)
        self.assertLessEqual(allocated(self.dst), 8 * MiB + 16 * 4096)
        with open(src, "rb") as a, open(self.dst, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_zero_runs_become_holes_but_count_as_present(self):
        src = self.path("zeros.bin")
        make_source(src, 8 * MiB, seed=4, zero_runs=[(MiB + 100, 5 * MiB + 7)])
        rep = sparseio_json("fetch", src, self.dst)
        self.assertEqual(rep["present_bytes"], 8 * MiB)
        hole_bytes = 5 * MiB + 7 - (MiB + 4096) - 7  # whole blocks inside the zero run
        self.assertEqual(rep["zero_hole_bytes"], hole_bytes)
        self.assertLessEqual(rep["allocated_bytes"], 8 * MiB - hole_bytes + 16 * 4096)
        with open(src, "rb") as a, open(self.dst, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_changed_source_refused_until_restart(self):
        sparseio_json("fetch", self.src, self.dst, "-r", "0-999")
        with open(self.src, "r+b") as f:
            f.write(b"changed!")
        proc = sparseio("fetch", self.src, self.dst, "-r", "0-999")
        self.assertEqual(proc.returncode, 4)
        self.assertIn("source changed", proc.stderr)
        self.assertIn("--restart", proc.stderr)
        rep = sparseio_json("fetch", self.src, self.dst, "-r", "0-999", "--restart")
        self.assertEqual(rep["fetched_bytes"], 1000)
        self.assertEqual(read_range(self.dst, 0, 8), b"changed!")

    def test_existing_file_without_sidecar_needs_overwrite(self):
        with open(self.dst, "wb") as f:
            f.write(b"precious user data")
        proc = sparseio("fetch", self.src, self.dst, "-r", "0-9")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("--overwrite", proc.stderr)
        with open(self.dst, "rb") as f:
            self.assertEqual(f.read(), b"precious user data")
        rep = sparseio_json("fetch", self.src, self.dst, "-r", "0-9", "--overwrite")
        self.assertEqual(rep["present_bytes"], 10)
        self.assert_materialized(self.src, self.dst, [(0, 10)])

    def test_stat_matches_fetch_and_needs_a_sidecar(self):
        fetched = sparseio_json("fetch", self.src, self.dst, "-r", "0-1M,9M+3")
        st = sparseio_json("stat", self.dst)
        for k in ("logical_size", "present_bytes", "present_ranges", "data_segments"):
            self.assertEqual(st[k], fetched[k], k)
        self.assertNotIn("fetched_bytes", st)
        text = sparseio("stat", self.dst).stdout.decode()
        self.assertIn("present_bytes", text)
        proc = sparseio("stat", self.src)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("not a sparseio destination", proc.stderr)

    def test_json_is_one_object_with_integer_counts(self):
        proc = sparseio("fetch", self.src, self.dst, "-r", "0-5", "--json")
        self.assertEqual(proc.returncode, 0)
        lines = proc.stdout.decode().strip().splitlines()
        self.assertEqual(len(lines), 1)
        rep = json.loads(lines[0])
        for k in ("logical_size", "present_bytes", "present_ranges", "allocated_bytes", "data_segments",
                  "fetched_bytes", "requests", "reused_bytes"):
            self.assertIsInstance(rep[k], int, k)
        for k in ("elapsed_s", "throughput"):
            self.assertIn(k, rep)

    def test_quiet_prints_nothing(self):
        proc = sparseio("fetch", self.src, self.dst, "-r", "0-5", "-q")
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, b"")


class ThousandRangesOfOneGiBTest(TempDirTest):
    """1 GiB source, 1,000 random ranges: -j 1 and -j 8 give the same bytes and report."""

    def test_jobs_1_and_8_agree(self):
        src = self.path("big.bin")
        size = 1 << 30
        # A fast deterministic 1 GiB source: 16 MiB of pattern repeated with a
        # per-copy stamp, so equal-looking blocks still differ.
        make_source(src, 16 * MiB, seed=11)
        with open(src, "r+b") as f:
            base = f.read()
            for i in range(1, size // (16 * MiB)):
                f.write(i.to_bytes(8, "little") + base[8:])
        rng = random.Random(1000)
        items, want = [], []
        for _ in range(1000):
            b = rng.randrange(size)
            n = rng.randrange(1, 256 * 1024)
            items.append(f"{b}+{n}")
            want.append((b, min(b + n, size)))
        listing = self.path("ranges.txt")
        with open(listing, "w") as f:
            f.write("\n".join(items))
        reports = []
        for jobs in (1, 8):
            dst = self.path(f"dst{jobs}.bin")
            rep = sparseio_json("fetch", src, dst, "--ranges-from", listing, "-j", jobs, timeout=600)
            self.assert_materialized(src, dst, want)
            reports.append(rep)
        for k in ("logical_size", "present_bytes", "present_ranges", "fetched_bytes", "reused_bytes", "requests",
                  "data_segments"):
            self.assertEqual(reports[0][k], reports[1][k], k)
        self.assertEqual(reports[0]["present_bytes"], sum(e - b for b, e in merge(want)))
        self.assertEqual(subprocess.run(["cmp", self.path("dst1.bin"), self.path("dst8.bin")]).returncode, 0)


if __name__ == "__main__":
    unittest.main()
