"""End-to-end tests of the command line against nginx: the live progress
display on a terminal (run under script(1)) and its absence on a pipe or in
CI, interrupts (SIGINT, SIGTERM, SIGHUP; a second SIGINT) that keep the valid
prefix of every piece in flight, the HTTP exit codes (6 for 403/404/410, 7
for a dead port and a 503 after the retries, with retry events), a wrong
--size that does not block the next run, SSL_CERT_FILE / CURL_CA_BUNDLE,
an upper-case HTTP:// and a password hidden in the report."""

import json
import os
import re
import signal
import subprocess
import time
import unittest

import http_util
from e2e_util import SPARSEIO
from http_util import MiB, SMALL, BIG, HttpCase, run, run_json
from nginx_server import free_port


def setUpModule():
    http_util.start()


def tearDownModule():
    http_util.stop()


ENV = dict(http_util.ENV, LANG="C", LC_ALL="C", COLUMNS="100")
for var in ("CI", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):  # the caller's must not decide a test
    ENV.pop(var, None)


def nginx():
    return http_util.NGINX


class Progress(HttpCase):
    def under_tty(self, *args, env=ENV):
        """Runs sparseio with a terminal for stdin, stdout and stderr; returns its exit code and
        everything it wrote there."""
        cmd = " ".join([SPARSEIO, *map(str, args)])
        p = subprocess.run(["script", "-qfec", cmd, "/dev/null"], capture_output=True, env=env, timeout=120)
        return p.returncode, p.stdout.decode(errors="replace")

    def slow_args(self):
        # Two 1.5 MiB pieces at 512 KiB/s, after nginx's first 512 KiB burst: ~2 s.
        return ["fetch", "-j", "2", "--chunk-size", "1536K", nginx().http_url + "slow/small.bin", self.dst]

    def test_terminal_gets_a_live_status_line_and_fill_map(self):
        code, out = self.under_tty(*self.slow_args())
        self.assertEqual(code, 0, out)
        frames = out.count("\x1b[K")
        self.assertGreater(frames, 6, out)  # redrawn several times a second for ~1 s
        self.assertIn("conn", out)
        self.assertRegex(out, r"\[[#>.+]{90,}\]")  # a map as wide as the terminal allows
        self.assertRegex(out, r">")  # pieces being fetched were shown
        # The last frame stays above the report: a full map, then the report.
        self.assertIn("present_bytes", out)
        self.assertRegex(out, r"\[#{97}\]")
        self.assertIn("100%", out)
        self.assertLess(out.index("100%"), out.index("present_bytes"))
        print("\n--- a captured frame ---\n" + out[out.rindex("\r", 0, out.rindex("[")):out.index("present_bytes")]
              .replace("\x1b[K", "").replace("\x1b[1A", "").replace("\r", ""))

    def test_pipe_and_ci_get_no_escape_codes(self):
        p = run(*self.slow_args(), env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("\x1b", p.stderr)
        self.assertNotIn("conn", p.stderr)
        os.unlink(self.dst)
        os.unlink(self.dst + ".sparseio")
        code, out = self.under_tty(*self.slow_args(), env=dict(ENV, CI="true"))
        self.assertEqual(code, 0, out)
        self.assertNotIn("\x1b", out)
        os.unlink(self.dst)
        os.unlink(self.dst + ".sparseio")
        code, out = self.under_tty(*self.slow_args(), "-q")
        self.assertEqual(code, 0, out)
        self.assertEqual(out.strip(), "")
        # --progress forces the display onto a pipe; --no-progress keeps it off a terminal.
        os.unlink(self.dst)
        os.unlink(self.dst + ".sparseio")
        p = run(*self.slow_args(), "--progress", env=ENV)
        self.assertIn("\x1b[K", p.stderr)
        os.unlink(self.dst)
        os.unlink(self.dst + ".sparseio")
        code, out = self.under_tty(*self.slow_args(), "--no-progress")
        self.assertNotIn("\x1b", out)


class PlainLog(HttpCase):
    def test_a_log_gets_one_plain_line_each_interval_with_the_real_rate(self):
        # One transfer at 512 KiB/s: 24 MiB would take ~48 s; a line each 1 s
        # (--progress-interval; 10 s by default), stopped after 1.5 s.
        t0 = time.monotonic()
        proc = subprocess.Popen([SPARSEIO, "fetch", "-j", "1", "--progress-interval", "1",
                                 nginx().http_url + "slow/big.bin", self.dst],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(ENV, CI="true"))
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        ran = time.monotonic() - t0
        err = err.decode()
        self.assertEqual(proc.returncode, 130, err)
        self.assertNotIn("\x1b", err)
        lines = [l for l in err.splitlines() if re.search(r" of .* \(\d+%\), .*/s, ETA .*connections busy", l)]
        # At 1 s, then each 1 s until the interrupt is through: never more often.
        self.assertGreaterEqual(len(lines), 1, err)
        self.assertLessEqual(len(lines), int(ran), err)
        self.assertTrue(lines[0].startswith("sparseio: "), lines[0])
        # The first line already has the rate since the start, and so an ETA.
        m = re.search(r"\), ([\d.]+) (B|KiB|MiB)/s, ETA (\S+),", lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertGreater(float(m[1]) * {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20}[m[2]], 100 << 10, lines[0])
        self.assertNotEqual(m[3], "--:--", lines[0])


class Interrupts(HttpCase):
    def start_slow(self, name="big.bin", *extra, jobs="2"):
        return subprocess.Popen([SPARSEIO, "fetch", "-j", jobs, *extra, nginx().http_url + "slow/" + name, self.dst],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)

    def test_sigint_keeps_the_prefix_of_pieces_in_flight(self):
        # 8 MiB pieces at 512 KiB/s each: none finishes in 2.5 s, so every
        # byte kept is a prefix of a piece cut short.
        proc = self.start_slow()
        time.sleep(2.5)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
        err = err.decode()
        self.assertEqual(proc.returncode, 130, err)
        self.assertLess(took, 3.0)
        present = run_json("stat", self.dst)["present_bytes"]
        whole_chunks_done = 0
        self.assertGreater(present, whole_chunks_done + 1 * MiB)
        m = re.search(r"interrupted: ([\d.]+) MiB present \(([\d.]+) MiB this run\), ([\d.]+) MiB missing; "
                      r"run the same command to resume", err)
        self.assertIsNotNone(m, err)
        self.assertAlmostEqual(float(m[1]), present / MiB, delta=0.051)
        self.assertAlmostEqual(float(m[2]), present / MiB, delta=0.051)  # all of it this run
        self.assertAlmostEqual(float(m[3]), (BIG - present) / MiB, delta=0.051)
        self.assert_recorded_correct("big.bin")
        p = run("verify", nginx().http_url + "big.bin", self.dst)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_sigterm_and_sighup_codes_and_a_second_sigint_exits_at_once(self):
        for sig, code in ((signal.SIGTERM, 143), (signal.SIGHUP, 129)):
            # One piece (-j 1): two would split the object and finish before the signal.
            proc = self.start_slow("small.bin", jobs="1")
            time.sleep(1.2)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, code, err)
            self.assertIn(b"interrupted: ", err)
            self.assert_recorded_correct("small.bin")
        # Twice: the second one does not wait for anything.
        proc = self.start_slow("big.bin", "--restart")
        time.sleep(1.2)
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assert_recorded_correct("big.bin")


class HttpExitCodes(HttpCase):
    def test_6_for_404_403_410(self):
        for path in ("missing.bin", "deny/small.bin", "gone/small.bin"):
            p = run("fetch", "--json", nginx().http_url + path, self.dst)
            self.assertEqual(p.returncode, 6, f"{path}: {p.stderr}")
            self.assertEqual(json.loads(p.stdout)["exit_code"], 6)
            self.assertFalse(os.path.exists(self.dst))

    def test_7_for_a_dead_port_and_a_503_after_the_retries(self):
        p = run("fetch", "--retries", "1", f"http://127.0.0.1:{free_port()}/x", self.dst)
        self.assertEqual(p.returncode, 7, p.stderr)
        self.assertIn("retry 1 of 1 in", p.stderr)  # the retry is shown as it happens
        p = run("fetch", "--retries", "1", nginx().http_url + "busy/small.bin", self.dst)
        self.assertEqual(p.returncode, 7, p.stderr)
        self.assertIn("503", p.stderr)


class HttpDetails(HttpCase):
    def test_wrong_size_leaves_nothing_that_blocks_the_next_run(self):
        url = nginx().http_url + "small.bin"
        p = run("fetch", "--size", "1000", url, self.dst)
        self.assertNotEqual(p.returncode, 0)
        p = run("fetch", url, self.dst)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_same_file("small.bin")

    def test_ca_bundle_from_the_environment(self):
        url = nginx().https_url + "small.bin"
        self.assertNotEqual(run("fetch", "-r", "0-9", url, self.dst, env=ENV).returncode, 0)
        for var in ("SSL_CERT_FILE", "CURL_CA_BUNDLE"):
            dst = self.path(var)
            p = run("fetch", url, dst, env=dict(ENV, **{var: nginx().cacert}))
            self.assertEqual(p.returncode, 0, f"{var}: {p.stderr}")
            self.assert_same_file("small.bin", dst)

    def test_upper_case_scheme_and_hidden_password(self):
        port = nginx().ports["http"]
        rep = run_json("fetch", f"HTTP://user:s3cret@127.0.0.1:{port}/small.bin", self.dst)
        self.assertEqual(rep["present_bytes"], SMALL)
        self.assertNotIn("s3cret", rep["source"])
        self.assertIn("small.bin", rep["source"])
        self.assertIn("etag", rep["source_identity"])
        self.assert_same_file("small.bin")


if __name__ == "__main__":
    unittest.main(verbosity=2)
