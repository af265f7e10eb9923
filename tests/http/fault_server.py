"""A misbehaving HTTP/1.1 server on 127.0.0.1 for the fault tests.

Serves the files of a directory as /MODE/NAME?PARAMS. MODE chooses the
misbehaviour; PARAMS tune it, and since counters are kept per full path
(query included), a test gets fresh state by adding e.g. ?t=testname.

  ok              a correct server: ranges, strong ETag, Last-Modified, If-Range
  ignore-range    answers every GET with 200 and the whole object
  wrong-range     answers bytes=A-B with Content-Range A+1-B (and those bytes)
  bad-length      a correct Content-Range but a Content-Length one byte short
  truncated       the first `fails` (1) ranged GETs end cleanly (chunked) halfway
  drop            the first `fails` (1) ranged GETs close the connection halfway
  503             the first `fails` (1) ranged GETs get 503 Service Unavailable
  429             the first `fails` (1) ranged GETs get 429 with Retry-After: `after` (1)
  etag-change     after `after` (1) ranged GETs the object is NAME.v2 (new ETag);
                  If-Range is honoured unless honour=0 (then: 206 with the new ETag)
  no-length-head  HEAD has no Content-Length (ranges work)
  no-size         HEAD has no Content-Length and Content-Range totals are "*"
  416             every ranged GET gets 416 with Content-Range: bytes */SIZE
  redirect-file   302 to file:///etc/passwd
  redirect        302 to the URL in `to`
  slow            the first `fails` (1) ranged GETs trickle `rate` (200) bytes/s
  hang            the first `fails` (1) ranged GETs get no answer for 20 s
  auth            401 unless Authorization: Bearer secret (then as ok)
  junk-prefix     the first `fails` (1) ranged GETs get a correct 206 (chunked) whose
                  body has `junk` (100) bytes in front of the data: longer than
                  its Content-Range
  multipart       a 206 with a correct Content-Range and Content-Length but a
                  multipart/byteranges body (Content-Type) of that length
  cut             every ranged GET sends at most `cut` (65536) bytes, then closes
  http09          the first `fails` (1) ranged GETs get bytes with no status line
  huge            HEAD has no Content-Length; a bytes=0-0 GET says the total is `total`
  weak-etag       ETag W/"..." and no Last-Modified (ranges work)
"""

import email.utils
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

V1_DATE = email.utils.formatdate(1735689600, usegmt=True)  # 2025-01-01
V2_DATE = email.utils.formatdate(1735776000, usegmt=True)  # 2025-01-02


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up early are part of the tests


