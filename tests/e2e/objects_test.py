"""End-to-end tests of many objects in one run (issue 21): `fetch SRC1 SRC2
... DIR/` and `fetch ./dir/ DIR/` put each object at DIR/NAME with its
sidecar in DIR/.sparseio/, refuse hostile names and symlinks out of DIR,
attempt every object and end with a summary of the failures, and `stat DIR/`
reports them all. A few HTTP URLs go through a real nginx (one is a 404)."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))

from e2e_util import TempDirTest, make_source, sparseio  # noqa: E402
from nginx_server import Nginx  # noqa: E402

# Only 127.0.0.1 is ever contacted: no proxy from the caller's environment.
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
ROOT = NGINX = None


def setUpModule():
    global ROOT, NGINX
    ROOT = tempfile.mkdtemp(prefix="sparseio-objects-root-")
    for i, size in enumerate((300_000, 70_001, 5)):
        make_source(os.path.join(ROOT, f"u{i}.bin"), size, seed=40 + i)
    NGINX = Nginx(ROOT)


def tearDownModule():
    if NGINX is not None:
        NGINX.stop()
    if ROOT is not None:
        shutil.rmtree(ROOT, ignore_errors=True)


def run(*args):
    return sparseio(*args, "--no-progress", env=ENV, timeout=60)


def tree(root):
    """Every path below root, relative, sorted (directories end with /)."""
    out = []
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        out += [os.path.normpath(os.path.join(rel, x)) + "/" for x in dirs]
        out += [os.path.normpath(os.path.join(rel, f)) for f in files]
    return sorted(out)


def same(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


class LocalObjects(TempDirTest):
    def setUp(self):
        super().setUp()
        self.src = self.path("src")
        os.makedirs(os.path.join(self.src, "sub", "deep"))
        make_source(os.path.join(self.src, "a.bin"), 200_000, seed=1)
        make_source(os.path.join(self.src, "sub", "b.bin"), 9_000, seed=2)
        make_source(os.path.join(self.src, "sub", "deep", "c.bin"), 1, seed=3)
        self.out = self.path("out")

    def test_several_files_land_by_basename_with_sidecars_in_dot_sparseio(self):
        p = run("fetch", "-q", os.path.join(self.src, "a.bin"), os.path.join(self.src, "sub", "b.bin"),
                self.out + "/")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(tree(self.out), [".sparseio/", ".sparseio/a.bin.sparseio", ".sparseio/b.bin.sparseio",
                                          "a.bin", "b.bin"])
        self.assertTrue(same(self.out + "/a.bin", os.path.join(self.src, "a.bin")))

    def test_a_directory_tree_is_fetched_recursively_and_a_rerun_fetches_nothing(self):
        first = json.loads(run("fetch", self.src + "/", self.out, "--json").stdout)
        self.assertEqual(first["objects_total"], 3)
        self.assertEqual(first["fetched_bytes"], 209_001)
        self.assertEqual([o["name"] for o in first["objects"]], ["a.bin", "sub/b.bin", "sub/deep/c.bin"])
        for name in ("a.bin", "sub/b.bin", "sub/deep/c.bin"):
            self.assertTrue(same(os.path.join(self.out, name), os.path.join(self.src, name)), name)
            self.assertTrue(os.path.exists(os.path.join(self.out, ".sparseio", name + ".sparseio")))
        again = json.loads(run("fetch", self.src, self.out, "--json").stdout)
        self.assertEqual(again["fetched_bytes"], 0)
        self.assertEqual(again["requests"], 0)
        self.assertEqual(again["present_bytes"], 209_001)

    def test_ranges_apply_to_every_object_and_stat_dir_reports_each(self):
        p = run("fetch", "-q", "-r", "-100", self.src, self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        st = json.loads(sparseio("stat", self.out + "/", "--json").stdout)
        present = {o["name"]: o["report"]["present_bytes"] for o in st["objects"]}
        self.assertEqual(present, {"a.bin": 100, "sub/b.bin": 100, "sub/deep/c.bin": 1})
        self.assertEqual(st["present_bytes"], 201)
        text = sparseio("stat", self.out).stdout.decode()
        self.assertIn("objects          3 (3 ok, 0 failed)", text)
        self.assertIn("sub/deep/c.bin", text)

    def test_stat_verify_and_punch_of_one_object_find_its_sidecar_in_dot_sparseio(self):
        self.assertEqual(run("fetch", "-q", self.src, self.out).returncode, 0)
        one = os.path.join(self.out, "sub", "b.bin")
        st = json.loads(sparseio("stat", "--json", one).stdout)
        self.assertEqual(st["present_bytes"], 9_000)
        p = sparseio("verify", os.path.join(self.src, "sub", "b.bin"), one)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = sparseio("punch", one, "-r", "0-4095", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["present_bytes"], 9_000 - 4096)
        self.assertFalse(os.path.exists(one + ".sparseio"))
        # A rerun brings the punched block back, and only it.
        again = json.loads(run("fetch", "--json", self.src, self.out).stdout)
        self.assertEqual(again["fetched_bytes"], 4096)

    def test_a_dst_that_is_a_file_is_a_usage_error(self):
        open(self.out, "w").close()
        p = run("fetch", os.path.join(self.src, "a.bin"), os.path.join(self.src, "sub", "b.bin"), self.out)
        self.assertEqual(p.returncode, 2)
        self.assertIn("is not a directory", p.stderr)

    def test_two_sources_with_one_name_are_refused_naming_both(self):
        other = self.path("other")
        os.makedirs(other)
        make_source(os.path.join(other, "a.bin"), 10)
        p = run("fetch", os.path.join(self.src, "a.bin"), os.path.join(other, "a.bin"), self.out)
        self.assertEqual(p.returncode, 2)
        self.assertIn(os.path.join(self.src, "a.bin"), p.stderr)
        self.assertIn(os.path.join(other, "a.bin"), p.stderr)
        self.assertFalse(os.path.exists(self.out))  # nothing created

    def test_symlinks_out_are_never_followed(self):
        outside = self.path("outside")
        os.makedirs(outside)
        make_source(os.path.join(outside, "secret"), 50, seed=9)
        # In the source tree: a link to a file outside is skipped, not read.
        os.symlink(os.path.join(outside, "secret"), os.path.join(self.src, "link"))
        # In DST: a directory that is a link to elsewhere is refused, nothing is written there.
        os.makedirs(self.out)
        os.symlink(outside, os.path.join(self.out, "sub"))
        p = run("fetch", self.src, self.out)
        self.assertEqual(p.returncode, 1, p.stderr)  # a conflict, not a missing source
        self.assertIn("skipping", p.stderr)
        self.assertIn("symbolic link", p.stderr)
        self.assertEqual(sorted(os.listdir(outside)), ["secret"])
        self.assertFalse(os.path.exists(os.path.join(self.out, "link")))
        self.assertTrue(same(os.path.join(self.out, "a.bin"), os.path.join(self.src, "a.bin")))
        summary = p.stderr[p.stderr.index("objects failed"):]
        self.assertIn("sub/b.bin", summary)
        self.assertIn("sub/deep/c.bin", summary)

    def test_a_missing_source_among_good_ones_exits_6_and_is_named_last(self):
        missing = self.path("nosuch.bin")
        p = run("fetch", os.path.join(self.src, "a.bin"), missing, os.path.join(self.src, "sub", "b.bin"),
                self.out)
        self.assertEqual(p.returncode, 6, p.stderr)
        last = p.stderr.strip().splitlines()[-1]
        self.assertIn("nosuch.bin", last)
        self.assertIn("No such file", last)
        self.assertTrue(same(os.path.join(self.out, "b.bin"), os.path.join(self.src, "sub", "b.bin")))
        # A missing directory (trailing slash) is a missing source too, not a usage error.
        p = run("fetch", os.path.join(self.src, "a.bin"), self.path("nodir") + "/", self.out)
        self.assertEqual(p.returncode, 6, p.stderr)
        j = json.loads(run("fetch", os.path.join(self.src, "a.bin"), missing, self.out, "--json").stdout)
        self.assertEqual(j["objects_failed"], 1)
        self.assertEqual(j["objects"][1]["error"]["kind"], "source_missing")
        self.assertEqual(j["objects"][0]["report"]["present_bytes"], 200_000)

    def test_fail_fast_starts_nothing_after_the_first_failure(self):
        # Objects run 4 at a time: with --fail-fast the ones already started finish,
        # none starts after the failure (the unit test pins this with one at a time).
        p = run("fetch", "--fail-fast", "--json", self.path("nosuch"), os.path.join(self.src, "a.bin"), self.out)
        self.assertEqual(p.returncode, 6)
        j = json.loads(p.stdout)
        self.assertEqual(j["objects"][0]["error"]["kind"], "source_missing")
        self.assertIn("--fail-fast", run("fetch", "--help").stdout.decode())


class HttpObjects(TempDirTest):
    def test_urls_with_a_404_among_them(self):
        base = NGINX.http_url
        urls = [base + "u0.bin", base + "gone.bin", base + "u1.bin", base + "u2.bin?x=1"]
        out = self.path("out")
        p = run("fetch", "--json", *urls, out)
        self.assertEqual(p.returncode, 6, p.stderr)
        j = json.loads(p.stdout)
        self.assertEqual([o["name"] for o in j["objects"]], ["u0.bin", "gone.bin", "u1.bin", "u2.bin"])
        self.assertEqual(j["objects_failed"], 1)
        self.assertIn("gone.bin", p.stderr.strip().splitlines()[-1])
        for i in range(3):
            self.assertTrue(same(os.path.join(out, f"u{i}.bin"), os.path.join(ROOT, f"u{i}.bin")))
        # A rerun asks for nothing but the identity of each.
        again = json.loads(run("fetch", "--json", *urls[:1], *urls[2:], out).stdout)
        self.assertEqual(again["fetched_bytes"], 0)
        # -r applies to each URL.
        ranged = self.path("ranged")
        j = json.loads(run("fetch", "--json", "-r", "0-99", *urls[:1], *urls[2:3], ranged).stdout)
        self.assertEqual([o["report"]["present_bytes"] for o in j["objects"]], [100, 100])

    def test_from_list_with_names_and_ranges_per_line(self):
        base = NGINX.http_url
        lst = self.path("list.txt")
        with open(lst, "w") as f:
            f.write(f"# staged by hand\n{base}u0.bin first/u0.bin 0-99 -100\n\n{base}u1.bin  # whole\n"
                    f"{base}gone.bin\n")
        out = self.path("out")
        p = run("fetch", "--json", "--from", lst, out)
        self.assertEqual(p.returncode, 6, p.stderr)
        j = json.loads(p.stdout)
        self.assertEqual([o["name"] for o in j["objects"]], ["first/u0.bin", "u1.bin", "gone.bin"])
        self.assertEqual(j["objects"][0]["report"]["present_bytes"], 200)
        self.assertEqual(j["objects"][1]["report"]["present_bytes"], 70_001)
        self.assertTrue(os.path.exists(os.path.join(out, ".sparseio", "first", "u0.bin.sparseio")))
        with open(lst, "w") as f:
            f.write(f"{base}u0.bin ../escape\n")
        p = run("fetch", "--from", lst, self.path("out2"))
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"{lst}:1: refusing the name", p.stderr)
        self.assertFalse(os.path.exists(self.path("out2")))
        self.assertFalse(os.path.exists(self.path("escape")))


if __name__ == "__main__":
    unittest.main()
