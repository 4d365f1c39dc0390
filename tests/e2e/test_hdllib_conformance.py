"""Conformance with Handle.Net's Java client library (hdllib 9.x).

A real qiliand on loopback, driven by tests/e2e/hdllib_like.py, a client
written from notes on hdllib's source that puts the same octets on the wire
and checks replies the way hdllib's HandleResolver does. Qilian's contract,
where hdllib leaves room:

1. The node's RSA 2048 signing key (<data_dir>/signing/rsa.pem, made on the
   first start) is the public key of the one server in get-site-info's
   HS_SITE, an RSA_PUB_KEY record with 4 zero octets after it, and the
   HS_PUBKEY at index 301 of the prefix handle.
2. Every reply to a request with CT is certified: CT in its OpFlag and an
   HS_SIGNED credential (signer "", signer index = session counter, 0
   outside sessions; "SHA1" below 2.7, "SHA-256" from 2.7) whose RSA PKCS#1
   v1.5 signature covers the envelope prefix of the reply's version and its
   header+body. At 2.6 the intended prefix, not Handle.Net's overwritten one.
3. Sessions as hdllib sets them up: finite-field DH (mode 4) with the
   2-octet padding quirk, AES session key from the DH secret, HS_MAC
   (HMAC-SHA256) on every message in the session, one challenge per
   session, 505 for a used counter, 502 for a bad MAC, 500 for an unknown
   session; replies MAC'd (server counter from 1) only for requests with CT.
4. Session encryption (EC / ENC): AES-128-CBC, IV | ciphertext, both ways.
5. A certified answer bigger than a datagram comes in full over UDP, in
   fragments that hdllib's reassembly (sized from the first fragment's
   MessageLength, TC ignored) puts together.

Outcomes are exact (codes, session ids, bodies, counters); nothing is timed.
"""

import hashlib
import math
import os
import unittest

import hdllib_like as hl
from harness import Qiliand, string_value

VERSIONS = [(2, 1), (2, 6), (2, 7), (2, 11)]
TRANSPORTS = ["udp", "tcp"]

NODE = None
PREFIX = None        # "88.999"
ADMIN_HANDLE = None  # "0.NA/88.999": the first administrator is 300 of it
ADMIN_INDEX = None
ADMIN_SECRET = None

URL = "https://example.org/hdllib"
BIG_VALUES = [(i, "X-DATA", ("%02d" % i) + chr(ord("a") + i) * 98) for i in range(1, 21)]
_site_key_blob = None


def setUpModule():
    global NODE, PREFIX, ADMIN_HANDLE, ADMIN_INDEX, ADMIN_SECRET
    NODE = Qiliand(config_text="[handle]\nport = 0\n").start()
    if NODE.handle_port is None or NODE.admin is None:
        NODE.kill()
        raise RuntimeError("no handle port or first administrator:\n" + NODE.log())
    ADMIN_HANDLE, ADMIN_INDEX, ADMIN_SECRET = NODE.admin_key
    PREFIX = ADMIN_HANDLE.split("/", 1)[1]
    for handle, values in (
            (handle_named("CERT"), [string_value(1, "URL", URL),
                                    string_value(2, "EMAIL", "hdllib@example.org")]),
            (handle_named("BIG"), [string_value(i, t, d) for i, t, d in BIG_VALUES])):
        status, body = NODE.request("PUT", "/api/handles/" + handle, {"values": values})
        assert status == 201, (handle, status, body)


def tearDownModule():
    NODE.__exit__(None, None, None)


def handle_named(name):
    return "%s/HDLLIB-%s" % (PREFIX, name)


def exists(handle):
    status, _ = NODE.request("GET", "/api/handles/" + handle)
    return status == 200


def new_values(tag):
    """What a create through hdllib carries: a URL and the HS_ADMIN naming
    the first administrator."""
    return [hl.HandleValue(1, "URL", "https://example.org/" + tag),
            hl.HandleValue(100, "HS_ADMIN",
                           hl.admin_value_data(0x0FFF, ADMIN_HANDLE, ADMIN_INDEX))]


