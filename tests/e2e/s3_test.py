"""End-to-end tests of s3://BUCKET/KEY sources against moto_server on
127.0.0.1, started once for the file. moto checks SigV4 (and IAM policies)
once INITIAL_NO_AUTH_ACTION_COUNT requests have passed: the first few create
an IAM user with an access key; everything after is signed for real.

Known faults of moto 5.2.1 that these tests work around (the signer is proven
on them by the botocore table of tests/unit/source/s3/sigv4_test.cc):
 - its signature check refuses keys with '=', '+', spaces, quotes, '%',
   unicode... even when botocore signed them: such keys are tested with
   checking switched off (/moto-api/reset-auth) and --no-sign-request, which
   still proves their URI encoding end to end;
 - with checking on, a request without an Authorization header (anonymous,
   presigned) gets a 500: those are tested with checking switched off too.
"""

import io
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
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import boto3
    import botocore.config
    import requests
except ImportError as missing:
    boto3 = None
    MISSING = missing.name
else:
    MISSING = None if shutil.which("moto_server") else "moto_server"

from e2e_util import pattern, sparseio
import mount_test  # noqa: E402  (its Mount, cache_file and MISSING; its tests stay in its own file)

EXIT_ACCESS = 6  # the source is missing or access is denied
# The source changed since DST was started.
EXIT_CHANGED = (4,)
SIZE = (3 << 20) + 12345
MOTO = {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(service, key_id, secret, token=None, **config):
    return boto3.client(service, endpoint_url=MOTO["endpoint"], region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
                        config=botocore.config.Config(retries={"max_attempts": 1}, **config))


def set_auth(on):
    """Switches moto's signature checking on or off (it counts requests)."""
    r = requests.post(MOTO["endpoint"] + "/moto-api/reset-auth", data=b"0" if on else b"1000000000", timeout=10)
    r.raise_for_status()


def setUpModule():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = free_port()
    MOTO["log"] = tempfile.NamedTemporaryFile(prefix="sparseio-moto-", suffix=".log", delete=False)
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="4")
    env = {k: v for k, v in env.items() if "proxy" not in k.lower() and not k.startswith("AWS_")}
    MOTO["proc"] = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=MOTO["log"])
    MOTO["endpoint"] = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or MOTO["proc"].poll() is not None:
                raise RuntimeError("moto_server did not start")
            time.sleep(0.1)
    # The 4 unchecked requests: an admin user with a policy and a key, and a
    # user without any policy.
    iam = client("iam", "x", "x")
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    iam.create_user(UserName="nobody")
    MOTO["id"], MOTO["secret"] = key["AccessKeyId"], key["SecretAccessKey"]
    iam = client("iam", MOTO["id"], MOTO["secret"])  # signed from here on
    nobody = iam.create_access_key(UserName="nobody")["AccessKey"]
    MOTO["nobody"] = (nobody["AccessKeyId"], nobody["SecretAccessKey"])
    s3 = client("s3", MOTO["id"], MOTO["secret"])
    MOTO["s3"] = s3
    s3.create_bucket(Bucket="plain")
    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="plain", Key="obj.bin", Body=pattern(0, SIZE, seed=3))


def tearDownModule():
    MOTO["proc"].terminate()
    try:
        MOTO["proc"].wait(10)
    except subprocess.TimeoutExpired:
        MOTO["proc"].kill()
    MOTO["log"].close()
    os.unlink(MOTO["log"].name)


