"""Products with versioned thing models end to end (docs/products.md)
against a real qiliand: an operator onboards two enterprises and makes a
console user for each; enterprise A's user creates a product from the
starter library and one from an Alibaba TSL import (the dropped fields are
listed), adds a compatible model version and is refused a breaking
amendment with the exact reasons (409). Enterprise B's user cannot see A's
products (404, as if missing), the operator and the auditor can, anonymous
callers get 401, and malformed bodies get 400 with exact messages."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qiliand  # noqa: E402
from test_enterprises import body as enterprise_body, credit_code  # noqa: E402

PASSWORD = "correct horse battery"

# An Alibaba Cloud IoT TSL with fields that have no equivalent in our format.
TSL = {
    "schema": "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
    "profile": {"productKey": "a1Pump"},
    "properties": [{
        "identifier": "temp", "name": "温度", "accessMode": "r", "required": False,
        "dataType": {"type": "float",
                     "specs": {"min": "0", "max": "200", "unit": "°C", "unitName": "摄氏度"}},
    }],
}


def pump_model(version, max_flow, with_head=False):
    props = [{"identifier": "flow", "name": {"zh": "流量"}, "access": "r",
              "dataType": {"type": "double", "specs": {"min": 0, "max": max_flow,
                                                       "unit": "m3/h"}}}]
    if with_head:
        props.append({"identifier": "head", "name": {"zh": "扬程"}, "access": "r",
                      "dataType": {"type": "double"}})
    return {"version": version, "properties": props}


def two_enterprises_with_staff(node, orgs):
    """Onboards two enterprises (organization codes `orgs`) and logs in an
    administrator of each ("a-admin", "b-admin") and an auditor ("audit").
    Returns ([enterprise ids], [prefixes], {user: "Bearer ..."})."""
    enterprise, prefix = [], []
    for org in orgs:
        status, reply = node.request("POST", "/api/enterprises",
                                     enterprise_body(credit_code("91620100", org)))
        assert status == 201, reply
        enterprise.append(reply["enterprise"]["id"])
        prefix.append(reply["enterprise"]["prefix"])
    token = {}
    for name, role, owner in (("a-admin", "enterprise-admin", enterprise[0]),
                              ("b-admin", "enterprise-admin", enterprise[1]),
                              ("audit", "auditor", None)):
        user = {"name": name, "role": role, "password": PASSWORD}
        if owner is not None:
            user["enterprise"] = owner
        status, reply = node.request("POST", "/api/users", user)
        assert status == 201, reply
        status, reply = node.request("POST", "/api/login",
                                     {"user": name, "password": PASSWORD}, auth=None)
        assert status == 200, reply
        token[name] = "Bearer " + reply["token"]
    return enterprise, prefix, token


class ProductTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Qiliand().__enter__()
        cls.operator = cls.node.admin_header()["Authorization"]
        cls.enterprise, cls.prefix, cls.token = two_enterprises_with_staff(
            cls.node, ("71000201", "71000202"))

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)

    def call(self, who, method, path, body=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        if who == "anonymous":
            return self.node.request(method, path, body, auth=None)
        auth = self.operator if who == "operator" else self.token[who]
        return self.node.request(method, path, body, headers={"Authorization": auth})

    def test_starter_import_versions_and_tenancy(self):
        a = self.enterprise[0]
        status, reply = self.call("a-admin", "POST", "/api/products",
                                  {"id": "kiln-1", "fromStarter": "rotary_kiln"})
        self.assertEqual(status, 201, reply)
        self.assertEqual(reply["product"]["enterprise"], a)
        self.assertEqual(reply["product"]["name"], {"zh": "回转窑", "en": "Rotary kiln"})
        self.assertEqual(reply["product"]["latestVersion"], 1)
        self.assertNotIn("importWarnings", reply)

        status, reply = self.call("a-admin", "POST", "/api/products",
                                  {"id": "oven", "name": {"zh": "烘箱"},
                                   "import": {"format": "alibaba", "source": TSL}})
        self.assertEqual(status, 201, reply)
        self.assertEqual(reply["importWarnings"], [
            "schema: no equivalent, dropped",
            "profile.productKey: no equivalent, dropped",
            "properties[0].required: standard-feature flag, no equivalent, dropped",
            "properties[0].dataType.specs.unitName: display name of the unit, dropped "
            "(the unit is kept)"])
        self.assertEqual(reply["thingModel"]["properties"][0]["dataType"]["specs"]["unit"], "°C")

        # Versions: a compatible amendment of 1, a breaking one refused, then 2.
        status, reply = self.call("a-admin", "POST", "/api/products",
                                  {"id": "pump", "name": {"zh": "给水泵"},
                                   "thingModel": pump_model(1, 500)})
        self.assertEqual(status, 201, reply)
        status, reply = self.call("a-admin", "PUT", "/api/products/pump/model",
                                  {"thingModel": pump_model(1, 600, with_head=True)})
        self.assertEqual((status, reply["version"], reply["product"]["latestVersion"]),
                         (200, 1, 1), reply)
        status, reply = self.call("a-admin", "PUT", "/api/products/pump/model",
                                  {"thingModel": pump_model(1, 400)})
        self.assertEqual(status, 409)
        self.assertEqual(reply, {
            "responseCode": 202,
            "message": "thingModel.version: 1 has breaking changes, it needs a version above 1: "
                       "properties.flow: maximum lowered from 600 to 400; "
                       "properties.head: removed",
            "breakingChanges": [
                {"path": "properties.flow", "reason": "maximum lowered from 600 to 400"},
                {"path": "properties.head", "reason": "removed"}]})
        status, reply = self.call("a-admin", "PUT", "/api/products/pump/model",
                                  {"thingModel": pump_model(2, 400)})
        self.assertEqual((status, reply["product"]["latestVersion"]), (200, 2), reply)
        status, reply = self.call("a-admin", "GET", "/api/products/pump/model?version=1")
        self.assertEqual(status, 200, reply)
        self.assertEqual([p["identifier"] for p in reply["thingModel"]["properties"]],
                         ["flow", "head"])
        status, reply = self.call("a-admin", "GET", "/api/products/pump")
        self.assertEqual((status, reply["thingModel"]["version"]), (200, 2), reply)

        # Enterprise B sees none of it: 404 exactly as for a missing product.
        b = self.enterprise[1]
        self.assertEqual(self.call("b-admin", "GET", "/api/products/pump"),
                         (404, {"responseCode": 100,
                                "message": "product 'pump' not found in enterprise %d" % b}))
        self.assertEqual(self.call("b-admin", "GET", "/api/products/pump?enterprise=%d" % a),
                         (404, {"responseCode": 100, "message": "enterprise %d not found" % a}))
        status, reply = self.call("b-admin", "GET", "/api/products")
        self.assertEqual((status, reply["products"]), (200, []))

        # The operator and the auditor see it when they name the enterprise.
        for who in ("operator", "audit"):
            status, reply = self.call(who, "GET", "/api/products/pump?enterprise=%d" % a)
            self.assertEqual((status, reply["product"]["id"]), (200, "pump"), who)
            status, reply = self.call(who, "GET", "/api/products?enterprise=%d" % a)
            self.assertEqual([p["id"] for p in reply["products"]], ["kiln-1", "oven", "pump"])
        self.assertEqual(
            self.call("audit", "DELETE", "/api/products/oven?enterprise=%d" % a),
            (403, {"responseCode": 401,
                   "message": "user:audit is an auditor and may not change products"}))

        # Anonymous callers are 401.
        for method, path in (("GET", "/api/products"), ("GET", "/api/products/pump"),
                             ("POST", "/api/products"), ("GET", "/api/starter-products")):
            status, reply = self.call("anonymous", method, path,
                                      {"id": "x", "fromStarter": "motor"}
                                      if method == "POST" else None)
            self.assertEqual((status, reply["responseCode"]), (401, 402), path)

        status, reply = self.call("a-admin", "DELETE", "/api/products/oven")
        self.assertEqual((status, reply), (200, {"responseCode": 1}))
        self.assertEqual(self.call("a-admin", "GET", "/api/products/oven")[0], 404)

        # The writes are in the audit log under the enterprise's prefix,
        # the refused ones with their result code.
        status, reply = self.call("operator", "GET", "/api/audit?prefix=" + self.prefix[0])
        self.assertEqual(status, 200, reply)
        writes = [(e["actor"], e["action"], e["result"], e["detail"]) for e in reply["events"]
                  if "product" in e["action"]]
        self.assertIn(("user:a-admin", "create product", 1,
                       "product 'pump' of enterprise %d" % a), writes)
        self.assertIn(("user:a-admin", "save product model", 202,
                       "product 'pump' of enterprise %d: thingModel.version: 1 has breaking "
                       "changes, it needs a version above 1: properties.flow: maximum lowered "
                       "from 600 to 400; properties.head: removed" % a), writes)
        self.assertIn(("user:a-admin", "delete product", 1,
                       "product 'oven' of enterprise %d" % a), writes)

    def test_starter_library_lists_seven_products(self):
        status, reply = self.call("b-admin", "GET", "/api/starter-products")
        self.assertEqual(status, 200, reply)
        self.assertEqual(sorted(p["id"] for p in reply["products"]), [
            "air_compressor", "centrifugal_pump", "cnc_machine", "electrolytic_cell", "motor",
            "reactor", "rotary_kiln"])

    def test_malformed_bodies_are_400_with_exact_messages(self):
        cases = [
            ("{", {"responseCode": 4, "message": "request body is not valid JSON"}),
            ("[]", {"responseCode": 4, "message": "request body must be a JSON object"}),
            ('{"id":"x","fromStarter":"motor","colour":"red"}',
             {"responseCode": 202, "field": "colour", "message": "colour: is not a known field"}),
            ('{"id":"x"}', {"responseCode": 202, "message": "request body must have exactly one "
                            "of thingModel, import and fromStarter"}),
            ('{"id":"x/y","fromStarter":"motor"}',
             {"responseCode": 202, "field": "id",
              "message": "id: 'x/y' is not a product id (1 to 64 of A-Z a-z 0-9 _ -, starting "
                         "with a letter or digit)"}),
            ('{"id":"x","name":{"zh":"泵"},"thingModel":{"version":1,"properties":7}}',
             {"responseCode": 202, "message": "thingModel.properties: must be an array"}),
            ('{"id":"x","name":{"zh":"泵"},"import":{"format":"alibaba","source":[]}}',
             {"responseCode": 202, "field": "import.source",
              "message": "import.source: must be an object"}),
        ]
        for text, expected in cases:
            status, reply = self.call("b-admin", "POST", "/api/products", text)
            self.assertEqual((status, reply), (400, expected), text)
        status, metrics = self.node.request("GET", "/metrics")
        self.assertIn('qilian_rest_errors_total{reason="malformed_json"} 2', metrics)


if __name__ == "__main__":
    unittest.main()
