"""Native-protocol authentication of writes.

A real qiliand; every write is authenticated. The administrators and their
HS_SECKEY secrets are set up over REST by the node's first administrator
(300:0.NA/88.999, created on the first start); then native TCP writes are
challenged (402), and performed only after a correct secret-key answer from
an identity that HS_ADMIN authorizes. Anonymous writes are refused at every
door (native TCP: 402; UDP: 4) and change nothing.
tests/e2e/handle_client.py computes the answers with hashlib, independently
of the C++ code.
"""

import os
import struct
import unittest

import handle_client as hc
from harness import start_native_node, string_value

ADMIN = "88.999/ADMIN"
OTHER = "88.999/OTHER"
SECRET = "adminsecret"
OTHER_SECRET = "othersecret"


def seckey(secret):
    value = string_value(300, "HS_SECKEY", secret)
    value["permissions"] = "1100"  # admin read/write only: never resolved publicly
    return value


def admin(index, handle, admin_index, permissions):
    return {"index": index, "type": "HS_ADMIN",
            "data": {"format": "admin",
                     "value": {"handle": handle, "index": admin_index,
                               "permissions": permissions}}}


class NativeAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = start_native_node()
        cls.tcp = hc.Client("127.0.0.1", cls.node.handle_port, "tcp")
        cls.udp = hc.Client("127.0.0.1", cls.node.handle_port, "udp")
        # Written by the first administrator (the harness's default for writes).
        for handle, values in (
                (ADMIN, [seckey(SECRET), admin(100, ADMIN, 300, "111111111111")]),
                (OTHER, [seckey(OTHER_SECRET), admin(100, ADMIN, 300, "111111111111")])):
            status, body = cls.node.request("PUT", "/api/handles/" + handle, {"values": values})
            assert status == 201, (handle, status, body)
        # ADMIN may do everything under 88.999; OTHER only modify values. Added
        # next to the first administrator's HS_ADMIN at 100 of the prefix
        # handle the node created, which stays.
        status, body = cls.node.request(
            "PUT", "/api/handles/0.NA/88.999?index=101&index=102&overwrite=false",
            {"values": [admin(101, ADMIN, 300, "111111111111"),
                        admin(102, OTHER, 300, "000000010000")]})
        assert status == 200, (status, body)

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def exists(self, handle):
        status, _ = self.node.request("GET", "/api/handles/" + handle)
        return status == 200

    def challenge(self, handle):
        reply = self.tcp.create(handle, [hc.HandleValue(1, "URL", "https://example.org/a")])
        self.assertEqual(reply.code, hc.RC_AUTHEN_NEEDED)
        self.assertEqual(reply.op, hc.OC_CREATE_HANDLE)
        self.assertNotEqual(reply.session_id, 0)
        self.assertEqual(reply.digest[0], 3)  # SHA-256 at 2.11
        self.assertGreaterEqual(len(reply.nonce), 20)
        return reply

    def test_create_without_auth_is_challenged_and_nothing_is_created(self):
        self.challenge("88.999/AUTH-NONE")
        self.assertFalse(self.exists("88.999/AUTH-NONE"))

    def test_right_secret_creates_and_a_replay_is_refused(self):
        challenge = self.challenge("88.999/AUTH-OK")
        reply, answer = self.tcp.answer(challenge, ADMIN, 300, SECRET)
        self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
        self.assertEqual(reply.op, hc.OC_CREATE_HANDLE)
        self.assertEqual(reply.handle, "88.999/AUTH-OK")
        self.assertTrue(self.exists("88.999/AUTH-OK"))
        # The same answer octets again, on another connection.
        replay, _ = self.tcp.answer(challenge, ADMIN, 300, SECRET, answer_octets=answer)
        self.assertEqual(replay.code, 403)
        self.assertEqual(replay.message, "challenge nonce already used")

    def test_wrong_secret_is_403_and_nothing_is_created(self):
        challenge = self.challenge("88.999/AUTH-WRONG")
        reply, _ = self.tcp.answer(challenge, ADMIN, 300, "not the secret")
        self.assertEqual(reply.code, 403)
        self.assertEqual(reply.message, "secret key answer does not match")
        self.assertFalse(self.exists("88.999/AUTH-WRONG"))

    def test_unknown_identity_is_403(self):
        challenge = self.challenge("88.999/AUTH-NOBODY")
        reply, _ = self.tcp.answer(challenge, "88.999/NOBODY", 300, SECRET)
        self.assertEqual(reply.code, 403)
        self.assertEqual(reply.message,
                         "cannot authenticate 300:88.999/NOBODY: no HS_SECKEY value at that index")
        self.assertFalse(self.exists("88.999/AUTH-NOBODY"))

    def test_identity_without_permission_is_401(self):
        challenge = self.challenge("88.999/AUTH-DENIED")
        reply, _ = self.tcp.answer(challenge, OTHER, 300, OTHER_SECRET)
        self.assertEqual(reply.code, 401)
        self.assertEqual(reply.message,
                         "no HS_ADMIN naming 300:88.999/OTHER grants add handle on 88.999/AUTH-DENIED")
        self.assertFalse(self.exists("88.999/AUTH-DENIED"))

    def test_protocol_2_1_with_the_sha1_keyed_hash(self):
        # The 2.1 form of create-tcp-v2.1-sha1: SHA-1 request digest, MAC 0x02.
        body = (hc._string("88.999/AUTH-21") +
                hc._values([hc.HandleValue(1, "URL", "https://example.org/21")]))
        request_id = struct.unpack(">I", os.urandom(4))[0] & 0x7fffffff
        challenge = self.tcp._tcp(hc.encode_request(hc.OC_CREATE_HANDLE, body, 0, request_id,
                                                    version=(2, 1)), request_id)
        self.assertEqual(challenge.code, hc.RC_AUTHEN_NEEDED)
        self.assertEqual(challenge.digest[0], 2)
        reply, _ = self.tcp.answer(challenge, ADMIN, 300, SECRET, mac="sha1")
        self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
        self.assertTrue(self.exists("88.999/AUTH-21"))

    def test_public_reads_are_not_challenged_and_secrets_stay_hidden(self):
        # Public only (PO), as deployed resolvers ask: no challenge, no secret.
        for client in (self.tcp, self.udp):
            reply = client.resolve(ADMIN, op_flags=hc.FLAG_PO)
            self.assertEqual(reply.code, hc.RC_SUCCESS)
            self.assertEqual([v.type for v in reply.values], ["HS_ADMIN"])
        # A handle with only public values is answered without PO too.
        status, body = self.node.request(
            "PUT", "/api/handles/88.999/AUTH-PUBLIC",
            {"values": [string_value(1, "URL", "https://p.example")]})
        self.assertEqual(status, 201, body)
        reply = self.udp.resolve("88.999/AUTH-PUBLIC")
        self.assertEqual((reply.code, [v.index for v in reply.values]), (hc.RC_SUCCESS, [1]))

    def test_a_full_read_of_non_public_values_is_challenged(self):
        # Without PO the node asks who is reading (deployed Handle.Net behaviour).
        challenge = self.tcp.resolve(ADMIN)
        self.assertEqual(challenge.code, hc.RC_AUTHEN_NEEDED)
        self.assertEqual(challenge.op, hc.OC_RESOLUTION)
        self.assertEqual(challenge.values, [])
        self.assertGreaterEqual(len(challenge.nonce), 20)
        # ADMIN administers its own handle (HS_ADMIN 100 with read permission):
        # it reads the admin-only HS_SECKEY too.
        reply, _ = self.tcp.answer(challenge, ADMIN, 300, SECRET)
        self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
        self.assertEqual([(v.index, v.type) for v in reply.values],
                         [(100, "HS_ADMIN"), (300, "HS_SECKEY")])
        self.assertEqual(reply.values[1].data, SECRET.encode())
        # A wrong answer reads nothing.
        challenge = self.tcp.resolve(ADMIN)
        reply, _ = self.tcp.answer(challenge, ADMIN, 300, "not the secret")
        self.assertEqual((reply.code, reply.message, reply.values),
                         (403, "secret key answer does not match", []))

    def test_anonymous_writes_are_refused_at_every_native_door(self):
        handle = "88.999/AUTH-ANON"
        keep = "88.999/AUTH-KEEP"
        status, body = self.node.request(
            "PUT", "/api/handles/" + keep,
            {"values": [string_value(1, "URL", "https://k.example")]})
        self.assertEqual(status, 201, body)
        url = [hc.HandleValue(1, "URL", "https://example.org/anon")]
        for name, send in [
                ("create", lambda c: c.create(handle, url)),
                ("create with overwrite", lambda c: c.create(keep, url, overwrite=True)),
                ("add value", lambda c: c.add(keep, [hc.HandleValue(2, "URL", "x")])),
                ("modify value", lambda c: c.modify(keep, [hc.HandleValue(1, "URL", "x")])),
                ("remove value", lambda c: c.remove(keep, [1])),
                ("delete handle", lambda c: c.delete(keep))]:
            with self.subTest(door="tcp", op=name):
                reply = send(self.tcp)
                self.assertEqual(reply.code, hc.RC_AUTHEN_NEEDED)
                self.assertNotEqual(reply.session_id, 0)
                self.assertGreaterEqual(len(reply.nonce), 20)
            with self.subTest(door="udp", op=name):
                reply = send(self.udp)
                self.assertEqual(
                    (reply.code, reply.message),
                    (4, "administration requests are accepted only over TCP or HTTP"))
                self.assertIsNone(reply.nonce)
        # Listing is refused anonymously too.
        self.assertEqual(self.tcp.list_handles("88.999").code, hc.RC_AUTHEN_NEEDED)
        # Nothing changed.
        self.assertFalse(self.exists(handle))
        status, got = self.node.request("GET", "/api/handles/" + keep)
        self.assertEqual([(v["index"], v["data"]["value"]) for v in got["values"]],
                         [(1, "https://k.example")])

    def test_listing_is_challenged_and_needs_the_list_bit(self):
        challenge = self.tcp.list_handles("88.999")
        self.assertEqual(challenge.code, hc.RC_AUTHEN_NEEDED)
        reply, _ = self.tcp.answer(challenge, ADMIN, 300, SECRET)
        self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
        self.assertIn(ADMIN, reply.handles)
        reply, _ = self.tcp.answer(self.tcp.list_handles("88.999"), OTHER, 300, OTHER_SECRET)
        self.assertEqual((reply.code, reply.message, reply.handles),
                         (401, "no HS_ADMIN naming 300:88.999/OTHER grants list handles on "
                               "0.NA/88.999", []))

    def test_the_first_administrator_writes_natively(self):
        first = hc.Client("127.0.0.1", self.node.handle_port, "tcp", auth=self.node.admin_key)
        reply = first.create("88.999/AUTH-FIRST",
                             [hc.HandleValue(1, "URL", "https://f.example")])
        self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
        self.assertTrue(self.exists("88.999/AUTH-FIRST"))
        reply = first.delete("88.999/AUTH-FIRST")
        self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
        self.assertFalse(self.exists("88.999/AUTH-FIRST"))

    def test_delete_needs_authentication_too(self):
        status, body = self.node.request("PUT", "/api/handles/88.999/AUTH-DEL",
                                         {"values": [string_value(1, "URL", "https://x.example")]})
        self.assertEqual(status, 201, body)
        challenge = self.tcp.delete("88.999/AUTH-DEL")
        self.assertEqual(challenge.code, hc.RC_AUTHEN_NEEDED)
        self.assertTrue(self.exists("88.999/AUTH-DEL"))
        reply, _ = self.tcp.answer(challenge, ADMIN, 300, SECRET)
        self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
        self.assertEqual(reply.op, hc.OC_DELETE_HANDLE)
        self.assertFalse(self.exists("88.999/AUTH-DEL"))


if __name__ == "__main__":
    unittest.main()
