"""End-to-end tests of the HTTP source against a misbehaving server: each
fault ends in a correct destination or in a clear one-line error, with
nothing wrong recorded."""

import os
import time
import unittest

import http_util as H
from http_util import SMALL, HttpCase, MiB, run, run_json


def setUpModule():
    H.start()


def tearDownModule():
    H.stop()


class FaultTest(HttpCase):
    """Each fault ends in a correct destination or in a clear one-line error,
    with nothing wrong recorded."""

    def fetch(self, mode, *extra, name="small.bin", query="", ranges=None, jobs="2"):
        url = H.FAULT.url(f"{mode}/{name}?t={self.id().split('.')[-1]}{query}")
        args = ["fetch", url, self.dst, "-j", jobs, "--chunk-size", "1M", *extra]
        if ranges:
            args += ["-r", ranges]
        proc = run(*args)
        # One error line at most, besides the retries shown as they happen.
        lines = [l for l in proc.stderr.splitlines() if "; retry " not in l]
        self.assertLessEqual(len(lines), 1, proc.stderr)
        return proc, url

    def assert_fails(self, proc, *needles, code=1):
        self.assertEqual(proc.returncode, code, proc.stderr)
        for n in needles:
            self.assertIn(n, proc.stderr)
        self.assert_recorded_correct("small.bin")

    def test_ignored_range(self):
        proc, url = self.fetch("ignore-range", ranges="1M+100")
        self.assert_fails(proc, "does not support range requests", url.split("?")[0])
        self.assertEqual(self.present(), [])
        proc, _ = self.fetch("ignore-range", ranges="0-99")  # at offset 0 the whole body starts right
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 100)])

    def test_wrong_content_range_and_wrong_length(self):
        proc, _ = self.fetch("wrong-range", ranges="1M+100")
        self.assert_fails(proc, "Content-Range")
        self.assertEqual(self.present(), [])
        self.dst = self.path("bad-length.bin")  # another URL: another source
        proc, _ = self.fetch("bad-length", ranges="1M+100")
        self.assert_fails(proc, "Content-Length")
        self.assertEqual(self.present(), [])

    def test_truncated_body_and_dropped_connection_re_request_only_the_rest(self):
        for mode in ("truncated", "drop"):
            dst = self.path(mode)
            self.dst = dst
            proc, url = self.fetch(mode, ranges="100000+200000")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assert_materialized(self.local("small.bin"), dst, [(100000, 300000)])
            ranges = [r["headers"]["range"] for r in H.FAULT.requests_for(url.split("/", 3)[3])
                      if r["method"] == "GET"]
            self.assertEqual(ranges, ["bytes=100000-299999", "bytes=200000-299999"], mode)

    def test_connection_drops_until_retries_run_out_keep_the_valid_prefix(self):
        # Each attempt delivers bytes, so each restores the budget, up to the
        # total bound of 10 x --retries: 11 attempts of 1000 bytes.
        # -j 1: one piece (with two, the tail of the range is split over both).
        proc, _ = self.fetch("cut", "--retries", "1", query="&cut=1000", ranges="0-999999", jobs="1")
        self.assert_fails(proc, "giving up after 10 retries (the limit for retries that made progress)",
                          code=7)  # network trouble: retry later
        got = self.assert_recorded_correct("small.bin")
        self.assertEqual(got, [(0, 11000)])

    def test_retries_that_make_progress_restore_the_budget(self):
        # 1 MB in cuts of 128 KiB: 7 retries, more than the 5 allowed in a row.
        # -j 1: one piece. With 2, the range is split over both connections,
        # and how many GETs the cuts take depends on where the split falls
        # (9 in a CI run where the pieces came out 671 KB and 329 KB).
        proc, url = self.fetch("cut", query="&cut=131072", ranges="0-999999", jobs="1")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 1000000)])
        gets = [r for r in H.FAULT.requests_for(url.split("/", 3)[3]) if r["method"] == "GET"]
        self.assertEqual(len(gets), 8)
        # Without progress the budget is --retries in a row.
        self.dst = self.path("none.bin")
        proc, _ = self.fetch("cut", "--retries", "2", query="&cut=0", ranges="0-999")
        self.assert_fails(proc, "giving up after 2 retries:", code=7)
        self.assertEqual(self.present(), [])

    def test_body_longer_than_its_content_range_claims_nothing_and_is_repaired(self):
        # 100 junk bytes in front of a correct chunked 206: every byte written
        # before the excess was noticed is shifted, so none may stay claimed.
        proc, _ = self.fetch("junk-prefix", ranges="0-999999", jobs="1")  # one piece, one request
        self.assert_fails(proc, "more bytes than its Content-Range said")
        self.assertEqual(self.present(), [])
        proc, _ = self.fetch("junk-prefix", ranges="0-999999")  # same URL, now honest
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 1000000)])
        self.assertEqual(run("verify", self.local("small.bin"), self.dst).returncode, 0)

    def test_multipart_byteranges_body_is_refused(self):
        proc, _ = self.fetch("multipart", ranges="1M+100000")
        self.assert_fails(proc, "multipart/byteranges")
        self.assertEqual(self.present(), [])

    def test_http09_reply_is_retried_on_a_fresh_connection(self):
        proc, url = self.fetch("http09", ranges="0-99")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 100)])
        gets = [r for r in H.FAULT.requests_for(url.split("/", 3)[3]) if r["method"] == "GET"]
        self.assertEqual(len(gets), 2)

    def test_impossible_size_says_what_the_server_claimed(self):
        proc, _ = self.fetch("huge", ranges="0-99")
        self.assertNotEqual(proc.returncode, 0, proc.stderr)  # the exit code of its kind (destination_unwritable)
        self.assertIn("says it has 100000000000000000 bytes", proc.stderr)

    def test_weak_etag_warning_says_it_is_used(self):
        proc, _ = self.fetch("weak-etag", ranges="0-99")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("weak ETag W/", proc.stderr)
        self.assertNotIn("neither", proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 100)])

    def test_another_url_of_the_same_size_and_etag_is_another_source(self):
        # small.bin and change.bin have the same size, and this server's ETag
        # and Last-Modified depend on the size only (as nginx's on size and mtime).
        a, b = H.FAULT.url("ok/small.bin?v=1"), H.FAULT.url("ok/change.bin?v=1")
        self.assertEqual(run("fetch", a, self.dst, "-r", "0-99").returncode, 0)
        proc = run("fetch", b, self.dst, "-r", "100-199")
        self.assertNotEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("URL", proc.stderr)
        self.assertIn("/ok/change.bin", proc.stderr)
        self.assert_recorded_correct("small.bin")
        # A freshly presigned URL of the same object is the same source.
        signed = a + "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-Signature=0a1b&Expires=1"
        proc = run("fetch", signed, self.dst, "-r", "100-199")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 200)])

    def test_503_then_success_and_503_forever(self):
        proc, url = self.fetch("503", query="&fails=2")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_same_file("small.bin")
        self.dst = self.path("forever.bin")
        proc, _ = self.fetch("503", "--retries", "2", query="&fails=1000", ranges="0-99")
        self.assert_fails(proc, "503", "giving up after 2 retries", code=7)
        self.assertEqual(self.present(), [])

    def test_429_honours_retry_after(self):
        proc, url = self.fetch("429", query="&after=1", ranges="5000+100")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(5000, 5100)])
        gets = [r for r in H.FAULT.requests_for(url.split("/", 3)[3]) if r["method"] == "GET"]
        self.assertEqual(len(gets), 2)
        self.assertGreaterEqual(gets[1]["time"] - gets[0]["time"], 0.95)

    def test_object_changing_midway_stops_and_needs_restart(self):
        for honour in ("1", "0"):
            self.dst = self.path(f"change{honour}.bin")
            url = H.FAULT.url(f"etag-change/change.bin?t=change{honour}&honour={honour}")
            proc = run("fetch", url, self.dst, "-j", "1", "--chunk-size", "1M")
            self.assertEqual(proc.returncode, 4, proc.stderr)  # the source changed
            self.assertIn("changed", proc.stderr)
            self.assertIn("--restart", proc.stderr)
            got = self.assert_recorded_correct("change.bin")  # the old version only
            self.assertEqual(got, [(0, MiB)])
            proc = run("fetch", url, self.dst)
            self.assertEqual(proc.returncode, 4)
            self.assertIn("--restart", proc.stderr)
            run_json("fetch", url, self.dst, "--restart")
            self.assert_same_file("change.bin.v2")

    def test_no_content_length_on_head_uses_a_probe(self):
        proc, url = self.fetch("no-length-head", ranges="1M+10")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(MiB, MiB + 10)])
        self.assertIn("bytes=0-0", [r["headers"].get("range") for r in H.FAULT.requests_for(url.split("/", 3)[3])])

    def test_no_size_anywhere_asks_for_size(self):
        proc, _ = self.fetch("no-size", ranges="0-9")
        self.assert_fails(proc, "--size")
        self.assertFalse(os.path.exists(self.dst))
        proc, _ = self.fetch("no-size", "--size", str(SMALL), ranges="1M+10")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(MiB, MiB + 10)])

    def test_416_names_the_range(self):
        proc, _ = self.fetch("416", ranges="2M+100")
        self.assert_fails(proc, "bytes 2097152-2097251", "out of range")

    def test_server_that_never_answers_times_out_and_is_retried(self):
        start = time.time()
        proc, url = self.fetch("hang", "--timeout", "1", ranges="1M+1000")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(MiB, MiB + 1000)])
        self.assertLess(time.time() - start, 10)

    def test_slow_trickle_is_abandoned_and_retried(self):
        start = time.time()
        proc, url = self.fetch("slow", "--timeout", "1", ranges="0-99999")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 100000)])
        self.assertLess(time.time() - start, 15)
        gets = [r for r in H.FAULT.requests_for(url.split("/", 3)[3]) if r["method"] == "GET"]
        self.assertEqual(len(gets), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
