"""End-to-end tests of plans over many objects (issue 21): `plan SRC1 SRC2
... --json` writes a version 2 manifest, `fetch --plan plan.json DIR/
--shard I/N` fetches shards whose union is the whole fetch, `cat` of several
sources writes them in order, and `verify SRC... DIR/` finds the one
corrupted object. Local files, and URLs through a real nginx."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))

from e2e_util import TempDirTest, make_source, sparseio  # noqa: E402
from nginx_server import Nginx  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
ROOT = NGINX = None


def setUpModule():
    global ROOT, NGINX
    ROOT = tempfile.mkdtemp(prefix="sparseio-multiplan-root-")
    for i, size in enumerate((300_000, 70_001)):
        make_source(os.path.join(ROOT, f"u{i}.bin"), size, seed=70 + i)
    NGINX = Nginx(ROOT)


def tearDownModule():
    if NGINX is not None:
        NGINX.stop()
    if ROOT is not None:
        shutil.rmtree(ROOT, ignore_errors=True)


def run(*args):
    return sparseio(*args, "--no-progress", env=ENV, timeout=60)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class ManyPlans(TempDirTest):
    def setUp(self):
        super().setUp()
        self.src = self.path("src")
        os.makedirs(os.path.join(self.src, "sub"))
        self.files = {"a.bin": 400_000, "sub/b.bin": 150_000, "c.bin": 9_000}
        for i, (name, size) in enumerate(self.files.items()):
            make_source(os.path.join(self.src, name), size, seed=i + 1)

    def test_plan_of_a_directory_and_its_shards_add_up_to_the_whole_fetch(self):
        p = sparseio("plan", self.src + "/", "--json", "-r", "0-99999", "-r", "-1000")
        self.assertEqual(p.returncode, 0, p.stderr)
        plan = json.loads(p.stdout)
        self.assertEqual(plan["sparseio_plan"], 2)
        self.assertEqual([o["name"] for o in plan["objects"]], ["a.bin", "c.bin", "sub/b.bin"])
        manifest = self.path("plan.json")
        with open(manifest, "wb") as f:
            f.write(p.stdout)
        whole = self.path("whole")
        self.assertEqual(run("fetch", "-q", "--plan", manifest, whole + "/").returncode, 0)
        held = 0
        for i in range(3):
            out = self.path(f"s{i}")
            rep = json.loads(run("fetch", "--json", "--plan", manifest, out + "/", "--shard", f"{i}/3").stdout)
            held += rep["present_bytes"]
            # What each shard holds is the whole fetch's bytes at the same offsets.
            for o in rep["objects"]:
                st = json.loads(sparseio("stat", "--json", "--ranges", os.path.join(out, o["name"])).stdout)
                data, ref = read(os.path.join(out, o["name"])), read(os.path.join(whole, o["name"]))
                for b, last in st["ranges"]:
                    self.assertEqual(data[b:last + 1], ref[b:last + 1])
        # No metadata in a -r plan: the shards are disjoint and together the whole plan.
        self.assertEqual(held, plan["total_bytes"])
        self.assertEqual(held, sum(min(s, 100_000) + min(max(s - 100_000, 0), 1000) for s in self.files.values()))

    def test_a_changed_object_fails_alone_with_exit_4(self):
        manifest = self.path("plan.json")
        with open(manifest, "wb") as f:
            f.write(sparseio("plan", os.path.join(self.src, "a.bin"), os.path.join(self.src, "c.bin"), "--json").stdout)
        os.utime(os.path.join(self.src, "c.bin"), ns=(1, 1))
        out = self.path("out")
        p = run("fetch", "--plan", manifest, out)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("changed since plan", p.stderr.strip().splitlines()[-1])
        self.assertEqual(read(os.path.join(out, "a.bin")), read(os.path.join(self.src, "a.bin")))
        self.assertFalse(os.path.exists(os.path.join(out, "c.bin")))  # nothing of it claimed or made

    def test_cat_of_several_sources_writes_them_in_order(self):
        a, c = os.path.join(self.src, "a.bin"), os.path.join(self.src, "c.bin")
        p = sparseio("cat", c, a, c, "-r", "0-9", "-r", "-3")
        self.assertEqual(p.returncode, 0, p.stderr)
        want = b"".join(read(x)[:10] + read(x)[-3:] for x in (c, a, c))
        self.assertEqual(p.stdout, want)
        # A last DIR/ stores them there as fetch does.
        out = self.path("store")
        self.assertEqual(sparseio("cat", a, c, out + "/", "-r", "0-9").stdout, read(a)[:10] + read(c)[:10])
        self.assertTrue(os.path.exists(os.path.join(out, ".sparseio", "c.bin.sparseio")))

    def test_verify_of_a_directory_names_the_corrupted_object_and_repairs_it(self):
        out = self.path("out")
        self.assertEqual(run("fetch", "-q", self.src, out).returncode, 0)
        with open(os.path.join(out, "sub", "b.bin"), "r+b") as f:
            f.seek(5000)
            f.write(b"\xff" * 3)
        p = sparseio("verify", self.src, out + "/")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("objects          3 (2 identical, 1 differ, 0 failed)", p.stdout.decode())
        self.assertIn("sub/b.bin", p.stderr.strip().splitlines()[-1])
        j = json.loads(sparseio("verify", "--json", self.src, out).stdout)
        self.assertEqual([o["report"]["identical"] for o in j["objects"]], [True, True, False])
        self.assertEqual(sparseio("verify", "--repair", "-q", self.src, out).returncode, 0)
        self.assertEqual(read(os.path.join(out, "sub", "b.bin")), read(os.path.join(self.src, "sub", "b.bin")))


class HttpPlans(TempDirTest):
    def test_plan_of_urls_and_a_404_among_them(self):
        base = NGINX.http_url
        p = sparseio("plan", "--json", base + "u0.bin", base + "u1.bin", "-r", "-100", env=ENV)
        self.assertEqual(p.returncode, 0, p.stderr)
        plan = json.loads(p.stdout)
        self.assertEqual([o["name"] for o in plan["objects"]], ["u0.bin", "u1.bin"])
        self.assertTrue(all(o["identity"].get("etag") for o in plan["objects"]))
        manifest = self.path("plan.json")
        with open(manifest, "wb") as f:
            f.write(p.stdout)
        rep = json.loads(run("fetch", "--json", "--plan", manifest, self.path("out")).stdout)
        self.assertEqual(rep["present_bytes"], 200)
        # One object that cannot be planned: no plan at all, and the summary names it.
        p = sparseio("plan", "--json", base + "u0.bin", base + "gone.bin", env=ENV)
        self.assertEqual(p.returncode, 6)
        self.assertIn("error", json.loads(p.stdout))
        self.assertIn("gone.bin", p.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    unittest.main()
