"""End-to-end tests of S3 prefixes and globs (issue 21): `fetch s3://B/P/ DIR/`
and `fetch 's3://B/P/**.x' DIR/` list the keys with ListObjectsV2 (paginated),
take each key's size and ETag from the listing (no HEAD), put each object at
DIR/ plus its key below the prefix, refuse hostile keys alone, and fail an
object deleted or overwritten between the listing and its GET as a changed
source (exit 4).

sparseio talks to moto_server through a small proxy on 127.0.0.1 that counts
every request (so a rerun can be shown to send one LIST a page and nothing
else) and can run a hook between moto's answer to a LIST and its delivery to
sparseio: the deterministic "after the listing, before the GET" moment the
race tests need. moto 5.2.1's signature check refuses any LIST whose prefix
holds a '/' (boto3's own too: it canonicalizes the decoded query), so the
tests run with checking off, but one, whose prefix has no '/', lists with
checking on: the LIST's signed query string is proven against a verifier."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import boto3
    import botocore.config
except ImportError as missing:
    boto3 = None
    MISSING = missing.name
else:
    MISSING = None if shutil.which("moto_server") else "moto_server"

from e2e_util import sparseio

EXIT_USAGE, EXIT_CHANGED, EXIT_MISSING = 2, 4, 6
MOTO = {}
MANY = 1500  # more than one page of 1,000 keys


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(key_id, secret, service="s3"):
    return boto3.client(service, endpoint_url=MOTO["endpoint"], region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      max_pool_connections=16))


def set_auth(on):
    """Switches moto's signature checking on or off (it counts requests)."""
    conn = http.client.HTTPConnection("127.0.0.1", MOTO["port"], timeout=10)
    conn.request("POST", "/moto-api/reset-auth", body=b"0" if on else b"1000000000")
    assert conn.getresponse().status == 200
    conn.close()


class Proxy(BaseHTTPRequestHandler):
    """Forwards each request to moto unchanged (its Host header too, so the
    signature still verifies), records it, and runs PROXY_HOOK["after_list"]
    (once) before delivering the answer to a LIST."""
    protocol_version = "HTTP/1.1"
    requests = []
    lock = threading.Lock()
    hook = {}

    def log_message(self, *args):
        pass

    def forward(self, method):
        conn = http.client.HTTPConnection("127.0.0.1", MOTO["port"], timeout=30)
        conn.putrequest(method, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        conn.close()
        is_list = method == "GET" and "list-type=2" in self.path
        with Proxy.lock:
            Proxy.requests.append((method, self.path, "LIST" if is_list else method))
            hook = Proxy.hook.pop("after_list", None) if is_list else None
        if hook:
            hook()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if method != "HEAD" else r.getheader("content-length", 0)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.forward("GET")

    def do_HEAD(self):
        self.forward("HEAD")


def setUpModule():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = free_port()
    MOTO["log"] = tempfile.NamedTemporaryFile(prefix="sparseio-moto-", suffix=".log", delete=False)
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    env = {k: v for k, v in env.items() if "proxy" not in k.lower() and not k.startswith("AWS_")}
    MOTO["proc"] = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=MOTO["log"])
    MOTO["port"], MOTO["endpoint"] = port, f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or MOTO["proc"].poll() is not None:
                raise RuntimeError("moto_server did not start")
            time.sleep(0.1)
    # The 3 unchecked requests make an admin with a key; signed from here on.
    iam = client("x", "x", "iam")
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    MOTO["id"], MOTO["secret"] = key["AccessKeyId"], key["SecretAccessKey"]
    s3 = MOTO["s3"] = client(MOTO["id"], MOTO["secret"])
    set_auth(False)  # see above; moto's policy check would also make the 1,500 PUTs 5 times slower
    s3.create_bucket(Bucket="many")
    s3.create_bucket(Bucket="misc")
    with ThreadPoolExecutor(16) as pool:  # small bodies, in parallel
        list(pool.map(lambda i: s3.put_object(Bucket="many", Key=f"big/{i // 100:02d}/o{i:04d}.bin",
                                              Body=b"%06d" % i), range(MANY)))
    server = MOTO["proxy"] = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    MOTO["via"] = f"http://127.0.0.1:{server.server_address[1]}"


def tearDownModule():
    if "proxy" in MOTO:
        MOTO["proxy"].shutdown()
    MOTO["proc"].terminate()
    try:
        MOTO["proc"].wait(10)
    except subprocess.TimeoutExpired:
        MOTO["proc"].kill()
    MOTO["log"].close()
    os.unlink(MOTO["log"].name)


