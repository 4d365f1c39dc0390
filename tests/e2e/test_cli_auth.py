"""`qilian` authenticated writes: --auth with --secret-file or --key-file.

A real qiliand (every write authenticated). The node's first administrator
(HS_SECKEY at 300:0.NA/<prefix>, secret in the data directory) writes with
--secret-file; an Ed25519 HS_PUBKEY is added at 301 of the same handle and
to the administrators' HS_VLIST at 200, and writes with --key-file. The
qilian binary writes over the native protocol (--native), answering the 402
challenge itself, and over REST with the Basic credential.
"""

import base64
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

from harness import QILIAN, start_native_node



def ed25519_key(directory):
    """(PEM path, HS_PUBKEY record) of a fresh Ed25519 key, via openssl."""
    pem = os.path.join(directory, "admin.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out", pem], check=True)
    der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    raw = der[-32:]  # SubjectPublicKeyInfo ends with the 32-octet key
    name = b"ED25519_PUB_KEY"
    record = struct.pack(">I", len(name)) + name + b"\0\0" + struct.pack(">I", len(raw)) + raw
    return pem, record


class CliAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qilian-cli-auth-")
        cls.key_file, record = ed25519_key(cls.dir)
        cls.node = start_native_node()
        identity, secret = cls.node.admin  # "300:0.NA/<prefix>"
        cls.admin_handle = identity.split(":", 1)[1]
        cls.prefix = cls.admin_handle[len("0.NA/"):]
        cls.seckey_identity = identity
        cls.pubkey_identity = "301:" + cls.admin_handle
        cls.secret_file = os.path.join(cls.dir, "secret")
        with open(cls.secret_file, "w") as f:
            f.write(secret + "\n")
        cls.wrong_file = os.path.join(cls.dir, "wrong")
        with open(cls.wrong_file, "w") as f:
            f.write("not-the-secret\n")
        pubkey = {"index": 301, "type": "HS_PUBKEY",
                  "data": {"format": "base64", "value": base64.b64encode(record).decode()}}
        admins = {"index": 200, "type": "HS_VLIST",
                  "data": {"format": "vlist",
                           "value": [{"handle": cls.admin_handle, "index": 300},
                                     {"handle": cls.admin_handle, "index": 301}]}}
        status, body = cls.node.request(
            "PUT", "/api/handles/%s?index=200&index=301" % cls.admin_handle,
            {"values": [admins, pubkey]})
        assert status in (200, 201), (status, body)

    def h(self, suffix):
        return "%s/%s" % (self.prefix, suffix)

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def qilian(self, *args):
        cmd = [QILIAN, "--native", "--handle-server",
               "127.0.0.1:%d" % self.node.handle_port, "--timeout", "10"] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    def values(self, handle):
        status, body = self.node.request("GET", "/api/handles/" + handle)
        if status != 200:
            return None
        return {v["index"]: v["data"]["value"] for v in body["values"]}

    def test_secret_native_put_and_delete(self):
        auth = ["--auth", self.seckey_identity, "--secret-file", self.secret_file]
        h = self.h("cli-sec")
        r = self.qilian(*auth, "put", h, "--value", "1:URL:https://example.com/a")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "stored %s\n" % h)
        self.assertEqual(self.values(h), {1: "https://example.com/a"})

        # --index: replace one value (modify), then add one that is not there.
        r = self.qilian(*auth, "put", h, "--index", "1", "--value", "1:URL:https://example.com/b")
        self.assertEqual((r.returncode, r.stdout), (0, "updated %s\n" % h), r.stderr)
        r = self.qilian(*auth, "put", h, "--index", "2", "--value", "2:EMAIL:ops@example.com")
        self.assertEqual((r.returncode, r.stdout), (0, "updated %s\n" % h), r.stderr)
        self.assertEqual(self.values(h), {1: "https://example.com/b", 2: "ops@example.com"})

        r = self.qilian(*auth, "delete", h, "--index", "2")
        self.assertEqual((r.returncode, r.stdout), (0, "deleted index 2 of %s\n" % h), r.stderr)
        r = self.qilian(*auth, "delete", h)
        self.assertEqual((r.returncode, r.stdout), (0, "deleted %s\n" % h), r.stderr)
        self.assertIsNone(self.values(h))

    def test_wrong_secret_is_refused_with_exit_5(self):
        h = self.h("cli-wrong")
        r = self.qilian("--auth", self.seckey_identity, "--secret-file", self.wrong_file,
                        "put", h, "--value", "1:URL:https://example.com")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertEqual(r.stderr,
                         "qilian: secret key answer does not match (responseCode 403)\n")
        self.assertIsNone(self.values(h))

    def test_unknown_identity_is_refused(self):
        nobody = "300:%s/NOBODY" % self.prefix
        r = self.qilian("--auth", nobody, "--secret-file", self.secret_file,
                        "put", self.h("cli-nobody"), "--value", "1:URL:https://example.com")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertEqual(r.stderr, "qilian: cannot authenticate %s: no HS_SECKEY value at that "
                                   "index (responseCode 403)\n" % nobody)

    def test_no_credentials_gets_the_challenge_and_a_hint(self):
        r = self.qilian("put", self.h("cli-anon"), "--value", "1:URL:https://example.com")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertEqual(r.stderr, "qilian: the server asks for authentication: give --auth "
                                   "INDEX:HANDLE with --secret-file or --key-file "
                                   "(responseCode 402)\n")

    def test_json_output(self):
        h = self.h("cli-json")
        r = self.qilian("--json", "--auth", self.seckey_identity, "--secret-file",
                        self.secret_file, "put", h, "--value", "1:URL:https://example.com")
        self.assertEqual((r.returncode, r.stdout),
                         (0, '{"handle":"%s","responseCode":1}\n' % h), r.stderr)

    def test_secret_rest_put(self):
        h = self.h("cli-rest")
        r = subprocess.run([QILIAN, "--server", self.node.url, "--auth", self.seckey_identity,
                            "--secret-file", self.secret_file, "put", h,
                            "--value", "1:URL:https://example.com/r"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (0, "created %s\n" % h), r.stderr)
        self.assertEqual(self.values(h), {1: "https://example.com/r"})

    def test_key_native_put(self):
        h = self.h("cli-key")
        r = self.qilian("--auth", self.pubkey_identity, "--key-file", self.key_file,
                        "put", h, "--value", "1:URL:https://example.com/k")
        if "only HS_SECKEY answers are supported" in r.stderr:
            self.skipTest("the node does not verify HS_PUBKEY answers yet")
        self.assertEqual((r.returncode, r.stdout), (0, "stored %s\n" % h), r.stderr)
        self.assertEqual(self.values(h), {1: "https://example.com/k"})

    def test_usage_errors_exit_2(self):
        r = self.qilian("--auth", self.seckey_identity, "put", self.h("x"), "--value", "1:URL:u")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr,
                         "qilian: --auth needs exactly one of --secret-file and --key-file\n")
        r = subprocess.run([QILIAN, "--auth", self.pubkey_identity, "--key-file", self.key_file,
                            "put", self.h("x"), "--value", "1:URL:u"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "qilian: --key-file needs --native: the REST API takes "
                                   "only secrets\n")


if __name__ == "__main__":
    unittest.main()
