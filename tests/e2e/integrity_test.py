"""End-to-end regression tests of issue 9's store and local-file defects:
no false claim (a --restart killed or failing midway, a source truncated
during the run, a power loss during punch, verify after the source shrank),
nothing the user owns harmed (SRC as its own DST, symlinks planted where
sparseio creates files), and messages that stay short and whole. Kill
windows are hit deterministically with strace's syscall fault injection."""

import os
import shutil
import subprocess
import unittest

from e2e_util import SPARSEIO, TempDirTest, as_if_rebooted, make_source, sparseio, sparseio_json

MiB = 1 << 20
STRACE = shutil.which("strace")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def claimed_ranges(dst):
    rep = sparseio_json("stat", dst, "--ranges")
    return [(b, e + 1) for b, e in rep["ranges"]]


class IntegrityTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.src = self.path("src.bin")
        self.dst = self.path("dst.bin")
        make_source(self.src, 2 * MiB, seed=3)

    def assert_claims_true(self, src, dst):
        with open(src, "rb") as s, open(dst, "rb") as d:
            for b, e in claimed_ranges(dst):
                s.seek(b)
                d.seek(b)
                self.assertEqual(s.read(e - b), d.read(e - b), f"claimed range {b}-{e} is not the source's")

    # Defect 2: the old sidecar must never claim a DST that --restart emptied.
    @unittest.skipUnless(STRACE, "needs strace")
    def test_restart_killed_after_emptying_dst_leaves_no_false_claim(self):
        self.assertEqual(sparseio("fetch", self.src, self.dst).returncode, 0)
        # The second ftruncate of --restart gives the emptied DST its size:
        # SIGKILL there, when the first has already emptied it.
        proc = subprocess.run([STRACE, "-f", "-o", os.devnull, "-e", "trace=ftruncate",
                               "-e", "inject=ftruncate:signal=SIGKILL:when=2",
                               SPARSEIO, "fetch", self.src, self.dst, "--restart"], capture_output=True)
        self.assertNotEqual(proc.returncode, 0, "the injected SIGKILL did not hit")
        self.assert_claims_true(self.src, self.dst)
        self.assertEqual(sparseio("verify", self.src, self.dst).returncode, 0)
        # A rerun finishes the job.
        self.assertEqual(sparseio("fetch", self.src, self.dst, "--restart").returncode, 0)
        self.assertEqual(sparseio("verify", self.src, self.dst).returncode, 0)

    def test_restart_failing_to_create_its_sidecar_keeps_dst_and_claims(self):
        self.assertEqual(sparseio("fetch", self.src, self.dst).returncode, 0)
        os.mkdir(self.dst + ".sparseio.tmp")  # the new sidecar cannot be created
        proc = sparseio("fetch", self.src, self.dst, "--restart")
        self.assertEqual(proc.returncode, 8, proc.stderr)  # DST's sidecar cannot be written
        # The error names the sidecar the user knows of, then our temporary file.
        self.assertIn(f"cannot create sidecar {self.dst}.sparseio (its temporary file {self.dst}.sparseio.tmp)",
                      proc.stderr)
        self.assert_claims_true(self.src, self.dst)
        self.assertEqual(claimed_ranges(self.dst), [(0, 2 * MiB)])

    # Defect 4: a punched range must not come back when the log loses its tail.
    def test_power_loss_during_punch_never_resurrects_punched_bytes(self):
        self.assertEqual(sparseio("fetch", self.src, self.dst, "--sync", "batch").returncode, 0)
        self.assertEqual(sparseio("punch", self.dst, "-r", "256K-767K,1M+64K").returncode, 0)
        # Read after a reboot. (Punch left a compacted log of synced records
        # only; its session records, should it ever append some, are rewritten.)
        log = as_if_rebooted(read(self.dst + ".sparseio"), require_session=False)
        header = int.from_bytes(log[12:16], "little")  # the header's length field; 40-byte records follow
        cuts = sorted(set(range(header, len(log) + 1, 40)) | {len(log) - 13, header + 7})
        for cut in cuts:
            with open(self.dst + ".sparseio", "wb") as f:
                f.write(log[:cut])
            proc = sparseio("verify", self.src, self.dst)
            self.assertEqual(proc.returncode, 0, f"log cut at {cut}: {proc.stderr}")
            for b, e in [(b, e + 1) for b, e in sparseio_json("stat", self.dst, "--ranges")["ranges"]]:
                for pb, pe in [(256 * 1024, 767 * 1024 + 1), (MiB, MiB + 64 * 1024)]:
                    self.assertFalse(b < pe and e > pb, f"cut at {cut}: punched bytes {pb}-{pe} claimed")

    # Defect 5: bytes DST holds past the source's new end are a difference.
    def test_verify_after_the_source_shrank_fails_and_counts_what_it_lacks(self):
        self.assertEqual(sparseio("fetch", self.src, self.dst).returncode, 0)
        os.truncate(self.src, MiB + 100)
        proc = sparseio("verify", self.src, self.dst)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn(f"{MiB - 100} no longer in the source", proc.stdout.decode())
        self.assertIn("shrank", proc.stderr)

    # Defect 7: SRC as its own DST is refused before anything is written.
    def test_source_as_its_own_destination_is_refused_untouched(self):
        want = read(self.src)
        os.symlink(self.src, self.path("link"))
        os.link(self.src, self.path("hard"))
        for dst in [self.src, self.path("link"), self.path("hard")]:
            for extra in [[], ["--overwrite"], ["--restart"]]:
                proc = sparseio("fetch", self.src, dst, *extra)
                self.assertEqual(proc.returncode, 2, f"{dst} {extra}: {proc.stderr}")
                self.assertIn("is the source itself", proc.stderr)
                self.assertEqual(read(self.src), want)
                self.assertFalse(os.path.exists(dst + ".sparseio"))

    # Defect 8: a symlink planted where sparseio creates a file is never followed.
    def test_planted_symlink_at_the_temporary_sidecar_is_not_followed(self):
        victim = self.path("victim")
        with open(victim, "wb") as f:
            f.write(b"precious")
        os.symlink(victim, self.dst + ".sparseio.tmp")
        self.assertEqual(sparseio("fetch", self.src, self.dst, "-r", "0-99").returncode, 0)
        self.assertEqual(read(victim), b"precious")
        self.assertFalse(os.path.islink(self.dst + ".sparseio"))
        # punch rewrites the log through the same temporary name.
        os.symlink(victim, self.dst + ".sparseio.tmp")
        self.assertEqual(sparseio("punch", self.dst, "-r", "0-99").returncode, 0)
        self.assertEqual(read(victim), b"precious")
        self.assertFalse(os.path.lexists(self.dst + ".sparseio.tmp"))
        self.assertEqual(sparseio("fetch", self.src, self.dst).returncode, 0)
        self.assertEqual(sparseio("verify", self.src, self.dst).returncode, 0)

    def test_sidecar_that_is_a_symlink_is_refused(self):
        victim = self.path("victim")
        self.assertEqual(sparseio("fetch", self.src, self.dst, "-r", "0-99").returncode, 0)
        os.rename(self.dst + ".sparseio", victim)
        os.symlink(victim, self.dst + ".sparseio")
        before = read(victim)
        proc = sparseio("fetch", self.src, self.dst, "-r", "1M-2M")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("symbolic link", proc.stderr)
        self.assertEqual(read(victim), before)

    # Defect 10 (local parts): clear, short, whole messages.
    def test_dangling_destination_symlink_is_explained_and_leaves_nothing(self):
        os.symlink(self.path("nowhere/x"), self.dst)
        proc = sparseio("fetch", self.src, self.dst)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("symbolic link", proc.stderr)
        self.assertIn("does not exist", proc.stderr)
        self.assertFalse(os.path.exists(self.dst + ".sparseio"))

    def test_huge_bad_range_item_is_quoted_short(self):
        ranges = self.path("ranges")
        with open(ranges, "w") as f:
            f.write("0-9\n" + "1" * (10 * MiB) + "x\n")
        proc = sparseio("fetch", self.src, self.dst, "--ranges-from", ranges)
        self.assertEqual(proc.returncode, 2)
        self.assertLess(len(proc.stderr), 400, proc.stderr[:500])
        self.assertIn(f"({10 * MiB + 1} bytes)", proc.stderr)

    def test_nul_in_a_range_file_does_not_cut_the_message(self):
        ranges = self.path("ranges")
        with open(ranges, "wb") as f:
            f.write(b"0-9\n5\x00x-9\n")
        proc = sparseio("fetch", self.src, self.dst, "--ranges-from", ranges)
        self.assertEqual(proc.returncode, 2)
        self.assertIn('"5\\x00x-9"', proc.stderr)
        # Whole, not cut at the NUL: the text after it and the help pointer follow.
        self.assertIn('(use K, M, G, T, KiB..., KB...)', proc.stderr)
        self.assertTrue(proc.stderr.rstrip().endswith("--help')"), proc.stderr)

    def test_timeout_nan_is_refused(self):
        for opt in ["--timeout", "--connect-timeout"]:
            proc = sparseio("fetch", "http://127.0.0.1:9/x", self.dst, opt, "nan")
            self.assertEqual(proc.returncode, 2, f"{opt}: {proc.stderr}")
            self.assertIn("finite", proc.stderr)


if __name__ == "__main__":
    unittest.main()
