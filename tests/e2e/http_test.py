"""End-to-end tests of the HTTP(S) source against a real nginx on 127.0.0.1:
the local-source matrix over HTTP, HTTPS and HTTP/2, transfers (connection
reuse, multiplexing, coalescing, chunking), TLS, proxies, headers and
redirects."""

import os
import subprocess
import sys
import time
import unittest
import urllib.parse

import http_util as H
from e2e_util import SPARSEIO, merge, read_range
from http_util import BIG, ENV, SIZE, HttpCase, MiB, run, run_json

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from proxy_server import ProxyServer  # noqa: E402


def setUpModule():
    H.start()


def tearDownModule():
    H.stop()


class MatrixMixin:
    """The local-source matrix again, over one kind of URL (self.base)."""

    base = None

    def tls(self):
        return ["--cacert", H.NGINX.cacert] if self.base.startswith("https") else []

    def url(self, name):
        return self.base + name

    def test_ranges_are_byte_exact_with_holes_and_rerun_transfers_nothing(self):
        ranges = "0-99,5M+1M,-64KiB,9M-9M,2M+512K"
        # -j 1: one request per range (with more, the scheduler splits the last pieces).
        rep = run_json("fetch", self.url("obj.bin"), self.dst, "-r", ranges, "-j", "1", *self.tls())
        want = [(0, 100), (5 * MiB, 6 * MiB), (SIZE - 65536, SIZE), (9 * MiB, 9 * MiB + 1),
                (2 * MiB, 2 * MiB + 512 * 1024)]
        union = sum(e - b for b, e in merge(want))
        self.assert_materialized(self.local("obj.bin"), self.dst, want)
        self.assertEqual(rep["logical_size"], SIZE)
        self.assertEqual(rep["present_bytes"], union)
        self.assertEqual(rep["fetched_bytes"], union)
        self.assertEqual(rep["requests"], len(want))
        again = run_json("fetch", self.url("obj.bin"), self.dst, "-r", ranges, *self.tls())
        self.assertEqual((again["fetched_bytes"], again["requests"], again["reused_bytes"]), (0, 0, union))

    def test_whole_object_in_8mib_chunks_and_verify_and_cat(self):
        rep = run_json("fetch", self.url("obj.bin"), self.dst, "-j", "1", *self.tls())
        self.assertEqual(rep["requests"], -(-SIZE // (8 * MiB)))
        self.assert_same_file("obj.bin")
        self.assertGreaterEqual(rep["zero_hole_bytes"], MiB)  # the zero run stays a hole
        self.assertEqual(run("verify", self.url("obj.bin"), self.dst, *self.tls()).returncode, 0)
        proc = run("cat", self.url("obj.bin"), self.path("c.bin"), "-r", "7M+10,1-3", *self.tls())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, read_range(self.local("obj.bin"), 7 * MiB, 7 * MiB + 10) +
                         read_range(self.local("obj.bin"), 1, 4))

    def test_resume_after_a_killed_run(self):
        proc = subprocess.Popen([SPARSEIO, "fetch", self.url("big.bin"), self.dst, "-j", "4", "--chunk-size", "1M",
                                 "-H", "X-Sparseio-Slow: 1", *self.tls()], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:  # wait until something is recorded, then kill
            time.sleep(0.3)
            if os.path.exists(self.dst + ".sparseio") and run_json("stat", self.dst)["present_bytes"] >= 2 * MiB:
                break
        proc.kill()
        proc.wait()
        had = sum(e - b for b, e in self.assert_recorded_correct("big.bin"))
        self.assertGreater(had, 0)
        self.assertLess(had, BIG)
        rep = run_json("fetch", self.url("big.bin"), self.dst, *self.tls())
        self.assertEqual(rep["fetched_bytes"], BIG - had)
        self.assert_same_file("big.bin")


class MatrixHttp(MatrixMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.base = H.NGINX.http_url


class MatrixHttps(MatrixMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.base = H.NGINX.https_url


class MatrixHttp2(MatrixMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.base = H.NGINX.h2_url


def log_lines_for(port, marker):
    return [l for l in H.NGINX.access_log() if f" {port} " in l and marker in l]


class TransferTest(HttpCase):
    def test_connections_are_reused_and_http2_multiplexes(self):
        items = ",".join(f"{i * 100_000}+1000" for i in range(100))
        # HTTP/2: one multiplexed connection per transfer thread (one per core, at most -j).
        engines = min(os.cpu_count() or 1, 4)
        for base, port, most in ((H.NGINX.http_url, H.NGINX.ports["http"], 4),
                                 (H.NGINX.h2_url, H.NGINX.ports["h2"], engines)):
            dst = self.path(f"d{port}.bin")
            marker = f"reuse-{port}"
            run_json("fetch", base + "obj.bin", dst, "-r", items, "-j", "4", "--coalesce-gap", "0",
                     "--cacert", H.NGINX.cacert, "-H", f"X-Sparseio-Test: {marker}")
            lines = log_lines_for(port, marker)
            self.assertEqual(len([l for l in lines if l.startswith("GET")]), 100)
            conns = {l.split()[-2] for l in lines}
            self.assertLessEqual(len(conns), most, f"{base}: {len(conns)} connections")
            if port == H.NGINX.ports["h2"]:
                self.assertTrue(all("HTTP/2.0" in l for l in lines))

    def test_every_ranged_request_carries_if_range(self):
        run_json("fetch", H.NGINX.http_url + "obj.bin", self.dst, "-r", "0-9,4M+9", "-H", "X-Sparseio-Test: ifr")
        gets = [l for l in log_lines_for(H.NGINX.ports["http"], '"ifr"') if l.startswith("GET")]
        self.assertEqual(len(gets), 2)
        for l in gets:
            self.assertRegex(l, r'"bytes=\d+-\d+" "\S+"')  # If-Range: the strong ETag

    def test_nearby_ranges_coalesce_and_gap_bytes_count_as_present(self):
        rep = run_json("fetch", H.NGINX.http_url + "obj.bin", self.dst, "-r", "0-999,3000-3999")
        self.assertEqual((rep["requests"], rep["present_bytes"]), (1, 4000))
        self.assert_materialized(self.local("obj.bin"), self.dst, [(0, 4000)])
        rep = run_json("fetch", H.NGINX.http_url + "obj.bin", self.path("b.bin"), "-r", "0-999,3000-3999",
                       "--coalesce-gap", "0")
        self.assertEqual((rep["requests"], rep["present_bytes"]), (2, 2000))

    def test_big_ranges_split_at_chunk_size(self):
        rep = run_json("fetch", H.NGINX.http_url + "obj.bin", self.dst, "-r", "0-10M", "--chunk-size", "1M", "-j", "1")
        self.assertEqual(rep["requests"], 11)

    def test_last_pieces_split_over_the_connections_and_report_says_so(self):
        # Without -j, the 10 MiB left are less than 1 MiB for each of the 64
        # connections there may be: they go in pieces of at least 256 KiB.
        rep = run_json("fetch", H.NGINX.http_url + "obj.bin", self.dst, "-r", "0-10M", "--chunk-size", "1M")
        self.assertGreater(rep["requests"], 11)
        self.assertLessEqual(rep["requests"], -(-(10 * MiB + 1) // (256 * 1024)))
        self.assertEqual(rep["present_bytes"], 10 * MiB + 1)
        self.assertEqual(rep["concurrency"], "link")
        self.assertEqual(rep["coalescing"], "link")
        self.assertGreaterEqual(rep["peak_connections"], 1)
        self.assertLessEqual(rep["peak_connections"], 64)
        self.assertGreater(rep["ttfb_s"], 0)
        fixed = run_json("fetch", H.NGINX.http_url + "obj.bin", self.path("b.bin"), "-r", "0-1M", "-j", "3",
                         "--coalesce-gap", "0")
        self.assertEqual((fixed["concurrency"], fixed["coalescing"], fixed["coalesce_gap"]), ("fixed", "fixed", 0))
        self.assertLessEqual(fixed["peak_connections"], 3)

    def test_tls_is_verified_unless_insecure(self):
        proc = run("fetch", H.NGINX.https_url + "obj.bin", self.dst, "-r", "0-9")
        self.assertEqual(proc.returncode, 1)
        self.assertIn(H.NGINX.https_url + "obj.bin", proc.stderr)
        self.assertIn("certificate", proc.stderr.lower())
        self.assertEqual(proc.stderr.count("\n"), 1)
        self.assertFalse(os.path.exists(self.dst))
        rep = run_json("fetch", H.NGINX.https_url + "obj.bin", self.dst, "-r", "0-9", "--insecure")
        self.assertEqual(rep["present_bytes"], 10)

    def test_proxy_from_the_environment(self):
        proxy = ProxyServer()
        try:
            env = dict(ENV, http_proxy=proxy.url)
            run_json("fetch", H.NGINX.http_url + "obj.bin", self.dst, "-r", "1M+100", env=env)
            self.assertIn(H.NGINX.http_url + "obj.bin", proxy.urls)
            self.assert_materialized(self.local("obj.bin"), self.dst, [(MiB, MiB + 100)])
        finally:
            proxy.stop()

    def test_size_option(self):
        rep = run_json("fetch", H.NGINX.http_url + "obj.bin", self.dst, "-r", "0-9", "--size", str(SIZE))
        self.assertEqual(rep["logical_size"], SIZE)
        proc = run("fetch", H.NGINX.http_url + "obj.bin", self.path("x.bin"), "-r", "0-9", "--size", str(SIZE + 1))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("--size", proc.stderr)
        self.assertEqual(run("fetch", H.NGINX.http_url + "obj.bin", self.path("y.bin"), "--size", "12Q").returncode, 2)

    def test_missing_object_and_refused_connection_name_the_url(self):
        proc = run("fetch", H.NGINX.http_url + "nope.bin", self.dst)
        self.assertEqual(proc.returncode, 6)  # not found
        self.assertIn("404", proc.stderr)
        self.assertIn(H.NGINX.http_url + "nope.bin", proc.stderr)
        from nginx_server import free_port
        url = f"http://127.0.0.1:{free_port()}/x"
        start = time.time()
        proc = run("fetch", url, self.dst, "--retries", "1")
        self.assertEqual(proc.returncode, 7)  # network: retry later
        self.assertIn(url, proc.stderr)
        self.assertLess(time.time() - start, 10)
        self.assertFalse(os.path.exists(self.dst))


class HeaderTest(HttpCase):
    def test_headers_from_the_command_line_and_a_file_and_no_secret_in_logs(self):
        proc = run("fetch", H.FAULT.url("auth/small.bin"), self.dst, "-r", "0-99", "-vvv")
        self.assertEqual(proc.returncode, 6)  # 401: access denied
        self.assertIn("401", proc.stderr)
        H.FAULT.reset()
        hfile = self.path("headers.txt")
        with open(hfile, "w") as f:
            f.write("# credentials\nAuthorization: Bearer secret\n\nX-Api-Key: key-from-file-123\n")
        proc = run("fetch", H.FAULT.url("auth/small.bin"), self.dst, "-r", "0-99", "-vvv", "-H", f"@{hfile}",
                   "-H", "X-Visible: shown", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 100)])
        self.assertNotIn("secret", proc.stderr)
        self.assertNotIn("key-from-file-123", proc.stderr)
        self.assertIn("X-Visible: shown", proc.stderr)
        self.assertIn("Authorization: <redacted>", proc.stderr)
        gets = [r for r in H.FAULT.requests_for("auth/") if r["method"] == "GET" and "range" in r["headers"]]
        self.assertTrue(gets)
        self.assertTrue(all(r["headers"].get("x-api-key") == "key-from-file-123" for r in gets))
        proc = run("fetch", H.FAULT.url("auth/small.bin"), self.path("c.bin"), "-r", "0-9", "-v",
                   "-H", "Cookie: c=topsecret", "-H", "Authorization: Bearer secret")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("topsecret", proc.stderr)

    def test_bad_headers_are_usage_errors_that_quote_no_value(self):
        for bad in ("NoColon", "Bad Name: x", "Range: bytes=0-1", "@/nonexistent/headers"):
            proc = run("fetch", H.NGINX.http_url + "obj.bin", self.dst, "-H", bad)
            self.assertEqual(proc.returncode, 2, (bad, proc.stderr))
            self.assertEqual(proc.stderr.count("\n"), 1, proc.stderr)
        hfile = self.path("h.txt")
        with open(hfile, "w") as f:
            f.write("Authorization Bearer hunter2\n")
        proc = run("fetch", H.NGINX.http_url + "obj.bin", self.dst, "-H", f"@{hfile}")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("line 1", proc.stderr)
        self.assertNotIn("hunter2", proc.stderr)
        self.assertFalse(os.path.exists(self.dst))

    def test_redirects_keep_headers_only_on_the_same_host(self):
        H.FAULT.reset()
        H.FAULT2.reset()
        same = H.FAULT.url("redirect/small.bin?to=/ok/small.bin%3Ft%3Dsame")
        run_json("fetch", same, self.dst, "-r", "0-99", "-H", "X-Token: t1", "-H", "Authorization: Bearer a")
        oks = H.FAULT.requests_for("/ok/small.bin?t=same")
        self.assertTrue(oks)
        self.assertTrue(all(r["headers"].get("x-token") == "t1" for r in oks))
        other = H.FAULT.url("redirect/small.bin?to=" + urllib.parse.quote(H.FAULT2.url("ok/small.bin?t=other"), safe=""))
        rep = run_json("fetch", "http://user:pw@" + other[len("http://"):], self.path("o.bin"), "-r", "0-99",
                       "-H", "X-Token: t1", "-H", "Authorization: Bearer a")
        self.assertEqual(rep["present_bytes"], 100)
        self.assert_materialized(self.local("small.bin"), self.path("o.bin"), [(0, 100)])
        first = H.FAULT.requests_for("redirect/")
        self.assertEqual(first[0]["headers"].get("x-token"), "t1")
        seen = H.FAULT2.requests_for("/ok/small.bin?t=other")
        self.assertTrue(seen)
        for r in seen:
            for h in ("x-token", "authorization", "cookie"):
                self.assertNotIn(h, r["headers"], f"{h} went to another host")

    def test_redirect_to_file_is_refused(self):
        proc = run("fetch", H.FAULT.url("redirect-file/small.bin"), self.dst)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("file:///etc/passwd", proc.stderr)
        self.assertIn("only http and https", proc.stderr)
        self.assertFalse(os.path.exists(self.dst))
        proc = run("fetch", H.FAULT.url("redirect/small.bin?to=ftp://127.0.0.1/x"), self.dst)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("only http and https", proc.stderr)
        loop = H.FAULT.url("redirect/small.bin?to=" + urllib.parse.quote(H.FAULT.url("redirect/small.bin?to=/x"), safe=""))
        proc = run("fetch", loop, self.dst, "--max-redirs", "1")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("too many redirects", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
