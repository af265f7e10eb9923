"""End-to-end tests of the command line itself, on local files: -r takes one
value wherever it stands, typos are named, usage lines and help texts,
stat --ranges-only round-trips into --ranges-from, range files name the bad
line and take hex, the exit codes that need no server (2, 3, 4, 5, 6, 8),
--json failures, the JSON report's new fields, a lock wait reported as it
happens, and meson install to a fresh prefix with its man page and
completions."""

import fcntl
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from e2e_util import SPARSEIO, TempDirTest, make_source, read_range, sparseio, sparseio_json

MiB = 1 << 20


class CliCase(TempDirTest):
    def setUp(self):
        super().setUp()
        self.src = self.path("src.bin")
        make_source(self.src, 3 * MiB + 17, seed=3)

    def present(self, dst):
        return [(b, e + 1) for b, e in sparseio_json("stat", dst, "--ranges")["ranges"]]


class RangesOption(CliCase):
    def test_r_first_then_positionals_then_options(self):
        # The two commands: -r once swallowed SRC and DST.
        p = sparseio("fetch", "-r", "0-10", self.src, self.path("a"), "-j", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.present(self.path("a")), [(0, 11)])
        p = sparseio("fetch", "--json", "-r", "0-10", self.src, self.path("q"), "-q")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.present(self.path("q")), [(0, 11)])

    def test_repeated_and_comma_lists_mean_the_same(self):
        sparseio_json("fetch", "-r", "0-9", "-r", "100-109", "-r", "-5", self.src, self.path("a"))
        sparseio_json("fetch", "-r", "0-9,100-109,-5", self.src, self.path("b"))
        self.assertEqual(self.present(self.path("a")), self.present(self.path("b")))
        self.assertEqual(len(self.present(self.path("a"))), 3)

    def test_hex_numbers(self):
        sparseio_json("fetch", "-r", "0x1000+4K", self.src, self.path("a"))
        self.assertEqual(self.present(self.path("a")), [(0x1000, 0x2000)])

    def test_range_file_error_names_file_and_line(self):
        bad = self.path("bad.txt")
        with open(bad, "w") as f:
            f.write("0-9\n# comment\n\n20-29 foo\n")
        p = sparseio("fetch", "--ranges-from", bad, self.src, self.path("a"))
        self.assertEqual(p.returncode, 2)
        self.assertIn(f'{bad}:4: bad range item "foo"', p.stderr)
        self.assertFalse(os.path.exists(self.path("a")))

    def test_stat_ranges_only_round_trips_into_ranges_from(self):
        a, b = self.path("a"), self.path("b")
        sparseio_json("fetch", "-r", "0-99,4096-8191,0x20000+1K,-3", self.src, a)
        p = sparseio("stat", "--ranges-only", a)
        self.assertEqual(p.returncode, 0, p.stderr)
        listing = self.path("have.txt")
        with open(listing, "wb") as f:
            f.write(p.stdout)
        self.assertTrue(all(re.fullmatch(rb"\d+-\d+", l) for l in p.stdout.splitlines()), p.stdout)
        sparseio_json("fetch", "--ranges-from", listing, self.src, b)
        self.assertEqual(self.present(a), self.present(b))
        self.assertEqual(len(self.present(b)), 4)


