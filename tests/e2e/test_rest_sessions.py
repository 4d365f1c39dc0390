"""REST sessions: Handle.Net v9's public-key challenge flow against a real
qiliand (docs/api.md "Sessions").

The first administrator writes 88.999/SESSKEY with an RSA HS_PUBKEY at 300
(made with the openssl CLI, independently of the C++ code) and gives it
HS_ADMIN on 0.NA/88.999. The client then does what a Handle.Net client does:
POST /api/sessions for a session id and a server nonce, signs
server nonce | client nonce with the private key, sends
  Authorization: Handle version="0", sessionId=..., id="300:88.999/SESSKEY",
      type="HS_PUBKEY", alg="SHA256", cnonce=..., signature=...
and from then on only `Authorization: Handle sessionId="..."`.
"""

import base64
import os
import struct
import subprocess
import tempfile
import unittest

from harness import Qiliand, string_value

KEY_HANDLE = "88.999/SESSKEY"
KEY_ID = "300:" + KEY_HANDLE
BODY = {"values": [string_value(1, "URL", "https://example.com/session")]}


def openssl(*args):
    return subprocess.run(["openssl"] + list(args), check=True, capture_output=True).stdout


def big_number(n):
    b = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return struct.pack(">I", len(b)) + b


def utf8_string(text):
    data = text.encode()
    return struct.pack(">I", len(data)) + data


class RsaKey:
    def __init__(self, tmp):
        self.pem = os.path.join(tmp, "key-%s.pem" % os.urandom(4).hex())
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", self.pem)
        modulus = openssl("rsa", "-in", self.pem, "-noout", "-modulus").decode()
        n = int(modulus.strip().split("=", 1)[1], 16)
        # Handle.Net's RSA_PUB_KEY record: type, flags, exponent, modulus, 0.
        self.record = (utf8_string("RSA_PUB_KEY") + struct.pack(">H", 0) +
                       big_number(65537) + big_number(n) + struct.pack(">I", 0))

    def sign(self, data):
        data_file = self.pem + ".in"
        with open(data_file, "wb") as f:
            f.write(data)
        return openssl("dgst", "-sha256", "-sign", self.pem, data_file)


def b64(data):
    return base64.b64encode(data).decode()


def session_only(session_id):
    return 'Handle sessionId="%s"' % session_id


