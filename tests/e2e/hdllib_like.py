"""A Handle protocol client that behaves on the wire like hdllib 9.x, the
Java client library of CNRI Handle.Net 9 (net.handle.hdllib), for
conformance tests against a real qiliand.

Our own code, written from byte-level notes on hdllib's public source (the
envelope, header and credential layouts, certified replies, sessions with
finite-field Diffie-Hellman, HS_MAC credentials, session encryption and the
UDP fragment reassembly); no Java was copied. Each function says which
hdllib class or method it mirrors, so a reader can tell where our behaviour
comes from. Where Qilian leaves hdllib's behaviour on purpose (the 2.6
signature layout), the function says so.

Stdlib and handle_client's value codec, plus Debian's python3-cryptography
for AES-CBC only. RSA PKCS#1 v1.5 verification is pow() and hashlib; DH
uses the fixed 1024-bit MODP group of RFC 2409 (group 2), as hdllib uses a
fixed 1024-bit JDK group.

Used by test_hdllib_conformance.py (message by message) and by
test_udp_big_answers.py (resolve(): UDP with hdllib's retry schedule, then
TCP).
"""

import hashlib
import hmac
import os
import secrets
import socket
import struct
import time

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import handle_client as hc

# --- constants (Common, Encoder.MSG_FLAG_*, AbstractMessage) -----------------

HDLLIB_VERSION = (2, 11)          # Common.MAJOR_VERSION / MINOR_VERSION

OC_RESOLUTION = 1
OC_GET_SITEINFO = 2
OC_CREATE_HANDLE = 100
OC_RESPONSE_TO_CHALLENGE = 200
OC_SESSION_SETUP = 400

RC_SUCCESS = 1
RC_HANDLE_NOT_FOUND = 100
RC_AUTHENTICATION_NEEDED = 402
RC_SESSION_TIMEOUT = 500
RC_SESSION_FAILED = 501
RC_INVALID_SESSION_KEY = 502
RC_SESSION_MESSAGE_REJECTED = 505

# Header OpFlag bits.
FLAG_AT = 0x80000000    # authoritative
FLAG_CT = 0x40000000    # certify
FLAG_ENC = 0x20000000   # encrypt
FLAG_REC = 0x10000000   # recursive
FLAG_CA = 0x08000000    # cacheCertify
FLAG_CN = 0x04000000    # continuous
FLAG_PO = 0x01000000    # public only (ignoreRestrictedValues)
FLAG_RD = 0x00800000    # returnRequestDigest
FLAG_OVRW = 0x00400000  # overwriteWhenExists

# AbstractMessage's defaults: recursive, cacheCertify, ignoreRestrictedValues.
DEFAULT_FLAGS = FLAG_REC | FLAG_CA | FLAG_PO
# What HandleResolver.setupSessionWithServer sends: CT|REC|CA|PO|RD.
SESSION_SETUP_FLAGS = FLAG_CT | FLAG_REC | FLAG_CA | FLAG_PO | FLAG_RD
assert SESSION_SETUP_FLAGS == 0x59800000

# Envelope byte 2.
ENV_COMPRESSED = 0x80
ENV_ENCRYPTED = 0x40
ENV_TRUNCATED = 0x20

KEY_EXCHANGE_DH = 4
ENCRYPT_ALG_AES = 3
DEFAULT_SESSION_TIMEOUT = 86400

MAX_UDP_DATA_SIZE = 492           # Common.MAX_UDP_DATA_SIZE (512 - 20)
MAX_UDP_PACKET_SIZE = 512
MAX_MESSAGE_LENGTH = 262144       # Common.MAX_MESSAGE_LENGTH

ENVELOPE_SIZE = 20
HEADER = struct.Struct(">IIIHBBII")  # opcode, rc, flags, serial, recursion, reserved, expiry, body length

DIGEST_SHA1, DIGEST_SHA256 = 2, 3  # request digest codes (Common.HASH_CODE_*)
DIGEST_SIZES = {1: 16, DIGEST_SHA1: 20, DIGEST_SHA256: 32}

# RFC 2409 section 6.2, the second Oakley group: a 1024-bit safe prime, g = 2.
MODP_1024_P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)
MODP_1024_G = 2


# --- primitives (Encoder.writeByteArray, BigInteger.toByteArray) -------------

def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n & 0xffffffff)


def byte_array(b):
    """Encoder.writeByteArray: u32 length, then the octets (null -> 0)."""
    if b is None:
        b = b""
    if isinstance(b, str):
        b = b.encode("utf-8")
    return u32(len(b)) + b