class EveryOptionTakesOneValue(TempDirTest):
    """Every option that takes a value takes exactly one, wherever it stands:
    CLI11 let a repeatable option (--select, -r, -H) swallow the words after
    it, so `fetch --select X SRC DST` said "SRC is required". The options are
    read from each command's --help, so a new one must get a value here."""

    # A value for each option that works with a local zip as SRC.
    VALUES = {"-j": "2", "--jobs": "2", "--chunk-size": "1M", "--sync": "none", "-r": "0-9",
              "--ranges": "0-9", "--ranges-from": "RANGES_FILE", "--select": "zip:t.txt", "--shard": "0/1",
              "-H": "X-A: b", "--header": "X-A: b", "--size": None, "--retries": "1",
              "--connect-timeout": "5", "--timeout": "5", "--cacert": "RANGES_FILE", "--max-redirs": "1",
              "--coalesce-gap": "4K", "--max-connections": "2", "--profile": "p", "--region": "r",
              "--endpoint-url": "http://127.0.0.1:9", "--plan": None, "--from": None, "--progress-interval": "1", "--output": "-", "-o": "-"}

    def setUp(self):
        super().setUp()
        import zipfile
        self.src = self.path("a.zip")
        with zipfile.ZipFile(self.src, "w") as z:
            z.writestr("t.txt", b"hello " * 300)
            z.writestr("train/x/1.jpg", bytes(range(256)) * 8)
        self.ranges_file = self.path("r.txt")
        with open(self.ranges_file, "w") as f:
            f.write("100-109\n")
        with open(self.src, "rb") as f:
            self.data = f.read()
        self.VALUES = dict(self.VALUES, **{"--size": str(len(self.data))})

    def value_options(self, cmd):
        """The long options --help lists with a value (NAME VALUE), as argument pairs."""
        text = sparseio(cmd, "--help").stdout.decode()
        pairs = []
        for m in re.finditer(r"^  (?:-\w,)?(--[a-z0-9-]+) [A-Z']", text, re.M):
            opt = m[1]
            self.assertIn(opt, self.VALUES, f"{cmd} {opt}: give it a value in VALUES")
            if self.VALUES[opt] is not None:
                pairs.append([opt, self.VALUES[opt].replace("RANGES_FILE", self.ranges_file)])
        self.assertGreater(len(pairs), 1 if cmd == "punch" else 10, cmd)
        return pairs

    def placements(self, pairs, positionals):
        """All options before, between and after the positionals, then alternating, with --opt=value."""
        flat = [w for p in pairs for w in p]
        half = len(pairs) // 2
        between = [w for p in pairs[:half] for w in p]
        rest = [w for p in pairs[half:] for w in p]
        yield "before", flat + positionals
        yield "between", positionals[:1] + flat + positionals[1:]
        yield "after", positionals + flat
        yield "around", between + positionals[:1] + rest + positionals[1:]
        yield "equals", [f"{o}={v}" for o, v in pairs] + positionals

    def check_present_bytes_are_the_source(self, dst):
        ranges = sparseio_json("stat", dst, "--ranges")["ranges"]
        self.assertTrue(ranges)
        with open(dst, "rb") as f:
            got = f.read()
        for b, e in ranges:
            self.assertEqual(got[b:e + 1], self.data[b:e + 1])
        return ranges

    def test_fetch_cat_verify_and_plan_parse_the_same_wherever_options_stand(self):
        results = {}
        for cmd in ("fetch", "cat", "verify", "plan"):
            pairs = self.value_options(cmd)
            for where, args in self.placements(pairs, [self.src, self.path(f"{cmd}-dst")] if cmd != "plan"
                                               else [self.src]):
                dst = self.path(f"{cmd}-{where}")
                args = [dst if a == self.path(f"{cmd}-dst") else a for a in args]
                if cmd == "verify":
                    sparseio_json("fetch", "-r", "0-9,100-109", self.src, dst)
                p = sparseio(cmd, "-q" if cmd != "plan" else "--json", *args)
                self.assertEqual(p.returncode, 0, f"{cmd} ({where}): {args}: {p.stderr}")
                if cmd == "fetch":
                    out = self.check_present_bytes_are_the_source(dst)
                elif cmd == "plan":
                    out = json.loads(p.stdout)["ranges"]
                else:
                    out = p.stdout
                if cmd == "cat":
                    self.assertTrue(out.startswith(self.data[0:10]), out[:20])
                    self.assertIn(self.data[100:110], out)
                results.setdefault(cmd, {})[where] = out
            self.assertEqual(len({json.dumps(v, default=repr) for v in results[cmd].values()}), 1,
                             f"{cmd}: {results[cmd]}")
        # The zip's member and both range options are in what fetch stored.
        fetched = results["fetch"]["before"]
        member = self.data.index(b"hello ")
        self.assertTrue(any(b <= member and member + 1800 <= e + 1 for b, e in fetched), fetched)
        self.assertTrue(any(b <= 0 and 9 <= e for b, e in fetched) and any(b <= 100 <= e for b, e in fetched))
        # punch: DST is its only positional.
        for where, args in self.placements(self.value_options("punch"), [self.path("fetch-before")]):
            p = sparseio("punch", "-q", *args)
            self.assertEqual(p.returncode, 0, f"punch ({where}): {args}: {p.stderr}")
        left = sparseio_json("stat", self.path("fetch-before"), "--ranges")["ranges"]
        self.assertFalse(any(b <= 105 <= e for b, e in left), left)

    def test_plan_file_before_or_after_dst_and_two_selects(self):
        manifest = self.path("m.json")
        with open(manifest, "wb") as f:
            f.write(sparseio("plan", "--json", self.src, "--select", "zip:t.txt").stdout)
        for args in (["--plan", manifest, self.path("p1")], [self.path("p2"), "--plan", manifest],
                     ["--plan=" + manifest, self.path("p3")]):
            p = sparseio("fetch", "-q", *args)
            self.assertEqual(p.returncode, 0, f"{args}: {p.stderr}")
        self.assertEqual(self.check_present_bytes_are_the_source(self.path("p1")),
                         self.check_present_bytes_are_the_source(self.path("p3")))
        # --select repeated: both selections, and SRC DST after them.
        p = sparseio("fetch", "-q", "--select", "zip:t.txt", "--select", "zip:train/**.jpg", self.src,
                     self.path("two"))
        self.assertEqual(p.returncode, 0, p.stderr)
        one = sum(e + 1 - b for b, e in self.check_present_bytes_are_the_source(self.path("p1")))
        two = sum(e + 1 - b for b, e in self.check_present_bytes_are_the_source(self.path("two")))
        self.assertGreater(two, one + 2000)


