"""REST authentication of handle writes ([auth] rest = true).

The first administrator credential flow (docs/authentication.md): qiliand
starts once with `[auth] rest = false`, the administrator 88.999/ADMIN (its
HS_SECKEY at 300) and the prefix handle 0.NA/88.999 (HS_ADMIN 0x0fff ->
300:88.999/ADMIN) are written over REST from loopback, and the node restarts
on the same data directory with `[auth] rest = true`. From then on PUT and
DELETE on /api/handles need a Basic credential that HS_ADMIN authorizes.
"""

import base64
import os
import unittest

from harness import Qiliand, string_value

ADMIN = "88.999/ADMIN"
OTHER = "88.999/OTHER"


def seckey(secret):
    value = string_value(300, "HS_SECKEY", secret)
    value["permissions"] = "1100"
    return value


def admin(index, handle, permissions):
    return {"index": index, "type": "HS_ADMIN",
            "data": {"format": "admin",
                     "value": {"handle": handle, "index": 300, "permissions": permissions}}}


def basic(user, secret):
    token = base64.b64encode(("%s:%s" % (user, secret)).encode()).decode()
    return {"Authorization": "Basic " + token}


BODY = {"values": [string_value(1, "URL", "https://example.com/p")]}


class RestAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Qiliand(config_text="[auth]\nrest = false\n").start()
        for handle, values in (
                (ADMIN, [seckey("adminsecret"), admin(100, ADMIN, "111111111111")]),
                (OTHER, [seckey("othersecret"), admin(100, ADMIN, "111111111111")]),
                # 0x0fff for ADMIN; OTHER may only modify values.
                ("0.NA/88.999", [admin(100, ADMIN, "111111111111"),
                                 admin(101, OTHER, "000000010000")])):
            status, body = cls.node.request("PUT", "/api/handles/" + handle, {"values": values})
            assert status == 201, (handle, status, body)
        cls.node.stop()
        with open(cls.node.config_path, "w") as f:
            f.write("[auth]\nrest = true\n")
        cls.node.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)

    def exists(self, handle):
        status, _ = self.node.request("GET", "/api/handles/" + handle)
        return status == 200

    def test_without_credentials_401_402(self):
        status, body = self.node.request("PUT", "/api/handles/88.999/noauth", BODY)
        self.assertEqual(status, 401, body)
        self.assertEqual(body["responseCode"], 402, body)
        self.assertFalse(self.exists("88.999/noauth"))

    def test_right_credential_201(self):
        status, body = self.node.request("PUT", "/api/handles/88.999/ok", BODY,
                                         basic("300%3A" + ADMIN, "adminsecret"))
        self.assertEqual(status, 201, body)
        self.assertTrue(self.exists("88.999/ok"))

    def test_wrong_secret_401_403(self):
        status, body = self.node.request("PUT", "/api/handles/88.999/wrong", BODY,
                                         basic("300%3A" + ADMIN, "nope"))
        self.assertEqual(status, 401, body)
        self.assertEqual(body["responseCode"], 403, body)
        self.assertEqual(body["message"], "secret does not match for 300:88.999/ADMIN")
        self.assertFalse(self.exists("88.999/wrong"))

    def test_not_permitted_403_401(self):
        status, body = self.node.request("PUT", "/api/handles/88.999/denied", BODY,
                                         basic("300%3A" + OTHER, "othersecret"))
        self.assertEqual(status, 403, body)
        self.assertEqual(body["responseCode"], 401, body)
        self.assertEqual(body["message"],
                         "no HS_ADMIN naming 300:88.999/OTHER grants add handle on 88.999/denied")
        self.assertFalse(self.exists("88.999/denied"))

    def test_failures_counted(self):
        self.node.request("PUT", "/api/handles/88.999/counted", BODY)
        status, text = self.node.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn('qilian_rest_auth_failures_total{reason="credentials_missing"}', text)


if __name__ == "__main__":
    unittest.main()
