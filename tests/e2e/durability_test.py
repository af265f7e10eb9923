"""End-to-end proof of the destination guarantees: SIGKILL at random moments
(also during sidecar compaction), disk full and write errors, and two
processes on one destination. After every fault, each range the sidecar
claims must equal the source's bytes, and a later run must finish the job."""

import fcntl
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import time
import unittest

from e2e_util import SPARSEIO, TempDirTest, make_source, merge, simulate_reboot, sparseio, sparseio_json

MiB = 1 << 20
SEED = int(os.environ.get("SPARSEIO_KILL_SEED", "20261124"))
KILLS = int(os.environ.get("SPARSEIO_KILLS", "60"))


def claimed_ranges(dst):
    """The ranges the sidecar claims, through a read-only `stat` (half-open).
    A kill before DST was created leaves no DST: nothing is claimed."""
    if not os.path.exists(dst):
        return []
    rep = sparseio_json("stat", dst, "--ranges")
    return [(b, e + 1) for b, e in rep["ranges"]]


class ClaimsCheck:
    def assert_claims_true(self, src, dst):
        claims = claimed_ranges(dst)
        if not claims:
            return 0
        with open(src, "rb") as s, open(dst, "rb") as d:
            for b, e in claims:
                s.seek(b)
                d.seek(b)
                self.assertEqual(s.read(e - b), d.read(e - b), f"sidecar claims {b}-{e} but bytes differ")
        return sum(e - b for b, e in claims)

    def assert_identical(self, a, b):
        self.assertEqual(subprocess.run(["cmp", a, b]).returncode, 0, f"{a} and {b} differ")


class KillTest(TempDirTest, ClaimsCheck):
    def test_random_sigkills_never_leave_false_claims(self):
        rng = random.Random(SEED)
        src, dst = self.path("src.bin"), self.path("dst.bin")
        size = 96 * MiB
        make_source(src, size, seed=5, zero_runs=[(10 * MiB, 14 * MiB)])
        listing = self.path("ranges.txt")
        with open(listing, "w") as f:
            for _ in range(3000):
                f.write(f"{rng.randrange(size)}+{rng.randrange(1, 96 * 1024)}\n")
        def start(mode, ranged):
            args = [SPARSEIO, "fetch", src, dst, "--chunk-size", "256K", "-j", "4", "--sync", mode, "-q"]
            return subprocess.Popen(args + (["--ranges-from", listing] if ranged else []), stderr=subprocess.PIPE)

        # Time one uninterrupted run, so that kills land anywhere inside one.
        t0 = time.monotonic()
        timing = start("batch", False)
        timing.wait()
        timing.stderr.close()
        span = time.monotonic() - t0
        os.remove(dst)
        os.remove(dst + ".sparseio")
        kills = completed = 0
        max_present = 0
        while kills < KILLS:
            proc = start(rng.choice(["batch", "none"]), rng.random() < 0.5)
            time.sleep(rng.uniform(0.0, span))
            if proc.poll() is None:
                proc.kill()
                kills += 1
            proc.wait()
            if proc.returncode not in (0, -signal.SIGKILL):
                self.fail(f"fetch exited {proc.returncode}: {proc.stderr.read().decode()}")
            proc.stderr.close()
            max_present = max(max_present, self.assert_claims_true(src, dst))
            if proc.returncode == 0:
                completed += 1
                if sparseio_json("stat", dst)["present_bytes"] == size:
                    # Start over so that later kills land in real work again.
                    os.remove(dst)
                    os.remove(dst + ".sparseio")
        self.assertGreaterEqual(kills, KILLS)
        self.assertGreater(max_present, 0)
        rep = sparseio_json("fetch", src, dst)
        self.assertEqual(rep["present_bytes"], size)
        self.assert_identical(src, dst)
        print(f"\nkill test: {kills} kills, {completed} runs completed, 0 false claims", flush=True)

    # A compaction writes the whole log to DST.sparseio.tmp (openat O_EXCL,
    # pwrite, fsync), renames it over the log, then fsyncs the directory. A
    # kill at each of those steps, hit exactly with strace's fault injection
    # (polling for the .tmp file hit 0 of 10 compactions under load): the
    # N-th pwrite to the .tmp (created, maybe empty), the (2N-1)-th fsync (the
    # .tmp complete, not renamed), the 2N-th fsync (renamed, the directory
    # not synced). With --sync none, those fsyncs are the only ones.
    @unittest.skipUnless(shutil.which("strace"), "needs strace")
    def test_kills_during_compaction(self):
        src, dst = self.path("src.bin"), self.path("dst.bin")
        size = 48 * MiB
        make_source(src, size, seed=6)
        tmp = os.path.abspath(dst + ".sparseio.tmp")
        # 6000 disjoint 4 KiB ranges: filling the gaps between them merges
        # ranges and makes the log compact twice in the second run.
        items = ",".join(f"{i * 8192}+4096" for i in range(6000))
        kill_points = [(["-P", tmp, "-e", "trace=pwrite64"], "pwrite64", 1, "created"),
                       (["-P", tmp, "-e", "trace=pwrite64"], "pwrite64", 2, "created"),
                       (["-e", "trace=fsync"], "fsync", 1, "written"),
                       (["-e", "trace=fsync"], "fsync", 2, "renamed"),
                       (["-e", "trace=fsync"], "fsync", 3, "written"),
                       (["-e", "trace=fsync"], "fsync", 4, "renamed")]
        for trace, call, when, left in kill_points:
            with self.subTest(call=call, when=when):
                for p in (dst, dst + ".sparseio", tmp):
                    if os.path.exists(p):
                        os.remove(p)
                sparseio_json("fetch", src, dst, "-r", items, "--sync", "none")
                proc = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, *trace,
                                       "-e", f"inject={call}:signal=SIGKILL:when={when}",
                                       SPARSEIO, "fetch", src, dst, "-r", f"0-{6000 * 8192 - 1}", "--chunk-size",
                                       "4K", "-j", "1", "--sync", "none", "-q"], capture_output=True)
                self.assertEqual(proc.returncode, -signal.SIGKILL, "the injected kill did not hit a compaction")
                if left == "renamed":
                    self.assertFalse(os.path.exists(tmp))
                else:
                    self.assertTrue(os.path.exists(tmp))
                    if left == "written":
                        self.assertGreater(os.path.getsize(tmp), 0)
                self.assert_claims_true(src, dst)
                # The next run takes over what the killed one left and finishes.
                sparseio_json("fetch", src, dst)
                self.assertFalse(os.path.exists(tmp))
                self.assert_identical(src, dst)