class CatToATerminal(CliCase):
    """cat with a terminal for stdout (script(1)): binary bytes are refused as
    curl does, unless -o -; text goes through; no status line is drawn over
    the data (the live display would be, as stderr is the same terminal)."""

    def under_tty(self, *args):
        cmd = " ".join([SPARSEIO, *map(str, args)])
        env = dict(os.environ, LANG="C", LC_ALL="C", COLUMNS="100")
        env.pop("CI", None)  # CI would turn the live display off anyway
        p = subprocess.run(["script", "-qfec", cmd, "/dev/null"], capture_output=True, env=env, timeout=60)
        return p.returncode, p.stdout

    @unittest.skipUnless(shutil.which("script"), "script(1) not installed")
    def test_binary_is_refused_unless_dash_o_dash_and_text_passes(self):
        code, out = self.under_tty("cat", "-r", "0-4095", self.src, self.path("a"))
        self.assertEqual(code, 2, out)
        self.assertIn(b"binary output can mess up your terminal", out)
        self.assertIn(b"use -o - to write it there anyway", out)
        self.assertLess(len(out), 400, out)  # the message, not the bytes
        code, out = self.under_tty("cat", "-r", "0-4095", "-o", "-", self.src, self.path("a"))
        self.assertEqual(code, 0, out)
        self.assertGreater(len(out), 4096)  # the pty turns \n into \r\n
        self.assertNotIn(b"\x1b[K", out)  # no status line drawn over the data
        self.assertNotIn(b"conn", out)
        text = self.path("t.txt")
        with open(text, "wb") as f:
            f.write(b"just text\tand a tab\n" * 50)
        code, out = self.under_tty("cat", "-r", "0-", text, "--output=-")
        self.assertEqual(code, 0, out)
        code, out = self.under_tty("cat", "-r", "0-", text)
        self.assertEqual(code, 0, out)
        self.assertEqual(out.replace(b"\r\n", b"\n"), b"just text\tand a tab\n" * 50)
        # A pipe is no terminal: binary goes through without -o.
        p = sparseio("cat", "-r", "0-4095", self.src)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, read_range(self.src, 0, 4096))
        self.assertEqual(sparseio("cat", "-o", "x", "-r", "0-1", self.src).returncode, 2)


