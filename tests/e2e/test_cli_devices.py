"""`qilian device` end to end (docs/cli.md, "qilian device") against a real
qiliand: the node's first administrator (an operator) onboards an
enterprise, creates a product from a starter and, naming the enterprise
with --enterprise, creates, lists (with the cursor), reads, updates,
rotates and deletes devices, and imports a CSV sent in several pieces with
one refused row, writing the fleet file (--secrets-out) the device
simulator reads. Bad flags and unreadable files are usage errors (exit 2)
with nothing sent.

    QILIAN_BUILD_DIR=build python3 -m unittest tests/e2e/test_cli_devices.py
"""

import json
import os
import re
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QILIAN, Qiliand  # noqa: E402
from test_cli import admin_credentials, run_cli  # noqa: E402
from test_enterprises import onboard  # noqa: E402


class CliDevicesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(QILIAN):
            raise RuntimeError("qilian not built at " + QILIAN)
        cls.node = Qiliand().start()
        enterprise, cls.prefix = onboard(cls.node, "71000401")
        cls.enterprise = str(enterprise)
        status, reply = cls.node.request("POST", "/api/products?enterprise=" + cls.enterprise,
                                         {"id": "kiln", "fromStarter": "rotary_kiln"})
        assert status == 201, reply
        cls.product_key = reply["product"]["productKey"]
        cls.dir = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def cli(self, *args):
        return run_cli(*args, server=self.node.url, auth=admin_credentials(self.node))

    def device(self, *args):
        return self.cli("device", *args, "--enterprise", self.enterprise)

    def test_devices_from_create_to_delete(self):
        code, out, err = self.device("create", "k-1", "--product", "kiln", "--name-zh", "一号窑",
                                     "--serial", "SN1", "--tag", "line=2")
        self.assertEqual((code, err), (0, ""), out)
        m = re.fullmatch(r"created device k-1 \(identifier %s/k-1\)\nsecret: ([0-9a-f]{64})\n"
                         % re.escape(self.prefix), out)
        self.assertIsNotNone(m, out)
        for i in (2, 3):
            self.assertEqual(self.device("create", "k-%d" % i, "--product", "kiln")[0], 0)

        self.assertEqual(self.device("list", "--limit", "2"), (
            0,
            "ENTERPRISE  ID   PRODUCT  VERSION  ENABLED  GATEWAY  NAME\n"
            "%s           k-1  kiln     1        true     -        一号窑\n"
            "%s           k-2  kiln     1        true     -        \n" % (self.enterprise,
                                                                          self.enterprise),
            "qilian: more devices follow: --after k-2\n"))
        code, out, err = self.device("list", "--after", "k-2")
        self.assertEqual((code, err), (0, ""))
        self.assertIn("k-3", out)
        self.assertNotIn("k-1", out)

        code, out, err = self.device("get", "k-1")
        self.assertEqual((code, err), (0, ""))
        self.assertIn("productKey: %s\n" % self.product_key, out)
        self.assertIn("handle: %s/k-1\n" % self.prefix, out)
        self.assertIn("tags: line=2\n", out)

        self.assertEqual(self.device("update", "k-2", "--gateway", "k-1", "--disable"),
                         (0, "updated device k-2\n", ""))
        code, out, _ = self.device("get", "k-2", )
        self.assertIn("gateway: k-1\n", out)
        self.assertIn("enabled: false\n", out)

        code, out, err = self.device("rotate-secret", "k-3")
        self.assertEqual((code, err), (0, ""))
        self.assertRegex(out, r"^rotated the secret of device k-3\nsecret: [0-9a-f]{64}\n$")

        # A gateway with a sub-device stays (exit 3), then goes.
        self.assertEqual(self.device("delete", "k-1"), (
            3, "", "qilian: device 'k-1' is the gateway of 1 device; delete them or change "
                   "their gateway first\n"))
        self.assertEqual(self.device("update", "k-2", "--gateway", ""),
                         (0, "updated device k-2\n", ""))
        self.assertEqual(self.device("delete", "k-1"), (0, "deleted device k-1\n", ""))
        self.assertEqual(self.device("get", "k-1"), (
            1, "", "qilian: device 'k-1' not found in enterprise %s (responseCode 100)\n"
                   % self.enterprise))

        code, out, err = self.device("get", "k-3")
        self.assertEqual(code, 0)
        code, out, err = self.cli("--json", "device", "get", "k-3", "--enterprise",
                                  self.enterprise)
        self.assertEqual(json.loads(out)["device"]["id"], "k-3")

    def test_import_in_pieces_with_a_fleet_file(self):
        path = os.path.join(self.dir, "fleet.csv")
        rows = ["id,product,name,serial,gateway,tags"]
        rows += ["imp-%04d,kiln,窑,SN%04d,,site=lz" % (i, i) for i in range(3000)]
        rows.insert(1500, "imp-bad,nope,,,,")  # line 1501 of the file
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
        secrets = os.path.join(self.dir, "secrets.csv")
        # About 100 KB in pieces of at most 16 KiB: several requests.
        code, out, err = self.device("import", path, "--secrets-out", secrets,
                                     "--piece-bytes", "16384")
        self.assertEqual((code, out), (4, "created 3000 devices, rejected 1\n"), err)
        self.assertEqual(err, "qilian: line 1501: product: no product 'nope' in enterprise %s\n"
                         % self.enterprise)
        with open(secrets, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "product_key,device_id,secret,model")
        self.assertEqual(len(lines), 3001)
        self.assertRegex(lines[1], r"^%s,imp-0000,[0-9a-f]{64},rotary_kiln$" % self.product_key)
        self.assertEqual(stat.S_IMODE(os.stat(secrets).st_mode), 0o600)

        # Again: every row exists now.
        code, out, err = self.device("import", path)
        self.assertEqual((code, out), (4, "created 0 devices, rejected 3001\n"))
        self.assertIn("qilian: line 2: id: device 'imp-0000' already exists in enterprise %s\n"
                      % self.enterprise, err)

    def test_usage_errors(self):
        self.assertEqual(self.device("import", os.path.join(self.dir, "missing.csv"))[0], 2)
        code, _, err = self.device("create", "x", "--product", "kiln", "--tag", "novalue")
        self.assertEqual((code, err), (2, "qilian: --tag 'novalue' is not NAME=VALUE\n"))
        code, _, err = self.device("update", "x")
        self.assertEqual((code, err), (2, "qilian: give at least one field to change\n"))
        self.assertEqual(self.device("create", "x")[0], 2)  # --product is required


if __name__ == "__main__":
    unittest.main()
