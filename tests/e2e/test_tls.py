"""HTTPS on qiliand's HTTP port ([http] tls_cert / tls_key).

A self-signed pair for localhost is made with the openssl command-line tool
in a temporary directory; the node then speaks only TLS 1.3 on its HTTP port.
"""

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest

from harness import Qiliand


def make_pair(directory, name="server"):
    key = os.path.join(directory, name + ".key")
    cert = os.path.join(directory, name + ".crt")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def tls_config(cert, key):
    return '[http]\ntls_cert = "%s"\ntls_key = "%s"\n' % (cert, key)


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qilian-tls-")
        cls.cert, cls.key = make_pair(cls.dir)
        cls.node = Qiliand(config_text=tls_config(cls.cert, cls.key)).start()

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def context(self, maximum=ssl.TLSVersion.TLSv1_3):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.cert)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = maximum
        return ctx

    def get(self, path, ctx=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.node.port, timeout=10,
                                           context=ctx or self.context())
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace"), conn.sock.version()
        finally:
            conn.close()

    def metric(self, reason):
        _, text, _ = self.get("/metrics")
        m = re.search(r'qilian_http_tls_handshake_failures_total\{reason="%s"\} (\d+)' % reason,
                      text)
        return int(m.group(1)) if m else None

    def test_startup_line_says_https(self):
        self.assertRegex(self.node.log(), r"qiliand listening http=127\.0\.0\.1:\d+ .*https=1")

    def test_healthz_over_tls13(self):
        status, body, version = self.get("/healthz")
        self.assertEqual(status, 200, body)
        self.assertEqual(version, "TLSv1.3")

    def test_tls12_is_refused(self):
        before = self.metric("protocol_version")
        with self.assertRaises(ssl.SSLError):
            self.get("/healthz", self.context(ssl.TLSVersion.TLSv1_2))
        self.assertEqual(self.metric("protocol_version"), before + 1)

    def test_plain_http_gets_no_answer(self):
        with socket.create_connection(("127.0.0.1", self.node.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
        self.assertNotIn(b"HTTP/1.1", data)


class TlsClientCertificates(unittest.TestCase):
    """tls_client_cert = "required": the self-signed pair doubles as the CA."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qilian-tls-")
        cls.cert, cls.key = make_pair(cls.dir)
        cls.node = Qiliand(config_text=tls_config(cls.cert, cls.key) +
                           'tls_client_ca = "%s"\ntls_client_cert = "required"\n' % cls.cert
                           ).start()

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def get(self, with_cert):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.cert)
        if with_cert:
            ctx.load_cert_chain(self.cert, self.key)
        conn = http.client.HTTPSConnection("127.0.0.1", self.node.port, timeout=10, context=ctx)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status
        finally:
            conn.close()

    def test_client_with_certificate_is_served(self):
        self.assertEqual(self.get(True), 200)

    def test_client_without_certificate_is_refused(self):
        # TLS 1.3: the refusal arrives after the client's own handshake
        # completed, as an alert on the first read (or a reset).
        with self.assertRaises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
            self.get(False)


class TlsConfigErrors(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qilian-tls-")
        self.cert, self.key = make_pair(self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_node(self, config_text):
        node = Qiliand(config_text=config_text)
        try:
            return subprocess.run(node.command(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=60)
        finally:
            node.__exit__(None, None, None)

    def test_cert_without_key_refuses_to_start(self):
        r = self.run_node('[http]\ntls_cert = "%s"\n' % self.cert)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn(b"qiliand listening", r.stdout)
        self.assertIn("configuration key 'http.tls_key' must be set when http.tls_cert is",
                      r.stderr.decode())

    def test_unreadable_key_file_is_named(self):
        missing = os.path.join(self.dir, "missing.key")
        r = self.run_node(tls_config(self.cert, missing))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("http.tls_key '%s': cannot read file: No such file or directory" % missing,
                      r.stderr.decode())

    def test_key_of_another_certificate_is_refused(self):
        _, other_key = make_pair(self.dir, "other")
        r = self.run_node(tls_config(self.cert, other_key))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("http.tls_key '%s' does not match the certificate in tls_cert '%s'"
                      % (other_key, self.cert), r.stderr.decode())


class TlsCli(unittest.TestCase):
    """The qilian command against a TLS node: --cacert / $QILIAN_CACERT,
    host verification, and the refusals with their exit code (6)."""

    @classmethod
    def setUpClass(cls):
        from harness import QILIAN
        if not os.path.exists(QILIAN):
            raise RuntimeError("qilian not built at " + QILIAN)
        cls.qilian = QILIAN
        cls.dir = tempfile.mkdtemp(prefix="qilian-tls-")
        cls.cert, cls.key = make_pair(cls.dir)
        cls.other_cert, _ = make_pair(cls.dir, "other")
        cls.node = Qiliand(config_text=tls_config(cls.cert, cls.key)).start()
        cls.url = "https://127.0.0.1:%d" % cls.node.port

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def cli(self, *args, cacert=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("QILIAN_") and k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        if cacert is not None:
            env["QILIAN_CACERT"] = cacert
        proc = subprocess.run([self.qilian] + list(args), capture_output=True, env=env,
                              timeout=60)
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode()

    def test_put_and_get_with_cacert(self):
        secret_file = os.path.join(self.node.data_dir, "db", "admin.secret")
        rc, out, err = self.cli("--server", self.url, "--cacert", self.cert,
                                "--auth", self.node.admin[0], "--secret-file", secret_file,
                                "put", "88.999/tls-cli", "--value", "1:URL:https://example.com/t")
        self.assertEqual((rc, out, err), (0, "created 88.999/tls-cli\n", ""))
        # $QILIAN_CACERT, and the host as a name this time (SAN DNS:localhost).
        rc, out, err = self.cli("--server", "https://localhost:%d" % self.node.port,
                                "get", "88.999/tls-cli", cacert=self.cert)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out,
                         "INDEX  TYPE  DATA                   TTL\n"
                         "1      URL   https://example.com/t  86400\n")

    def test_unknown_ca_is_refused(self):
        rc, out, err = self.cli("--server", self.url, "--cacert", self.other_cert,
                                "get", "88.999/tls-cli")
        self.assertEqual((rc, out), (6, ""))
        self.assertEqual(err, "qilian: cannot verify the certificate of %s: "
                              "self-signed certificate\n" % self.url)

    def test_system_store_does_not_trust_the_node(self):
        rc, out, err = self.cli("--server", self.url, "get", "88.999/tls-cli")
        self.assertEqual((rc, out), (6, ""))
        self.assertEqual(err, "qilian: cannot verify the certificate of %s: "
                              "self-signed certificate\n" % self.url)

    def test_unreadable_cacert_is_a_usage_error(self):
        missing = os.path.join(self.dir, "missing.pem")
        rc, out, err = self.cli("--server", self.url, "--cacert", missing, "get", "88.999/x")
        self.assertEqual((rc, out), (2, ""))
        self.assertEqual(err, "qilian: cannot read --cacert file '%s': "
                              "No such file or directory\n" % missing)


if __name__ == "__main__":
    unittest.main()