def java_bigint_bytes(n):
    """BigInteger.toByteArray for n >= 0: minimal two's complement, so a
    leading 0x00 when the top bit of the top octet is set."""
    return n.to_bytes(n.bit_length() // 8 + 1, "big")


def random_request_id():
    """Math.abs(SecureRandom.nextInt()): a random positive int4."""
    return secrets.randbits(31) or 1


class Reader(hc.Reader):
    """handle_client's bounds-checked reader, with hdllib's names."""

    def byte_array(self):
        return self.string()

    def rest(self):
        return self.take(len(self.data) - self.pos)

    def remaining(self):
        return len(self.data) - self.pos


# --- messages (MessageEnvelope, AbstractMessage, Encoder) --------------------

class Message:
    """One Handle message, request or reply, as hdllib's AbstractMessage plus
    MessageEnvelope hold it.

    header_body is the 24-octet header and the body exactly as on the wire
    (AbstractMessage.getEncodedMessageBody / decodeMessage's messageBody):
    what request digests, signatures and MACs cover. credential is the raw
    credential (empty when the message is unsigned)."""

    def __init__(self, opcode, body=b"", op_flags=0, response_code=0,
                 version=HDLLIB_VERSION, suggested=HDLLIB_VERSION, session_id=0,
                 request_id=None, message_id=0, site_serial=0xFFFF, recursion=0,
                 expiration=None, credential=b"", encrypted=False):
        self.opcode = opcode
        self.response_code = response_code
        self.op_flags = op_flags
        self.site_serial = site_serial
        self.recursion = recursion
        self.expiration = int(time.time()) + 43200 if expiration is None else expiration
        self.body = body
        self.major, self.minor = version
        self.suggested_major, self.suggested_minor = suggested
        self.session_id = session_id
        self.request_id = random_request_id() if request_id is None else request_id
        self.message_id = message_id
        self.credential = credential
        self.encrypted = encrypted
        # Filled in when decoded from the wire.
        self.envelope_flags = 0
        self.message_length = None
        self.envelope_fields = None  # decode_envelope's dict
        self.wire_payload = None     # the octets after the envelope, as received
        self.plain_payload = None    # the same, decrypted when EC was set
        self._header_body = None

    @property
    def version(self):
        return (self.major, self.minor)

    @property
    def header_body(self):
        if self._header_body is not None:
            return self._header_body
        return HEADER.pack(self.opcode, self.response_code, self.op_flags, self.site_serial,
                           self.recursion, 0, self.expiration, len(self.body)) + self.body

    def encoded_message(self):
        """AbstractMessage.getEncodedMessage: header, body, u32 credential
        length, credential (not encrypted, no envelope)."""
        return self.header_body + u32(len(self.credential)) + self.credential

    def envelope(self, message_length, message_id=None, truncated=False):
        """Encoder.encodeEnvelope: the suggested major ORed into the flag
        octet, the suggested minor in the next."""
        flag = self.suggested_major & 0xff
        if self.encrypted:
            flag |= ENV_ENCRYPTED
        if truncated:
            flag |= ENV_TRUNCATED
        return (bytes([self.major, self.minor, flag, self.suggested_minor]) +
                struct.pack(">IIII", self.session_id, self.request_id,
                            self.message_id if message_id is None else message_id,
                            message_length))

    def payload(self, session=None):
        """What follows the envelope: the encoded message, encrypted with the
        session when the message is (SessionInfo.encryptBuffer)."""
        plain = self.encoded_message()
        if not self.encrypted:
            return plain
        if session is None:
            raise ValueError("encryption needs a session (INCOMPLETE_SESSIONSETUP)")
        return session.encrypt(plain)

    def to_wire(self, session=None):
        """Envelope and payload, as one TCP write carries them."""
        payload = self.payload(session)
        return self.envelope(len(payload)) + payload


def decode_envelope(data):
    """Encoder.decodeEnvelope. Returns a dict; suggested = actual when the
    low two bits of octet 2 are 0."""
    if len(data) < ENVELOPE_SIZE:
        raise ValueError("envelope of %d octets" % len(data))
    major, minor, flag, sugg_minor = data[0], data[1], data[2], data[3]
    session_id, request_id, message_id, length = struct.unpack(">IIII", data[4:20])
    if length > MAX_MESSAGE_LENGTH:
        raise ValueError("Invalid message length: %d" % length)
    sugg_major = flag & 0x03
    if sugg_major == 0:
        sugg_major, sugg_minor = major, minor
    return {"major": major, "minor": minor, "flag": flag,
            "suggested": (sugg_major, sugg_minor), "session_id": session_id,
            "request_id": request_id, "message_id": message_id, "length": length,
            "encrypted": bool(flag & ENV_ENCRYPTED), "truncated": bool(flag & ENV_TRUNCATED),
            "compressed": bool(flag & ENV_COMPRESSED)}


def decode_message(envelope, payload, session=None):
    """Encoder.decodeMessage after the envelope: decrypts with the session
    when the envelope says EC, keeps header+body raw, and reads a credential
    only when at least 4 octets remain."""
    if len(payload) != envelope["length"]:
        raise ValueError("MessageLength %d, have %d octets" % (envelope["length"], len(payload)))
    plain = payload
    if envelope["encrypted"]:
        if session is None:
            raise ValueError("encrypted reply without a session")
        plain = session.decrypt(payload)
    if len(plain) < HEADER.size:
        raise ValueError("message of %d octets has no header" % len(plain))
    (opcode, rc, op_flags, serial, recursion, _reserved, expiration,
     body_length) = HEADER.unpack_from(plain, 0)
    end = HEADER.size + body_length
    if end > len(plain):
        raise ValueError("BodyLength %d exceeds the message" % body_length)
    credential = b""
    if len(plain) >= end + 4:
        cred_length = struct.unpack_from(">I", plain, end)[0]
        credential = plain[end + 4:end + 4 + cred_length]
        if len(credential) != cred_length:
            raise ValueError("credential of %d octets truncated" % cred_length)
    m = Message(opcode, plain[HEADER.size:end], op_flags, rc,
                (envelope["major"], envelope["minor"]), envelope["suggested"],
                envelope["session_id"], envelope["request_id"], envelope["message_id"],
                serial, recursion, expiration, credential, envelope["encrypted"])
    m.envelope_fields = envelope
    m.envelope_flags = envelope["flag"]
    m.message_length = envelope["length"]
    m.wire_payload = payload
    m.plain_payload = plain
    m._header_body = plain[:end]
    return m


# --- request digests and response bodies ------------------------------------

def request_digest(version, header_body):
    """AbstractResponse.takeDigestOfRequest: (code, digest) of a request's
    header+body; SHA-1 for 2.1 to 2.6, SHA-256 from 2.7."""
    if version >= (2, 7):
        return DIGEST_SHA256, hashlib.sha256(header_body).digest()
    return DIGEST_SHA1, hashlib.sha1(header_body).digest()


def read_reply_digest(reply, r):
    """The request digest at the start of a reply body when RD is set:
    (code, octets), or None."""
    if not reply.op_flags & FLAG_RD:
        return None
    code = r.u8()
    if code not in DIGEST_SIZES:
        raise ValueError("unknown request digest code %d" % code)
    return code, r.take(DIGEST_SIZES[code])


# net.handle.hdllib.HandleValue as Encoder.encodeHandleValue lays it out
# (4-octet timestamp): the same layout as handle_client's.
HandleValue = hc.HandleValue


def encode_values(values):
    """Encoder's value list: u32 count, then each value."""
    return u32(len(values)) + b"".join(hc._value(v) for v in values)


def decode_values(r):
    return [hc._decode_value(r) for _ in range(r.u32())]


def admin_value_data(permissions, handle, index):
    """Encoder.encodeAdminRecord: u16 permissions, admin handle, index."""
    return u16(permissions) + byte_array(handle) + u32(index)


# --- requests, one per hdllib request class ----------------------------------

def resolution_request(handle, indexes=(), types=(), op_flags=DEFAULT_FLAGS, **kw):
    """ResolutionRequest (Encoder.encodeResolutionRequest): handle, index
    list, type list."""
    body = (byte_array(handle) + u32(len(indexes)) + b"".join(u32(i) for i in indexes) +
            u32(len(types)) + b"".join(byte_array(t) for t in types))
    return Message(OC_RESOLUTION, body, op_flags, **kw)


def site_info_request(op_flags=DEFAULT_FLAGS, **kw):
    """GenericRequest(OC_GET_SITEINFO) for the blank handle "/": hdllib
    encodes the handle as the body."""
    return Message(OC_GET_SITEINFO, byte_array("/"), op_flags, **kw)


def create_request(handle, values, op_flags=DEFAULT_FLAGS, **kw):
    """CreateHandleRequest (Encoder.encodeCreateHandleRequest): handle and
    value list. hdllib marks it an admin request (not on the wire)."""
    body = byte_array(handle) + encode_values(values)
    return Message(OC_CREATE_HANDLE, body, op_flags, **kw)


def secret_key_signed_response(version, secret, nonce, digest, salt=None):
    """SecretKeyAuthenticationInfo.authenticate: from 2.7 PBKDF2-HMAC-SHA1
    (0x22, 16-octet salt, 10000 iterations, 160 bits), below it the SHA-1
    keyed hash (0x02) SHA-1(secret | nonce | digest | secret)."""
    secret = secret.encode("utf-8") if isinstance(secret, str) else secret
    if version < (2, 7):
        return b"\x02" + hashlib.sha1(secret + nonce + digest + secret).digest()
    salt = os.urandom(16) if salt is None else salt
    key = hashlib.pbkdf2_hmac("sha1", secret, salt, 10000, 20)
    mac = hmac.new(key, nonce + digest, hashlib.sha1).digest()
    return b"\x22" + u32(len(salt)) + salt + u32(10000) + u32(160) + u32(len(mac)) + mac


def challenge_answer_request(challenge, original, key_handle, key_index, secret,
                             op_flags=0, **kw):
    """ChallengeAnswerRequest (opcode 200) for an HS_SECKEY identity:
    auth type, key handle, key index, signed response over nonce | digest.
    The digest is the challenge's, or (as hdllib keeps it) the digest of
    the original request when the challenge carried none. Sent in the
    challenge's session id, in the original request's version."""
    digest = challenge.digest[1] if challenge.digest else \
        request_digest(original.version, original.header_body)[1]
    answer = secret_key_signed_response(original.version, secret, challenge.nonce, digest)
    body = (byte_array("HS_SECKEY") + byte_array(key_handle) + u32(key_index) +
            byte_array(answer))
    kw.setdefault("version", original.version)
    kw.setdefault("suggested", (original.suggested_major, original.suggested_minor))
    return Message(OC_RESPONSE_TO_CHALLENGE, body, op_flags,
                   session_id=challenge.session_id, **kw)


def dh_public_key_bytes(y, p, g):
    """Util.getBytesFromPublicKey for a DH key: "DH_PUB_KEY", u16 0, then y,
    p, g as length-prefixed BigInteger.toByteArray octets."""
    return (byte_array("DH_PUB_KEY") + u16(0) + byte_array(java_bigint_bytes(y)) +
            byte_array(java_bigint_bytes(p)) + byte_array(java_bigint_bytes(g)))


def session_setup_request(identity_handle, identity_index, dh, pad=True,
                          timeout=DEFAULT_SESSION_TIMEOUT, **kw):
    """SessionSetupRequest as HandleResolver.createSessionSetupRequest and
    Encoder.encodeSessionSetupRequest make it: flags CT|REC|CA|PO|RD,
    SiteInfoSerial 0xFFFF, body u16 mode 4, u32 timeout, identity handle,
    identity index, the DH public key blob; BodyLength counts the mode as 4
    octets, so 2 zero octets end the body (pad=False leaves them out)."""
    body = (u16(KEY_EXCHANGE_DH) + u32(timeout) + byte_array(identity_handle) +
            u32(identity_index) + byte_array(dh.public_key_bytes()))
    if pad:
        body += b"\x00\x00"
    kw.setdefault("site_serial", 0xFFFF)
    return Message(OC_SESSION_SETUP, body, SESSION_SETUP_FLAGS, **kw)


# --- reply bodies, one per hdllib response class ------------------------------

class ReplyBody:
    """The decoded body of a reply. digest: (code, octets) or None."""

    def __init__(self, **fields):
        self.digest = None
        self.__dict__.update(fields)


def decode_error_response(reply):
    """ErrorResponse: [digest] and an optional message."""
    r = Reader(reply.body)
    digest = read_reply_digest(reply, r)
    message = r.byte_array().decode("utf-8") if r.remaining() else ""
    if r.remaining():
        raise ValueError("%d octets after the error message" % r.remaining())
    return ReplyBody(digest=digest, message=message)


def decode_resolution_response(reply):
    """ResolutionResponse (Encoder.decodeResolutionResponse): handle and
    values."""
    r = Reader(reply.body)
    digest = read_reply_digest(reply, r)
    handle = r.byte_array().decode("utf-8")
    values = decode_values(r)
    if r.remaining():
        raise ValueError("%d octets after the values" % r.remaining())
    return ReplyBody(digest=digest, handle=handle, values=values)


def decode_create_response(reply):
    """CreateHandleResponse: [digest] and the created handle (none when the
    rest of the body is empty)."""
    r = Reader(reply.body)
    digest = read_reply_digest(reply, r)
    handle = r.byte_array().decode("utf-8") if r.remaining() else None
    if r.remaining():
        raise ValueError("%d octets after the handle" % r.remaining())
    return ReplyBody(digest=digest, handle=handle)


def decode_challenge_response(reply):
    """ChallengeResponse (RC 402): [digest] and the nonce."""
    r = Reader(reply.body)
    digest = read_reply_digest(reply, r)
    nonce = r.byte_array()
    if r.remaining():
        raise ValueError("%d octets after the nonce" % r.remaining())
    return ReplyBody(digest=digest, nonce=nonce, session_id=reply.session_id)


def decode_site_info_response(reply):
    """GetSiteInfoResponse: [digest] and the HS_SITE record
    (Encoder.decodeSiteInfoRecord)."""
    r = Reader(reply.body)
    digest = read_reply_digest(reply, r)
    raw = r.rest()
    site = decode_site_info(raw)
    return ReplyBody(digest=digest, site=site, raw=raw)


def decode_site_info(data):
    """Encoder.decodeSiteInfoRecord: version, protocol version, serial,
    primary mask, hash option, hash filter, attributes, servers (id,
    16-octet address, public key blob, interfaces)."""
    r = Reader(data)
    site = {"version": r.u16(), "protocol": (r.u8(), r.u8()), "serial": r.u16(),
            "primary_mask": r.u8(), "hash_option": r.u8(), "hash_filter": r.byte_array()}
    site["attributes"] = [(r.byte_array(), r.byte_array()) for _ in range(r.u32())]
    servers = []
    for _ in range(r.u32()):
        server = {"id": r.u32(), "address": r.take(16), "public_key": r.byte_array()}
        server["interfaces"] = [(r.u8(), r.u8(), r.u32()) for _ in range(r.u32())]
        servers.append(server)
    site["servers"] = servers
    if r.remaining():
        raise ValueError("%d octets after the site record" % r.remaining())
    return site


def decode_session_setup_response(reply):
    """SessionSetupResponse (Encoder.decodeSetupSessionResponse): [digest],
    u16 mode, length-prefixed data; `padding` holds what follows (hdllib's
    encoder leaves 2 zero octets there)."""
    r = Reader(reply.body)
    digest = read_reply_digest(reply, r)
    mode = r.u16()
    data = r.byte_array()
    padding = r.rest()
    return ReplyBody(digest=digest, mode=mode, data=data, padding=padding)


# --- public keys (Util.getPublicKeyFromBytes) ---------------------------------

class RsaPublicKey:
    def __init__(self, e, n, trailer=b""):
        self.e, self.n, self.trailer = e, n, trailer


def parse_public_key(data):
    """Util.getPublicKeyFromBytes: key type, u16 flags, then RSA e, n or DH
    y, p, g (integers read unsigned). Returns (type, flags, key, trailer)."""
    r = Reader(data)
    key_type = r.byte_array().decode("utf-8")
    flags = r.u16()
    if key_type == "RSA_PUB_KEY":
        e = int.from_bytes(r.byte_array(), "big")
        n = int.from_bytes(r.byte_array(), "big")
        trailer = r.rest()
        return key_type, flags, RsaPublicKey(e, n, trailer), trailer
    if key_type == "DH_PUB_KEY":
        y, p, g = (int.from_bytes(r.byte_array(), "big") for _ in range(3))
        trailer = r.rest()
        return key_type, flags, (y, p, g), trailer
    raise ValueError('Unknown format for public key: "%s"' % key_type)


_DIGEST_INFO = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
}
_HASH_NAMES = {"SHA1": "sha1", "SHA-1": "sha1", "\x02": "sha1",
               "SHA-256": "sha256", "SHA256": "sha256", "\x03": "sha256"}