def send(transport, message, session=None):
    if transport == "udp":
        return hl.udp_exchange("127.0.0.1", NODE.handle_port, message, session).reply
    return hl.tcp_exchange("127.0.0.1", NODE.handle_port, message, session)


def resigned(reply, payload):
    """The reply decoded again from other payload octets (for tampering)."""
    env = dict(reply.envelope_fields)
    env["length"] = len(payload)
    env["encrypted"] = False
    return hl.decode_message(env, payload)


class Conformance(unittest.TestCase):
    maxDiff = None

    def site_key(self):
        """The contacted server's RSA key (hl.RsaPublicKey)."""
        key_type, _, key, _ = hl.parse_public_key(self.site_key_blob())
        self.assertEqual(key_type, "RSA_PUB_KEY")
        return key

    def site_key_blob(self):
        """The public key field of the site's server, from get-site-info
        (not certified, as hdllib's callers ask for it)."""
        global _site_key_blob
        if _site_key_blob is None:
            reply = send("tcp", hl.site_info_request())
            self.assertEqual(reply.response_code, hl.RC_SUCCESS)
            servers = hl.decode_site_info_response(reply).site["servers"]
            self.assertEqual(len(servers), 1)
            self.assertTrue(servers[0]["public_key"], "the site's server has no public key")
            _site_key_blob = servers[0]["public_key"]
        return _site_key_blob

    def assert_signed(self, reply, version, counter=0):
        """CT echoed and an HS_SIGNED credential of Qilian's contract that
        verifies with the site key."""
        self.assertTrue(reply.op_flags & hl.FLAG_CT, "CT not set in the reply's OpFlag")
        self.assertTrue(reply.credential, "certified request, unsigned reply")
        cred = hl.parse_credential(reply.credential)
        self.assertEqual((cred.version, cred.reserved, cred.options, cred.signer,
                          cred.signer_index, cred.type, cred.algorithm),
                         (0, 0, 0, b"", counter, "HS_SIGNED", hl.signature_digest_name(version)))
        self.assertEqual(len(cred.signature), 256)  # RSA 2048
        self.assertTrue(hl.verify_signed_message(reply, self.site_key()),
                        "the signature does not verify with the site key")
        return cred

    def assert_digest(self, digest, request):
        self.assertEqual(digest, hl.request_digest(request.version, request.header_body))


class SiteKey(Conformance):
    def test_site_info_names_one_server_and_its_rsa_signing_key(self):
        blobs = []
        for transport in TRANSPORTS:
            with self.subTest(transport=transport):
                request = hl.site_info_request()
                reply = send(transport, request)
                self.assertEqual((reply.opcode, reply.response_code, reply.request_id),
                                 (hl.OC_GET_SITEINFO, hl.RC_SUCCESS, request.request_id))
                site = hl.decode_site_info_response(reply).site
                self.assertEqual(len(site["servers"]), 1)
                blob = site["servers"][0]["public_key"]
                key_type, flags, key, trailer = hl.parse_public_key(blob)
                self.assertEqual((key_type, flags, trailer), ("RSA_PUB_KEY", 0, b"\x00" * 4))
                self.assertEqual(key.n.bit_length(), 2048)
                # Exactly Handle.Net's form: BigInteger.toByteArray numbers.
                self.assertEqual(blob, hl.byte_array("RSA_PUB_KEY") + hl.u16(0) +
                                 hl.byte_array(hl.java_bigint_bytes(key.e)) +
                                 hl.byte_array(hl.java_bigint_bytes(key.n)) + b"\x00" * 4)
                blobs.append(blob)
        self.assertEqual(blobs[0], blobs[1])
        # The key qiliand made on its first start.
        from cryptography.hazmat.primitives import serialization
        path = os.path.join(NODE.data_dir, "db", "signing", "rsa.pem")
        self.assertTrue(os.path.exists(path), path)
        with open(path, "rb") as f:
            private = serialization.load_pem_private_key(f.read(), password=None)
        numbers = private.public_key().public_numbers()
        _, _, key, _ = hl.parse_public_key(blobs[0])
        self.assertEqual((numbers.e, numbers.n), (key.e, key.n))

    def test_the_prefix_handle_carries_the_site_key_at_301(self):
        blob = self.site_key_blob()
        for transport in TRANSPORTS:
            with self.subTest(transport=transport):
                reply = send(transport, hl.resolution_request(ADMIN_HANDLE, indexes=[301]))
                self.assertEqual(reply.response_code, hl.RC_SUCCESS)
                values = hl.decode_resolution_response(reply).values
                self.assertEqual([(v.index, v.type, v.data) for v in values],
                                 [(301, "HS_PUBKEY", blob)])


