"""Shared by the HTTP end-to-end tests: nginx on 127.0.0.1 (plain HTTP,
HTTPS over HTTP/1.1, HTTPS with HTTP/2; a self-signed certificate made at
test time), two misbehaving servers (two origins), the objects they serve,
and helpers. A test module calls start() in setUpModule and stop() in
tearDownModule; nginx is also stopped at exit and on SIGTERM."""

import json
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))

from e2e_util import TempDirTest, make_source, read_range, sparseio  # noqa: E402
from fault_server import FaultServer  # noqa: E402
from nginx_server import Nginx  # noqa: E402

MiB = 1 << 20
SIZE = 12 * MiB + 4321          # the matrix object
BIG = 24 * MiB + 99             # interrupted runs
SMALL = 3 * MiB + 555           # fault objects
ROOT = NGINX = FAULT = FAULT2 = None

# Only 127.0.0.1 is ever contacted: no proxy from the caller's environment.
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def start():
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


def stop():
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
