"""HS_SECKEY secrets at rest (docs/authentication.md, "Secrets at rest").

A node seals every HS_SECKEY secret with its node key (<data_dir>/node.key)
before the secret reaches the store. This test writes an identity with a
known secret over REST, stops the node and searches every file of its
RocksDB store for that secret and for the first administrator's secret
(neither may be there), while a plain value written next to them must be
there: that shows the search sees stored values at all (RocksDB may
compress what it writes). After a restart both secrets still authenticate.
Without node.key the node refuses to start, and says why.
"""

import os
import shutil
import stat
import tempfile
import unittest

from harness import Qiliand, string_value

IDENTITY_HANDLE = "88.999/SEALED"
SECRET = "sealed-secret-7f3c9a1e5b2d4c6f8a0e"
# A plain value of about the same size and shape: the control for the search.
MARKER = "plain-marker-2b8d6e0c4a9f1e3d7c5b"


def seckey(index, secret):
    value = string_value(index, "HS_SECKEY", secret)
    value["permissions"] = "1100"
    return value


def admin_value(index, handle, admin_index):
    return {"index": index, "type": "HS_ADMIN",
            "data": {"format": "admin",
                     "value": {"handle": handle, "index": admin_index,
                               "permissions": "111111111111"}}}


def store_files(db_dir):
    """Every file of the store (RocksDB WAL, SST, MANIFEST...), as bytes."""
    out = {}
    for root, _, files in os.walk(db_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[path] = f.read()
    return out


class SecretsAtRest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qiliand-seal-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def node(self):
        return Qiliand(data_dir=self.dir)

    def test_secrets_are_sealed_and_the_node_key_is_required(self):
        node_dir = os.path.join(self.dir, "db")  # the harness's --data-dir
        key_file = os.path.join(node_dir, "node.key")
        identity = "300:" + IDENTITY_HANDLE

        node = self.node().start()
        try:
            self.assertIsNotNone(node.admin, node.log())
            admin_secret = node.admin[1]
            status, body = node.request("PUT", "/api/handles/" + IDENTITY_HANDLE, {"values": [
                string_value(1, "DESCRIPTION", MARKER),
                seckey(300, SECRET),
                admin_value(100, IDENTITY_HANDLE, 300)]})
            self.assertEqual(status, 201, body)
            # The identity authenticates with its plain secret.
            status, body = node.request(
                "PUT", "/api/handles/%s?index=2" % IDENTITY_HANDLE,
                {"values": [string_value(2, "URL", "https://example.com/one")]},
                auth=(identity, SECRET))
            self.assertEqual(status, 200, body)
        finally:
            self.assertEqual(node.stop(), 0, node.log())

        st = os.stat(key_file)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_size, 32)

        files = store_files(os.path.join(node_dir, "db"))
        self.assertTrue(files)
        everything = b"".join(files.values())
        # The control: a plain value is found as written...
        self.assertIn(MARKER.encode(), everything,
                      "the search does not see stored values (compressed?)")
        # ...and the secrets are not, in any file.
        for path, data in files.items():
            self.assertNotIn(SECRET.encode(), data, path)
            self.assertNotIn(admin_secret.encode(), data, path)
        self.assertIn(b"QLS1", everything)

        # After a restart, both secrets still authenticate; a wrong one does not.
        node = self.node().start()
        try:
            status, body = node.request(
                "PUT", "/api/handles/%s?index=3" % IDENTITY_HANDLE,
                {"values": [string_value(3, "URL", "https://example.com/two")]},
                auth=(identity, SECRET))
            self.assertEqual(status, 200, body)
            status, body = node.request(
                "PUT", "/api/handles/%s?index=4" % IDENTITY_HANDLE,
                {"values": [string_value(4, "URL", "https://example.com/three")]},
                auth=(identity, SECRET + "x"))
            self.assertEqual((status, body["message"]),
                             (401, "secret does not match for " + identity), body)
            status, body = node.request("PUT", "/api/handles/88.999/BY-ADMIN", {"values": [
                string_value(1, "URL", "https://example.com/admin")]})
            self.assertEqual(status, 201, body)
            self.assertEqual(node.admin[1], admin_secret)
        finally:
            self.assertEqual(node.stop(), 0, node.log())

        # Without its node key the node refuses to start.
        os.remove(key_file)
        node = self.node()
        with self.assertRaises(RuntimeError):
            node.start()
        node.proc.wait(timeout=30)
        node._pump.join(timeout=5)  # the whole output
        node.proc.stdout.close()
        self.assertEqual(node.proc.returncode, 1)
        self.assertIn(
            "qiliand: cannot open the node key: node key file %s is missing but the store "
            "holds secrets sealed with a node key; restore it from a backup" % key_file,
            node.log())
        self.assertFalse(os.path.exists(key_file))


if __name__ == "__main__":
    unittest.main()