class RebootTest(TempDirTest, ClaimsCheck):
    """An OS crash can lose written data whose records survived. Simulated by
    rewriting the boot id in the sidecar's session records (simulate_reboot)
    and damaging DST behind sparseio's back: hashed claims of the earlier
    boot are re-checked."""

    def damage(self, dst):
        with open(dst, "r+b") as f:
            f.seek(3 * MiB + 5)
            f.write(b"lost write" * 10)  # a block that did not make it
        # A range whose data never reached the disk reads as a hole.
        subprocess.run(["fallocate", "--punch-hole", "--offset", str(5 * MiB), "--length", str(MiB), dst],
                       check=True)

    def test_hashed_claims_are_rechecked_after_reboot(self):
        src, dst = self.path("src.bin"), self.path("dst.bin")
        make_source(src, 12 * MiB, seed=13)
        sparseio_json("fetch", src, dst, "-r", "0-8M", "--chunk-size", "1M")
        self.damage(dst)
        # Same boot: the page cache never lost anything, records are trusted as they are.
        self.assertEqual(sparseio_json("stat", dst)["present_bytes"], 8 * MiB + 1)
        # After a "reboot" the two damaged 1 MiB pieces no longer count.
        simulate_reboot(dst)
        self.assertEqual(sparseio_json("stat", dst)["present_bytes"], 6 * MiB + 1)
        rep = sparseio_json("fetch", src, dst, "-r", "0-8M", "--chunk-size", "1M")
        self.assertEqual(rep["fetched_bytes"], 2 * MiB)
        self.assertEqual(sparseio("verify", src, dst).returncode, 0)
        # The re-checked log was rewritten: a later boot trusts it without work.
        simulate_reboot(dst)
        self.assertEqual(sparseio_json("stat", dst)["present_bytes"], 8 * MiB + 1)

    def test_sync_batch_claims_survive_reboot_and_none_claims_do_not(self):
        src = self.path("src.bin")
        make_source(src, 4 * MiB, seed=14)
        batch, none = self.path("batch.bin"), self.path("none.bin")
        sparseio_json("fetch", src, batch, "--sync", "batch")
        sparseio_json("fetch", src, none, "--sync", "none")
        simulate_reboot(batch)
        simulate_reboot(none)
        self.assertEqual(sparseio_json("stat", batch)["present_bytes"], 4 * MiB)
        self.assertEqual(sparseio_json("stat", none)["present_bytes"], 0)