def tree(root):
    out = []
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        out += [os.path.normpath(os.path.join(rel, f)) for f in files]
    return sorted(out)


@unittest.skipIf(MISSING, f"{MISSING} is not installed")
class S3ObjectsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sparseio-s3objects-")
        self.out = os.path.join(self.dir, "out")
        self.s3 = MOTO["s3"]
        with Proxy.lock:
            Proxy.requests.clear()
            Proxy.hook.clear()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def put(self, bucket, keys):
        for k, body in keys.items():
            self.s3.put_object(Bucket=bucket, Key=k, Body=body)

    def run_s3(self, *args, secret=None, progress=("--no-progress",)):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and "proxy" not in k.lower()}
        env.update(HOME=self.dir, AWS_ACCESS_KEY_ID=MOTO["id"], AWS_SECRET_ACCESS_KEY=secret or MOTO["secret"])
        return sparseio(*args, "--endpoint-url", MOTO["via"], *progress, env=env, timeout=120)

    def requests(self):
        with Proxy.lock:
            return [kind for _, _, kind in Proxy.requests]

    def report(self, proc):
        return json.loads(proc.stdout)

    def test_a_prefix_of_1500_objects_is_listed_in_two_pages_and_a_rerun_sends_only_those(self):
        p = self.run_s3("fetch", "s3://many/big/", self.out + "/", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        r = self.report(p)
        self.assertEqual((r["objects_total"], r["objects_ok"]), (MANY, MANY))
        # One LIST a page, one GET an object, no HEAD: the listing is the identity.
        kinds = self.requests()
        self.assertEqual((kinds.count("LIST"), kinds.count("GET"), kinds.count("HEAD")), (2, MANY, 0))
        self.assertIn("continuation-token=", [path for _, path, k in Proxy.requests if k == "LIST"][1])
        with open(os.path.join(self.out, "07", "o0712.bin"), "rb") as f:
            self.assertEqual(f.read(), b"000712")
        self.assertEqual(len([n for n in tree(self.out) if not n.startswith(".sparseio/")]), MANY)
        with Proxy.lock:
            Proxy.requests.clear()
        p = self.run_s3("fetch", "s3://many/big/", self.out + "/", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.report(p)["fetched_bytes"], 0)
        self.assertEqual(self.requests(), ["LIST", "LIST"])
        # The staged files are ordinary destinations: stat finds every one.
        st = json.loads(sparseio("stat", self.out + "/", "--json").stdout)
        self.assertEqual(st["objects_total"], MANY)

    def test_the_listing_is_signed_and_checked(self):
        self.put("misc", {"sig.bin": b"s" * 7, "sigma/x.bin": b"x" * 9, "other.bin": b"o"})
        set_auth(True)
        try:
            p = self.run_s3("fetch", "s3://misc/sig*", self.out + "/", "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual([o["name"] for o in self.report(p)["objects"]], ["sig.bin"])  # '*' stays in a segment
            p = self.run_s3("fetch", "s3://misc/sig**", self.out + "/", "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual([o["name"] for o in self.report(p)["objects"]], ["sig.bin", "sigma/x.bin"])
            p = self.run_s3("fetch", "s3://misc/sig*", self.path("other") + "/", secret="wrong")
            self.assertEqual(p.returncode, EXIT_MISSING, p.stderr)
            self.assertIn("refused the request signature", p.stderr)
            self.assertIn("LIST", p.stderr)
        finally:
            set_auth(False)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_a_glob_fetches_the_matching_keys_named_below_its_literal_folder(self):
        self.put("misc", {"g/a.parquet": b"a" * 10, "g/x/b.parquet": b"b" * 20, "g/c.txt": b"c",
                          "gg/d.parquet": b"d", "g/x/": b""})
        p = self.run_s3("fetch", "s3://misc/g/**.parquet", self.out + "/", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([o["name"] for o in self.report(p)["objects"]], ["a.parquet", "x/b.parquet"])
        self.assertEqual(self.requests(), ["LIST", "GET", "GET"])
        self.assertIn("prefix=g%2F", Proxy.requests[0][1])  # the literal start is the LIST prefix
        self.assertEqual(tree(self.out), [".sparseio/a.parquet.sparseio", ".sparseio/x/b.parquet.sparseio",
                                          "a.parquet", "x/b.parquet"])
        for cmd in (["verify", "s3://misc/g/x/b.parquet", self.out + "/x/b.parquet"],
                    ["punch", self.out + "/a.parquet", "-r", "0-"]):
            q = self.run_s3(*cmd, progress=()) if cmd[0] == "verify" else sparseio(*cmd)
            self.assertEqual(q.returncode, 0, q.stderr)
        st = json.loads(sparseio("stat", self.out + "/a.parquet", "--json").stdout)
        self.assertEqual(st["present_bytes"], 0)

    def test_a_prefix_or_glob_that_lists_nothing_is_exit_6_naming_it(self):
        for src, why in (("s3://misc/nothing/", "no objects under this prefix"),
                         ("s3://misc/g*/none.*", "no key matches the pattern")):
            p = self.run_s3("fetch", src, self.out + "/")
            self.assertEqual(p.returncode, EXIT_MISSING, p.stderr)
            self.assertIn(src, p.stderr)
            self.assertIn(why, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertFalse(os.path.exists(self.out))

    def test_hostile_keys_fail_alone_and_nothing_is_written_outside(self):
        self.put("misc", {"h/../escape": b"evil", "h/inner/x.bin": b"through a link", "h/ok.bin": b"fine"})
        outside = os.path.join(self.dir, "outside")
        os.makedirs(outside)
        os.makedirs(self.out)
        os.symlink(outside, os.path.join(self.out, "inner"))
        p = self.run_s3("fetch", "s3://misc/h/", self.out + "/", "--json")
        self.assertEqual(p.returncode, 1, p.stderr)  # two kinds of failure: 1
        self.assertEqual(os.listdir(outside), [])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escape")))
        by_name = {o["name"]: o for o in self.report(p)["objects"]}
        self.assertEqual(by_name["../escape"]["error"]["kind"], "usage")
        self.assertIn("symbolic link", by_name["inner/x.bin"]["error"]["message"])
        self.assertIn("report", by_name["ok.bin"])
        self.assertIn("2 of 3 objects failed", p.stderr)
        self.assertIn("../escape (s3://misc/h/../escape)", p.stderr)
        self.assertEqual(self.requests().count("GET"), 1)  # the refused keys were never asked for

    def test_deleted_or_overwritten_between_listing_and_get_is_a_changed_source(self):
        self.put("misc", {"r/a.bin": b"a" * 100, "r/gone.bin": b"g" * 100, "r/over.bin": b"o" * 100})

        def race():  # after S3 answered the LIST, before sparseio reads it
            self.s3.delete_object(Bucket="misc", Key="r/gone.bin")
            self.s3.put_object(Bucket="misc", Key="r/over.bin", Body=b"O" * 100)
        Proxy.hook["after_list"] = race
        p = self.run_s3("fetch", "s3://misc/r/", self.out + "/", "--json")
        self.assertEqual(p.returncode, EXIT_CHANGED, p.stderr)
        by_name = {o["name"]: o for o in self.report(p)["objects"]}
        self.assertEqual(by_name["gone.bin"]["error"]["kind"], "source_changed")
        self.assertIn("deleted since the listing", by_name["gone.bin"]["error"]["message"])
        self.assertEqual(by_name["over.bin"]["error"]["kind"], "source_changed")
        self.assertIn("If-Match", by_name["over.bin"]["error"]["message"])
        self.assertEqual(by_name["a.bin"]["report"]["present_bytes"], 100)
        self.assertIn("gone.bin (s3://misc/r/gone.bin)", p.stderr)
        self.assertIn("over.bin (s3://misc/r/over.bin)", p.stderr)
        # No false claim: nothing of the new over.bin is recorded as the old one's.
        st = {o["name"]: o for o in json.loads(sparseio("stat", self.out, "--json").stdout)["objects"]}
        self.assertEqual(st["over.bin"]["report"]["present_bytes"], 0)
        self.assertNotIn("HEAD", self.requests())

    def test_fail_fast_starts_no_object_after_the_first_failure(self):
        self.put("misc", {"f/../bad": b"x", **{f"f/k{i:02d}.bin": b"k" for i in range(24)}})
        p = self.run_s3("fetch", "s3://misc/f/", self.out + "/", "--json", "--fail-fast")
        self.assertEqual(p.returncode, EXIT_USAGE, p.stderr)
        r = self.report(p)
        self.assertEqual(r["objects"][0]["name"], "../bad")  # listed first: '.' sorts before 'k'
        self.assertGreater(r["objects_not_attempted"], 0, r)
        self.assertLess(self.requests().count("GET"), 24)


if __name__ == "__main__":
    unittest.main()
