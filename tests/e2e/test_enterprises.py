"""Enterprise onboarding end to end (docs/enterprises.md): register through
REST and through `qilian enterprise`, resolve the prefix handle each
registration wrote at the parent, and check that a bad credit code,
industry or region is refused with the field named and the exact message,
and a credit code registered twice is a conflict. Registering needs an
operator (the node's first administrator); anonymous callers get 401/402.

The credit codes are built by credit_code() below, which implements the two
GB 32100-2015 / GB 11714 check characters independently of the C++ code."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QILIAN, Qiliand  # noqa: E402

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def organization_check(body8):
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    value = lambda c: int(c) if c.isdigit() else ord(c) - ord("A") + 10  # noqa: E731
    check = 11 - sum(value(c) * w for c, w in zip(body8, weights)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(head8, body8):
    """A valid code from authority, type and division (head8) and an
    organization-code body (body8)."""
    first17 = head8 + body8 + organization_check(body8)
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    check = 31 - total % 31
    return first17 + ALPHABET[0 if check == 31 else check]


def body(code, name="兰州泵业有限公司", industry="C3441", region="620100"):
    return {"name": name, "creditCode": code, "industry": industry, "region": region,
            "contact": {"name": "张工", "phone": "+86 931 1234567",
                        "email": "ops@pump.example.cn"}}


def onboard(node, body8):
    """Onboards an enterprise (organization-code body `body8`) as the first
    administrator; returns (enterprise id, prefix)."""
    status, reply = node.request("POST", "/api/enterprises",
                                 body(credit_code("91620100", body8)))
    assert status == 201, reply
    return reply["enterprise"]["id"], reply["enterprise"]["prefix"]


def run_cli(server, *args, auth=None):
    """auth: (identity, secret file) for --auth/--secret-file."""
    cmd = [QILIAN, "--server", server]
    if auth is not None:
        cmd += ["--auth", auth[0], "--secret-file", auth[1]]
    proc = subprocess.run(cmd + list(args), capture_output=True, timeout=60)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


class EnterpriseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Qiliand().__enter__()
        # Registering needs an operator: the node's first administrator.
        cls.operator = (cls.node.admin[0],
                        os.path.join(cls.node.data_dir, "db", "admin.secret"))

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)

    def test_known_code_passes_the_reference_check(self):
        # The example of GB 32100-2015 itself: the helper agrees with it.
        self.assertEqual(credit_code("91350100", "M000100Y"), "91350100M000100Y43")

    def register(self, code, **kw):
        return self.node.request("POST", "/api/enterprises", body(code, **kw))

    def expect_prefix_handle(self, prefix):
        status, reply = self.node.request("GET", "/api/handles/0.NA/" + prefix)
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["handle"], "0.NA/" + prefix)
        sites = [v for v in reply["values"] if v["type"] == "HS_SITE"]
        self.assertEqual(len(sites), 1, reply)
        self.assertEqual(sites[0]["index"], 1)
        self.assertEqual(sites[0]["data"]["format"], "site")
        servers = sites[0]["data"]["value"]["servers"]
        self.assertEqual(len(servers), 1)
        if self.node.handle_port is not None:
            ports = {i["port"] for i in servers[0]["interfaces"]}
            self.assertEqual(ports, {self.node.handle_port})
        admins = [v for v in reply["values"] if v["type"] == "HS_ADMIN"]
        self.assertEqual([a["index"] for a in admins], [100])
        # The parent's administrators (HS_VLIST 200:0.NA/88.999, the first
        # administrator among them) administer the new prefix.
        admin_ref = admins[0]["data"]["value"]
        self.assertEqual((admin_ref["handle"], admin_ref["index"]), ("0.NA/88.999", 200))

    def test_rest_then_cli_registration_and_lookup(self):
        code = credit_code("91620100", "71000101")
        status, reply = self.register(code)
        self.assertEqual(status, 201, reply)
        enterprise = reply["enterprise"]
        prefix = enterprise["prefix"]
        self.assertRegex(prefix, r"^88\.999\.[1-9][0-9]*$")
        self.assertEqual(enterprise["prefixHandle"], "0.NA/" + prefix)
        self.assertEqual(enterprise["creditCode"], code)
        self.assertEqual(enterprise["industry"], "3441")
        self.assertEqual(enterprise["industrySection"], "C")
        self.expect_prefix_handle(prefix)

        status, by_code = self.node.request("GET", "/api/enterprises/" + code)
        self.assertEqual(status, 200)
        self.assertEqual(by_code["enterprise"], enterprise)
        status, by_id = self.node.request("GET", "/api/enterprises/%d" % enterprise["id"])
        self.assertEqual(by_id["enterprise"], enterprise)

        cli_code = credit_code("92620102", "L0000101")
        rc, out, err = run_cli(self.node.url, "enterprise", "register",
                               "--name", "榆中县张记五金店", "--credit-code", cli_code,
                               "--industry", "5174", "--region", "620123",
                               "--contact-name", "张三", "--contact-phone", "13800000000",
                               auth=self.operator)
        self.assertEqual((rc, err), (0, ""))
        cli_prefix = out.strip()
        self.assertRegex(cli_prefix, r"^88\.999\.[1-9][0-9]*$")
        self.assertNotEqual(cli_prefix, prefix)
        self.expect_prefix_handle(cli_prefix)

        rc, out, err = run_cli(self.node.url, "enterprise", "get", cli_code)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("creditCode: %s\n" % cli_code, out)
        self.assertIn("prefix: %s\n" % cli_prefix, out)
        self.assertIn("industry: 5174 (F 批发和零售业)\n", out)

        rc, out, err = run_cli(self.node.url, "enterprise", "list", "--page-size", "1000")
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        self.assertIn("%d\t%s\t%s\t兰州泵业有限公司" % (enterprise["id"], prefix, code), lines)

    def test_invalid_fields_are_refused_with_the_field_named(self):
        good = credit_code("91620100", "71000102")
        wrong_check = good[:17] + ALPHABET[(ALPHABET.index(good[17]) + 1) % 31]
        cases = [
            (body(wrong_check), "creditCode",
             "creditCode: check character is '%s', expected '%s'" % (wrong_check[17], good[17])),
            (body("91620100710001"), "creditCode", "creditCode: must be 18 characters, got 14"),
            (body(good, industry="99"), "industry",
             "industry: division '99' of '99' is not a GB/T 4754-2017 division"),
            (body(good, industry="U"), "industry",
             "industry: 'U' is not a GB/T 4754-2017 section (A-T)"),
            (body(good, region="990000"), "region",
             "region: province code '99' of '990000' is not a GB/T 2260 province"),
            (body(good, region="62010"), "region",
             "region: must be a 6-digit GB/T 2260 administrative division code, got '62010'"),
        ]
        for request, field, message in cases:
            status, reply = self.node.request("POST", "/api/enterprises", request)
            self.assertEqual(status, 400, reply)
            self.assertEqual(reply, {"responseCode": 202, "field": field, "message": message})
        # None of them was stored.
        status, _ = self.node.request("GET", "/api/enterprises/" + good)
        self.assertEqual(status, 404)

        rc, out, err = run_cli(self.node.url, "enterprise", "register", "--name", "x",
                               "--credit-code", wrong_check, "--industry", "C",
                               "--region", "620100", "--contact-name", "x",
                               "--contact-phone", "13800000000", auth=self.operator)
        self.assertEqual((rc, out), (4, ""))
        self.assertEqual(err, "qilian: creditCode: check character is '%s', expected '%s' "
                              "(responseCode 202)\n" % (wrong_check[17], good[17]))

    def test_duplicate_credit_code_is_a_conflict(self):
        code = credit_code("12620000", "43800103")
        status, first = self.register(code)
        self.assertEqual(status, 201, first)
        status, reply = self.register(code, name="另一个名字")
        self.assertEqual(status, 409)
        self.assertEqual(reply, {
            "responseCode": 101, "field": "creditCode",
            "message": "creditCode: an enterprise with credit code %s is already registered"
                       % code})
        rc, out, err = run_cli(self.node.url, "enterprise", "register", "--name", "x",
                               "--credit-code", code, "--industry", "P", "--region", "620000",
                               "--contact-name", "x", "--contact-phone", "13800000000",
                               auth=self.operator)
        self.assertEqual((rc, out), (3, ""))
        status, still = self.node.request("GET", "/api/enterprises/" + code)
        self.assertEqual(still["enterprise"], first["enterprise"])

    def test_registration_needs_an_operator(self):
        code = credit_code("91620100", "71000106")
        self.assertEqual(self.node.request("POST", "/api/enterprises", body(code), auth=None),
                         (401, {"responseCode": 402, "message": "authentication required"}))
        rc, out, err = run_cli(self.node.url, "enterprise", "register", "--name", "x",
                               "--credit-code", code, "--industry", "C3441",
                               "--region", "620100", "--contact-name", "x",
                               "--contact-phone", "13800000000")
        self.assertEqual((rc, out, err),
                         (5, "", "qilian: authentication required (responseCode 402)\n"))
        status, _ = self.node.request("GET", "/api/enterprises/" + code)
        self.assertEqual(status, 404)

    def test_prefix_survives_restart(self):
        # The counter is durable: after a restart the next prefix is new.
        code = credit_code("91620100", "71000104")
        status, before = self.register(code)
        self.assertEqual(status, 201)
        self.node.kill()
        self.node.start()
        status, after = self.register(credit_code("91620100", "71000105"))
        self.assertEqual(status, 201, after)
        number = lambda r: int(r["enterprise"]["prefix"].rsplit(".", 1)[1])  # noqa: E731
        self.assertGreater(number(after), number(before))
        status, again = self.node.request("GET", "/api/enterprises/" + code)
        self.assertEqual(again["enterprise"], before["enterprise"])


if __name__ == "__main__":
    unittest.main()
