"""End-to-end tests of --select, `sparseio plan`, `fetch --plan` and --shard:
files written by independent writers (python's zipfile and tarfile, a
hand-written safetensors file, hyparquet-writer for Parquet), fetched sparse,
then read back by the formats' own tools (unzip, tar, hyparquet, a python
safetensors reader)."""

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

from e2e_util import TempDirTest, data_runs, merge, read_range, sparseio, sparseio_json

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_DIR = os.environ.get("SPARSEIO_NPM_DIR", os.path.join(HERE, "..", ".npm"))
HAVE_HYPARQUET = shutil.which("node") and os.path.isdir(os.path.join(NPM_DIR, "node_modules", "hyparquet"))


def blob(n, seed):
    """n bytes that compress poorly and differ by seed."""
    out = bytearray()
    x = seed * 2654435761 + 1
    while len(out) < n:
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        out += x.to_bytes(8, "little")
    return bytes(out[:n])


def make_zip(path, force_zip64=False, zip64_entries=False):
    """Writes a zip with python's zipfile; force_zip64 lowers its limits to 0
    so that every size, offset and the end record take the zip64 forms."""
    if force_zip64:
        saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
        zipfile.ZIP64_LIMIT = zipfile.ZIP_FILECOUNT_LIMIT = 0
        try:
            return make_zip(path, zip64_entries=True)
        finally:
            zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
    members = {}
    for i in range(40):
        name = f"train/img{i:03}.jpg" if i % 2 else f"val/img{i:03}.jpg"
        members[name] = blob(3000 + i * 97, i)
    with zipfile.ZipFile(path, "w") as z:
        for i, (name, data) in enumerate(members.items()):
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED if i % 3 == 0 else zipfile.ZIP_STORED
            with z.open(info, "w", force_zip64=zip64_entries) as f:
                f.write(data)
        with z.open("notes/readme.txt", "w", force_zip64=zip64_entries) as f:
            f.write(b"hello " * 500)
        members["notes/readme.txt"] = b"hello " * 500
    return members