class CertifiedReplies(Conformance):
    def request_at(self, make, version, *args, **kw):
        return make(*args, version=version, suggested=version, **kw)

    def test_certified_resolution(self):
        for version in VERSIONS:
            for transport in TRANSPORTS:
                with self.subTest(version=version, transport=transport):
                    request = self.request_at(hl.resolution_request, version, handle_named("CERT"),
                                              op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT)
                    reply = send(transport, request)
                    self.assertEqual((reply.opcode, reply.response_code, reply.version,
                                      reply.request_id, reply.session_id),
                                     (hl.OC_RESOLUTION, hl.RC_SUCCESS, version,
                                      request.request_id, 0))
                    body = hl.decode_resolution_response(reply)
                    self.assertEqual(body.handle, handle_named("CERT"))
                    self.assertEqual([(v.index, v.type, v.data) for v in body.values],
                                     [(1, "URL", URL.encode()),
                                      (2, "EMAIL", b"hdllib@example.org")])
                    self.assert_signed(reply, version)
                    hl.check_reply(request, reply, self.site_key())

    def test_certified_not_found(self):
        for version in VERSIONS:
            for transport in TRANSPORTS:
                with self.subTest(version=version, transport=transport):
                    request = self.request_at(
                        hl.resolution_request, version, handle_named("NO-SUCH"),
                        op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT | hl.FLAG_RD)
                    reply = send(transport, request)
                    self.assertEqual((reply.opcode, reply.response_code, reply.version),
                                     (hl.OC_RESOLUTION, hl.RC_HANDLE_NOT_FOUND, version))
                    self.assertTrue(reply.op_flags & hl.FLAG_RD)
                    self.assert_digest(hl.decode_error_response(reply).digest, request)
                    self.assert_signed(reply, version)
                    hl.check_reply(request, reply, self.site_key())

    def test_certified_site_info(self):
        plain = hl.decode_site_info_response(send("tcp", hl.site_info_request())).raw
        for version in VERSIONS:
            for transport in TRANSPORTS:
                with self.subTest(version=version, transport=transport):
                    request = self.request_at(hl.site_info_request, version,
                                              op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT | hl.FLAG_RD)
                    reply = send(transport, request)
                    self.assertEqual((reply.opcode, reply.response_code, reply.version),
                                     (hl.OC_GET_SITEINFO, hl.RC_SUCCESS, version))
                    body = hl.decode_site_info_response(reply)
                    self.assert_digest(body.digest, request)
                    self.assertEqual(body.raw, plain)
                    self.assert_signed(reply, version)
                    hl.check_reply(request, reply, self.site_key())

    def test_certified_challenge_of_an_anonymous_create_and_the_answer(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                handle = handle_named("CT-CREATE-%d-%d" % version)
                request = self.request_at(hl.create_request, version, handle, new_values(handle),
                                          op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT | hl.FLAG_RD)
                challenge = send("tcp", request)
                self.assertEqual((challenge.opcode, challenge.response_code, challenge.version,
                                  challenge.request_id),
                                 (hl.OC_CREATE_HANDLE, hl.RC_AUTHENTICATION_NEEDED, version,
                                  request.request_id))
                self.assertNotEqual(challenge.session_id, 0)
                body = hl.decode_challenge_response(challenge)
                self.assert_digest(body.digest, request)
                self.assertGreaterEqual(len(body.nonce), 16)
                self.assert_signed(challenge, version)
                hl.check_reply(request, challenge, self.site_key())
                self.assertFalse(exists(handle))
                # The answer, certified too.
                answer = hl.challenge_answer_request(body, request, ADMIN_HANDLE, ADMIN_INDEX,
                                                     ADMIN_SECRET, op_flags=hl.FLAG_CT)
                reply = send("tcp", answer)
                self.assertEqual((reply.opcode, reply.response_code, reply.version),
                                 (hl.OC_CREATE_HANDLE, hl.RC_SUCCESS, version))
                self.assertEqual(hl.decode_create_response(reply).handle, handle)
                self.assert_signed(reply, version)
                self.assertTrue(exists(handle))

    def test_the_verifier_refuses_tampered_replies_and_other_keys(self):
        from cryptography.hazmat.primitives.asymmetric import rsa
        request = hl.resolution_request(handle_named("CERT"),
                                        op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT)
        reply = send("udp", request)
        key = self.site_key()
        self.assertTrue(hl.verify_signed_message(reply, key))
        payload = reply.plain_payload
        hb = len(reply.header_body)
        cred = hl.parse_credential(reply.credential)

        def flip(octets, at):
            b = bytearray(octets)
            b[at] ^= 0x01
            return bytes(b)

        other_index = hl.Credential(cred.version, cred.reserved, cred.options, cred.signer, 1,
                                    cred.type, 0, cred.algorithm, cred.signature).encode()
        other_digest = hl.Credential(cred.version, cred.reserved, cred.options, cred.signer,
                                     cred.signer_index, cred.type, 0, "SHA1",
                                     cred.signature).encode()
        tampered = {
            "signature octet": resigned(reply, flip(payload, len(payload) - 1)),
            "body octet": resigned(reply, flip(payload, hb - 1)),
            "header octet (flags)": resigned(reply, flip(payload, 11)),
            "signer index": resigned(reply, payload[:hb] + hl.u32(len(other_index)) + other_index),
            "digest name": resigned(reply, payload[:hb] + hl.u32(len(other_digest)) + other_digest),
            "no credential": resigned(reply, payload[:hb] + hl.u32(0)),
        }
        for what, message in tampered.items():
            with self.subTest(tampered=what):
                self.assertFalse(hl.verify_signed_message(message, key))
                with self.assertRaises(hl.SecurityError):
                    hl.check_reply(request, message, key)
        # Another RSA key, and the right one with a changed modulus.
        numbers = rsa.generate_private_key(65537, 2048).public_key().public_numbers()
        for what, wrong in (("another key", hl.RsaPublicKey(numbers.e, numbers.n)),
                            ("changed modulus", hl.RsaPublicKey(key.e, key.n ^ (1 << 100)))):
            with self.subTest(key=what):
                self.assertFalse(hl.verify_signed_message(reply, wrong))
                with self.assertRaises(hl.SecurityError):
                    hl.check_reply(request, reply, wrong)

    def test_at_2_6_the_intended_layout_is_signed_not_the_overwritten_one(self):
        request = hl.resolution_request(handle_named("CERT"), version=(2, 6), suggested=(2, 6),
                                        op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT)
        reply = send("tcp", request)
        self.assertEqual((reply.response_code, reply.version), (hl.RC_SUCCESS, (2, 6)))
        self.assertTrue(hl.verify_signed_message(reply, self.site_key()))
        self.assertFalse(hl.verify_signed_message(reply, self.site_key(), quirk_2_6=True))


class Channel:
    """How a test sends in a session: a new TCP connection per message, as
    hdllib does, or one connection for all."""

    def __init__(self, persistent):
        self.conn = hl.TcpConnection("127.0.0.1", NODE.handle_port) if persistent else None

    def __call__(self, message, session=None, raw=None):
        if self.conn is not None:
            return self.conn.exchange(message, session, raw)
        return hl.tcp_exchange("127.0.0.1", NODE.handle_port, message, session, raw)

    def close(self):
        if self.conn is not None:
            self.conn.close()


class SessionTest(Conformance):
    """Session helpers; no tests of its own."""

    def setUp(self):
        self.channels = []

    def tearDown(self):
        for channel in self.channels:
            channel.close()

    def channel(self, persistent=False):
        c = Channel(persistent)
        self.channels.append(c)
        return c

    def setup_session(self, channel, pad=True):
        """hdllib's session setup; checks the reply completely. Returns the
        ClientSession."""
        self.site_key()
        dh = hl.DhKeyPair()
        request = hl.session_setup_request(ADMIN_HANDLE, ADMIN_INDEX, dh, pad=pad)
        # Our own encoding, as hdllib's: flags, serial, body, the quirk.
        header = hl.HEADER.unpack(request.header_body[:hl.HEADER.size])
        self.assertEqual((header[0], header[2], header[3], header[7]),
                         (hl.OC_SESSION_SETUP, 0x59800000, 0xFFFF, len(request.body)))
        self.assertEqual(request.body[-2:] == b"\x00\x00", pad)
        reply = channel(request)
        self.assertEqual((reply.opcode, reply.response_code, reply.version, reply.request_id),
                         (hl.OC_SESSION_SETUP, hl.RC_SUCCESS, (2, 11), request.request_id))
        self.assertNotEqual(reply.session_id, 0)
        self.assertTrue(reply.op_flags & hl.FLAG_RD)
        body = hl.decode_session_setup_response(reply)
        self.assertEqual(body.digest, (3, hashlib.sha256(request.header_body).digest()))
        self.assertEqual(body.mode, hl.KEY_EXCHANGE_DH)
        # hdllib's 2 zero octets after the data; Qilian mirrors the request
        # (HANDLE-INTEROP: send the deployed form or mirror the request).
        self.assertEqual(body.padding, b"\x00\x00" if pad else b"")
        r = hl.Reader(body.data)
        self.assertEqual(r.u32(), hl.ENCRYPT_ALG_AES)
        blob = r.rest()
        key_type, flags, (y, p, g), trailer = hl.parse_public_key(blob)
        self.assertEqual((key_type, flags, p, g, trailer), ("DH_PUB_KEY", 0, dh.p, dh.g, b""))
        self.assertTrue(1 < y < p - 1)
        self.assertEqual(blob, hl.dh_public_key_bytes(y, p, g))
        # Signed with the site key, not MAC'd; signer index 0.
        self.assert_signed(reply, (2, 11), counter=0)
        hl.check_reply(request, reply, self.site_key())
        return hl.ClientSession.from_setup(dh, reply)

    def authenticate(self, session, channel, tag):
        """The first admin request in the session is challenged once; the
        answer (opcode 200, no MAC) performs it; the next admin request is
        not challenged. Returns the requests sent."""
        first = handle_named("S-%s-1" % tag)
        create = hl.create_request(first, new_values(first), op_flags=hl.DEFAULT_FLAGS | hl.FLAG_RD)
        self.assertEqual(session.sign(create), 1)
        challenge = channel(create)
        self.assertEqual((challenge.opcode, challenge.response_code, challenge.session_id,
                          challenge.request_id),
                         (hl.OC_CREATE_HANDLE, hl.RC_AUTHENTICATION_NEEDED, session.session_id,
                          create.request_id))
        body = hl.decode_challenge_response(challenge)
        self.assert_digest(body.digest, create)
        self.assertGreaterEqual(len(body.nonce), 16)
        self.assertEqual(challenge.credential, b"")  # the create did not ask CT
        self.assertFalse(exists(first))
        answer = hl.challenge_answer_request(body, create, ADMIN_HANDLE, ADMIN_INDEX,
                                             ADMIN_SECRET)
        self.assertEqual((answer.session_id, answer.credential), (session.session_id, b""))
        reply = channel(answer)
        self.assertEqual((reply.opcode, reply.response_code),
                         (hl.OC_CREATE_HANDLE, hl.RC_SUCCESS))
        self.assertEqual(hl.decode_create_response(reply).handle, first)
        self.assertTrue(exists(first))
        second = handle_named("S-%s-2" % tag)
        create2 = hl.create_request(second, new_values(second))
        self.assertEqual(session.sign(create2), 2)
        reply = channel(create2)
        self.assertEqual((reply.opcode, reply.response_code, reply.session_id),
                         (hl.OC_CREATE_HANDLE, hl.RC_SUCCESS, session.session_id))
        self.assertEqual(hl.decode_create_response(reply).handle, second)
        self.assertEqual(reply.credential, b"")  # no CT, no MAC
        self.assertTrue(exists(second))
        return create, create2


class Sessions(SessionTest):
    def test_setup_reply(self):
        for pad in (True, False):
            with self.subTest(padding=pad):
                self.setup_session(self.channel(), pad=pad)

    def test_each_setup_gets_its_own_session(self):
        channel = self.channel()
        ids = {self.setup_session(channel).session_id for _ in range(3)}
        self.assertEqual(len(ids), 3)

    def test_a_dh_secret_with_a_leading_zero_octet(self):
        # The AES key is Z without its leading zero octets (while more than 32
        # remain), then 32 octets. Z starts with 0x00 in 1 setup of 256: set
        # up sessions with one key pair, as hdllib reuses its pair for every
        # session, until one does (4096 tries miss with probability 1e-7).
        channel = self.channel(persistent=True)
        dh = hl.DhKeyPair()
        for _ in range(4096):
            request = hl.session_setup_request(ADMIN_HANDLE, ADMIN_INDEX, dh)
            reply = channel(request)
            self.assertEqual(reply.response_code, hl.RC_SUCCESS)
            data = hl.decode_session_setup_response(reply).data
            _, _, (y, _, _), _ = hl.parse_public_key(data[4:])
            z = dh.shared_secret(y)
            if z[0] == 0:
                break
        else:
            self.fail("no DH secret with a leading zero octet in 4096 setups")
        self.assertTrue(hl.verify_signed_message(reply, self.site_key()))
        session = hl.ClientSession.from_setup(dh, reply)
        self.assertEqual(session.key, hl.strip_leading_zeros_and_truncate(z))
        self.assertNotEqual(session.key, z[:32])
        # Both sides have the same key: the node accepts our MACs and we
        # accept its.
        self.authenticate(session, channel, "ZERO")
        request = hl.resolution_request(handle_named("CERT"),
                                        op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT)
        session.sign(request)
        reply = channel(request)
        self.assertEqual(reply.response_code, hl.RC_SUCCESS)
        self.assertEqual(hl.verify_mac(reply, session.key), 1)

    def test_hdllib_session_with_a_new_connection_per_message(self):
        channel = self.channel()
        self.authenticate(self.setup_session(channel), channel, "NEWCONN")

    def test_hdllib_session_on_one_connection(self):
        channel = self.channel(persistent=True)
        self.authenticate(self.setup_session(channel), channel, "ONECONN")

    def test_a_setup_without_the_padding_works_the_same(self):
        channel = self.channel()
        self.authenticate(self.setup_session(channel, pad=False), channel, "NOPAD")

    def test_replies_are_maced_only_for_requests_with_ct(self):
        channel = self.channel()
        session = self.setup_session(channel)
        self.authenticate(session, channel, "MAC")
        target = handle_named("CERT")
        # Without CT: no credential.
        request = hl.resolution_request(target)
        session.sign(request)
        reply = channel(request)
        self.assertEqual((reply.response_code, reply.session_id, reply.credential),
                         (hl.RC_SUCCESS, session.session_id, b""))
        # With CT: HS_MAC with the server's own counter, 1, 2, 3.
        third = handle_named("S-MAC-3")
        requests = [hl.resolution_request(target, op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT),
                    hl.create_request(third, new_values(third),
                                      op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT),
                    hl.resolution_request(third, op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT)]
        for expected_counter, request in enumerate(requests, start=1):
            with self.subTest(counter=expected_counter):
                session.sign(request)
                reply = channel(request)
                self.assertEqual((reply.response_code, reply.session_id, reply.version),
                                 (hl.RC_SUCCESS, session.session_id, (2, 11)))
                cred = hl.parse_credential(reply.credential)
                self.assertEqual((cred.version, cred.reserved, cred.options, cred.signer,
                                  cred.signer_index, cred.type, cred.algorithm,
                                  cred.section_length, len(cred.signature)),
                                 (0, 0, 0, b"", expected_counter, "HS_MAC", "HMAC-SHA256",
                                  4 + 11 + 4 + 32, 32))
                self.assertEqual(hl.verify_mac(reply, session.key), expected_counter)
                hl.check_reply(request, reply, self.site_key(), session)
                # The MAC covers the reply: a changed octet fails it.
                tampered = resigned(reply, bytes([reply.plain_payload[0] ^ 1]) +
                                    reply.plain_payload[1:])
                self.assertIsNone(hl.verify_mac(tampered, session.key))
                # hdllib's responses copy the request's flags (takeValuesFrom).
                self.assertTrue(reply.op_flags & hl.FLAG_CT, "CT not echoed in the reply's OpFlag")
        self.assertTrue(exists(third))
        values = hl.decode_resolution_response(reply).values
        self.assertEqual([(v.index, v.type) for v in values], [(1, "URL"), (100, "HS_ADMIN")])

    def test_a_used_counter_is_505(self):
        channel = self.channel()
        session = self.setup_session(channel)
        _, create2 = self.authenticate(session, channel, "REPLAY")
        # The same octets again.
        reply = channel(create2, raw=create2.to_wire())
        self.assertEqual((reply.opcode, reply.response_code),
                         (hl.OC_CREATE_HANDLE, hl.RC_SESSION_MESSAGE_REJECTED))
        # A new message, correctly MAC'd, with a counter already used.
        third = handle_named("S-REPLAY-3")
        request = hl.create_request(third, new_values(third))
        session.sign(request, counter=2)
        reply = channel(request)
        self.assertEqual(reply.response_code, hl.RC_SESSION_MESSAGE_REJECTED)
        self.assertFalse(exists(third))
        # The next counter is fine.
        request = hl.create_request(third, new_values(third))
        self.assertEqual(session.sign(request), 3)
        reply = channel(request)
        self.assertEqual(reply.response_code, hl.RC_SUCCESS)
        self.assertTrue(exists(third))

    def test_a_bad_mac_is_502(self):
        def flip_mac(request):
            request.credential = request.credential[:-1] + bytes([request.credential[-1] ^ 1])

        def change_body_after_signing(request):
            request.body = request.body.replace(b"BADMAC", b"BADMAX")

        def other_key(request, session):
            request.credential = hl.mac_credential(os.urandom(32), request, session.counter)

        for n, (what, spoil) in enumerate((
                ("flipped MAC octet", lambda r, s: flip_mac(r)),
                ("body changed after the MAC", lambda r, s: change_body_after_signing(r)),
                ("another key", other_key))):
            with self.subTest(what=what):
                channel = self.channel()
                session = self.setup_session(channel)
                self.authenticate(session, channel, "BADMAC-%d" % n)
                handle = handle_named("S-BADMAC-%d-3" % n)
                request = hl.create_request(handle, new_values(handle))
                session.sign(request)
                spoil(request, session)
                reply = channel(request)
                self.assertEqual((reply.opcode, reply.response_code),
                                 (hl.OC_CREATE_HANDLE, hl.RC_INVALID_SESSION_KEY))
                self.assertFalse(exists(handle))
                self.assertFalse(exists(handle.replace("BADMAC", "BADMAX")))

    def test_an_unknown_session_is_500(self):
        channel = self.channel()
        real = self.setup_session(channel)
        unknown = hl.ClientSession(real.session_id ^ 0x5A5A5A5A or 1, os.urandom(32),
                                   hl.ENCRYPT_ALG_AES, (2, 11))
        handle = handle_named("S-UNKNOWN")
        request = hl.create_request(handle, new_values(handle))
        unknown.sign(request)
        reply = channel(request)
        self.assertEqual((reply.opcode, reply.response_code),
                         (hl.OC_CREATE_HANDLE, hl.RC_SESSION_TIMEOUT))
        self.assertFalse(exists(handle))


class Encryption(SessionTest):
    def test_encrypted_create_and_certified_resolution(self):
        channel = self.channel()
        session = self.setup_session(channel)
        self.authenticate(session, channel, "ENC")
        handle = handle_named("S-ENC-SECRET")
        values = new_values(handle)
        for what, request in (
                ("create", hl.create_request(handle, values,
                                             op_flags=hl.DEFAULT_FLAGS | hl.FLAG_ENC)),
                ("resolution", hl.resolution_request(
                    handle, op_flags=hl.DEFAULT_FLAGS | hl.FLAG_ENC | hl.FLAG_CT))):
            with self.subTest(what=what):
                request.encrypted = True
                session.sign(request)
                wire = request.to_wire(session)
                # On the wire: EC in the envelope, IV | ciphertext after it.
                self.assertEqual(wire[2], 0x40 | 0x02)
                payload_length = int.from_bytes(wire[16:20], "big")
                plain_length = len(request.encoded_message())
                self.assertEqual(payload_length, 16 + 16 * (plain_length // 16 + 1))
                self.assertEqual(len(wire), 20 + payload_length)
                self.assertNotIn(handle.encode(), wire)
                reply = channel(request, session=session, raw=wire)
                self.assertTrue(reply.envelope_fields["encrypted"], "the reply is not encrypted")
                self.assertEqual(len(reply.wire_payload) % 16, 0)
                self.assertNotIn(handle.encode(), reply.wire_payload)
                self.assertEqual((reply.response_code, reply.session_id),
                                 (hl.RC_SUCCESS, session.session_id))
                if what == "create":
                    self.assertEqual(hl.decode_create_response(reply).handle, handle)
                else:
                    self.assertEqual(hl.verify_mac(reply, session.key), 1)
                    body = hl.decode_resolution_response(reply)
                    self.assertEqual(body.handle, handle)
                    self.assertEqual([(v.index, v.type, v.data) for v in body.values],
                                     [(v.index, v.type, v.data) for v in values])
        self.assertTrue(exists(handle))


class FragmentedUdp(Conformance):
    def test_a_certified_big_answer_comes_in_full_over_udp(self):
        for version in ((2, 11), (2, 1)):
            with self.subTest(version=version):
                request = hl.resolution_request(handle_named("BIG"), version=version,
                                                suggested=version,
                                                op_flags=hl.DEFAULT_FLAGS | hl.FLAG_CT)
                result = hl.udp_exchange("127.0.0.1", NODE.handle_port, request)
                reply = result.reply
                self.assertEqual((reply.response_code, reply.version),
                                 (hl.RC_SUCCESS, version))
                total = reply.message_length
                count = math.ceil(total / hl.MAX_UDP_DATA_SIZE)
                self.assertGreaterEqual(count, 6)
                self.assertEqual(len(result.datagrams), count)
                for d in result.datagrams:
                    envelope = hl.decode_envelope(d)
                    self.assertLessEqual(len(d), hl.MAX_UDP_PACKET_SIZE)
                    self.assertEqual(envelope["length"], total)
                self.assertEqual(sorted(hl.decode_envelope(d)["message_id"]
                                        for d in result.datagrams), list(range(count)))
                body = hl.decode_resolution_response(reply)
                self.assertEqual([(v.index, v.type, v.data.decode()) for v in body.values],
                                 BIG_VALUES)
                self.assert_signed(reply, version)
                hl.check_reply(request, reply, self.site_key())


if __name__ == "__main__":
    unittest.main()
