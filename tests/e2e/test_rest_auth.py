"""REST authentication of handle writes and listing.

Every write needs a credential. The node's first administrator
(300:0.NA/88.999, created on the first start, its secret in the data
directory) writes the administrator 88.999/ADMIN (its HS_SECKEY at 300), the
identity 88.999/OTHER, and adds HS_ADMIN 0x0fff -> 300:88.999/ADMIN and a
modify-only HS_ADMIN -> 300:88.999/OTHER to the prefix handle 0.NA/88.999
the node created. From then on PUT and DELETE on /api/handles need a Basic
credential that HS_ADMIN authorizes; without one nothing changes.
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
        cls.node = Qiliand().start()
        if cls.node.admin is None:
            cls.node.kill()
            raise RuntimeError("no first administrator:\n" + cls.node.log())
        # Written as the first administrator (the harness's default for writes).
        for handle, values in (
                (ADMIN, [seckey("adminsecret"), admin(100, ADMIN, "111111111111")]),
                (OTHER, [seckey("othersecret"), admin(100, ADMIN, "111111111111")])):
            status, body = cls.node.request("PUT", "/api/handles/" + handle, {"values": values})
            assert status == 201, (handle, status, body)
        # 0x0fff for ADMIN; OTHER may only modify values. Added with ?index so
        # the first administrator's own HS_ADMIN at 100 stays.
        status, body = cls.node.request(
            "PUT", "/api/handles/0.NA/88.999?index=101&index=102&overwrite=false",
            {"values": [admin(101, ADMIN, "111111111111"), admin(102, OTHER, "000000010000")]})
        assert status == 200, (status, body)

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)

    def exists(self, handle):
        status, _ = self.node.request("GET", "/api/handles/" + handle)
        return status == 200

    def put_keep(self):
        handle = "88.999/keep"
        self.node.request("DELETE", "/api/handles/" + handle)
        status, body = self.node.request("PUT", "/api/handles/" + handle, BODY)
        self.assertEqual(status, 201, body)
        return handle

    def assert_kept(self, handle):
        status, got = self.node.request("GET", "/api/handles/" + handle)
        self.assertEqual(status, 200, got)
        self.assertEqual([(v["index"], v["data"]["value"]) for v in got["values"]],
                         [(1, "https://example.com/p")])

    def test_without_credentials_401_402(self):
        status, body = self.node.request("PUT", "/api/handles/88.999/noauth", BODY, auth=None)
        self.assertEqual(status, 401, body)
        self.assertEqual(body, {"responseCode": 402, "message": "authentication required",
                                "handle": "88.999/noauth"})
        self.assertFalse(self.exists("88.999/noauth"))

    def test_every_anonymous_write_is_refused_and_changes_nothing(self):
        keep = self.put_keep()
        other = {"values": [string_value(1, "URL", "https://example.com/changed")]}
        added = {"values": [string_value(2, "URL", "https://example.com/added")]}
        for method, target, payload in [
                ("PUT", "88.999/anon-new", BODY),
                ("PUT", keep, other),
                ("PUT", keep + "?index=1", other),
                ("PUT", keep + "?index=2&overwrite=false", added),
                ("DELETE", keep, None),
                ("DELETE", keep + "?index=1", None)]:
            with self.subTest(method=method, target=target):
                status, body = self.node.request(method, "/api/handles/" + target, payload,
                                                 auth=None)
                self.assertEqual((status, body["responseCode"], body["message"]),
                                 (401, 402, "authentication required"))
        self.assertFalse(self.exists("88.999/anon-new"))
        self.assert_kept(keep)

    def test_challenge_headers(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.node.port, timeout=10)
        try:
            conn.request("DELETE", "/api/handles/88.999/nothing")
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 401)
            self.assertEqual(resp.msg.get_all("WWW-Authenticate"),
                             ['Basic realm="qilian"', 'Bearer realm="qilian"',
                              'Handle realm="qilian"'])
        finally:
            conn.close()

    def test_listing_needs_credentials(self):
        self.assertEqual(self.node.request("GET", "/api/handles?prefix=88.999", auth=None),
                         (401, {"responseCode": 402, "message": "authentication required"}))
        # The first administrator is an operator: it lists.
        status, body = self.node.request("GET", "/api/handles?prefix=88.999&pageSize=1000",
                                         auth=self.node.admin)
        self.assertEqual(status, 200, body)
        self.assertIn(ADMIN, body["handles"])

    def test_a_prefix_administrator_with_the_list_bit_lists(self):
        # HS_ADMIN 101:0.NA/88.999 gives 300:88.999/ADMIN every permission,
        # list handles (0x800) included; the listing is judged by the prefix
        # handle's own HS_ADMIN values.
        status, body = self.node.request("GET", "/api/handles?prefix=88.999&pageSize=1000",
                                         auth=("300:" + ADMIN, "adminsecret"))
        self.assertEqual(status, 200, body)
        self.assertIn(ADMIN, body["handles"])
        # OTHER's HS_ADMIN on 0.NA/88.999 lacks the list-handles bit.
        status, body = self.node.request("GET", "/api/handles?prefix=88.999",
                                         auth=("300:" + OTHER, "othersecret"))
        self.assertEqual((status, body), (403, {
            "responseCode": 401,
            "message": "no HS_ADMIN naming 300:88.999/OTHER grants list handles on 0.NA/88.999"}))

    def test_bad_bearer_token_401_403(self):
        keep = self.put_keep()
        status, body = self.node.request("DELETE", "/api/handles/" + keep,
                                         auth="Bearer not-a-token")
        self.assertEqual((status, body), (401, {"responseCode": 403,
                                                "message": "bearer token is not valid"}))
        self.assert_kept(keep)

    def test_admin_read_values_need_a_reader_who_may_see_them(self):
        status, body = self.node.request("GET", "/api/handles/" + ADMIN)
        self.assertEqual([v["type"] for v in body["values"]], ["HS_ADMIN"])
        status, body = self.node.request("GET", "/api/handles/" + ADMIN,
                                         auth=("300:" + ADMIN, "adminsecret"))
        self.assertEqual(status, 200, body)
        self.assertEqual([(v["index"], v["type"]) for v in body["values"]],
                         [(100, "HS_ADMIN"), (300, "HS_SECKEY")])

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

    def test_unknown_identity_401_403(self):
        status, body = self.node.request("PUT", "/api/handles/88.999/nobody", BODY,
                                         basic("300%3A88.999/NOBODY", "adminsecret"))
        self.assertEqual((status, body), (401, {
            "responseCode": 403,
            "message": "cannot authenticate 300:88.999/NOBODY: no HS_SECKEY value at that index"}))
        self.assertFalse(self.exists("88.999/nobody"))

    def test_not_permitted_403_401(self):
        status, body = self.node.request("PUT", "/api/handles/88.999/denied", BODY,
                                         basic("300%3A" + OTHER, "othersecret"))
        self.assertEqual(status, 403, body)
        self.assertEqual(body["responseCode"], 401, body)
        self.assertEqual(body["message"],
                         "no HS_ADMIN naming 300:88.999/OTHER grants add handle on 88.999/denied")
        self.assertFalse(self.exists("88.999/denied"))

    def test_malformed_credentials_401_402(self):
        for header, message in [
                ("Digest x", "Authorization must use the Basic scheme "
                             "(<index>%3A<handle>:<secret>) or the Bearer scheme"),
                ("Basic !!!", "Basic credentials are not valid base64"),
                ("Basic " + base64.b64encode(b"nocolon").decode(),
                 "Basic credentials must be <index>%3A<handle>:<secret>")]:
            with self.subTest(header):
                self.assertEqual(
                    self.node.request("PUT", "/api/handles/88.999/malformed", BODY, auth=header),
                    (401, {"responseCode": 402, "message": message}))
        self.assertFalse(self.exists("88.999/malformed"))

    def test_failures_counted(self):
        def metrics():
            status, text = self.node.request("GET", "/metrics")
            self.assertEqual(status, 200)
            return text
        self.node.request("PUT", "/api/handles/88.999/counted", BODY,
                          basic("300%3A" + ADMIN, "nope"))
        self.node.request("PUT", "/api/handles/88.999/counted", BODY, auth="Basic !!!")
        self.node.request("PUT", "/api/handles/88.999/counted", BODY, auth=None)
        text = metrics()
        self.assertRegex(text, r'qilian_rest_auth_failures_total\{reason="wrong"\} [1-9]')
        self.assertRegex(text, r'qilian_rest_auth_failures_total\{reason="malformed"\} [1-9]')
        # An anonymous write is not a failed credential: the authorizer
        # answers it with 402, counted among the identifier responses.
        self.assertRegex(text, r'qilian_ident_responses_total\{code="402"\} [1-9]')
        self.assertFalse(self.exists("88.999/counted"))

if __name__ == "__main__":
    unittest.main()
