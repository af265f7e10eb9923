"""A self-signed certificate for 127.0.0.1, made with openssl at test time."""

import os
import subprocess


def make_cert(directory):
    """Writes cert.pem and key.pem into directory; returns (cert, key) paths.
    The certificate is its own CA: pass cert.pem to --cacert."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True)
    return cert, key
