"""libsparseio as a program that links it sees it: `meson install --destdir`
into a temporary tree, then
  - only the public headers are installed, and the umbrella header compiles alone;
  - libsparseio.so exports exactly the symbols listed in lib/exported_symbols.txt;
  - examples/fetch_footer.cc builds as a separate Meson project and as a
    separate CMake project (pkg_check_modules) against the installed tree,
    and runs: it fetches the last 64 KiB and two ranges of a local file;
  - the installed CLI starts from that prefix and prints its version.
SPARSEIO_BUILD_DIR names the build directory to install from."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_util import make_source, read_range  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ["SPARSEIO_BUILD_DIR"]
# A sanitized libsparseio.so needs its sanitizer's runtime in every program
# that links it: the consumer builds are left to the normal build's run.
SANITIZED = os.environ.get("SPARSEIO_SANITIZE", "none") not in ("", "none")


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


class InstalledLibrary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sparseio-install-")
        cls.dest = os.path.join(cls.tmp, "destdir")
        run(["meson", "install", "-C", BUILD, "--no-rebuild", "--destdir", cls.dest, "--quiet"],
            env=dict(os.environ, MESON_INSTALL_QUIET="1"))
        pcs = glob.glob(os.path.join(cls.dest, "**", "sparseio.pc"), recursive=True)
        assert pcs, "no sparseio.pc installed"
        cls.pc_dir = os.path.dirname(pcs[0])
        cls.libdir = os.path.dirname(cls.pc_dir)
        cls.prefix_in_dest = os.path.dirname(cls.libdir)
        while not os.path.isdir(os.path.join(cls.prefix_in_dest, "include")):
            cls.prefix_in_dest = os.path.dirname(cls.prefix_in_dest)
        # pkg-config's sysroot handling rewrites -I/-L to the destdir copy.
        cls.env = dict(os.environ, PKG_CONFIG_PATH=cls.pc_dir, PKG_CONFIG_SYSROOT_DIR=cls.dest,
                       LD_LIBRARY_PATH=cls.libdir)
        cls.src = os.path.join(cls.tmp, "obj.bin")
        make_source(cls.src, (3 << 20) + 1234, seed=5)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_only_the_public_headers_are_installed(self):
        headers = sorted(os.path.relpath(h, os.path.join(self.prefix_in_dest, "include"))
                         for h in glob.glob(os.path.join(self.prefix_in_dest, "include", "**", "*.h"),
                                            recursive=True))
        public = sorted("sparseio/" + os.path.basename(h)
                        for h in glob.glob(os.path.join(TOP, "lib", "include", "sparseio", "*.h")))
        self.assertEqual(headers, public)

    @unittest.skipIf(SANITIZED, "sanitized build: consumers would need the sanitizer runtime")
    def test_the_umbrella_header_compiles_alone(self):
        cc = os.path.join(self.tmp, "umbrella.cc")
        with open(cc, "w") as f:
            f.write("#include <sparseio/sparseio.h>\nint main() { return sparseio::version()[0] ? 0 : 1; }\n")
        flags = run(["pkg-config", "--cflags", "--libs", "sparseio"], env=self.env).stdout.split()
        exe = os.path.join(self.tmp, "umbrella")
        # No -std of our own: the headers need C++20 and pkg-config's --cflags must say so
        # (g++ 12 defaults to gnu++17, where std::span is missing).
        self.assertIn("-std=c++20", flags)
        run(["g++", "-Wall", "-Wextra", "-Werror", cc, "-o", exe] + flags, env=self.env)
        run([exe], env=self.env)

    def test_the_umbrella_header_says_what_it_reads_and_needs(self):
        with open(os.path.join(TOP, "lib", "include", "sparseio", "sparseio.h")) as f:
            head = "".join(f.readline() for _ in range(4))
        self.assertIn("s3://bucket/key", head)
        self.assertIn("C++20", head)

    @unittest.skipIf(SANITIZED, "sanitized builds use clang, whose inline instantiations differ: checked in the normal build")
    def test_the_shared_library_exports_only_the_public_api(self):
        so = sorted(glob.glob(os.path.join(self.libdir, "libsparseio.so.*")))[0]
        out = run(["nm", "-D", "--defined-only", "-C", so]).stdout
        symbols = set()
        for line in out.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] != "A":  # A: the version node SPARSEIO_0 itself
                symbols.add(parts[2].split("@")[0])
        symbols = sorted(symbols)
        with open(os.path.join(TOP, "lib", "exported_symbols.txt")) as f:
            expected = sorted(line.strip() for line in f if line.strip() and not line.startswith("#"))
        self.assertEqual(symbols, expected, "update lib/exported_symbols.txt when the public API changes")

    def check_example(self, exe):
        dst = os.path.join(self.tmp, os.path.basename(os.path.dirname(exe)) + ".dst")
        out = run([exe, self.src, dst], env=self.env).stdout
        self.assertIn("present", out)
        size = os.path.getsize(self.src)
        for b, e in [(size - 65536, size), (0, 4096), (1 << 20, (1 << 20) + 102400)]:
            self.assertEqual(read_range(self.src, b, e), read_range(dst, b, e))

    @unittest.skipIf(SANITIZED, "sanitized build: consumers would need the sanitizer runtime")
    def test_the_example_builds_with_meson_against_the_installed_tree(self):
        build = os.path.join(self.tmp, "meson-example")
        run(["meson", "setup", build, os.path.join(TOP, "examples", "meson")], env=self.env)
        run(["ninja", "-C", build], env=self.env)
        self.check_example(os.path.join(build, "fetch_footer"))

    @unittest.skipIf(SANITIZED, "sanitized build: consumers would need the sanitizer runtime")
    def test_the_example_builds_with_cmake_against_the_installed_tree(self):
        build = os.path.join(self.tmp, "cmake-example")
        run(["cmake", "-S", os.path.join(TOP, "examples", "cmake"), "-B", build], env=self.env)
        run(["cmake", "--build", build], env=self.env)
        self.check_example(os.path.join(build, "fetch_footer"))

    def test_the_installed_cli_starts_from_its_prefix(self):
        exe = glob.glob(os.path.join(self.prefix_in_dest, "bin", "sparseio"))[0]
        env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
        out = run([exe, "--version"], env=env).stdout
        self.assertIn("sparseio", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
