"""End-to-end tests of the HTTP(S) source against a real nginx on 127.0.0.1
(plain HTTP, HTTPS over HTTP/1.1, HTTPS with HTTP/2; a self-signed
certificate made at test time) and a misbehaving server for the faults."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))

from e2e_util import SPARSEIO, TempDirTest, make_source, merge, read_range, sparseio  # noqa: E402
from fault_server import FaultServer  # noqa: E402
from nginx_server import Nginx  # noqa: E402
from proxy_server import ProxyServer  # noqa: E402

MiB = 1 << 20
SIZE = 12 * MiB + 4321          # the matrix object
BIG = 24 * MiB + 99             # interrupted runs
SMALL = 3 * MiB + 555           # fault objects
ROOT = NGINX = FAULT = FAULT2 = None

# Only 127.0.0.1 is ever contacted: no proxy from the caller's environment.
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def setUpModule():
    global ROOT, NGINX, FAULT, FAULT2
    # meson's timeout sends SIGTERM: make it run atexit, which stops nginx.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ROOT = tempfile.mkdtemp(prefix="sparseio-http-root-")
    make_source(os.path.join(ROOT, "obj.bin"), SIZE, seed=11, zero_runs=[(2 * MiB, 3 * MiB + 100)])
    make_source(os.path.join(ROOT, "big.bin"), BIG, seed=12)
    make_source(os.path.join(ROOT, "small.bin"), SMALL, seed=13)
    make_source(os.path.join(ROOT, "change.bin"), SMALL, seed=14)
    make_source(os.path.join(ROOT, "change.bin.v2"), SMALL, seed=15)
    NGINX = Nginx(ROOT, workers=2)
    FAULT = FaultServer(ROOT)
    FAULT2 = FaultServer(ROOT)  # "another host": another origin (port)


def tearDownModule():
    for s in (FAULT, FAULT2):
        if s is not None:
            s.stop()
    if NGINX is not None:
        NGINX.cleanup()
    if ROOT is not None:
        shutil.rmtree(ROOT, ignore_errors=True)


def run(*args, env=None, timeout=120):
    return sparseio(*args, env=env or ENV, timeout=timeout)


def run_json(*args, **kw):
    proc = run(*args, "--json", **kw)
    if proc.returncode != 0:
        raise AssertionError(f"sparseio {' '.join(map(str, args))} exited {proc.returncode}: {proc.stderr}")
    return json.loads(proc.stdout)


class HttpCase(TempDirTest):
    def setUp(self):
        super().setUp()
        self.dst = self.path("dst.bin")

    def local(self, name):
        return os.path.join(ROOT, name)

    def present(self, dst=None):
        """The present ranges of DST, half-open."""
        rep = run_json("stat", dst or self.dst, "--ranges")
        return [(b, e + 1) for b, e in rep["ranges"]]

    def assert_recorded_correct(self, src_name, dst=None):
        """Whatever the sidecar claims equals the source (nothing wrong recorded)."""
        dst = dst or self.dst
        if not os.path.exists(dst + ".sparseio"):
            return []
        ranges = self.present(dst)
        for b, e in ranges:
            self.assertEqual(read_range(self.local(src_name), b, e), read_range(dst, b, e),
                             f"recorded bytes {b}-{e} differ from the source")
        return ranges

    def assert_same_file(self, src_name, dst=None):
        with open(self.local(src_name), "rb") as a, open(dst or self.dst, "rb") as b:
            self.assertTrue(a.read() == b.read(), "destination differs from the source")


class MatrixMixin:
    """The local-source matrix again, over one kind of URL (self.base)."""

    base = None

    def tls(self):
        return ["--cacert", NGINX.cacert] if self.base.startswith("https") else []

    def url(self, name):
        return self.base + name

    def test_ranges_are_byte_exact_with_holes_and_rerun_transfers_nothing(self):
        ranges = "0-99,5M+1M,-64KiB,9M-9M,2M+512K"
        rep = run_json("fetch", self.url("obj.bin"), self.dst, "-r", ranges, *self.tls())
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
        rep = run_json("fetch", self.url("obj.bin"), self.dst, *self.tls())
        self.assertEqual(rep["requests"], -(-SIZE // (8 * MiB)))
        self.assert_same_file("obj.bin")
        self.assertGreaterEqual(rep["zero_hole_bytes"], MiB)  # the zero run stays a hole
        self.assertEqual(run("verify", self.url("obj.bin"), self.dst, *self.tls()).returncode, 0)
        proc = run("cat", self.url("obj.bin"), self.path("c.bin"), "-r", "7M+10,1-3", *self.tls())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, read_range(self.local("obj.bin"), 7 * MiB, 7 * MiB + 10) +
                         read_range(self.local("obj.bin"), 1, 4))

    def test_resume_after_a_killed_run(self):
        slow = self.base + "slow/big.bin"
        proc = subprocess.Popen([SPARSEIO, "fetch", slow, self.dst, "-j", "4", "--chunk-size", "1M",
                                 *self.tls()], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        self.base = NGINX.http_url


class MatrixHttps(MatrixMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.base = NGINX.https_url


class MatrixHttp2(MatrixMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.base = NGINX.h2_url


def log_lines_for(port, marker):
    return [l for l in NGINX.access_log() if f" {port} " in l and marker in l]


class TransferTest(HttpCase):
    def test_connections_are_reused_and_http2_multiplexes(self):
        items = ",".join(f"{i * 100_000}+1000" for i in range(100))
        for base, port, most in ((NGINX.http_url, NGINX.ports["http"], 4), (NGINX.h2_url, NGINX.ports["h2"], 1)):
            dst = self.path(f"d{port}.bin")
            marker = f"reuse-{port}"
            run_json("fetch", base + "obj.bin", dst, "-r", items, "-j", "4", "--coalesce-gap", "0",
                     "--cacert", NGINX.cacert, "-H", f"X-Sparseio-Test: {marker}")
            lines = log_lines_for(port, marker)
            self.assertEqual(len([l for l in lines if l.startswith("GET")]), 100)
            conns = {l.split()[-2] for l in lines}
            self.assertLessEqual(len(conns), most, f"{base}: {len(conns)} connections")
            if port == NGINX.ports["h2"]:
                self.assertTrue(all("HTTP/2.0" in l for l in lines))

    def test_every_ranged_request_carries_if_range(self):
        run_json("fetch", NGINX.http_url + "obj.bin", self.dst, "-r", "0-9,4M+9", "-H", "X-Sparseio-Test: ifr")
        gets = [l for l in log_lines_for(NGINX.ports["http"], '"ifr"') if l.startswith("GET")]
        self.assertEqual(len(gets), 2)
        for l in gets:
            self.assertRegex(l, r'"bytes=\d+-\d+" "\S+"')  # If-Range: the strong ETag

    def test_nearby_ranges_coalesce_and_gap_bytes_count_as_present(self):
        rep = run_json("fetch", NGINX.http_url + "obj.bin", self.dst, "-r", "0-999,3000-3999")
        self.assertEqual((rep["requests"], rep["present_bytes"]), (1, 4000))
        self.assert_materialized(self.local("obj.bin"), self.dst, [(0, 4000)])
        rep = run_json("fetch", NGINX.http_url + "obj.bin", self.path("b.bin"), "-r", "0-999,3000-3999",
                       "--coalesce-gap", "0")
        self.assertEqual((rep["requests"], rep["present_bytes"]), (2, 2000))

    def test_big_ranges_split_at_chunk_size(self):
        rep = run_json("fetch", NGINX.http_url + "obj.bin", self.dst, "-r", "0-10M", "--chunk-size", "1M")
        self.assertEqual(rep["requests"], 11)

    def test_tls_is_verified_unless_insecure(self):
        proc = run("fetch", NGINX.https_url + "obj.bin", self.dst, "-r", "0-9")
        self.assertEqual(proc.returncode, 1)
        self.assertIn(NGINX.https_url + "obj.bin", proc.stderr)
        self.assertIn("certificate", proc.stderr.lower())
        self.assertEqual(proc.stderr.count("\n"), 1)
        self.assertFalse(os.path.exists(self.dst))
        rep = run_json("fetch", NGINX.https_url + "obj.bin", self.dst, "-r", "0-9", "--insecure")
        self.assertEqual(rep["present_bytes"], 10)

    def test_proxy_from_the_environment(self):
        proxy = ProxyServer()
        try:
            env = dict(ENV, http_proxy=proxy.url)
            run_json("fetch", NGINX.http_url + "obj.bin", self.dst, "-r", "1M+100", env=env)
            self.assertIn(NGINX.http_url + "obj.bin", proxy.urls)
            self.assert_materialized(self.local("obj.bin"), self.dst, [(MiB, MiB + 100)])
        finally:
            proxy.stop()

    def test_size_option(self):
        rep = run_json("fetch", NGINX.http_url + "obj.bin", self.dst, "-r", "0-9", "--size", str(SIZE))
        self.assertEqual(rep["logical_size"], SIZE)
        proc = run("fetch", NGINX.http_url + "obj.bin", self.path("x.bin"), "-r", "0-9", "--size", str(SIZE + 1))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("--size", proc.stderr)
        self.assertEqual(run("fetch", NGINX.http_url + "obj.bin", self.path("y.bin"), "--size", "12Q").returncode, 2)

    def test_missing_object_and_refused_connection_name_the_url(self):
        proc = run("fetch", NGINX.http_url + "nope.bin", self.dst)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("404", proc.stderr)
        self.assertIn(NGINX.http_url + "nope.bin", proc.stderr)
        from nginx_server import free_port
        url = f"http://127.0.0.1:{free_port()}/x"
        start = time.time()
        proc = run("fetch", url, self.dst, "--retries", "1")
        self.assertEqual(proc.returncode, 1)
        self.assertIn(url, proc.stderr)
        self.assertLess(time.time() - start, 10)
        self.assertFalse(os.path.exists(self.dst))


class HeaderTest(HttpCase):
    def test_headers_from_the_command_line_and_a_file_and_no_secret_in_logs(self):
        proc = run("fetch", FAULT.url("auth/small.bin"), self.dst, "-r", "0-99", "-vvv")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("401", proc.stderr)
        FAULT.reset()
        hfile = self.path("headers.txt")
        with open(hfile, "w") as f:
            f.write("# credentials\nAuthorization: Bearer secret\n\nX-Api-Key: key-from-file-123\n")
        proc = run("fetch", FAULT.url("auth/small.bin"), self.dst, "-r", "0-99", "-vvv", "-H", f"@{hfile}",
                   "-H", "X-Visible: shown", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(0, 100)])
        self.assertNotIn("secret", proc.stderr)
        self.assertNotIn("key-from-file-123", proc.stderr)
        self.assertIn("X-Visible: shown", proc.stderr)
        self.assertIn("Authorization: <redacted>", proc.stderr)
        gets = [r for r in FAULT.requests_for("auth/") if r["method"] == "GET" and "range" in r["headers"]]
        self.assertTrue(gets)
        self.assertTrue(all(r["headers"].get("x-api-key") == "key-from-file-123" for r in gets))
        proc = run("fetch", FAULT.url("auth/small.bin"), self.path("c.bin"), "-r", "0-9", "-v",
                   "-H", "Cookie: c=topsecret", "-H", "Authorization: Bearer secret")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("topsecret", proc.stderr)

    def test_bad_headers_are_usage_errors_that_quote_no_value(self):
        for bad in ("NoColon", "Bad Name: x", "Range: bytes=0-1", "@/nonexistent/headers"):
            proc = run("fetch", NGINX.http_url + "obj.bin", self.dst, "-H", bad)
            self.assertEqual(proc.returncode, 2, (bad, proc.stderr))
            self.assertEqual(proc.stderr.count("\n"), 1, proc.stderr)
        hfile = self.path("h.txt")
        with open(hfile, "w") as f:
            f.write("Authorization Bearer hunter2\n")
        proc = run("fetch", NGINX.http_url + "obj.bin", self.dst, "-H", f"@{hfile}")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("line 1", proc.stderr)
        self.assertNotIn("hunter2", proc.stderr)
        self.assertFalse(os.path.exists(self.dst))

    def test_redirects_keep_headers_only_on_the_same_host(self):
        FAULT.reset()
        FAULT2.reset()
        same = FAULT.url("redirect/small.bin?to=/ok/small.bin%3Ft%3Dsame")
        run_json("fetch", same, self.dst, "-r", "0-99", "-H", "X-Token: t1", "-H", "Authorization: Bearer a")
        oks = FAULT.requests_for("/ok/small.bin?t=same")
        self.assertTrue(oks)
        self.assertTrue(all(r["headers"].get("x-token") == "t1" for r in oks))
        other = FAULT.url("redirect/small.bin?to=" + urllib.parse.quote(FAULT2.url("ok/small.bin?t=other"), safe=""))
        rep = run_json("fetch", "http://user:pw@" + other[len("http://"):], self.path("o.bin"), "-r", "0-99",
                       "-H", "X-Token: t1", "-H", "Authorization: Bearer a")
        self.assertEqual(rep["present_bytes"], 100)
        self.assert_materialized(self.local("small.bin"), self.path("o.bin"), [(0, 100)])
        first = FAULT.requests_for("redirect/")
        self.assertEqual(first[0]["headers"].get("x-token"), "t1")
        seen = FAULT2.requests_for("/ok/small.bin?t=other")
        self.assertTrue(seen)
        for r in seen:
            for h in ("x-token", "authorization", "cookie"):
                self.assertNotIn(h, r["headers"], f"{h} went to another host")

    def test_redirect_to_file_is_refused(self):
        proc = run("fetch", FAULT.url("redirect-file/small.bin"), self.dst)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("file:///etc/passwd", proc.stderr)
        self.assertIn("only http and https", proc.stderr)
        self.assertFalse(os.path.exists(self.dst))
        proc = run("fetch", FAULT.url("redirect/small.bin?to=ftp://127.0.0.1/x"), self.dst)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("only http and https", proc.stderr)
        loop = FAULT.url("redirect/small.bin?to=" + urllib.parse.quote(FAULT.url("redirect/small.bin?to=/x"), safe=""))
        proc = run("fetch", loop, self.dst, "--max-redirs", "1")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("too many redirects", proc.stderr)


class FaultTest(HttpCase):
    """Each fault ends in a correct destination or in a clear one-line error,
    with nothing wrong recorded."""

    def fetch(self, mode, *extra, name="small.bin", query="", ranges=None):
        url = FAULT.url(f"{mode}/{name}?t={self.id().split('.')[-1]}{query}")
        args = ["fetch", url, self.dst, "-j", "2", "--chunk-size", "1M", *extra]
        if ranges:
            args += ["-r", ranges]
        proc = run(*args)
        self.assertLessEqual(proc.stderr.count("\n"), 1, proc.stderr)
        return proc, url

    def assert_fails(self, proc, *needles):
        self.assertEqual(proc.returncode, 1, proc.stderr)
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
            ranges = [r["headers"]["range"] for r in FAULT.requests_for(url.split("/", 3)[3])
                      if r["method"] == "GET"]
            self.assertEqual(ranges, ["bytes=100000-299999", "bytes=200000-299999"], mode)

    def test_connection_drops_until_retries_run_out_keep_the_valid_prefix(self):
        proc, _ = self.fetch("drop", "--retries", "1", query="&fails=100", ranges="0-999999")
        self.assert_fails(proc, "giving up after 1 retry")
        got = self.assert_recorded_correct("small.bin")
        self.assertEqual(got, [(0, 750000)])  # half, then half of the rest

    def test_503_then_success_and_503_forever(self):
        proc, url = self.fetch("503", query="&fails=2")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_same_file("small.bin")
        self.dst = self.path("forever.bin")
        proc, _ = self.fetch("503", "--retries", "2", query="&fails=1000", ranges="0-99")
        self.assert_fails(proc, "503", "giving up after 2 retries")
        self.assertEqual(self.present(), [])

    def test_429_honours_retry_after(self):
        proc, url = self.fetch("429", query="&after=1", ranges="5000+100")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(5000, 5100)])
        gets = [r for r in FAULT.requests_for(url.split("/", 3)[3]) if r["method"] == "GET"]
        self.assertEqual(len(gets), 2)
        self.assertGreaterEqual(gets[1]["time"] - gets[0]["time"], 0.95)

    def test_object_changing_midway_stops_and_needs_restart(self):
        for honour in ("1", "0"):
            self.dst = self.path(f"change{honour}.bin")
            url = FAULT.url(f"etag-change/change.bin?t=change{honour}&honour={honour}")
            proc = run("fetch", url, self.dst, "-j", "1", "--chunk-size", "1M")
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("changed", proc.stderr)
            self.assertIn("--restart", proc.stderr)
            got = self.assert_recorded_correct("change.bin")  # the old version only
            self.assertEqual(got, [(0, MiB)])
            proc = run("fetch", url, self.dst)
            self.assertEqual(proc.returncode, 1)
            self.assertIn("--restart", proc.stderr)
            run_json("fetch", url, self.dst, "--restart")
            self.assert_same_file("change.bin.v2")

    def test_no_content_length_on_head_uses_a_probe(self):
        proc, url = self.fetch("no-length-head", ranges="1M+10")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_materialized(self.local("small.bin"), self.dst, [(MiB, MiB + 10)])
        self.assertIn("bytes=0-0", [r["headers"].get("range") for r in FAULT.requests_for(url.split("/", 3)[3])])

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
        gets = [r for r in FAULT.requests_for(url.split("/", 3)[3]) if r["method"] == "GET"]
        self.assertEqual(len(gets), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
