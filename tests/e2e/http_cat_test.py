"""End-to-end tests of the streaming `cat`, of `verify --repair` and of
servers without range support, over HTTP: nginx on 127.0.0.1 (with a
/noranges/ location, max_ranges 0) and python's http.server."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

import http_util as H
from e2e_util import SPARSEIO, read_range
from http_util import ENV, SIZE, HttpCase, MiB, run, run_json
from nginx_server import free_port  # noqa: E402  (http_util put tests/http on the path)

ONE_STREAM = "the server does not support ranges: fetching in one stream"
HTTP_SERVER = None


def setUpModule():
    global HTTP_SERVER
    H.start()
    port = free_port()
    HTTP_SERVER = (subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                                     "--directory", H.ROOT], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL), port)
    deadline = time.time() + 10
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("python http.server did not start")


def tearDownModule():
    if HTTP_SERVER:
        HTTP_SERVER[0].kill()
        HTTP_SERVER[0].wait()
    H.stop()


def python_url(name):
    return f"http://127.0.0.1:{HTTP_SERVER[1]}/{name}"


class CatHttpTest(HttpCase):
    def url(self, name):
        return H.NGINX.http_url + name

    def test_cat_without_dst_streams_ranges_in_order(self):
        ranges = [(10 * MiB, 12 * MiB - 1), (0, 99), (3 * MiB, 9 * MiB), (5, 9)]
        spec = ",".join(f"{a}-{b}" for a, b in ranges)
        before = sorted(os.listdir(self.dir))
        proc = run("cat", self.url("obj.bin"), "-r", spec, "--chunk-size", "1M")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        expect = b"".join(read_range(self.local("obj.bin"), a, b + 1) for a, b in ranges)
        self.assertTrue(proc.stdout == expect, "cat over HTTP wrote other bytes")
        self.assertEqual(sorted(os.listdir(self.dir)), before)

    def test_cat_with_dst_stores_what_it_fetched(self):
        proc = run("cat", self.url("obj.bin"), self.dst, "-r", "-1000,1M+3M")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout == read_range(self.local("obj.bin"), SIZE - 1000, SIZE)
                        + read_range(self.local("obj.bin"), MiB, 4 * MiB))
        self.assertEqual(self.present(), [(MiB, 4 * MiB), (SIZE - 1000, SIZE)])
        self.assert_recorded_correct("obj.bin")

    def test_closed_pipe_returns_quickly_and_records(self):
        # /slow/ serves 512 KiB/s per request: all of BIG would take ~48 s / 8 jobs.
        start = time.monotonic()
        cat = subprocess.Popen([SPARSEIO, "cat", H.NGINX.http_url + "slow/big.bin", self.dst, "-r", "0-"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
        head = cat.stdout.read(10)
        cat.stdout.close()
        rc = cat.wait(timeout=60)
        err = cat.stderr.read().decode()
        cat.stderr.close()
        elapsed = time.monotonic() - start
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        self.assertEqual(head, read_range(self.local("big.bin"), 0, 10))
        self.assertLess(elapsed, 4.5, "cat did not stop soon after the reader left")
        present = self.assert_recorded_correct("big.bin")
        self.assertGreater(sum(e - b for b, e in present), 0)

    def test_interrupted_cat_exits_130_and_keeps_what_it_fetched(self):
        out_path = os.path.join(self.dir, "out")
        with open(out_path, "wb") as out:
            cat = subprocess.Popen([SPARSEIO, "cat", H.NGINX.http_url + "slow/big.bin", self.dst, "-r", "0-"],
                                   stdout=out, stderr=subprocess.PIPE, env=ENV)
            time.sleep(2)
            cat.send_signal(signal.SIGINT)
            rc = cat.wait(timeout=30)
        err = cat.stderr.read().decode()
        cat.stderr.close()
        self.assertEqual(rc, 130, err)
        self.assertIn("interrupted", err)
        with open(out_path, "rb") as f:
            written = f.read()
        # What reached stdout is a prefix of the object; what reached DST is recorded and right.
        self.assertTrue(written == read_range(self.local("big.bin"), 0, len(written)))
        present = self.assert_recorded_correct("big.bin")
        self.assertGreater(sum(e - b for b, e in present), 0)

    def test_verify_repair_over_http(self):
        run_json("fetch", self.url("obj.bin"), self.dst)
        # obj.bin has zeros in 2M..3M+100: a hole in DST.
        offsets = [77, 2 * MiB + 4096 * 3 + 1, 9 * MiB]
        with open(self.dst, "r+b") as f:
            for off in offsets:
                f.seek(off)
                old = f.read(1)
                f.seek(off)
                f.write(bytes([old[0] ^ 1]))
        proc = run("verify", self.url("obj.bin"), self.dst)
        self.assertEqual(proc.returncode, 3)
        self.assertIn(f"first at offsets {offsets[0]}, {offsets[1]}, {offsets[2]}", proc.stderr)
        proc = run("verify", self.url("obj.bin"), self.dst, "--repair", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rep = json.loads(proc.stdout)
        blocks = [[o - o % 4096, o - o % 4096 + 4095] for o in offsets]
        self.assertEqual(rep["repaired_ranges"], blocks)
        self.assertEqual(rep["fetched_bytes"], 3 * 4096)
        self.assertEqual(run("verify", self.url("obj.bin"), self.dst).returncode, 0)
        self.assert_same_file("obj.bin")


class NoRangesTest(HttpCase):
    def check_whole_fetch(self, url):
        proc = run("fetch", url, self.dst, "--json", "--chunk-size", "1M")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr.count(ONE_STREAM), 1, proc.stderr)
        rep = json.loads(proc.stdout)
        self.assertEqual(rep["fetched_bytes"], SIZE)
        self.assertEqual(rep["requests"], 1)
        self.assert_same_file("obj.bin")

    def check_later_range_fails_with_advice(self, url):
        dst = self.path("later.bin")
        proc = run("fetch", url, dst, "-r", "1M-2M")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("does not support range requests", proc.stderr)
        self.assertIn("fetch from offset 0", proc.stderr)

    def check_cat_from_zero(self, url):
        proc = run("cat", url, "-r", "0-99,1M+3M", "--chunk-size", "512K")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(ONE_STREAM, proc.stderr)
        self.assertTrue(proc.stdout == read_range(self.local("obj.bin"), 0, 100)
                        + read_range(self.local("obj.bin"), MiB, 4 * MiB))

    def test_nginx_max_ranges_0(self):
        url = H.NGINX.http_url + "noranges/obj.bin"
        self.check_whole_fetch(url)
        self.check_later_range_fails_with_advice(url)
        self.check_cat_from_zero(url)

    def test_python_http_server(self):
        url = python_url("obj.bin")
        self.check_whole_fetch(url)
        self.check_later_range_fails_with_advice(url)
        self.check_cat_from_zero(url)
        # 0-N: one stream, stopped after N.
        dst = self.path("prefix.bin")
        rep = run_json("fetch", url, dst, "-r", "0-2M")
        self.assertEqual(rep["fetched_bytes"], 2 * MiB + 1)
        self.assertEqual(self.present(dst), [(0, 2 * MiB + 1)])


if __name__ == "__main__":
    unittest.main()