class WriteErrorTest(TempDirTest, ClaimsCheck):
    def test_file_size_limit_reports_dst_and_resumes(self):
        src, dst = self.path("src.bin"), self.path("dst.bin")
        size = 16 * MiB
        make_source(src, size, seed=8)
        sparseio_json("fetch", src, dst, "-r", "0-0")  # DST exists at full logical size
        limit = 6 * MiB + 1234

        def low_fsize():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        proc = subprocess.run([SPARSEIO, "fetch", src, dst, "-j", "2", "--chunk-size", "1M"], capture_output=True,
                              preexec_fn=low_fsize)
        err = proc.stderr.decode()
        self.assertEqual(proc.returncode, 8, err)  # DST cannot be written
        self.assertIn(dst, err)
        self.assertIn("File too large", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        present = self.assert_claims_true(src, dst)
        self.assertGreaterEqual(present, 4 * MiB)
        self.assertLessEqual(present, limit)
        rep = sparseio_json("fetch", src, dst)
        self.assertEqual(rep["reused_bytes"], present)
        self.assert_identical(src, dst)

    def test_full_disk_reports_dst_and_resumes(self):
        mnt = self.path("small")
        os.mkdir(mnt)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", mnt], capture_output=True).returncode:
            self.skipTest("cannot mount a small tmpfs here (needs root)")
        try:
            src, dst = self.path("src.bin"), os.path.join(mnt, "dst.bin")
            size = 8 * MiB
            make_source(src, size, seed=9)
            proc = sparseio("fetch", src, dst, "--chunk-size", "512K", "-j", "2")
            self.assertEqual(proc.returncode, 8, proc.stderr)
            self.assertIn(dst, proc.stderr)
            self.assertIn("No space left on device", proc.stderr)
            present = self.assert_claims_true(src, dst)
            self.assertGreater(present, 0)
            self.assertLess(present, size)
            # Make room past 2 MiB, then resume the first 2 MiB: what was
            # claimed there is reused, only the rest is fetched.
            claimed_low = sum(max(0, min(e, 2 * MiB) - b) for b, e in claimed_ranges(dst))
            sparseio_json("punch", dst, "-r", "2M-")
            rep = sparseio_json("fetch", src, dst, "-r", "0-2M")
            self.assertEqual(rep["reused_bytes"], claimed_low)
            self.assertEqual(rep["fetched_bytes"], 2 * MiB + 1 - claimed_low)
            self.assertEqual(self.assert_claims_true(src, dst), 2 * MiB + 1)
        finally:
            subprocess.run(["umount", "-l", mnt])

    def test_read_only_destination_directory(self):
        ro = self.path("ro")
        os.mkdir(ro)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M,ro", "tmpfs", ro], capture_output=True).returncode:
            self.skipTest("cannot mount a read-only tmpfs here (needs root)")
        try:
            src = self.path("src.bin")
            make_source(src, MiB, seed=2)
            proc = sparseio("fetch", src, os.path.join(ro, "dst.bin"))
            self.assertEqual(proc.returncode, 8)
            self.assertIn("Read-only file system", proc.stderr)
            self.assertIn(os.path.join(ro, "dst.bin"), proc.stderr)
        finally:
            subprocess.run(["umount", "-l", ro])


class TwoProcessesTest(TempDirTest, ClaimsCheck):
    def test_second_process_waits_and_fetches_nothing_twice(self):
        src, dst = self.path("src.bin"), self.path("dst.bin")
        size = 64 * MiB
        make_source(src, size, seed=10)
        a = subprocess.Popen([SPARSEIO, "fetch", src, dst, "-r", "0-40M", "--json", "-j", "1", "--chunk-size", "64K"],
                             stdout=subprocess.PIPE)
        b = subprocess.Popen([SPARSEIO, "fetch", src, dst, "-r", "20M-60M", "--json", "-j", "1", "--chunk-size",
                              "64K"], stdout=subprocess.PIPE)
        ra, rb = json.loads(a.communicate()[0]), json.loads(b.communicate()[0])
        self.assertEqual((a.returncode, b.returncode), (0, 0))
        union = 60 * MiB + 1
        # One of them went first; the other found the overlap present.
        self.assertEqual(ra["fetched_bytes"] + rb["fetched_bytes"], union)
        self.assert_claims_true(src, dst)
        self.assertEqual(sparseio_json("stat", dst)["present_bytes"], union)

    def test_no_wait_fails_at_once_naming_the_holder(self):
        src, dst = self.path("src.bin"), self.path("dst.bin")
        make_source(src, 4 * MiB, seed=12)
        sparseio_json("fetch", src, dst, "-r", "0-0")
        with open(dst, "rb") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # this test process holds DST
            start = time.time()
            proc = sparseio("fetch", src, dst, "--no-wait")
            self.assertLess(time.time() - start, 5)
            self.assertEqual(proc.returncode, 5)  # busy
            self.assertIn("in use by another sparseio process", proc.stderr)
            self.assertIn(f"pid {os.getpid()}", proc.stderr)
            proc = sparseio("punch", dst, "-r", "0-0", "--no-wait")
            self.assertEqual(proc.returncode, 5)
            self.assertIn("in use", proc.stderr)


if __name__ == "__main__":
    unittest.main()
