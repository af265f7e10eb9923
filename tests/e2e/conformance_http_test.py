"""Runs the source conformance kit (tests/conformance/source_conformance.h)
against the HTTP source and a real nginx on 127.0.0.1, over HTTP/1.1, HTTPS
and HTTPS with HTTP/2. The C++ side is build/tests/unit/http_source_conformance_test
(passed as SPARSEIO_HTTP_CONFORMANCE)."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))

from e2e_util import make_source  # noqa: E402
from nginx_server import Nginx  # noqa: E402

BINARY = os.environ["SPARSEIO_HTTP_CONFORMANCE"]
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


class HttpSourceConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        cls.root = tempfile.mkdtemp(prefix="sparseio-conformance-")
        cls.obj = os.path.join(cls.root, "obj.bin")
        make_source(cls.obj, (5 << 20) + 777, seed=21, zero_runs=[(1 << 20, (2 << 20) + 10)])
        cls.nginx = Nginx(cls.root)

    @classmethod
    def tearDownClass(cls):
        cls.nginx.cleanup()
        shutil.rmtree(cls.root, ignore_errors=True)

    def run_kit(self, base):
        gone = os.path.join(self.root, "gone.bin")
        shutil.copyfile(self.obj, gone)
        env = dict(ENV, SPARSEIO_CONFORMANCE_URL=base + "obj.bin", SPARSEIO_CONFORMANCE_FILE=self.obj,
                   SPARSEIO_CONFORMANCE_GONE_URL=base + "gone.bin", SPARSEIO_CONFORMANCE_GONE_FILE=gone,
                   SPARSEIO_CONFORMANCE_CACERT=self.nginx.cacert)
        proc = subprocess.run([BINARY], env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stdout[-4000:] + proc.stderr[-2000:])
        self.assertIn("Status: SUCCESS", proc.stdout)

    def test_http_source_conforms_over_http(self):
        self.run_kit(self.nginx.http_url)

    def test_http_source_conforms_over_https(self):
        self.run_kit(self.nginx.https_url)

    def test_http_source_conforms_over_http2(self):
        self.run_kit(self.nginx.h2_url)


if __name__ == "__main__":
    unittest.main(verbosity=2)