def rsa_pkcs1_v15_verify(key, hash_name, data, signature):
    """SHA1withRSA / SHA256withRSA verification (RSASSA-PKCS1-v1_5): the
    signature, raised to e mod n, must be exactly 00 01 FF.. 00 DigestInfo."""
    algorithm = _HASH_NAMES.get(hash_name)
    if algorithm is None:
        return False
    k = (key.n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    em = pow(s, key.e, key.n).to_bytes(k, "big")
    t = _DIGEST_INFO[algorithm] + hashlib.new(algorithm, data).digest()
    if k < len(t) + 11:
        return False
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(em, expected)


# --- credentials (AbstractMessage.signMessage / verifyMessage) ---------------

class Credential:
    """The credential layout of signMessage: version, reserved, options,
    signer handle, signer index (the session counter), type, section
    length, digest/MAC algorithm name, signature or MAC."""

    def __init__(self, version, reserved, options, signer, signer_index, type_,
                 section_length, algorithm, signature):
        self.version, self.reserved, self.options = version, reserved, options
        self.signer, self.signer_index, self.type = signer, signer_index, type_
        self.section_length = section_length
        self.algorithm, self.signature = algorithm, signature

    def encode(self):
        section = byte_array(self.algorithm) + byte_array(self.signature)
        return (bytes([self.version, self.reserved]) + u16(self.options) +
                byte_array(self.signer) + u32(self.signer_index) + byte_array(self.type) +
                u32(len(section)) + section)


def parse_credential(raw):
    """Reads a credential completely; the section length must match."""
    r = Reader(raw)
    version, reserved, options = r.u8(), r.u8(), r.u16()
    signer = r.byte_array()
    signer_index = r.u32()
    type_ = r.byte_array().decode("utf-8")
    section_length = r.u32()
    start = r.pos
    algorithm = r.byte_array().decode("latin-1")
    signature = r.byte_array()
    if r.pos - start != section_length:
        raise ValueError("section length %d, section has %d octets" % (section_length, r.pos - start))
    if r.remaining():
        raise ValueError("%d octets after the credential" % r.remaining())
    return Credential(version, reserved, options, signer, signer_index, type_,
                      section_length, algorithm, signature)


def signed_octets(message, counter, quirk_2_6=False):
    """The octets a signature or MAC covers: an envelope prefix, then
    header+body.

    2.1 - 2.5: nothing; 2.6 and 2.7: major, minor, u32 session id, u32
    request id, u32 counter; 2.8 and later: major, minor, suggested major,
    suggested minor, then the same. At 2.6 Handle.Net's writer overwrites
    its own fields ("painful bug": major, minor, top half of the session
    id, the counter, 6 zero octets); quirk_2_6=True builds that buffer.
    Qilian signs the intended form at 2.6 (HANDLE-INTEROP "Sloppiness")."""
    v = message.version
    sid, rid = message.session_id, message.request_id
    if v < (2, 6):
        prefix = b""
    elif v < (2, 7):
        if quirk_2_6:
            buf = bytearray(14)
            buf[0], buf[1] = message.major, message.minor
            buf[2:6] = u32(sid)
            buf[4:8] = u32(rid)
            buf[4:8] = u32(counter)
            prefix = bytes(buf)
        else:
            prefix = bytes([message.major, message.minor]) + u32(sid) + u32(rid) + u32(counter)
    else:
        prefix = bytes([message.major, message.minor])
        if v >= (2, 8):
            prefix += bytes([message.suggested_major, message.suggested_minor])
        prefix += u32(sid) + u32(rid) + u32(counter)
    return prefix + message.header_body


def signature_digest_name(version):
    """What a Handle.Net server with an RSA key writes (supportsSha256Signature):
    "SHA1" below 2.7, "SHA-256" from 2.7."""
    return "SHA-256" if version >= (2, 7) else "SHA1"


def verify_signed_message(message, key, quirk_2_6=False):
    """AbstractMessage.verifyMessage(PublicKey) as the resolver's
    verifyResponseWithServerPublicKey uses it: an HS_SIGNED (or legacy
    HS_DSAPUBKEY) credential whose RSA signature covers signed_octets with
    the signer index as the counter. False on any failure."""
    if not message.credential:
        return False
    try:
        cred = parse_credential(message.credential)
    except ValueError:
        return False
    if cred.type not in ("HS_SIGNED", "HS_DSAPUBKEY"):
        return False
    data = signed_octets(message, cred.signer_index, quirk_2_6)
    return rsa_pkcs1_v15_verify(key, cred.algorithm, data, cred.signature)


def session_mac(key, message, counter):
    """AbstractMessage.signMessage(byte[]) from 2.7: HMAC-SHA256 with the
    whole session key over signed_octets."""
    return hmac.new(key, signed_octets(message, counter), hashlib.sha256).digest()


def mac_credential(key, message, counter):
    """The HS_MAC credential hdllib puts on a message in a session."""
    return Credential(0, 0, 0, b"", counter, "HS_MAC", 0, "HMAC-SHA256",
                      session_mac(key, message, counter)).encode()


def verify_mac(message, key):
    """AbstractMessage.verifyMessage(byte[]): an HS_MAC credential whose
    HMAC-SHA256 covers signed_octets with its own counter. Returns the
    counter, or None on any failure."""
    if not message.credential:
        return None
    try:
        cred = parse_credential(message.credential)
    except ValueError:
        return None
    if cred.type != "HS_MAC" or cred.algorithm != "HMAC-SHA256":
        return None
    if not hmac.compare_digest(session_mac(key, message, cred.signer_index), cred.signature):
        return None
    return cred.signer_index


# --- Diffie-Hellman and the session (SessionSetupInfo, ClientSideSessionInfo) --

class DhKeyPair:
    """SessionSetupInfo.initDHKeys, with the RFC 2409 group instead of the
    JDK's generated 1024-bit one (the server takes p and g from the blob)."""

    def __init__(self, p=MODP_1024_P, g=MODP_1024_G):
        self.p, self.g = p, g
        self.x = secrets.randbelow(p - 3) + 2
        self.y = pow(g, self.x, p)

    def public_key_bytes(self):
        return dh_public_key_bytes(self.y, self.p, self.g)

    def shared_secret(self, peer_y):
        """KeyAgreement("DH").generateSecret(): Z big-endian, left-padded to
        the length of p."""
        if not 1 < peer_y < self.p - 1:
            raise ValueError("peer DH value out of range")
        return pow(peer_y, self.x, self.p).to_bytes((self.p.bit_length() + 7) // 8, "big")


def strip_leading_zeros_and_truncate(z, n=32):
    """GenericProvider.stripLeadingZerosAndTruncate: skip 0x00 octets while
    more than n remain, then take the next n."""
    i = 0
    while len(z) - i > n and z[i] == 0:
        i += 1
    return z[i:i + n]


class ClientSession:
    """ClientSideSessionInfo: the session id, the 32-octet AES session key
    (GenericProvider.getKeyFromDH), the version the setup reply used, the
    client's own counter (1, 2, 3, ...) and the server counters seen."""

    def __init__(self, session_id, key, algorithm, version):
        self.session_id = session_id
        self.key = key
        self.algorithm = algorithm
        self.version = version
        self.counter = 0
        self.server_counters = []

    @classmethod
    def from_setup(cls, dh, setup_reply):
        body = decode_session_setup_response(setup_reply)
        if body.mode != KEY_EXCHANGE_DH:
            raise ValueError("setup reply in mode %d" % body.mode)
        r = Reader(body.data)
        algorithm = r.u32()
        key_type, _flags, (y, p, g), _ = parse_public_key(r.rest())
        if key_type != "DH_PUB_KEY" or (p, g) != (dh.p, dh.g):
            raise ValueError("server DH key not in the client's group")
        if algorithm != ENCRYPT_ALG_AES:
            raise ValueError("session algorithm %d, want AES" % algorithm)
        key = strip_leading_zeros_and_truncate(dh.shared_secret(y), 32)
        return cls(setup_reply.session_id, key, algorithm, setup_reply.version)

    def next_counter(self):
        """SessionInfo.getNextSessionCounter."""
        self.counter += 1
        return self.counter

    def sign(self, message, counter=None):
        """AbstractRequest.signMessageForSession: the session id in the
        envelope, the session's version, the next counter, an HS_MAC."""
        message.session_id = self.session_id
        message.major, message.minor = self.version
        counter = self.next_counter() if counter is None else counter
        message.credential = mac_credential(self.key, message, counter)
        return counter

    def encrypt(self, plain):
        """SessionInfo.encryptBuffer (2.4+, AES): AES-128-CBC with the first
        16 octets of the key, PKCS#5 padding, a random IV; IV | ciphertext."""
        iv = os.urandom(16)
        padder = sym_padding.PKCS7(128).padder()
        padded = padder.update(plain) + padder.finalize()
        enc = Cipher(algorithms.AES(self.key[:16]), modes.CBC(iv)).encryptor()
        return iv + enc.update(padded) + enc.finalize()

    def decrypt(self, data):
        """SessionInfo.decryptBuffer: the IV is the first 16 octets."""
        if len(data) < 32 or len(data) % 16:
            raise ValueError("encrypted payload of %d octets" % len(data))
        dec = Cipher(algorithms.AES(self.key[:16]), modes.CBC(data[:16])).decryptor()
        padded = dec.update(data[16:]) + dec.finalize()
        unpadder = sym_padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()


# --- transports (HandleResolver.sendHdlTcpRequest / sendHdlUdpRequest) --------

_recv_exactly = hc._recv_exactly


class TcpConnection:
    """One TCP connection that carries several exchanges (Qilian keeps
    connections open; hdllib itself opens a new one per message, see
    tcp_exchange)."""

    def __init__(self, host, port, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def send_raw(self, octets):
        self.sock.sendall(octets)

    def read_reply(self, session=None):
        head = _recv_exactly(self.sock, ENVELOPE_SIZE)
        envelope = decode_envelope(head)
        return decode_message(envelope, _recv_exactly(self.sock, envelope["length"]), session)

    def exchange(self, message, session=None, raw=None):
        """Sends `message` (or the octets `raw`) and reads one reply, which
        must answer the same request id."""
        self.send_raw(raw if raw is not None else message.to_wire(session))
        reply = self.read_reply(session)
        if reply.request_id != message.request_id:
            raise ValueError("reply to request %d, sent %d" % (reply.request_id, message.request_id))
        return reply

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def tcp_exchange(host, port, message, session=None, raw=None, timeout=10):
    """HandleResolver.sendHdlTcpRequest: a new connection for every
    message, one reply read, the connection closed."""
    with TcpConnection(host, port, timeout) as conn:
        return conn.exchange(message, session, raw)


class UdpResult:
    """A reassembled UDP reply and the datagrams it came in."""

    def __init__(self, reply, datagrams):
        self.reply = reply
        self.datagrams = datagrams  # the reply's datagrams as received


# HandleResolver.udpRetryScheme: one receive window per attempt, in ms.
RETRY_SCHEDULE_MS = (500, 1000, 1500)


def udp_exchange(host, port, message, session=None, windows=(5.0, 5.0, 5.0), seen=None):
    """HandleResolver.sendHdlUdpRequest and its reassembly.

    The request goes out in datagrams of at most 492 message octets, each
    with the total MessageLength and its index as MessageId, TC set when
    there are several. Replies are read into a 512-octet buffer (longer
    datagrams are cut, as Java cuts them); on the first datagram of our
    request id the fragment count is ceil(MessageLength / 492) of that
    datagram, and each fragment's payload goes to MessageId * 492. TC is
    not looked at. All fragments must arrive within one attempt; each
    attempt resends the request. `windows` are the attempts' receive
    windows in seconds (hdllib's are 0.5, 1 and 1.5; the conformance tests
    use longer ones, for loaded machines). Every datagram of our request id
    is appended, uncut, to `seen` when given. Raises ConnectionError when
    no attempt completes a reply (hdllib: CANNOT_CONNECT_TO_SERVER)."""
    payload = message.payload(session)
    if not payload:
        raise ValueError("Cannot send empty request")
    chunks = [payload[i:i + MAX_UDP_DATA_SIZE] for i in range(0, len(payload), MAX_UDP_DATA_SIZE)]
    datagrams = [message.envelope(len(payload), i, truncated=len(chunks) > 1) + c
                 for i, c in enumerate(chunks)]
    last_error = None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for window in windows:
            for d in datagrams:
                s.sendto(d, (host, port))
            deadline = time.monotonic() + window
            received = buffer = first = None
            got = []
            while time.monotonic() < deadline:
                s.settimeout(max(deadline - time.monotonic(), 0.01))
                try:
                    raw, _ = s.recvfrom(65535)
                except socket.timeout:
                    break
                packet = raw[:MAX_UDP_PACKET_SIZE]
                try:
                    envelope = decode_envelope(packet)
                except ValueError as e:
                    last_error = e
                    continue
                if envelope["request_id"] != message.request_id:
                    continue
                if seen is not None:
                    seen.append(raw)
                got.append(raw)
                if received is None:
                    first = envelope
                    length = envelope["length"]
                    count = length // MAX_UDP_DATA_SIZE + (1 if length % MAX_UDP_DATA_SIZE else 0)
                    received = [False] * count
                    buffer = bytearray(length)
                index = envelope["message_id"]
                part = packet[ENVELOPE_SIZE:]
                offset = index * MAX_UDP_DATA_SIZE
                if index >= len(received) or offset + len(part) > len(buffer):
                    # hdllib: an exception inside the loop, kept as lastException.
                    last_error = ValueError("fragment %d of %d octets does not fit a message of %d"
                                            % (index, len(part), len(buffer)))
                    continue
                buffer[offset:offset + len(part)] = part
                received[index] = True
                if all(received):
                    try:
                        reply = decode_message(first, bytes(buffer), session)
                    except ValueError as e:
                        last_error = e
                        break
                    return UdpResult(reply, got)
    raise ConnectionError("no complete UDP reply from %s:%d (%s)" % (host, port, last_error))


def resolve(host, port, handle, schedule_ms=RETRY_SCHEDULE_MS, op_flags=DEFAULT_FLAGS,
            timeout=10):
    """HandleResolver.resolveHandle against one server: UDP first with the
    retry schedule, TCP only when every UDP attempt failed (as
    HappyEyeballsResolver moves to the next protocol). Returns (reply,
    transport, datagrams): the reply with code, handle and values set, "udp"
    or "tcp", and every UDP datagram of the request id received."""
    request = resolution_request(handle, op_flags=op_flags)
    datagrams = []
    try:
        result = udp_exchange(host, port, request, windows=[ms / 1000.0 for ms in schedule_ms],
                              seen=datagrams)
        reply, transport = result.reply, "udp"
    except ConnectionError:
        reply, transport = tcp_exchange(host, port, request, timeout=timeout), "tcp"
    reply.code = reply.response_code
    reply.handle, reply.values = None, []
    if reply.response_code == RC_SUCCESS:
        body = decode_resolution_response(reply)
        reply.handle, reply.values = body.handle, body.values
    return reply, transport, datagrams


# --- the resolver-side checks (HandleResolver.checkSignatureIfNeeded) ---------

class SecurityError(Exception):
    """What hdllib raises as SECURITY_ALERT or MISSING_OR_INVALID_SIGNATURE."""


def check_reply(request, reply, server_key=None, session=None):
    """checkSignatureIfNeeded: the request digest when RD was asked, then,
    when CT was asked, an HS_MAC under the session key or an HS_SIGNED
    signature under the contacted server's key. Raises SecurityError;
    returns the credential."""
    if request.op_flags & FLAG_RD:
        r = Reader(reply.body)
        try:
            got = read_reply_digest(reply, r)
        except ValueError as e:
            raise SecurityError("Message came back with invalid request digest. (%s)" % e)
        # hdllib recomputes with the algorithm the reply names (Util.doDigest).
        names = {1: "md5", DIGEST_SHA1: "sha1", DIGEST_SHA256: "sha256"}
        if got is None or got[1] != hashlib.new(names[got[0]], request.header_body).digest():
            raise SecurityError("Message came back with invalid request digest.")
    if not request.op_flags & FLAG_CT:
        return None
    if not reply.credential:
        raise SecurityError("Verification failed, missing signature.")
    cred = parse_credential(reply.credential)
    if cred.type == "HS_MAC":
        if reply.session_id == 0 or session is None:
            raise SecurityError("Message signed with MAC but no session")
        counter = verify_mac(reply, session.key)
        if counter is None:
            raise SecurityError("Verification of session MAC failed")
        if counter in session.server_counters:
            raise SecurityError("duplicate session counter %d" % counter)
        session.server_counters.append(counter)
        return cred
    if server_key is None:
        raise SecurityError("Unable to verify certified message: no pubkey associated with request")
    if not verify_signed_message(reply, server_key):
        raise SecurityError("Unable to verify signature for message")
    return cred