class S3Test(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sparseio-s3-")
        self.home = os.path.join(self.dir, "home")
        os.makedirs(os.path.join(self.home, ".aws"))
        self.s3 = MOTO["s3"]

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self, **extra):
        """A clean environment: HOME without AWS files, the admin's keys unless overridden."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and "proxy" not in k.lower()}
        env.update(HOME=self.home, AWS_ACCESS_KEY_ID=MOTO["id"], AWS_SECRET_ACCESS_KEY=MOTO["secret"])
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def run_s3(self, *args, env=None):
        return sparseio(*args, "--endpoint-url", MOTO["endpoint"], env=env or self.env())

    def fetch_json(self, *args, env=None):
        proc = self.run_s3("fetch", *args, "--json", env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def path(self, name):
        return os.path.join(self.dir, name)

    def assert_ranges(self, dst, expected, ranges):
        with open(dst, "rb") as f:
            for b, e in ranges:
                f.seek(b)
                self.assertEqual(f.read(e - b), expected[b:e], f"bytes {b}-{e - 1}")

    def test_a_mount_of_an_s3_object_reads_byte_exact_on_demand_and_keeps_its_cache(self):
        """`sparseio mount s3://...` end to end (signed requests, the endpoint
        and keys as for fetch): pread through the mount, then the cache file
        holds those blocks and not the whole object, and stat reads it."""
        if mount_test.MISSING:
            self.skipTest(mount_test.MISSING)
        mnt, cache = self.path("mnt"), self.path("cache")
        os.makedirs(mnt)
        expected = pattern(0, SIZE, seed=3)
        with mount_test.Mount(["s3://plain/obj.bin"], mnt, cache, "--endpoint-url", MOTO["endpoint"],
                              env=self.env()) as m:
            self.assertEqual(os.listdir(mnt), ["obj.bin"])
            self.assertEqual(os.path.getsize(m.path("obj.bin")), SIZE)
            fd = os.open(m.path("obj.bin"), os.O_RDONLY)
            try:
                for at in (0, 2 << 20, SIZE - 100):
                    self.assertEqual(os.pread(fd, 100, at), expected[at:at + 100], f"at {at}")
            finally:
                os.close(fd)
            self.assertEqual(m.stop(), 0, m.stderr())
        data = mount_test.cache_file(cache, "obj.bin")
        st = json.loads(sparseio("stat", data, "--json").stdout)
        self.assertGreater(st["present_bytes"], 0)
        self.assertLess(st["present_bytes"], SIZE)  # on demand: not the whole object
        self.assert_ranges(data, expected, [(0, 100), (2 << 20, (2 << 20) + 100), (SIZE - 100, SIZE)])

    def test_ranged_then_whole_fetch_is_byte_exact_and_a_rerun_fetches_nothing(self):
        dst = self.path("obj.bin")
        expected = pattern(0, SIZE, seed=3)
        r = self.fetch_json("s3://plain/obj.bin", dst, "-r", "0-99,1048576+5000", "-r", "-64K")
        self.assertEqual(r["fetched_bytes"], 100 + 5000 + 65536)
        # A remote source: the scheduler follows the link, as for URLs.
        self.assertEqual((r["concurrency"], r["coalescing"]), ("link", "link"), r)
        self.assertEqual(os.path.getsize(dst), SIZE)
        self.assert_ranges(dst, expected, [(0, 100), (1048576, 1053576), (SIZE - 65536, SIZE)])
        r = self.fetch_json("s3://plain/obj.bin", dst, "--chunk-size", "1M")
        self.assertEqual(r["present_bytes"], SIZE)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), expected)
        r = self.fetch_json("s3://plain/obj.bin", dst)
        self.assertEqual(r["fetched_bytes"], 0)
        self.assertEqual(r["requests"], 0)
        proc = self.run_s3("verify", "s3://plain/obj.bin", dst)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # The sidecar records the ETag, never a secret.
        with open(dst + ".sparseio", "rb") as f:
            sidecar = f.read()
        self.assertIn(self.s3.head_object(Bucket="plain", Key="obj.bin")["ETag"].encode(), sidecar)
        self.assertNotIn(MOTO["secret"].encode(), sidecar)

    def test_cat_reads_through(self):
        proc = self.run_s3("cat", "s3://plain/obj.bin", self.path("c.bin"), "-r", "10-19,-5")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        expected = pattern(0, SIZE, seed=3)
        self.assertEqual(proc.stdout, expected[10:20] + expected[-5:])

    def test_cat_without_a_destination_streams_and_stores_nothing(self):
        proc = self.run_s3("cat", "s3://plain/obj.bin", "-r", "-5,10-19")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        expected = pattern(0, SIZE, seed=3)
        self.assertEqual(proc.stdout, expected[-5:] + expected[10:20])
        self.assertEqual(os.listdir(self.dir), ["home"])

    def test_verify_repair_fetches_the_corrupted_block_again(self):
        dst = self.path("rep.bin")
        self.fetch_json("s3://plain/obj.bin", dst, "-r", "0-199999")
        with open(dst, "r+b") as f:
            f.seek(123456)
            f.write(b"\xff\x00\xff")
        proc = self.run_s3("verify", "s3://plain/obj.bin", dst)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        proc = self.run_s3("verify", "--repair", "--json", "s3://plain/obj.bin", dst)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(json.loads(proc.stdout)["identical"], proc.stdout)
        self.assert_ranges(dst, pattern(0, SIZE, seed=3), [(0, 200000)])

    def test_another_key_with_the_same_bytes_does_not_continue_a_destination(self):
        # Same bytes, so the same size and ETag: only the name tells them apart.
        self.s3.put_object(Bucket="plain", Key="twin.bin", Body=pattern(0, SIZE, seed=3))
        dst = self.path("twin.bin")
        self.fetch_json("s3://plain/obj.bin", dst, "-r", "0-99")
        proc = self.run_s3("fetch", "s3://plain/twin.bin", dst, "-r", "100-199")
        self.assertIn(proc.returncode, EXIT_CHANGED, proc.stderr)
        self.assertIn("URL s3://plain/obj.bin -> s3://plain/twin.bin", proc.stderr)
        self.assertEqual(self.fetch_json("s3://plain/obj.bin", dst, "-r", "100-199")["fetched_bytes"], 100)

    def test_plan_of_a_zip_member_then_fetch_plan(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            z.writestr("a.txt", pattern(0, 50000, seed=21))
            z.writestr("b.txt", pattern(0, 70000, seed=22))
        self.s3.put_object(Bucket="plain", Key="m.zip", Body=buf.getvalue())
        proc = self.run_s3("plan", "s3://plain/m.zip", "--select", "zip:b.txt", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        manifest = json.loads(proc.stdout)
        self.assertEqual(manifest["source"], "s3://plain/m.zip")
        self.assertEqual(manifest["identity"]["etag"],
                         self.s3.head_object(Bucket="plain", Key="m.zip")["ETag"])
        plan = self.path("plan.json")
        with open(plan, "wb") as f:
            f.write(proc.stdout)
        dst = self.path("m.zip")
        r = self.fetch_json("--plan", plan, dst)
        self.assertLess(r["present_bytes"], len(buf.getvalue()))
        with zipfile.ZipFile(buf) as z:
            info = z.getinfo("b.txt")
        # The member's data follows its local header (30 bytes, name, extra).
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        self.assert_ranges(dst, buf.getvalue(), [(start, start + info.compress_size)])

    def test_wrong_secret_is_refused_with_the_signature_message(self):
        proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("w.bin"), "-r", "0-9",
                           env=self.env(AWS_SECRET_ACCESS_KEY="not-the-secret"))
        self.assertEqual(proc.returncode, EXIT_ACCESS, proc.stderr)
        self.assertIn("refused the request signature", proc.stderr)
        self.assertIn("SignatureDoesNotMatch", proc.stderr)
        # Where the secret came from: its own variable, not the key id's.
        self.assertIn("check the secret access key from the environment (AWS_SECRET_ACCESS_KEY)", proc.stderr)
        self.assertNotIn("not-the-secret", proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertFalse(os.path.exists(self.path("w.bin")))

    def test_unknown_access_key(self):
        proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("u.bin"),
                           env=self.env(AWS_ACCESS_KEY_ID="AKIANOSUCHKEY0000000"))
        self.assertEqual(proc.returncode, EXIT_ACCESS, proc.stderr)
        self.assertIn("InvalidAccessKeyId", proc.stderr)

    def test_missing_key_and_bucket(self):
        proc = self.run_s3("fetch", "s3://plain/no/such/key", self.path("m.bin"))
        self.assertEqual(proc.returncode, EXIT_ACCESS, proc.stderr)
        self.assertIn("s3://plain/no/such/key: no such object (S3 NoSuchKey", proc.stderr)
        proc = self.run_s3("fetch", "s3://nosuchbucket/k", self.path("m.bin"))
        self.assertEqual(proc.returncode, EXIT_ACCESS, proc.stderr)
        self.assertIn("no such bucket (S3 NoSuchBucket", proc.stderr)

    def test_access_denied(self):
        key_id, secret = MOTO["nobody"]
        proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("d.bin"),
                           env=self.env(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret))
        self.assertEqual(proc.returncode, EXIT_ACCESS, proc.stderr)
        self.assertIn("access denied", proc.stderr)
        self.assertIn("AccessDenied", proc.stderr)

    def test_no_credentials_names_what_was_looked_for(self):
        proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("n.bin"),
                           env=self.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None))
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("no AWS credentials found", proc.stderr)
        self.assertIn(os.path.join(self.home, ".aws/credentials"), proc.stderr)
        self.assertIn("--no-sign-request", proc.stderr)

    def test_an_overwrite_between_runs_is_a_changed_source(self):
        self.s3.put_object(Bucket="plain", Key="over.bin", Body=pattern(0, 200000, seed=4))
        dst = self.path("over.bin")
        self.fetch_json("s3://plain/over.bin", dst, "-r", "0-999")
        self.s3.put_object(Bucket="plain", Key="over.bin", Body=pattern(0, 200000, seed=5))  # same size
        proc = self.run_s3("fetch", "s3://plain/over.bin", dst, "-r", "1000-1999")
        self.assertIn(proc.returncode, EXIT_CHANGED, proc.stderr)
        self.assertIn("changed", proc.stderr)
        self.assertIn("ETag", proc.stderr)

    def test_an_overwrite_during_a_run_is_caught_by_if_match(self):
        size = 4 << 20
        self.s3.put_object(Bucket="plain", Key="during.bin", Body=pattern(0, size, seed=6))
        dst = self.path("during.bin")
        proc = subprocess.Popen(
            [os.environ.get("SPARSEIO", "build/app/sparseio"), "fetch", "s3://plain/during.bin", dst,
             "--endpoint-url", MOTO["endpoint"], "-j", "1", "--chunk-size", "64K"],
            env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Once the first pieces are recorded, stop sparseio, overwrite the
        # object, let it go on: its next GETs carry If-Match with the old
        # ETag and get 412.
        deadline = time.monotonic() + 60
        while not os.path.exists(dst + ".sparseio") or os.path.getsize(dst + ".sparseio") < 300:
            self.assertIsNone(proc.poll(), "the fetch ended before the overwrite: make the object bigger")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.005)
        proc.send_signal(signal.SIGSTOP)
        try:
            self.s3.put_object(Bucket="plain", Key="during.bin", Body=pattern(0, size, seed=7))
        finally:
            proc.send_signal(signal.SIGCONT)
        _, err = proc.communicate(timeout=120)
        self.assertIn(proc.returncode, EXIT_CHANGED, err)
        self.assertIn("412 Precondition Failed to If-Match", err)
        # What was recorded is the old version's bytes.
        old = pattern(0, size, seed=6)
        ranges = json.loads(sparseio("stat", dst, "--json").stdout)
        self.assertGreater(ranges["present_bytes"], 0)
        proc = self.run_s3("verify", "s3://plain/during.bin", dst)
        self.assertEqual(proc.returncode, 3, proc.stderr)  # the new version differs from what is present
        with open(dst, "rb") as f:
            head = f.read(65536)
        self.assertEqual(head, old[:65536])

    def test_a_versioned_object_stays_pinned_to_its_first_version(self):
        v1 = pattern(0, 300000, seed=8)
        self.s3.put_object(Bucket="versioned", Key="v.bin", Body=v1)
        dst = self.path("v.bin")
        self.fetch_json("s3://versioned/v.bin", dst, "-r", "0-9999")
        with open(dst + ".sparseio", "rb") as f:
            first_version = self.s3.head_object(Bucket="versioned", Key="v.bin")["VersionId"]
            self.assertIn(first_version.encode(), f.read())
        self.s3.put_object(Bucket="versioned", Key="v.bin", Body=pattern(0, 300000, seed=9))
        proc = self.run_s3("fetch", "s3://versioned/v.bin", dst, "-v")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(first_version, proc.stderr)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), v1)
        proc = self.run_s3("verify", "s3://versioned/v.bin", dst)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # --restart lets go of the old version: the new one is fetched.
        r = self.fetch_json("s3://versioned/v.bin", dst, "--restart")
        self.assertEqual(r["fetched_bytes"], 300000)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), pattern(0, 300000, seed=9))

    def test_temporary_credentials_with_a_session_token(self):
        iam = client("iam", MOTO["id"], MOTO["secret"])
        role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        creds = client("sts", MOTO["id"], MOTO["secret"]).assume_role(
            RoleArn=role["Role"]["Arn"], RoleSessionName="sparseio")["Credentials"]
        env = self.env(AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                       AWS_SESSION_TOKEN=creds["SessionToken"])
        dst = self.path("t.bin")
        proc = self.run_s3("fetch", "s3://plain/obj.bin", dst, "-r", "0-4095", "-vvv", env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assert_ranges(dst, pattern(0, SIZE, seed=3), [(0, 4096)])
        # -vvv shows the request headers, but no secret, token or signature.
        self.assertIn("x-amz-security-token: <redacted>", proc.stderr)
        self.assertIn("Authorization: <redacted>", proc.stderr)
        for secret in (creds["SecretAccessKey"], creds["SessionToken"], MOTO["secret"]):
            self.assertNotIn(secret, proc.stderr)
        env["AWS_SESSION_TOKEN"] = "bogus"
        proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("t2.bin"), env=env)
        self.assertEqual(proc.returncode, EXIT_ACCESS, proc.stderr)
        self.assertIn("session token", proc.stderr)

    def test_a_profile_from_the_config_file_and_a_credential_process(self):
        conf = os.path.join(self.dir, "aws.conf")
        proc_script = os.path.join(self.dir, "creds.sh")
        with open(proc_script, "w") as f:
            f.write("#!/bin/sh\nprintf '%s' '" + json.dumps(
                {"Version": 1, "AccessKeyId": MOTO["id"], "SecretAccessKey": MOTO["secret"]}) + "'\n")
        os.chmod(proc_script, 0o700)
        with open(conf, "w") as f:
            f.write(f"[profile ci]\naws_access_key_id = {MOTO['id']}\naws_secret_access_key = {MOTO['secret']}\n"
                    f"region = us-east-1\nendpoint_url = {MOTO['endpoint']}\n\n"
                    f"[profile proc]\ncredential_process = {proc_script}\n"
                    f"[profile bad]\naws_access_key_id = {MOTO['id']}\naws_secret_access_key = wrong\n")
        # No keys in the environment; the endpoint comes from the profile too.
        env = self.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_CONFIG_FILE=conf)
        dst = self.path("p.bin")
        proc = sparseio("fetch", "s3://plain/obj.bin", dst, "-r", "0-999", "--profile", "ci", "-v", env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn('profile "ci"', proc.stderr)
        self.assertIn("endpoint_url of profile", proc.stderr)
        self.assert_ranges(dst, pattern(0, SIZE, seed=3), [(0, 1000)])
        proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("p2.bin"), "-r", "0-999",
                           env=dict(env, AWS_PROFILE="proc"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("p3.bin"), "--profile", "bad", env=env)
        self.assertEqual(proc.returncode, EXIT_ACCESS, proc.stderr)
        self.assertIn(f'profile "bad" in {conf}', proc.stderr)
        proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("p4.bin"), "--profile", "nope", env=env)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn('AWS profile "nope" not found', proc.stderr)

    def test_awkward_keys_moto_can_check(self):
        # Keys moto's own signature check accepts: signed requests end to end.
        for i, key in enumerate(["double//slash///x", "tilde~and-dash_under.score", "dots/../x/./y",
                                 "trailing/", "/leading", "tab\tin-key"]):
            body = pattern(0, 5000 + i, seed=20 + i)
            self.s3.put_object(Bucket="plain", Key=key, Body=body)
            dst = self.path(f"k{i}.bin")
            proc = self.run_s3("fetch", "s3://plain/" + key, dst)
            self.assertEqual(proc.returncode, 0, f"{key!r}: {proc.stderr}")
            with open(dst, "rb") as f:
                self.assertEqual(f.read(), body, repr(key))

    def test_awkward_keys_unsigned(self):
        # Keys moto refuses to check: uploaded and fetched with checking off,
        # anonymously, which still proves the URI encoding of the key.
        keys = ["sp ace/and+plus=eq&amp.bin", "pct%41%2F%zz.bin", "unicode/\u00e9t\u00e9/\u65e5\u672c/\u1234.bin",
                "quote'\"bang!star*(paren)", "hash#q?uestion[x]{y}", "emoji-\U0001F600"]
        set_auth(False)
        try:
            for i, key in enumerate(keys):
                body = pattern(0, 4000 + i, seed=40 + i)
                self.s3.put_object(Bucket="plain", Key=key, Body=body, ACL="public-read")
                dst = self.path(f"a{i}.bin")
                proc = self.run_s3("fetch", "s3://plain/" + key, dst, "--no-sign-request")
                self.assertEqual(proc.returncode, 0, f"{key!r}: {proc.stderr}")
                with open(dst, "rb") as f:
                    self.assertEqual(f.read(), body, repr(key))
        finally:
            set_auth(True)

    def test_public_bucket_with_no_sign_request(self):
        set_auth(False)
        try:
            self.s3.put_object(Bucket="plain", Key="public.bin", Body=pattern(0, 70000, seed=11), ACL="public-read")
            self.s3.put_object(Bucket="plain", Key="private.bin", Body=b"p" * 100)
            dst = self.path("pub.bin")
            proc = self.run_s3("fetch", "s3://plain/public.bin", dst, "--no-sign-request", "-vvv",
                               env=self.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertNotIn("Authorization", proc.stderr)  # nothing signed
            with open(dst, "rb") as f:
                self.assertEqual(f.read(), pattern(0, 70000, seed=11))
            # Without the public ACL, anonymous access is denied.
            proc = self.run_s3("fetch", "s3://plain/private.bin", self.path("priv.bin"), "--no-sign-request")
            self.assertEqual(proc.returncode, EXIT_ACCESS, proc.stderr)
            self.assertIn("access denied to the credentials from --no-sign-request", proc.stderr)
        finally:
            set_auth(True)

    def test_presigned_url_as_a_plain_url_with_its_signature_hidden(self):
        s3v4 = client("s3", MOTO["id"], MOTO["secret"], signature_version="s3v4")
        url = s3v4.generate_presigned_url("get_object", Params={"Bucket": "plain", "Key": "obj.bin"},
                                          ExpiresIn=600)
        signature = url.split("X-Amz-Signature=")[1].split("&")[0]
        credential = url.split("X-Amz-Credential=")[1].split("&")[0]
        set_auth(False)  # moto answers 500 to requests without an Authorization header while checking
        try:
            dst = self.path("pre.bin")
            proc = sparseio("fetch", url, dst, "-r", "0-99,-100", "-vv", env=self.env())
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assert_ranges(dst, pattern(0, SIZE, seed=3), [(0, 100), (SIZE - 100, SIZE)])
            self.assertIn("X-Amz-Signature=***", proc.stderr)
            self.assertNotIn(signature, proc.stderr)
            self.assertNotIn(credential, proc.stderr)
            # An error message hides them too.
            bad = url.replace("obj.bin", "missing.bin")
            proc = sparseio("fetch", bad, self.path("pre2.bin"), "--retries", "0", env=self.env())
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("X-Amz-Credential=***", proc.stderr)
            self.assertNotIn(signature, proc.stderr)
        finally:
            set_auth(True)

    def test_help_names_the_s3_options_and_an_example(self):
        for command in ("fetch", "cat", "verify", "plan"):
            out = sparseio(command, "--help").stdout.decode()
            for option in ("--profile", "--region", "--endpoint-url", "--no-sign-request", "--s3-path-style"):
                self.assertIn(option, out, command)
        self.assertIn("s3://my-bucket/data.parquet", sparseio("fetch", "--help").stdout.decode())

    def test_no_secret_is_accepted_on_the_command_line(self):
        for flag in ("--aws-secret-access-key", "--secret-access-key", "--access-key"):
            proc = self.run_s3("fetch", "s3://plain/obj.bin", self.path("x.bin"), flag, "s")
            self.assertEqual(proc.returncode, 2, proc.stderr)

    def test_source_conformance_kit(self):
        path = self.path("conf.bin")
        body = pattern(0, (1 << 20) + 777, seed=12)
        with open(path, "wb") as f:
            f.write(body)
        self.s3.put_object(Bucket="plain", Key="conformance.bin", Body=body)
        self.s3.put_object(Bucket="plain", Key="conformance-gone.bin", Body=body)
        spoil = (f"{sys.executable} -c \"import boto3; boto3.client('s3', endpoint_url='{MOTO['endpoint']}', "
                 f"region_name='us-east-1', aws_access_key_id='{MOTO['id']}', "
                 f"aws_secret_access_key='{MOTO['secret']}').delete_object(Bucket='plain', "
                 f"Key='conformance-gone.bin')\"")
        env = self.env(AWS_ENDPOINT_URL=MOTO["endpoint"], SPARSEIO_CONFORMANCE_S3_URI="s3://plain/conformance.bin",
                       SPARSEIO_CONFORMANCE_S3_GONE_URI="s3://plain/conformance-gone.bin",
                       SPARSEIO_CONFORMANCE_FILE=path, SPARSEIO_CONFORMANCE_SPOIL=spoil)
        proc = subprocess.run([os.environ["SPARSEIO_S3_CONFORMANCE"]], env=env, capture_output=True, text=True,
                              timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stdout[-4000:] + proc.stderr[-2000:])
        self.assertIn("Status: SUCCESS", proc.stdout)


class FakeS3(BaseHTTPRequestHandler):
    """What moto cannot do: a bucket in another region (301 with
    x-amz-bucket-region to requests signed for any other), 503 SlowDown
    to the first GETs, and 503 to the first HEADs. Records the signing region
    of each request."""
    body = pattern(0, 100000, seed=13)
    region = "eu-west-3"
    slowdowns = 0
    head_failures = 0
    log = []

    def log_message(self, *args):
        pass

    def answer(self, head):
        auth = self.headers.get("Authorization", "")
        scope = auth.split("Credential=")[1].split("/")[2] if "Credential=" in auth else ""
        FakeS3.log.append((self.command, scope, self.headers.get("Range")))
        if scope != self.region:
            xml = (b"<?xml version=\"1.0\"?><Error><Code>PermanentRedirect</Code><Message>elsewhere</Message>"
                   b"<Region>" + self.region.encode() + b"</Region></Error>")
            self.send_response(301)
            self.send_header("x-amz-bucket-region", self.region)
            self.send_header("Content-Length", "0" if head else str(len(xml)))
            self.end_headers()
            if not head:
                self.wfile.write(xml)
            return
        if head and FakeS3.head_failures > 0:
            FakeS3.head_failures -= 1
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not head and FakeS3.slowdowns > 0:
            FakeS3.slowdowns -= 1
            xml = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(xml)))
            self.end_headers()
            self.wfile.write(xml)
            return
        rng = self.headers.get("Range")
        b, e = 0, len(self.body) - 1
        if rng:
            first, last = rng.split("=")[1].split("-")
            b, e = int(first), min(int(last), len(self.body) - 1)
        self.send_response(206 if rng else 200)
        self.send_header("ETag", '"fake-etag"')
        self.send_header("Content-Length", str(e - b + 1) if not head else str(len(self.body)))
        if rng:
            self.send_header("Content-Range", f"bytes {b}-{e}/{len(self.body)}")
        self.end_headers()
        if not head:
            self.wfile.write(self.body[b:e + 1])

    def do_HEAD(self):
        self.answer(True)

    def do_GET(self):
        self.answer(False)


class FakeS3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.endpoint = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sparseio-fake-s3-")
        FakeS3.log = []
        FakeS3.slowdowns = 0
        FakeS3.head_failures = 0

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_fake(self, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and "proxy" not in k.lower()}
        env.update(HOME=self.dir, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret")
        return sparseio(*args, "--endpoint-url", self.endpoint, env=env)

    def test_the_bucket_region_of_a_301_is_followed_once(self):
        dst = os.path.join(self.dir, "r.bin")
        proc = self.run_fake("fetch", "s3://b/k", dst, "-r", "0-999", "-v")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("the bucket is in region eu-west-3, not us-east-1", proc.stderr)
        self.assertEqual(FakeS3.log[0][:2], ("HEAD", "us-east-1"))
        self.assertTrue(all(scope == "eu-west-3" for _, scope, _ in FakeS3.log[1:]), FakeS3.log)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(1000), FakeS3.body[:1000])
        # A region given explicitly is used from the first request.
        FakeS3.log = []
        proc = self.run_fake("fetch", "s3://b/k", os.path.join(self.dir, "r2.bin"), "-r", "0-9", "--region",
                             "eu-west-3")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(FakeS3.log[0][:2], ("HEAD", "eu-west-3"))
        # A region configured wrongly is an error that names the right one.
        proc = self.run_fake("fetch", "s3://b/k", os.path.join(self.dir, "r3.bin"), "--region", "us-west-1")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("the bucket is in region eu-west-3, not us-west-1 (from --region): use --region eu-west-3",
                      proc.stderr)

    def test_slowdown_is_retried_with_fewer_parallel_requests(self):
        FakeS3.slowdowns = 3
        dst = os.path.join(self.dir, "s.bin")
        proc = self.run_fake("fetch", "s3://b/k", dst, "--region", "eu-west-3", "--chunk-size", "8K", "-j", "4",
                             "-v")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("503 Service Unavailable", proc.stderr)
        self.assertIn("the server asks to slow down: at most 2 parallel requests now", proc.stderr)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), FakeS3.body)

    def test_discovery_retries_like_the_http_source_and_gives_up_as_a_network_failure(self):
        # The HEAD runs the HTTP wing's retry loop: retried, and said so.
        FakeS3.head_failures = 2
        dst = os.path.join(self.dir, "h.bin")
        proc = self.run_fake("fetch", "s3://b/k", dst, "--region", "eu-west-3", "-r", "0-99", "--no-progress")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("s3://b/k: HEAD: HTTP 503 Service Unavailable; retry 1 of 5", proc.stderr)
        self.assertIn("retry 2 of 5", proc.stderr)
        # Past --retries: exit 7 (worth retrying later), the last cause named.
        FakeS3.head_failures = 100
        proc = self.run_fake("fetch", "s3://b/k", os.path.join(self.dir, "h2.bin"), "--region", "eu-west-3",
                             "--retries", "1", "--no-progress")
        self.assertEqual(proc.returncode, 7, proc.stderr)
        self.assertIn("s3://b/k: HEAD: giving up after 1 retry: HTTP 503 Service Unavailable", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "h2.bin")))


if __name__ == "__main__":
    if MISSING:
        # Debian packages neither moto nor a boto3 this recent: without them
        # the whole file is skipped (exit 77, counted as skipped), not failed.
        print(f"e2e_s3: skipped: {MISSING} is missing (pip install 'moto[server]==5.2.1' boto3)")
        sys.exit(77)
    unittest.main(verbosity=2)
