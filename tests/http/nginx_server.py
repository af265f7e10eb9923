"""Runs nginx on 127.0.0.1 (free ports) with a generated configuration in a
temporary prefix: plain HTTP, HTTPS over HTTP/1.1 and HTTPS with HTTP/2,
all serving the files of one directory. Stopped by stop(), at interpreter
exit, and on SIGTERM of the test process."""

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time

from certs import make_cert

# /noranges/NAME serves NAME without range support (max_ranges 0: Range is
# ignored, no Accept-Ranges). /slow/NAME serves NAME at 512 KiB/s per request (to interrupt a run midway;
# nginx sends the first second's worth at once), and so does any request with
# the header "X-Sparseio-Slow: 1": a rerun that must ask for the same URL (the
# URL is part of the source's identity) uses the header. /deny/, /gone/ and
# /busy/ answer 403, 410 and 503.
SLOW = ("location /slow/ {{ alias {root}/; limit_rate 512k; }} "
        "if ($http_x_sparseio_slow) {{ set $limit_rate 512k; }} "
        # /deny/ answers 403, /gone/ 410 (exit code 6), /busy/ 503 (exit code 7).
        "location /deny/ {{ return 403; }} location /gone/ {{ return 410; }} location /busy/ {{ return 503; }} "
        "location /noranges/ {{ alias {root}/; max_ranges 0; }}")

CONF = """
daemon off;
master_process on;
worker_processes {workers};
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format sparseio '$request_method $uri "$http_range" "$http_if_range" $status $body_bytes_sent '
                      '$server_protocol $server_port $connection "$http_x_sparseio_test"';
  access_log {prefix}/access.log sparseio;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  default_type application/octet-stream;
  types {{ }}
  sendfile on;
  # tcp_nopush (TCP_CORK) stalls 64 KiB responses on loopback for a delayed
  # ACK (40 ms each): every client would measure that, not itself.
  tcp_nopush off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  http2_max_requests 1000000;
  ssl_certificate {cert};
  ssl_certificate_key {key};
  ssl_session_cache shared:SSL:1m;
  server {{ listen 127.0.0.1:{http}; root {root}; {slow} }}
  server {{ listen 127.0.0.1:{https} ssl; root {root}; {slow} }}
  server {{ listen 127.0.0.1:{h2} ssl http2; root {root}; {slow} }}
}}
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


class Nginx:
    """nginx serving `root`. Attributes: http_url, https_url, h2_url (base
    URLs ending in '/'), cacert (path), prefix (its temporary directory)."""

    def __init__(self, root, workers=1):
        if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
            raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
        self.root = os.path.abspath(root)
        self.prefix = tempfile.mkdtemp(prefix="sparseio-nginx-")
        self.cacert, key = make_cert(self.prefix)
        self.proc = None
        for _ in range(5):  # a free port may be taken between probe and bind
            ports = {"http": free_port(), "https": free_port(), "h2": free_port()}
            conf = os.path.join(self.prefix, "nginx.conf")
            with open(conf, "w") as f:
                f.write(CONF.format(prefix=self.prefix, root=self.root, cert=self.cacert, key=key,
                                    workers=workers, slow=SLOW.format(root=self.root),
                                    user="user root root;" if os.geteuid() == 0 else "", **ports))
            nginx = shutil.which("nginx") or "/usr/sbin/nginx"
            with open(os.path.join(self.prefix, "stderr.log"), "ab") as err:
                self.proc = subprocess.Popen([nginx, "-c", conf, "-p", self.prefix],
                                             stdout=subprocess.DEVNULL, stderr=err)
            if all(wait_for_port(p, self.proc) for p in ports.values()):
                break
            self.stop()
        else:
            raise RuntimeError("nginx did not start: " + self.error_log())
        self.ports = ports
        self.http_url = f"http://127.0.0.1:{ports['http']}/"
        self.https_url = f"https://127.0.0.1:{ports['https']}/"
        self.h2_url = f"https://127.0.0.1:{ports['h2']}/"
        atexit.register(self.stop)

    def error_log(self):
        text = ""
        for name in ("stderr.log", "error.log"):
            try:
                with open(os.path.join(self.prefix, name)) as f:
                    text += f.read()[-2000:]
            except OSError:
                pass
        return text

    def access_log(self):
        """Lines of the access log: method uri "range" "if-range" status bytes
        protocol port connection "x-sparseio-test"."""
        path = os.path.join(self.prefix, "access.log")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return f.read().splitlines()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: fast shutdown of master and workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)
