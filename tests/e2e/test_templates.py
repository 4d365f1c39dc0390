"""Identifier data templates end to end (docs/templates.md) against a real
qiliand with both front doors: the first administrator (an operator)
defines a template under 88.999; a record that names it at index 1000 is
checked on every write, over REST (400 naming field and rule) and over the
native protocol on TCP (202 INVALID VALUE with the same message); a
private field is not resolved anonymously; after kill -9 and a restart
the template and its checks are still there. Enterprise staff administer
their own prefix's templates only. `qilian template install-starter`
defines the starter set once (a second run leaves it as it is), and a
record under the installed pharmaceuticals template is checked like any."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import handle_client as hc  # noqa: E402
from harness import start_native_node, string_value  # noqa: E402
from test_cli import admin_credentials, run_cli  # noqa: E402
from test_products import two_enterprises_with_staff  # noqa: E402

TEMPLATE = {
    "name": "food-batch",
    "industry": "C1431",
    "description": {"zh": "食品批次", "en": "Food batch"},
    "fields": [
        {"name": "productName", "type": "string", "required": True,
         "limits": {"minLength": 1, "maxLength": 32},
         "description": {"zh": "产品名称", "en": "Product name"}},
        {"name": "batchNo", "type": "string", "required": True,
         "limits": {"pattern": "[A-Z0-9]{6,20}"}},
        {"name": "producedAt", "type": "date-time", "required": True},
        {"name": "shelfLife", "type": "integer", "unit": "d",
         "limits": {"minimum": 1, "maximum": 3650}},
        {"name": "supplier", "type": "string", "public": False},
    ],
}


def record(batch="B20261208", shelf="365"):
    return [string_value(1000, "TEMPLATE", "food-batch@1"),
            string_value(2000, "productName", "挂面"),
            string_value(2001, "batchNo", batch),
            string_value(2002, "producedAt", "2026-12-08T08:00:00+08:00"),
            string_value(2003, "shelfLife", shelf),
            string_value(2004, "supplier", "91620100MA7XXXXX0X")]


def native_record(batch):
    return [hc.HandleValue(v["index"], v["type"], v["data"]["value"]) for v in record(batch)]


class TemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = start_native_node()
        status, body = cls.node.request("POST", "/api/prefixes/88.999/templates", TEMPLATE)
        assert status == 201, body

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def tcp(self):
        return hc.Client("127.0.0.1", self.node.handle_port, "tcp", auth=self.node.admin_key)

    def put(self, handle, values):
        return self.node.request("PUT", "/api/handles/" + handle, {"values": values})

    def test_1_template_is_served(self):
        status, body = self.node.request("GET", "/api/prefixes/88.999/templates/food-batch",
                                         auth=self.node.admin)
        self.assertEqual(status, 200, body)
        t = body["template"]
        self.assertEqual(t["reference"], "food-batch@1")
        self.assertEqual(t["industry"], "1431")
        self.assertEqual([f["name"] for f in t["fields"]],
                         ["productName", "batchNo", "producedAt", "shelfLife", "supplier"])
        status, body = self.node.request("GET", "/api/prefixes/88.999/templates", auth=None)
        self.assertEqual(status, 401, body)

    def test_2_rest_writes_are_checked(self):
        status, body = self.put("88.999/FOOD-REST-1", record(batch="b-1"))
        self.assertEqual(status, 400, body)
        self.assertEqual(body["responseCode"], 202)
        self.assertEqual(body["field"], "batchNo")
        self.assertEqual(body["message"],
                         "batchNo: pattern: 'b-1' does not match '[A-Z0-9]{6,20}'")
        status, body = self.put("88.999/FOOD-REST-1", record(shelf="0"))
        self.assertEqual(status, 400, body)
        self.assertEqual(body["message"], "shelfLife: minimum: 0 is less than 1")
        status, body = self.put("88.999/FOOD-REST-1", record())
        self.assertEqual(status, 201, body)
        # The private field is not resolved anonymously.
        status, body = self.node.request("GET", "/api/handles/88.999/FOOD-REST-1", auth=None)
        self.assertEqual(status, 200, body)
        self.assertEqual(sorted(v["index"] for v in body["values"]),
                         [1000, 2000, 2001, 2002, 2003])

    def test_3_native_writes_are_checked_alike(self):
        client = self.tcp()
        reply = client.create("88.999/FOOD-NATIVE-1", native_record("b-1"))
        self.assertEqual(reply.code, 202)
        self.assertEqual(reply.message,
                         "batchNo: pattern: 'b-1' does not match '[A-Z0-9]{6,20}'")
        reply = client.create("88.999/FOOD-NATIVE-1", native_record("N20261208"))
        self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
        reply = client.remove("88.999/FOOD-NATIVE-1", [2001])
        self.assertEqual(reply.code, 202)
        self.assertEqual(reply.message,
                         "batchNo: required: template 'food-batch@1' requires this field")
        udp = hc.Client("127.0.0.1", self.node.handle_port, "udp")
        reply = udp.resolve("88.999/FOOD-NATIVE-1", op_flags=hc.FLAG_PO)
        self.assertEqual(reply.code, hc.RC_SUCCESS)
        self.assertEqual({v.index: v.data.decode() for v in reply.values}[2001], "N20261208")

    def test_4_templates_and_checks_survive_kill_9(self):
        self.node.kill()
        self.node.start()
        status, body = self.put("88.999/FOOD-REST-2", record(batch="lower"))
        self.assertEqual(status, 400, body)
        self.assertEqual(body["message"],
                         "batchNo: pattern: 'lower' does not match '[A-Z0-9]{6,20}'")
        status, body = self.node.request("GET", "/api/handles/88.999/FOOD-REST-1", auth=None)
        self.assertEqual(status, 200, body)

    def test_5_enterprise_staff_own_their_prefix(self):
        _, prefixes, token = two_enterprises_with_staff(self.node, ("TPL00001", "TPL00002"))
        path = "/api/prefixes/%s/templates" % prefixes[0]
        status, body = self.node.request("POST", path, TEMPLATE, auth=token["a-admin"])
        self.assertEqual(status, 201, body)
        status, body = self.node.request("POST", path, TEMPLATE, auth=token["b-admin"])
        self.assertEqual(status, 403, body)
        status, body = self.node.request("GET", path + "/food-batch", auth=token["audit"])
        self.assertEqual(status, 200, body)
        self.assertEqual(body["template"]["prefix"], prefixes[0])

    def test_6_cli_installs_the_starter_set(self):
        def cli(*args):
            return run_cli("template", *args, server=self.node.url,
                           auth=admin_credentials(self.node))
        names = ["petrochemical-product", "nonferrous-ingot", "equipment-unit", "pharma-lot",
                 "food-batch"]
        self.assertEqual(cli("install-starter", "--prefix", "88.999.5"),
                         (0, "".join("installed %s@1\n" % n for n in names), ""))
        self.assertEqual(cli("install-starter", "--prefix", "88.999.5", "--only", "food-batch"),
                         (0, "food-batch already defined, left as it is\n", ""))
        self.assertEqual(cli("install-starter", "--prefix", "88.999.5", "--only", "steel"),
                         (2, "", "qilian: no starter template 'steel'; the starters are " +
                          ", ".join(names) + "\n"))
        code, out, err = cli("list", "--prefix", "88.999.5")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual([line.split()[0] for line in out.splitlines()[1:]], sorted(names))
        code, out, err = cli("get", "pharma-lot", "--prefix", "88.999.5")
        self.assertEqual((code, err), (0, ""))
        self.assertIn("approvalNo", out)
        self.assertIn("~国药准字[HZSJBF][0-9]{8}", out)
        values = [string_value(1000, "TEMPLATE", "pharma-lot@1"),
                  string_value(2000, "productName", "阿莫西林胶囊"),
                  string_value(2002, "batchNo", "A2412001"),
                  string_value(2003, "productionDate", "2024-12-01T00:00:00+08:00"),
                  string_value(2007, "manufacturerCreditCode", "91620100MA74XQ6K3N"),
                  string_value(2008, "approvalNo", "国药准字H2024001"),
                  string_value(2013, "expiryDate", "2026-11-30T00:00:00+08:00")]
        status, body = self.put("88.999.5/DRUG-1", values)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["message"], "approvalNo: pattern: '国药准字H2024001' does not "
                                          "match '国药准字[HZSJBF][0-9]{8}'")
        values[5] = string_value(2008, "approvalNo", "国药准字H20240001")
        status, body = self.put("88.999.5/DRUG-1", values)
        self.assertEqual(status, 201, body)


if __name__ == "__main__":
    unittest.main()