class Typos(CliCase):
    def check_usage(self, args, *want):
        p = sparseio(*args)
        self.assertEqual(p.returncode, 2, p.stderr)
        for w in want:
            self.assertIn(w, p.stderr)

    def test_unknown_words_are_named_with_a_suggestion(self):
        self.check_usage(["fecth", "a", "b"], 'unknown command "fecth"', 'did you mean "fetch"')
        self.check_usage(["--bogus"], "unknown option --bogus")
        self.check_usage(["-V"], "unknown option -V", "--version")
        self.check_usage(["fetch", "--jsno", "a", "b"], "unknown option --jsno for fetch",
                         "did you mean --json", "sparseio fetch --help")
        self.check_usage(["fetch", "a"], "DST", "sparseio fetch --help")

    def test_a_url_as_destination_is_a_usage_error_that_suspects_a_swap(self):
        src = self.path("s.bin")
        with open(src, "wb") as f:
            f.write(b"x" * 4096)
        for args in (["fetch", src, "http://127.0.0.1:9/x"], ["verify", src, "https://h/x"],
                     ["stat", "s3://b/k"], ["punch", "http://h/x", "-r", "0-1"]):
            self.check_usage(args, "is a URL", "swapped")
        self.assertFalse(os.path.exists("http:"), "nothing is made for the URL")

    def test_a_star_glob_missing_subfolders_suggests_globstar(self):
        import tarfile
        import zipfile
        z = self.path("a.zip")
        with zipfile.ZipFile(z, "w") as f:
            f.writestr("train/x/1.jpg", b"1" * 100)
            f.writestr("top.jpg", b"2" * 100)
        t = self.path("a.tar")
        with tarfile.open(t, "w") as f:
            f.add(z, arcname="docs/sub/a.md")
        for src, sel, want in ((z, "zip:train/*.jpg", "zip:train/**.jpg"), (t, "tar:docs/*.md", "tar:docs/**.md")):
            self.check_usage(["fetch", "--select", sel, src, self.path("o")], f"no member matches '{sel[4:]}'",
                             f"`*` does not cross `/`: did you mean '{want}'?")
            self.assertEqual(sparseio("fetch", "-q", "--select", want, src, self.path("o" + want[:3])).returncode, 0)
        # Only when the ** version would match: no hint for a name that is not there at all.
        p = sparseio("plan", z, "--select", "zip:nosuch/*.jpg")
        self.assertEqual(p.returncode, 2)
        self.assertNotIn("did you mean", p.stderr)
        # --help says how globs work.
        for cmd in ("fetch", "cat", "plan"):
            text = sparseio(cmd, "--help").stdout.decode()
            for w in ("* and ? stay within one path segment", "** crosses segments", "{a,b}", "[a-z]"):
                self.assertIn(w, text, cmd)

    def test_help_usage_lines_types_and_sections(self):
        top = sparseio("--help")
        self.assertEqual(top.returncode, 0)
        out = top.stdout.decode()
        for w in ("EXAMPLES", "EXIT CODES", "sha256sum", "tar"):
            self.assertIn(w, out)
        self.assertNotIn("RANGES: items", out)  # only under commands that take ranges
        self.assertIn("Usage: sparseio [OPTIONS] COMMAND", out)
        fetch = sparseio("fetch", "--help").stdout.decode()
        # SRC and DST are optional to CLI11 since `fetch --plan FILE DST` may leave SRC out;
        # fetch checks that both are there (resolve_plan_positionals).
        self.assertIn("Usage: sparseio fetch [OPTIONS] [SRC] [DST]", fetch)
        for w in ("RANGES: items", "-r,--ranges RANGES", "--chunk-size SIZE", "-j,--jobs N",
                  "--ranges-from FILE", "Parquet", "--progress", "--no-progress"):
            self.assertIn(w, fetch)
        # CLI11's type noise ("SECONDS:FINITE:FLOAT", "UINT:UINT", "TEXT ...") is gone.
        for noise in (":FLOAT", "UINT", "TEXT", ":FILE", "RANGES ...", "'NAME: VALUE' ...", "[1 - 1024]"):
            self.assertNotIn(noise, fetch.split("RANGES: items")[0])
        for w in ("--connect-timeout SECONDS ", "--max-connections N ", "--select FORMAT:WHAT ", "--shard I/N "):
            self.assertIn(w, fetch)
        stat = sparseio("stat", "--help").stdout.decode()
        self.assertIn("--ranges-only", stat)
        self.assertNotIn("RANGES: items", stat)