class FaultServer:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.lock = threading.Lock()
        self.requests = []   # dicts: method, path, query, headers, time
        self.counters = {}
        self._cache = {}
        handler = type("Handler", (_Handler,), {"fault": self})
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.counters.clear()
            self._cache.clear()

    def requests_for(self, needle):
        with self.lock:
            return [r for r in self.requests if needle in r["path"]]

    def bump(self, key):
        """Number of earlier ranged GETs for key; counts this one."""
        with self.lock:
            n = self.counters.get(key, 0)
            self.counters[key] = n + 1
            return n

    def peek(self, key):
        """Number of ranged GETs for key so far."""
        with self.lock:
            return self.counters.get(key, 0)

    def content(self, name):
        path = os.path.join(self.root, name)
        st = os.stat(path)
        key = (path, st.st_mtime_ns, st.st_size)
        if key not in self._cache:
            with open(path, "rb") as f:
                self._cache[key] = f.read()
        return self._cache[key]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fault = None

    def log_message(self, *args):
        pass

    # --- helpers -----------------------------------------------------------

    def _parse(self):
        u = urllib.parse.urlsplit(self.path)
        parts = u.path.lstrip("/").split("/", 1)
        self.mode = parts[0]
        self.name = parts[1] if len(parts) > 1 else ""
        self.params = dict(urllib.parse.parse_qsl(u.query))
        with self.fault.lock:
            self.fault.requests.append({"method": self.command, "path": self.path, "query": self.params,
                                        "headers": {k.lower(): v for k, v in self.headers.items()},
                                        "time": time.time()})

    def _param(self, name, default):
        return type(default)(self.params.get(name, default))

    def _version(self, ranged_gets_before):
        """(data, etag, last_modified) of the object as it is now."""
        if self.mode == "etag-change" and ranged_gets_before >= self._param("after", 1):
            data = self.fault.content(self.name + ".v2")
            return data, f'"v2-{len(data)}"', V2_DATE
        data = self.fault.content(self.name)
        return data, f'"v1-{len(data)}"', V1_DATE

    def _range(self):
        value = self.headers.get("Range")
        if not value or not value.startswith("bytes="):
            return None
        a, _, b = value[6:].partition("-")
        return int(a), int(b)

    def _send_status(self, code, headers=(), body=b""):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _write_slowly(self, body, rate):
        step = max(1, rate // 10)
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            self.wfile.flush()
            time.sleep(0.1)

    # --- methods -------------------------------------------------------------

    def do_HEAD(self):
        self._parse()
        try:
            data, etag, lm = self._version(self.fault.peek(self.path))
        except OSError:
            return self._send_status(404)
        if self.mode == "redirect-file":
            return self._send_status(302, [("Location", "file:///etc/passwd")])
        if self.mode == "redirect":
            return self._send_status(302, [("Location", self.params["to"])])
        if self.mode == "auth" and self.headers.get("Authorization") != "Bearer secret":
            return self._send_status(401)
        self.send_response(200)
        if self.mode not in ("no-length-head", "no-size", "huge"):
            self.send_header("Content-Length", str(len(data)))
        if self.mode == "weak-etag":
            self.send_header("ETag", "W/" + etag)
        else:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", lm)
        self.send_header("Accept-Ranges", "bytes")
        if self.mode in ("no-length-head", "no-size", "huge"):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def do_GET(self):
        self._parse()
        mode = self.mode
        if mode == "redirect-file":
            return self._send_status(302, [("Location", "file:///etc/passwd")])
        if mode == "redirect":
            return self._send_status(302, [("Location", self.params["to"])])
        if mode == "auth" and self.headers.get("Authorization") != "Bearer secret":
            return self._send_status(401)
        rng = self._range()
        before = self.fault.bump(self.path) if rng else 0
        try:
            data, etag, lm = self._version(before)
        except OSError:
            return self._send_status(404)
        size = len(data)
        failing = rng is not None and before < self._param("fails", 1)
        if mode == "503" and failing:
            return self._send_status(503, body=b"busy\n")
        if mode == "429" and failing:
            return self._send_status(429, [("Retry-After", self.params.get("after", "1"))], b"slow down\n")
        if mode == "hang" and failing:
            time.sleep(20)
            self.close_connection = True
            return
        if mode == "http09" and failing:
            self.wfile.write(b"stray bytes, no status line\r\n\r\n")
            self.close_connection = True
            return
        if mode == "huge" and rng == (0, 0):
            total = self.params.get("total", "100000000000000000")
            return self._send_status(206, [("Content-Range", f"bytes 0-0/{total}"), ("ETag", etag)], data[:1])
        if mode == "416" and rng:
            return self._send_status(416, [("Content-Range", f"bytes */{size}")])
        if_range = self.headers.get("If-Range")
        honour = self._param("honour", 1)
        whole = (rng is None or mode == "ignore-range"
                 or (if_range is not None and honour and if_range not in (etag, lm)))
        if whole:
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", lm)
            self.end_headers()
            try:
                self.wfile.write(data)
            except OSError:
                self.close_connection = True
            return
        first, last = rng
        if first >= size:
            return self._send_status(416, [("Content-Range", f"bytes */{size}")])
        last = min(last, size - 1)
        if mode == "wrong-range" and first + 1 <= last:
            first += 1
        body = data[first:last + 1]
        total = "*" if mode == "no-size" else str(size)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {first}-{last}/{total}")
        if mode == "weak-etag":
            self.send_header("ETag", "W/" + etag)
        else:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", lm)
        try:
            if mode == "junk-prefix" and failing:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                lying = b"J" * self._param("junk", 100) + body
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(lying), lying))
                return
            if mode == "multipart":
                part = (b"--SEP\r\nContent-Type: application/octet-stream\r\n"
                        b"Content-Range: bytes %d-%d/%d\r\n\r\n" % (first, last, size) + body)
                self.send_header("Content-Type", "multipart/byteranges; boundary=SEP")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(part[:len(body)])
                return
            if mode == "cut":
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:self._param("cut", 65536)])
                self.wfile.flush()
                self.close_connection = True
                return
            if mode == "truncated" and failing:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                half = body[:len(body) // 2]
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(half), half))
                return
            length = len(body) - 1 if mode == "bad-length" else len(body)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if mode == "drop" and failing:
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if mode == "slow" and failing:
                self._write_slowly(body, self._param("rate", 200))
                return
            self.wfile.write(body[:length])
        except OSError:
            self.close_connection = True