class RestSessions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="qilian-sess-")
        cls.key = RsaKey(cls.tmp)
        # The refusals below would otherwise throttle 127.0.0.1 (the unit
        # tests cover throttling by the claimed id).
        cls.node = Qiliand(config_text="[auth]\nmax_failed_authentications = 0\n").start()
        if cls.node.admin is None:
            cls.node.kill()
            raise RuntimeError("no first administrator:\n" + cls.node.log())
        status, body = cls.node.request("PUT", "/api/handles/" + KEY_HANDLE, {"values": [
            {"index": 300, "type": "HS_PUBKEY",
             "data": {"format": "base64", "value": b64(cls.key.record)}}]})
        assert status == 201, (status, body)
        status, body = cls.node.request(
            "PUT", "/api/handles/0.NA/88.999?index=110&overwrite=false",
            {"values": [{"index": 110, "type": "HS_ADMIN",
                         "data": {"format": "admin",
                                  "value": {"handle": KEY_HANDLE, "index": 300,
                                            "permissions": "111111111111"}}}]})
        assert status == 200, (status, body)

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)

    def start_session(self):
        status, body = self.node.request("POST", "/api/sessions", auth=None)
        self.assertEqual(status, 201, body)
        self.assertEqual(sorted(body), ["authenticated", "nonce", "sessionId"])
        self.assertFalse(body["authenticated"])
        return body["sessionId"], base64.b64decode(body["nonce"])

    def signed_header(self, session_id, nonce, cnonce=None):
        cnonce = cnonce or os.urandom(16)
        signature = self.key.sign(nonce + cnonce)
        return ('Handle version="0", sessionId="%s", id="%s", type="HS_PUBKEY", alg="SHA256", '
                'cnonce="%s", signature="%s"' % (session_id, KEY_ID, b64(cnonce), b64(signature)))

    def exists(self, handle):
        status, _ = self.node.request("GET", "/api/handles/" + handle, auth=None)
        return status == 200

    def test_flow_then_write_as_the_key_holder(self):
        session_id, nonce = self.start_session()
        status, body = self.node.request("GET", "/api/sessions/this",
                                         auth=session_only(session_id))
        self.assertEqual((status, body["authenticated"]), (200, False), body)
        status, body = self.node.request("PUT", "/api/sessions/this",
                                         auth=self.signed_header(session_id, nonce))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"sessionId": session_id, "nonce": b64(nonce),
                                "authenticated": True, "id": KEY_ID})
        status, body = self.node.request("PUT", "/api/handles/88.999/sess-made", BODY,
                                         auth=session_only(session_id))
        self.assertEqual(status, 201, body)
        self.assertTrue(self.exists("88.999/sess-made"))
        status, body = self.node.request("GET", "/api/me", auth=session_only(session_id))
        self.assertEqual((status, body["actor"], body["method"]), (200, KEY_ID, "session"), body)
        # The write is audited under the key holder.
        status, body = self.node.request("GET", "/api/audit?actor=" + KEY_ID,
                                         auth=self.node.admin)
        self.assertEqual(status, 200, body)
        self.assertIn("88.999/sess-made", [e["target"] for e in body["events"]])
        # DELETE ends the session.
        status, _ = self.node.request("DELETE", "/api/sessions/this",
                                      auth=session_only(session_id))
        self.assertEqual(status, 204)
        status, body = self.node.request("DELETE", "/api/handles/88.999/sess-made",
                                         auth=session_only(session_id))
        self.assertEqual((status, body["responseCode"], body["message"]),
                         (401, 405, "session is unknown or has expired"))
        self.assertTrue(self.exists("88.999/sess-made"))

    def test_replayed_and_forged_answers_are_refused_and_audited(self):
        session_id, nonce = self.start_session()
        header = self.signed_header(session_id, nonce)
        status, body = self.node.request("GET", "/api/sessions/this", auth=header)
        self.assertEqual(status, 200, body)
        # A second authentication with the same server nonce.
        status, body = self.node.request("GET", "/api/sessions/this",
                                         auth=self.signed_header(session_id, nonce))
        self.assertEqual((status, body["responseCode"], body["message"]),
                         (401, 403, "the nonce of this session has already been used"))
        # The recorded answer in another session signs the wrong nonce.
        other_id, _ = self.start_session()
        status, body = self.node.request("PUT", "/api/handles/88.999/sess-replay", BODY,
                                         auth=header.replace(session_id, other_id))
        self.assertEqual((status, body["responseCode"], body["message"]),
                         (401, 403, "signature does not verify"))
        # A signature by another key.
        forger = RsaKey(self.tmp)
        cnonce = os.urandom(16)
        forged = ('Handle sessionId="%s", id="%s", type="HS_PUBKEY", alg="SHA256", cnonce="%s", '
                  'signature="%s"' % (other_id, KEY_ID, b64(cnonce), b64(forger.sign(b"x" + cnonce))))
        status, body = self.node.request("PUT", "/api/handles/88.999/sess-replay", BODY,
                                         auth=forged)
        self.assertEqual((status, body["responseCode"], body["message"]),
                         (401, 403, "signature does not verify"))
        self.assertFalse(self.exists("88.999/sess-replay"))
        status, body = self.node.request("GET", "/api/audit?actor=" + KEY_ID,
                                         auth=self.node.admin)
        self.assertEqual(status, 200, body)
        failed = [e for e in body["events"] if e["action"] == "authentication failed"]
        self.assertGreaterEqual(len(failed), 3, body)

    def test_malformed_header_is_401_402(self):
        session_id, _ = self.start_session()
        status, body = self.node.request("GET", "/api/sessions/this",
                                         auth='Handle sessionId="%s", id="%s"' % (session_id, KEY_ID))
        self.assertEqual((status, body["responseCode"], body["message"]),
                         (401, 402, "Authorization: Handle is missing type"), body)
        status, body = self.node.request("GET", "/api/sessions/this", auth="Handle sessionId")
        self.assertEqual((status, body["responseCode"], body["message"]),
                         (401, 402, "Authorization: Handle parameter sessionId has no value"))
        status, body = self.node.request("GET", "/api/sessions/this",
                                         auth='Handle sessionId="0123"')
        self.assertEqual((status, body["responseCode"], body["message"]),
                         (401, 405, "session is unknown or has expired"))


if __name__ == "__main__":
    unittest.main()