def ranges_of_text(text):
    """The A-B items of a `sparseio plan` listing, as half-open ranges."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            a, b = line.split("-")
            out.append((int(a), int(b) + 1))
    return out


class PlanTest(TempDirTest):
    def plan(self, src, *select, extra=()):
        args = ["plan", src]
        for s in select:
            args += ["--select", s]
        return sparseio_json(*args, *extra)

    def fetch_plan(self, src, dst, *select):
        args = ["fetch", src, dst, "--json"]
        for s in select:
            args += ["--select", s]
        proc = sparseio(*args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # The report counts the planning's reads, as `plan --json` does.
        report = json.loads(proc.stdout)
        planned = self.plan(src, *select)
        self.assertEqual(report["plan_round_trips"], planned["round_trips"])
        self.assertEqual(report["plan_read_bytes"], planned["read_bytes"])

    # zip -------------------------------------------------------------------
    def make_zip(self, path, force_zip64=False):
        return make_zip(path, force_zip64)

    def check_zip(self, force_zip64):
        src, dst = self.path("a.zip"), self.path("d.zip")
        members = self.make_zip(src, force_zip64)
        if force_zip64:
            with open(src, "rb") as f:
                self.assertTrue(b"PK\x06\x06" in f.read(), "the writer did not make a zip64 archive")
        plan = self.plan(src, "zip:train/*.jpg")
        self.assertLessEqual(plan["round_trips"], 3)
        self.fetch_plan(src, dst, "zip:train/*.jpg")
        train = sorted(n for n in members if n.startswith("train/"))
        self.assertEqual(len(train), 20)
        proc = subprocess.run(["unzip", "-t", dst, *train], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        for n in train[:5]:
            got = subprocess.run(["unzip", "-p", dst, n], capture_output=True).stdout
            self.assertEqual(got, members[n], n)
        # Exactly what was planned is present; unselected members are holes.
        planned = merge((r["offset"], r["offset"] + r["length"]) for r in plan["ranges"])
        stat = sparseio_json("stat", dst, "--ranges")
        self.assertEqual([(b, e + 1) for b, e in stat["ranges"]], planned)
        self.assertLess(stat["present_bytes"], os.path.getsize(src) * 0.8)
        # A val/ member is not in DST: unzip finds a bad CRC.
        self.assertNotEqual(subprocess.run(["unzip", "-t", dst, "val/img000.jpg"], capture_output=True).returncode, 0)
        # cat: the stored bytes of the selected member.
        proc = sparseio("cat", src, self.path("c.zip"), "--select", "zip:train/img001.jpg")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, members["train/img001.jpg"])  # stored (i=1)

    def test_zip_members_read_back_with_unzip(self):
        self.check_zip(False)

    def test_zip64_members_read_back_with_unzip(self):
        self.check_zip(True)

    # tar -------------------------------------------------------------------
    def check_tar(self, fmt):
        src, dst = self.path("a.tar"), self.path("d.tar")
        members = {}
        with tarfile.open(src, "w", format=fmt) as t:
            for i in range(30):
                d = "docs/sub" if i % 3 == 0 else ("docs" if i % 3 == 1 else "src")
                ext = "md" if i % 2 == 0 else "c"
                name = f"{d}/file{i:02}.{ext}"
                if i == 4:  # a long name: pax path / GNU 'L' / ustar prefix
                    name = "docs/" + "deep/" * 25 + "long.md" if fmt != tarfile.USTAR_FORMAT else \
                        "docs/" + "d" * 90 + "/" + "long.md"
                data = blob(100 + i * 1000, i)
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
                members[name] = data
        proc = sparseio("plan", src, "--select", "tar:docs/**.md")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("# tar member docs/sub/file00.md", proc.stdout.decode())
        # The listing is a valid --ranges-from file.
        listing = self.path("plan.txt")
        with open(listing, "wb") as f:
            f.write(proc.stdout)
        rep = sparseio_json("fetch", src, dst, "--ranges-from", listing)
        wanted = sorted(n for n in members if n.startswith("docs/") and n.endswith(".md"))
        self.assertGreaterEqual(len(wanted), 6)
        self.assertEqual(rep["present_bytes"], sum(e - b for b, e in merge(ranges_of_text(proc.stdout.decode()))))
        out = self.path("x")
        os.mkdir(out)
        res = subprocess.run(["tar", "-xf", dst, "-C", out, *wanted], capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        for n in wanted:
            with open(os.path.join(out, n), "rb") as f:
                self.assertEqual(f.read(), members[n], n)
        self.assertLess(rep["present_bytes"], os.path.getsize(src) * 0.8)

    def test_tar_ustar(self):
        self.check_tar(tarfile.USTAR_FORMAT)

    def test_tar_pax(self):
        self.check_tar(tarfile.PAX_FORMAT)

    def test_tar_gnu_long_names(self):
        self.check_tar(tarfile.GNU_FORMAT)

    def test_tar_planning_reads_are_counted_and_explained(self):
        src, dst = self.path("a.tar"), self.path("d.tar")
        with tarfile.open(src, "w") as t:
            for i in range(20):
                data = blob(30000 + i * 1000, i)
                info = tarfile.TarInfo(f"docs/f{i}.md" if i % 2 else f"src/f{i}.c")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        proc = sparseio("fetch", src, dst, "--select", "tar:docs/**.md", "--json", "-v")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        first = json.loads(proc.stdout)
        # -v says why planning read: the headers, window by window.
        self.assertIn(f"tar: read 20 headers in {first['plan_round_trips']} rounds", proc.stderr)
        self.assertGreater(first["plan_read_bytes"], 0)
        # Everything planning read was transferred by this run, and what of it
        # the fetch wanted was stored, not asked for again.
        self.assertGreaterEqual(first["fetched_bytes"], first["plan_read_bytes"])
        self.assertLess(first["fetched_bytes"], first["plan_read_bytes"] + first["present_bytes"])
        # A second run finds everything present: it transfers only its planning.
        again = sparseio_json("fetch", src, dst, "--select", "tar:docs/**.md")
        self.assertEqual(again["requests"], 0, again)
        self.assertEqual(again["fetched_bytes"], again["plan_read_bytes"])

    def test_compressed_tar_is_a_clear_error(self):
        src = self.path("a.tar.gz")
        with tarfile.open(src, "w:gz") as t:
            info = tarfile.TarInfo("a")
            info.size = 3
            t.addfile(info, io.BytesIO(b"abc"))
        proc = sparseio("plan", src, "--select", "tar:*")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("gzip-compressed tarball", proc.stderr)
        self.assertEqual(proc.stderr.count("\n"), 1)

    # safetensors -----------------------------------------------------------
    def test_safetensors_selected_tensors_load_equal(self):
        src, dst = self.path("m.safetensors"), self.path("d.safetensors")
        header, body, tensors = {"__metadata__": {"format": "pt"}}, bytearray(), {}
        for layer in range(12):
            for part, n in (("attn.w", 64), ("mlp.w", 256)):
                name = f"model.layers.{layer}.{part}"
                data = struct.pack(f"<{n}f", *[layer * 1000 + k * 0.5 for k in range(n)])
                header[name] = {"dtype": "F32", "shape": [n], "data_offsets": [len(body), len(body) + len(data)]}
                body += data
                tensors[name] = data
        h = json.dumps(header).encode()
        h += b" " * (-len(h) % 8)
        with open(src, "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h + body)
        plan = self.plan(src, "safetensors:model.layers.[0-5].*")
        self.assertEqual(plan["round_trips"], 1)
        self.fetch_plan(src, dst, "safetensors:model.layers.[0-5].*")
        # An independent reader: length, JSON header, then each tensor's bytes.
        with open(dst, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            hdr = json.loads(f.read(n))
            base = 8 + n
            for name, meta in hdr.items():
                if name == "__metadata__":
                    continue
                b, e = meta["data_offsets"]
                f.seek(base + b)
                got = f.read(e - b)
                layer = int(name.split(".")[2])
                if layer <= 5:
                    self.assertEqual(got, tensors[name], name)
                else:
                    self.assertEqual(got, bytes(e - b), f"{name} should be a hole")

    def test_plan_of_a_destination_says_which_parts_are_present(self):
        src, dst = self.path("m.safetensors"), self.path("d.safetensors")
        header, body = {}, bytearray()
        for layer in range(4):
            name = f"layers.{layer}.w"
            data = struct.pack("<64f", *[layer + k for k in range(64)])
            header[name] = {"dtype": "F32", "shape": [64], "data_offsets": [len(body), len(body) + len(data)]}
            body += data
        h = json.dumps(header).encode()
        with open(src, "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h + body)
        # A source that is no sparseio destination: no "present".
        self.assertNotIn("present", self.plan(src, "safetensors:")["ranges"][0])
        self.fetch_plan(src, dst, "safetensors:layers.[01].w")
        # Planned against the sparse DST: the missing tensors (holes, read as
        # zeros by a loader) are marked, so a loader wrapper can refuse them.
        present = {r["what"]: r["present"] for r in self.plan(dst, "safetensors:")["ranges"]}
        self.assertEqual(present, {"safetensors header": True, "safetensors tensor layers.0.w (F32)": True,
                                   "safetensors tensor layers.1.w (F32)": True,
                                   "safetensors tensor layers.2.w (F32)": False,
                                   "safetensors tensor layers.3.w (F32)": False})
        text = sparseio("plan", dst, "--select", "safetensors:")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn(b"3 of 5 ranges present", text.stdout)
        self.assertIn(b"layers.3.w (F32) (missing)", text.stdout)
        self.assertNotIn(b"layers.1.w (F32) (missing)", text.stdout)

    def test_fetch_does_not_ask_again_for_what_planning_read(self):
        src, dst = self.path("k.zip"), self.path("dk.zip")
        members = self.make_zip(src)
        # The first member is far from the tail that planning read (end
        # records and directory): only it is left to transfer, in one request.
        proc = sparseio("fetch", src, dst, "--select", "zip:val/img000.jpg", "--json", "-j", "1",
                        "--coalesce-gap", "0")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        report = json.loads(proc.stdout)
        self.assertEqual(report["requests"], 1, report)
        self.assertEqual(report["reused_bytes"], 0, report)
        got = subprocess.run(["unzip", "-p", dst, "val/img000.jpg"], capture_output=True)
        self.assertEqual(got.stdout, members["val/img000.jpg"])
        self.assertEqual(subprocess.run(["unzip", "-tq", dst, "val/img000.jpg"], capture_output=True).returncode, 0)

    # parquet ---------------------------------------------------------------
    @unittest.skipUnless(HAVE_HYPARQUET, "hyparquet not installed (scripts/install-deps test)")
    def test_parquet_selected_columns_read_equal(self):
        src, dst = self.path("t.parquet"), self.path("d.parquet")
        tool = os.path.join(HERE, "parquet_tool.mjs")
        subprocess.run(["node", tool, "write", src, "4000", "1000"], check=True)
        sel = "parquet:columns=price,qty;row_groups=0-1"
        plan = self.plan(src, sel)
        self.assertLessEqual(plan["round_trips"], 2)
        whats = [r["what"] for r in plan["ranges"]]
        self.assertIn("parquet row group 1 column qty", whats)
        self.assertFalse(any("column name" in w or "row group 2" in w for w in whats), whats)
        self.fetch_plan(src, dst, sel)

        def read(path):
            proc = subprocess.run(["node", tool, "read", path, "price,qty", "0", "2000"], capture_output=True,
                                  text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return json.loads(proc.stdout)

        want = read(src)
        self.assertEqual(len(want), 2000)
        self.assertEqual(read(dst), want)
        self.assertLess(sum(e - b for b, e in data_runs(dst)), os.path.getsize(src) // 2)

    # manifests and shards ----------------------------------------------------
    def test_plan_manifest_fetch_and_changed_source_refused(self):
        src = self.path("a.zip")
        members = self.make_zip(src)
        manifest = self.path("plan.json")
        with open(manifest, "w") as f:
            f.write(json.dumps(self.plan(src, "zip:val/*")))
        dst = self.path("d.zip")
        proc = sparseio("fetch", "--plan", manifest, dst, "-q")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        val = sorted(n for n in members if n.startswith("val/"))
        self.assertEqual(subprocess.run(["unzip", "-t", dst, *val], capture_output=True).returncode, 0)
        # Changed object (same size, new content and mtime): refused.
        with open(src, "r+b") as f:
            f.seek(100)
            f.write(b"changed")
        os.utime(src, ns=(1, 1))
        proc = sparseio("fetch", "--plan", manifest, self.path("e.zip"))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("changed since plan", proc.stderr)
        self.assertFalse(os.path.exists(self.path("e.zip")))
        # Malformed manifests: a usage error naming the file.
        with open(manifest, "w") as f:
            f.write('{"sparseio_plan": 99}')
        proc = sparseio("fetch", "--plan", manifest, src, self.path("f.zip"))
        self.assertEqual(proc.returncode, 2)
        self.assertIn("version 99", proc.stderr)

    def test_shards_split_the_data_and_each_carries_every_header(self):
        src = self.path("a.tar")
        with tarfile.open(src, "w") as t:
            for i in range(50):
                data = blob(20000 + i * 3001, i)
                info = tarfile.TarInfo(f"d/f{i}")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        full = self.plan(src, "tar:d/f[1-3]*")
        planned = merge((r["offset"], r["offset"] + r["length"]) for r in full["ranges"])
        meta = merge((r["offset"], r["offset"] + r["length"]) for r in full["ranges"] if r["metadata"])
        data = merge((r["offset"], r["offset"] + r["length"]) for r in full["ranges"] if not r["metadata"])
        self.assertEqual(len([r for r in full["ranges"] if r["metadata"]]), 51)  # 50 headers, the end marker
        meta_total, data_total = (sum(e - b for b, e in x) for x in (meta, data))
        n = 4
        procs = [subprocess.Popen([os.environ.get("SPARSEIO", "build/app/sparseio"), "fetch", src,
                                   self.path(f"s{i}"), "--select", "tar:d/f[1-3]*", "--shard", f"{i}/{n}",
                                   "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(n)]
        union, data_held = [], 0
        for i, p in enumerate(procs):
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
            rep = json.loads(out)
            # Its share of the data, plus every header.
            self.assertLessEqual(abs(rep["present_bytes"] - meta_total - data_total / n), 64 * 1024 + 1)
            data_held += rep["present_bytes"] - meta_total
            stat = sparseio_json("stat", self.path(f"s{i}"), "--ranges")
            for b, last in stat["ranges"]:
                self.assertEqual(read_range(self.path(f"s{i}"), b, last + 1), read_range(src, b, last + 1))
                union.append((b, last + 1))
            # Every shard opens on its own: tar lists all 50 members.
            res = subprocess.run(["tar", "-tf", self.path(f"s{i}")], capture_output=True, text=True)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(len(res.stdout.split()), 50)
        # The data shares are disjoint (they add up) and together the whole plan.
        self.assertEqual(data_held, data_total)
        self.assertEqual(merge(union), planned)
        # Shard plans printed by `plan --shard` cover the plan, each with the metadata.
        parts = []
        for i in range(n):
            p = self.plan(src, "tar:d/f[1-3]*", extra=["--shard", f"{i}/{n}"])
            self.assertEqual(sum(1 for r in p["ranges"] if r["metadata"]), 51)
            parts += [(r["offset"], r["offset"] + r["length"]) for r in p["ranges"]]
        self.assertEqual(merge(parts), planned)

    def test_every_zip_shard_lists_all_members_and_reads_its_own(self):
        src = self.path("a.zip")
        members = self.make_zip(src)
        manifest = self.path("plan.json")
        with open(manifest, "w") as f:
            f.write(json.dumps(self.plan(src, "zip:train/**")))
        n, whole = 3, 0
        for i in range(n):
            dst = self.path(f"s{i}.zip")
            rep = sparseio_json("fetch", "--plan", manifest, dst, "--shard", f"{i}/{n}")
            listing = subprocess.run(["unzip", "-l", dst], capture_output=True, text=True)
            self.assertEqual(listing.returncode, 0, listing.stdout + listing.stderr)
            for name in members:
                self.assertIn(name, listing.stdout)
            # The members this shard holds whole read back right.
            shard_plan = self.plan(src, "zip:train/**", extra=["--shard", f"{i}/{n}"])
            own = [r["what"][len("zip member "):] for r in shard_plan["ranges"]
                   if r["what"].startswith("zip member ") and not r["what"].endswith("(part)")]
            self.assertGreater(len(own), 0)
            self.assertEqual(rep["present_bytes"], sum(e - b for b, e in merge(
                (r["offset"], r["offset"] + r["length"]) for r in shard_plan["ranges"])))
            for name in own:
                got = subprocess.run(["unzip", "-p", dst, name], capture_output=True)
                self.assertEqual(got.returncode, 0, got.stderr)
                self.assertEqual(got.stdout, members[name], name)
                whole += 1
        self.assertGreaterEqual(whole, 15)  # of 20: only members cut by a shard boundary are partial

    def test_every_safetensors_shard_has_the_header_and_its_tensors(self):
        src = self.path("m.safetensors")
        header, body, tensors = {}, bytearray(), {}
        for i in range(8):
            data = blob(100000, i)
            header[f"w{i}"] = {"dtype": "U8", "shape": [len(data)], "data_offsets": [len(body), len(body) + len(data)]}
            body += data
            tensors[f"w{i}"] = data
        h = json.dumps(header).encode()
        with open(src, "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h + body)
        held = set()
        for i in range(4):
            dst = self.path(f"s{i}.safetensors")
            proc = sparseio("fetch", src, dst, "--select", "safetensors:", "--shard", f"{i}/4", "-q")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(dst, "rb") as f:  # an independent reader: the header parses in every shard
                n = struct.unpack("<Q", f.read(8))[0]
                self.assertEqual(json.loads(f.read(n)), header)
            for r in self.plan(dst, "safetensors:")["ranges"]:
                name = r["what"].split()[2] if r["what"].startswith("safetensors tensor") else None
                if name and r["present"]:
                    b, e = header[name]["data_offsets"]
                    self.assertEqual(read_range(dst, 8 + n + b, 8 + n + e), tensors[name])
                    held.add(name)
        self.assertGreaterEqual(len(held), 8 - 3)  # each of the 3 cuts splits at most one tensor

    @unittest.skipUnless(HAVE_HYPARQUET, "hyparquet not installed (scripts/install-deps test)")
    def test_every_parquet_shard_has_the_footer(self):
        src = self.path("t.parquet")
        tool = os.path.join(HERE, "parquet_tool.mjs")
        subprocess.run(["node", tool, "write", src, "20000", "2000"], check=True)
        for i in range(3):
            dst = self.path(f"s{i}.parquet")
            proc = sparseio("fetch", src, dst, "--select", "parquet:columns=price", "--shard", f"{i}/3", "-q")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            # An independent reader opens it: its metadata says 20000 rows in 10 groups.
            meta = subprocess.run(["node", tool, "meta", dst], capture_output=True, text=True)
            self.assertEqual(meta.returncode, 0, meta.stderr)
            self.assertEqual(json.loads(meta.stdout), {"rows": 20000, "row_groups": 10})

    def test_bad_selectors_are_usage_errors(self):
        src = self.path("a.zip")
        self.make_zip(src)
        for sel, why in (("zap:x", "unknown format"), ("zip", "expected FORMAT:WHAT"),
                         ("zip:[a", "without a closing"), ("parquet:rows=1", "unknown key")):
            proc = sparseio("plan", src, "--select", sel)
            self.assertEqual(proc.returncode, 2, sel)
            self.assertIn(why, proc.stderr)
        proc = sparseio("plan", src, "--select", "zip:nothing/*")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("no member matches 'nothing/*'", proc.stderr)
        proc = sparseio("plan", src, "--select", "tar:*")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("at offset 0", proc.stderr)
        proc = sparseio("plan", src, "--select", "zip:*", "--shard", "4/4")
        self.assertEqual(proc.returncode, 2)


    def test_selection_typos_are_usage_errors_naming_them(self):
        src = self.path("a.zip")
        self.make_zip(src)
        # A second --select that matches nothing is not dropped silently.
        proc = sparseio("fetch", src, self.path("d.zip"), "--select", "zip:train/**", "--select", "zip:nosuch/**")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("--select 'zip:nosuch/**': no member matches 'nosuch/**'", proc.stderr)
        self.assertIn("a.zip", proc.stderr)
        self.assertEqual(proc.stderr.count("\n"), 1, proc.stderr)
        self.assertFalse(os.path.exists(self.path("d.zip")))
        # A misspelt member names the closest ones.
        proc = sparseio("plan", src, "--select", "zip:notes/readme.txx")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("closest members: notes/readme.txt", proc.stderr)

    @unittest.skipUnless(HAVE_HYPARQUET, "hyparquet not installed (scripts/install-deps test)")
    def test_parquet_column_typos_are_usage_errors_naming_them(self):
        src = self.path("t.parquet")
        subprocess.run(["node", os.path.join(HERE, "parquet_tool.mjs"), "write", src, "400", "100"], check=True)
        proc = sparseio("fetch", src, self.path("d.parquet"), "--select", "parquet:columns=price,quantity")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("no column matches 'quantity' (closest columns: qty", proc.stderr)
        proc = sparseio("plan", src, "--select", "parquet:columns=price,qty,row_groups=1")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("'row_groups=1' is not a column: separate keys with ';'", proc.stderr)
        self.assertEqual(sparseio("plan", src, "--select", "parquet:columns=price,qty;row_groups=1").returncode, 0)


class PlanHttpTest(TempDirTest):
    """The same over HTTP (nginx): round trips counted on a real remote
    source, and a manifest refused once the ETag changes."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(HERE, "..", "http"))
        from nginx_server import Nginx
        cls.root = tempfile.mkdtemp(prefix="sparseio-plan-http-")
        cls.members = make_zip(os.path.join(cls.root, "a.zip"))
        cls.nginx = Nginx(cls.root)
        cls.env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}

    @classmethod
    def tearDownClass(cls):
        cls.nginx.cleanup()
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_zip_over_http_and_stale_manifest(self):
        url = self.nginx.http_url + "a.zip"
        proc = sparseio("plan", url, "--select", "zip:train/img00*", "--json", env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        plan = json.loads(proc.stdout)
        self.assertLessEqual(plan["round_trips"], 3)
        self.assertTrue(plan["identity"].get("etag"), plan["identity"])
        manifest, dst = self.path("plan.json"), self.path("d.zip")
        with open(manifest, "w") as f:
            json.dump(plan, f)
        proc = sparseio("fetch", "--plan", manifest, dst, "-q", env=self.env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        names = sorted(n for n in self.members if n.startswith("train/img00"))
        got = subprocess.run(["unzip", "-p", dst, names[0]], capture_output=True).stdout
        self.assertEqual(got, self.members[names[0]])
        # The object is replaced (new mtime, so a new ETag): the manifest is stale.
        path = os.path.join(self.root, "a.zip")
        os.utime(path, ns=(10**18, 10**18))
        proc = sparseio("fetch", "--plan", manifest, self.path("e.zip"), env=self.env)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("changed since plan", proc.stderr)
        self.assertIn("ETag", proc.stderr)


if __name__ == "__main__":
    unittest.main()