class ExitCodes(CliCase):
    def test_2_usage(self):
        p = sparseio("fetch", "-r", "5-1", self.src, self.path("a"))
        self.assertEqual(p.returncode, 2)

    def test_3_verify_differs(self):
        a = self.path("a")
        sparseio_json("fetch", "-r", "0-99", self.src, a)
        with open(a, "r+b") as f:
            f.write(b"X")
        self.assertEqual(sparseio("verify", self.src, a).returncode, 3)

    def test_4_source_changed(self):
        a = self.path("a")
        sparseio_json("fetch", "-r", "0-99", self.src, a)
        with open(self.src, "ab") as f:
            f.write(b"more")
        p = sparseio("fetch", self.src, a)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("--restart", p.stderr)

    def test_5_busy_with_no_wait_and_a_reported_wait_without(self):
        a = self.path("a")
        sparseio_json("fetch", "-r", "0-99", self.src, a)
        fd = os.open(a, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            p = sparseio("fetch", "--no-wait", self.src, a)
            self.assertEqual(p.returncode, 5, p.stderr)
            self.assertIn(f"pid {os.getpid()}", p.stderr)
            # Without --no-wait: the wait is an event line, then the run goes on.
            proc = subprocess.Popen([SPARSEIO, "fetch", self.src, a], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            time.sleep(1.0)
        finally:
            os.close(fd)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(f"waiting for {a}: it is in use by another sparseio process (pid {os.getpid()})",
                      err.decode())
        self.assertNotIn(b"\x1b", err)

    def test_6_missing_and_unreadable_source(self):
        p = sparseio("fetch", self.path("nope"), self.path("a"))
        self.assertEqual(p.returncode, 6, p.stderr)
        self.assertFalse(os.path.exists(self.path("a")))
        if os.geteuid() != 0:  # root reads anything
            os.chmod(self.src, 0)
            self.assertEqual(sparseio("fetch", self.src, self.path("b")).returncode, 6)

    def test_8_destination_cannot_be_written(self):
        # RLIMIT_FSIZE below the object's size: sizing DST fails with EFBIG.
        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (1 * MiB, 1 * MiB))
        p = subprocess.run([SPARSEIO, "fetch", self.src, self.path("a")], capture_output=True,
                           preexec_fn=limit, timeout=60)
        self.assertEqual(p.returncode, 8, p.stderr)
        self.assertIn(b"File too large", p.stderr)
        # A directory DST cannot be created in.
        ro = self.path("ro")
        os.mkdir(ro, 0o500)
        if os.geteuid() != 0:
            self.assertEqual(sparseio("fetch", self.src, os.path.join(ro, "a")).returncode, 8)

    def test_complete_dst_on_a_read_only_mount_is_only_read(self):
        # A CI cache mounted read-only: root ignores chmod, so a read-only bind mount it is.
        cache = self.path("cache")
        os.mkdir(cache)
        a = os.path.join(cache, "a")
        sparseio_json("fetch", "-r", "0-99,1M+4K", self.src, a)
        before = {n: os.stat(os.path.join(cache, n)).st_mtime_ns for n in os.listdir(cache)}
        mounted = subprocess.run(["mount", "--bind", cache, cache], capture_output=True, text=True)
        if mounted.returncode != 0:
            self.skipTest(f"cannot bind-mount (not root?): {mounted.stderr.strip()}")
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", cache], check=True, capture_output=True)
            with self.assertRaises(OSError):
                open(os.path.join(cache, "probe"), "w")
            # Every requested byte present: exit 0 with the report, nothing written.
            p = sparseio("fetch", "--json", "-r", "0-99,1M+1K", self.src, a)
            self.assertEqual(p.returncode, 0, p.stderr)
            j = json.loads(p.stdout)
            self.assertEqual(j["fetched_bytes"], 0)
            self.assertEqual(j["reused_bytes"], 100 + 1024)
            self.assertEqual(sparseio("fetch", "-q", "-r", "50-60", self.src, a).returncode, 0)
            # Bytes missing: DST must be written, and cannot be.
            p = sparseio("fetch", "-r", "0-199", self.src, a)
            self.assertEqual(p.returncode, 8, p.stderr)
            self.assertIn(f"cannot open destination {a}: Read-only file system", p.stderr)
        finally:
            subprocess.run(["umount", cache], check=True)
        self.assertEqual(before, {n: os.stat(os.path.join(cache, n)).st_mtime_ns for n in os.listdir(cache)})

    def test_json_failure_is_one_object_on_stdout(self):
        p = sparseio("fetch", "--json", self.path("nope"), self.path("a"))
        self.assertEqual(p.returncode, 6)
        j = json.loads(p.stdout)
        self.assertEqual(j["exit_code"], 6)
        self.assertEqual(j["error"]["kind"], "source_missing")
        self.assertIn("nope", j["error"]["message"])
        p = sparseio("fetch", "--json", "-r", "zz", self.src, self.path("a"))
        self.assertEqual(json.loads(p.stdout)["exit_code"], 2)


class JsonReport(CliCase):
    def test_version_source_identity_and_plain_elapsed(self):
        p = sparseio("fetch", "--json", "-r", "0-9", self.src, self.path("a"))
        self.assertEqual(p.returncode, 0, p.stderr)
        j = json.loads(p.stdout)
        self.assertEqual(j["version"], 1)
        self.assertEqual(j["source"], self.src)
        st = os.stat(self.src)
        self.assertEqual(j["source_identity"]["size"], st.st_size)
        self.assertEqual(j["source_identity"]["mtime_ns"], st.st_mtime_ns)
        self.assertRegex(p.stdout.decode(), r'"elapsed_s":\d+(\.\d+)?[,}]')
        s = sparseio_json("stat", self.path("a"))
        self.assertEqual(s["source_identity"]["size"], st.st_size)


class Completion(unittest.TestCase):
    """The bash completion offers every option each command's --help lists
    (so a new option cannot be forgotten there), and zsh accepts its file."""

    ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

    def help_options(self, cmd):
        text = sparseio(cmd, "--help").stdout
        text = text.decode() if isinstance(text, bytes) else text
        opts = set()
        for line in text.splitlines():
            m = re.match(r"^  (?:-\w,)?(--[a-z0-9][a-z0-9-]*)", line)
            if m:
                opts.add(m[1])
        return opts

    def completed(self, cmd):
        script = os.path.join(self.ROOT, "completions", "sparseio.bash")
        out = subprocess.run(["bash", "-c", f'source "{script}"; COMP_WORDS=(sparseio {cmd} --); COMP_CWORD=2; '
                              '_sparseio; printf "%s\\n" "${COMPREPLY[@]}"'],
                             capture_output=True, text=True, check=True).stdout
        return set(out.split())

    def test_bash_offers_every_option_of_every_command(self):
        commands = subprocess.run(["bash", "-c", f'source "{self.ROOT}/completions/sparseio.bash"; '
                                   'COMP_WORDS=(sparseio ""); COMP_CWORD=1; _sparseio; echo "${COMPREPLY[@]}"'],
                                  capture_output=True, text=True, check=True).stdout.split()
        for cmd in ("fetch", "cat", "stat", "punch", "verify", "plan"):
            self.assertIn(cmd, commands)
            wanted = self.help_options(cmd)
            self.assertGreater(len(wanted), 3, cmd)
            self.assertEqual(wanted - self.completed(cmd), set(), f"{cmd}: options --help lists but bash does not offer")

    @unittest.skipUnless(shutil.which("zsh"), "zsh not installed")
    def test_zsh_file_parses(self):
        p = subprocess.run(["zsh", "-n", os.path.join(self.ROOT, "completions", "_sparseio")], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stderr)


class Install(unittest.TestCase):
    """meson install to a fresh prefix: the binary starts with no
    LD_LIBRARY_PATH, and the man page and completions come along."""

    def test_installed_binary_man_page_and_completions(self):
        build = os.path.dirname(os.path.dirname(os.path.abspath(SPARSEIO)))
        with tempfile.TemporaryDirectory(prefix="sparseio-install-") as dest:
            p = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            paths = [os.path.join(root, f) for root, _, files in os.walk(dest) for f in files]
            found = {os.path.basename(p): p for p in paths if "/bin/" in p or not p.endswith("/sparseio")}
            self.assertIn("sparseio", found)
            env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
            p = subprocess.run([found["sparseio"], "--version"], capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("sparseio", p.stdout)
            ldd = subprocess.run(["ldd", found["sparseio"]], capture_output=True, text=True).stdout
            self.assertNotIn("libsparseio", ldd)
            self.assertIn("sparseio.1", found)
            self.assertIn("_sparseio", found)  # zsh
            completion = [p for p in paths if p.endswith("bash-completion/completions/sparseio")]
            self.assertEqual(len(completion), 1, paths)
            man = subprocess.run(["man", "-l", found["sparseio.1"]], capture_output=True, text=True,
                                 env=dict(env, MANPAGER="cat", PAGER="cat", MANWIDTH="80"))
            self.assertEqual(man.returncode, 0, man.stderr)
            for section in ("SYNOPSIS", "EXIT STATUS", "ENVIRONMENT", "EXAMPLES", "RANGES", "JSON"):
                self.assertIn(section, man.stdout)
            bash = subprocess.run(["bash", "-c", f"source {completion[0]} && COMP_WORDS=(sparseio fe) COMP_CWORD=1"
                                   " && _sparseio && echo ${COMPREPLY[@]}"], capture_output=True, text=True)
            self.assertEqual(bash.stdout.split(), ["fetch"], bash.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
