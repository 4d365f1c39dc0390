"""`qilian product` end to end (docs/cli.md, "qilian product") against a
real qiliand: the node's first administrator (an operator) onboards an
enterprise and, naming it with --enterprise, lists the starter library,
creates a product from a starter and one from an Alibaba TSL file (the
import warnings printed), lists, reads the product and its model, saves a
compatible amendment, is refused a breaking one (each change printed, exit
3), saves the next version and deletes. Files that cannot be read or are not
JSON, and bad flags, are usage errors (exit 2) with nothing sent. Outputs
are asserted exactly.

    QILIAN_BUILD_DIR=build python3 -m unittest tests/e2e/test_cli_products.py
"""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QILIAN, Qiliand  # noqa: E402
from test_cli import admin_credentials, run_cli  # noqa: E402
from test_enterprises import onboard  # noqa: E402
from test_products import TSL, pump_model  # noqa: E402

STARTERS = (
    "ID                 PROPERTIES  EVENTS  SERVICES  NAME\n"
    "centrifugal_pump   16          5       4         离心泵 (Centrifugal pump)\n"
    "motor              15          5       4         电动机 (Induction motor)\n"
    "air_compressor     15          4       4         螺杆空压机 (Screw air compressor)\n"
    "rotary_kiln        15          3       3         回转窑 (Rotary kiln)\n"
    "electrolytic_cell  14          3       3         铝电解槽 (Aluminium reduction cell)\n"
    "cnc_machine        14          4       4         数控机床 (CNC machining centre)\n"
    "reactor            14          5       3         聚合反应釜 (Polymerisation reactor)\n")


class CliProductsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(QILIAN):
            raise RuntimeError("qilian not built at " + QILIAN)
        cls.node = Qiliand().start()
        cls.enterprise = str(onboard(cls.node, "71000301")[0])
        cls.dir = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def file(self, name, document):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(document if isinstance(document, str) else json.dumps(document))
        return path

    def cli(self, *args):
        return run_cli(*args, server=self.node.url, auth=admin_credentials(self.node))

    def product(self, *args):
        """`qilian product ARGS --enterprise E`."""
        return self.cli("product", *args, "--enterprise", self.enterprise)

    def test_products_from_start_to_delete(self):
        e = self.enterprise
        self.assertEqual(self.cli("product", "starters"), (0, STARTERS, ""))

        self.assertEqual(self.product("create", "kiln-1", "--from-starter", "rotary_kiln"),
                         (0, "created product kiln-1 (model version 1)\n", ""))
        self.assertEqual(
            self.product("create", "oven", "--name-zh", "烘箱",
                         "--import-alibaba", self.file("tsl.json", TSL)),
            (0, "created product oven (model version 1)\n",
             "qilian: import warning: schema: no equivalent, dropped\n"
             "qilian: import warning: profile.productKey: no equivalent, dropped\n"
             "qilian: import warning: properties[0].required: standard-feature flag, "
             "no equivalent, dropped\n"
             "qilian: import warning: properties[0].dataType.specs.unitName: display name "
             "of the unit, dropped (the unit is kept)\n"))
        self.assertEqual(
            self.product("create", "pump", "--name-zh", "给水泵", "--name-en", "Feed pump",
                         "--description", "boiler feed", "--model",
                         self.file("pump1.json", pump_model(1, 500))),
            (0, "created product pump (model version 1)\n", ""))
        self.assertEqual(
            self.product("create", "pump", "--name-zh", "泵", "--from-starter", "motor"),
            (3, "", "qilian: id: product 'pump' already exists in enterprise %s "
                    "(responseCode 101)\n" % e))

        self.assertEqual(self.product("list"), (0, (
            "ENTERPRISE  ID      VERSION  NAME\n"
            "%s           kiln-1  1        回转窑 (Rotary kiln)\n"
            "%s           oven    1        烘箱\n"
            "%s           pump    1        给水泵 (Feed pump)\n") % (e, e, e), ""))
        self.assertEqual(self.product("list", "--page-size", "1", "--page", "1"), (0, (
            "ENTERPRISE  ID    VERSION  NAME\n"
            "%s           oven  1        烘箱\n") % e, ""))

        code, out, err = self.product("get", "pump")
        self.assertEqual((code, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[:6], ["id: pump", "enterprise: " + e, "name: 给水泵 (Feed pump)",
                                     "description: boiler feed", "latestVersion: 1",
                                     "model: 1 properties, 0 events, 0 services"])
        self.assertRegex(lines[6], r"^createdAt: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(lines[7], r"^updatedAt: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(len(lines), 8)

        code, out, err = self.product("model", "pump")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(json.loads(out)["properties"][0]["dataType"]["specs"]["max"], 500)
        self.assertEqual(json.loads(out), {
            "version": 1, "events": [], "services": [],
            "properties": [{"identifier": "flow", "name": {"zh": "流量"}, "access": "r",
                            "dataType": {"type": "double", "specs": {
                                "min": 0, "max": 500, "unit": "m3/h"}}}]})
        self.assertTrue(out.startswith('{\n  "events": [],\n  "properties": [\n'), out)

        # A compatible amendment of version 1, then a breaking one refused.
        self.assertEqual(
            self.product("set-model", "pump", "--model",
                         self.file("pump1b.json", pump_model(1, 600, with_head=True))),
            (0, "saved product pump model version 1\n", ""))
        self.assertEqual(
            self.product("set-model", "pump", "--model",
                         self.file("pump1c.json", pump_model(1, 400))),
            (3, "", "qilian: the model breaks data valid under the saved version of product "
                    "pump; nothing saved (give it the next version to add one):\n"
                    "properties.flow: maximum lowered from 600 to 400\n"
                    "properties.head: removed\n"))
        code, out, err = self.cli("--json", "product", "set-model", "pump", "--model",
                                  os.path.join(self.dir, "pump1c.json"), "--enterprise", e)
        self.assertEqual(code, 3)
        self.assertEqual(json.loads(out)["breakingChanges"], [
            {"path": "properties.flow", "reason": "maximum lowered from 600 to 400"},
            {"path": "properties.head", "reason": "removed"}])
        self.assertEqual(
            self.product("set-model", "pump", "--model",
                         self.file("pump2.json", pump_model(2, 400))),
            (0, "saved product pump model version 2\n", ""))
        code, out, _ = self.product("model", "pump", "--version", "1")
        self.assertEqual([p["identifier"] for p in json.loads(out)["properties"]],
                         ["flow", "head"])
        self.assertEqual(self.product("model", "pump", "--version", "3"),
                         (1, "", "qilian: product 'pump' has no model version 3; its latest "
                                 "is 2 (responseCode 100)\n"))

        self.assertEqual(self.product("delete", "oven"), (0, "deleted product oven\n", ""))
        self.assertEqual(self.product("get", "oven"),
                         (1, "", "qilian: product 'oven' not found in enterprise %s "
                                 "(responseCode 100)\n" % e))
        self.assertEqual(self.cli("--json", "product", "delete", "kiln-1", "--enterprise", e),
                         (0, '{"responseCode":1}\n', ""))

    def test_usage_errors_send_nothing(self):
        missing = os.path.join(self.dir, "missing.json")
        not_json = self.file("not-json.json", '{"version": 1,')
        cases = [
            (("create", "x", "--name-zh", "泵", "--model", missing),
             "qilian: cannot read --model file '%s': No such file or directory\n" % missing),
            (("create", "x", "--name-zh", "泵", "--import-jetlinks", not_json),
             "qilian: --import-jetlinks file '%s' is not JSON (at byte 15)\n" % not_json),
            (("set-model", "x", "--model", not_json),
             "qilian: --model file '%s' is not JSON (at byte 15)\n" % not_json),
            (("create", "x", "--name-zh", "泵"),
             "qilian: give exactly one of --model, --import-alibaba, --import-jetlinks and "
             "--from-starter\n"),
            (("create", "x", "--model", self.file("m.json", pump_model(1, 10))),
             "qilian: --name-zh is required (except with --from-starter)\n"),
        ]
        for args, message in cases:
            self.assertEqual(self.product(*args), (2, "", message), args)
        self.assertEqual(self.cli("product", "get"),
                         (2, "", "qilian: id is required\nRun 'qilian --help' for usage.\n"))
        self.assertEqual(self.cli("product", "list", "--enterprise", "0")[0], 2)
        # Nothing was created by any of them.
        self.assertEqual(self.product("get", "x")[0], 1)


if __name__ == "__main__":
    unittest.main()
