"""A minimal Handle protocol (RFC 3652) client for end-to-end tests.

Written from the RFC and ../shared/HANDLE-INTEROP.md, independently of the
C++ codec, so that a test using it checks the server against a second
implementation. Stdlib only. Covers what the front-door tests need:
resolution, get site info, create, delete, add/remove/modify values and
list handles, over UDP (with reassembly of fragmented replies) and TCP.
Requests carry no credential: writes are accepted from loopback until
authentication exists.
"""

import os
import socket
import struct

ENVELOPE = struct.Struct(">BBHIIII")  # major, minor, flag, session, request, sequence, length
HEADER = struct.Struct(">IIIHBBII")   # opcode, code, opflags, serial, recursion, reserved, expiry, body length
FLAG_TRUNCATED = 0x2000

OC_RESOLUTION = 1
OC_GET_SITEINFO = 2
OC_CREATE_HANDLE = 100
OC_DELETE_HANDLE = 101
OC_ADD_VALUE = 102
OC_REMOVE_VALUE = 103
OC_MODIFY_VALUE = 104
OC_LIST_HANDLES = 105

FLAG_AT = 0x80000000
FLAG_REC = 0x10000000
FLAG_CN = 0x04000000
FLAG_PO = 0x01000000
FLAG_OVERWRITE = 0x00400000

RC_SUCCESS = 1
RC_AUTHEN_NEEDED = 402
OC_CHALLENGE_RESPONSE = 200
FLAG_RD = 0x00800000
DIGEST_SIZES = {1: 16, 2: 20, 3: 32}  # request digest algorithm octet -> octets
RC_SERVICE_REFERRAL = 302
RC_PREFIX_REFERRAL = 303

PERM_PUBLIC_READ = 0x02
PERM_DEFAULT = 0x0e  # admin read, admin write, public read


class HandleValue:
    def __init__(self, index, type_, data, ttl=86400, ttl_type=0,
                 permissions=PERM_DEFAULT, timestamp=0, references=()):
        self.index = index
        self.type = type_
        self.data = data if isinstance(data, bytes) else data.encode("utf-8")
        self.ttl = ttl
        self.ttl_type = ttl_type
        self.permissions = permissions
        self.timestamp = timestamp
        self.references = list(references)

    def __repr__(self):
        return "HandleValue(%d, %r, %r)" % (self.index, self.type, self.data)


# --- encoding -----------------------------------------------------------------

def _string(s):
    b = s if isinstance(s, bytes) else s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def _value(v):
    out = struct.pack(">IIBIB", v.index, v.timestamp, v.ttl_type, v.ttl, v.permissions)
    out += _string(v.type) + _string(v.data)
    out += struct.pack(">I", len(v.references))
    for handle, index in v.references:
        out += _string(handle) + struct.pack(">I", index)
    return out


def _values(values):
    return struct.pack(">I", len(values)) + b"".join(_value(v) for v in values)


def _indexes(indexes):
    return struct.pack(">I", len(indexes)) + b"".join(struct.pack(">I", i) for i in indexes)


def encode_request(op, body, op_flags=0, request_id=1, version=(2, 11), session_id=0):
    header = HEADER.pack(op, 0, op_flags, 0, 0, 0, 0, len(body))
    message = header + body + struct.pack(">I", 0)  # no credential
    envelope = ENVELOPE.pack(version[0], version[1], 0, session_id, request_id, 0, len(message))
    return envelope + message


def resolution_body(handle, indexes=(), types=()):
    return (_string(handle) + _indexes(list(indexes)) + struct.pack(">I", len(types)) +
            b"".join(_string(t) for t in types))


# --- decoding -----------------------------------------------------------------

class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated at octet %d (want %d)" % (self.pos, n))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def string(self):
        return self.take(self.u32())

    def done(self):
        return self.pos == len(self.data)


def _decode_value(r):
    index, timestamp, ttl_type, ttl, permissions = (r.u32(), r.u32(), r.u8(), r.u32(), r.u8())
    type_ = r.string().decode("utf-8")
    data = r.string()
    refs = [(r.string().decode("utf-8"), r.u32()) for _ in range(r.u32())]
    return HandleValue(index, type_, data, ttl, ttl_type, permissions, timestamp, refs)


class Reply:
    """A decoded reply: op, code, op_flags, and the body's contents."""

    def __init__(self, envelope, header, body):
        (self.major, self.minor, self.flag, self.session_id, self.request_id,
         self.sequence, self.length) = envelope
        self.op, self.code, self.op_flags = header[0], header[1], header[2]
        self.body = body
        self.handle = None
        self.values = []
        self.handles = []
        self.site = None
        self.message = ""
        r = Reader(body)
        self.digest = None  # (algorithm, octets) when RD is set
        self.nonce = None   # a 402 challenge's nonce
        if self.op_flags & FLAG_RD:
            algorithm = r.u8()
            self.digest = (algorithm, r.take(DIGEST_SIZES[algorithm]))
        if self.code == RC_AUTHEN_NEEDED:
            self.nonce = r.string()
        elif self.code == RC_SUCCESS:
            if self.op == OC_RESOLUTION:
                self.handle = r.string().decode("utf-8")
                self.values = [_decode_value(r) for _ in range(r.u32())]
            elif self.op == OC_LIST_HANDLES:
                self.handles = [r.string().decode("utf-8") for _ in range(r.u32())]
            elif self.op == OC_CREATE_HANDLE and body:
                # Deployed servers echo the handle created (recorded at 2.1
                # and 2.11); the RFC's reply is empty.
                self.handle = r.string().decode("utf-8")
            elif self.op == OC_GET_SITEINFO:
                self.site = body
                r.pos = len(body)
        elif self.code in (RC_SERVICE_REFERRAL, RC_PREFIX_REFERRAL):
            # Handle.Net's referral layout: the referral handle, then the
            # values (HS_SITE, HS_SERV) that say where to go.
            self.handle = r.string().decode("utf-8")
            self.values = [_decode_value(r) for _ in range(r.u32())]
        elif body:
            self.message = r.string().decode("utf-8")
        if not r.done() and self.op != OC_GET_SITEINFO:
            # A request digest (RD) would follow; we never ask for one.
            raise ValueError("%d octets left over in the reply body" % (len(body) - r.pos))


def decode_message(data):
    """data: one whole message (envelope included)."""
    if len(data) < ENVELOPE.size + HEADER.size:
        raise ValueError("reply of %d octets is too short" % len(data))
    envelope = ENVELOPE.unpack_from(data, 0)
    if envelope[6] != len(data) - ENVELOPE.size:
        raise ValueError("envelope length %d, message has %d" %
                         (envelope[6], len(data) - ENVELOPE.size))
    header = HEADER.unpack_from(data, ENVELOPE.size)
    start = ENVELOPE.size + HEADER.size
    body = data[start:start + header[7]]
    if len(body) != header[7]:
        raise ValueError("body length %d, have %d" % (header[7], len(body)))
    return Reply(envelope, header, body)


# --- transports ---------------------------------------------------------------

class Client:
    """A native client. With `auth` = (key handle, key index, secret) it
    answers a 402 challenge with that HS_SECKEY identity, as deployed clients
    do; without it, the 402 is returned."""

    def __init__(self, host, port, transport="udp", timeout=10, auth=None):
        self.host, self.port, self.transport, self.timeout = host, port, transport, timeout
        self.auth = auth

    def call(self, op, body, op_flags=0):
        request_id = struct.unpack(">I", os.urandom(4))[0] & 0x7fffffff
        message = encode_request(op, body, op_flags, request_id)
        if self.transport == "udp":
            reply = self._udp(message, request_id)
        else:
            reply = self._tcp(message, request_id)
        if reply.code == RC_AUTHEN_NEEDED and self.auth is not None:
            key_handle, key_index, secret = self.auth
            reply, _ = self.answer(reply, key_handle, key_index, secret)
        return reply

    def _udp(self, message, request_id):
        assert len(message) <= 512, "the tests send only small UDP requests"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(self.timeout)
            s.sendto(message, (self.host, self.port))
            fragments = {}
            total = None
            while True:
                try:
                    packet, _ = s.recvfrom(65535)
                except socket.timeout:
                    if fragments:
                        # A truncated (TC) reply that will not be completed:
                        # the server wants the client to retry over TCP.
                        return self._tcp(message, request_id)
                    raise
                envelope = ENVELOPE.unpack_from(packet, 0)
                if envelope[4] != request_id:
                    continue
                if not envelope[2] & FLAG_TRUNCATED and not fragments:
                    return decode_message(packet)
                # Deployed form: every fragment's envelope has the total length;
                # fragments carry at most 492 octets of message each.
                total = envelope[6]
                fragments[envelope[5]] = packet[ENVELOPE.size:]
                if sum(len(f) for f in fragments.values()) >= total:
                    whole = b"".join(fragments[k] for k in sorted(fragments))
                    head = ENVELOPE.pack(envelope[0], envelope[1], 0, envelope[3],
                                         envelope[4], 0, len(whole))
                    return decode_message(head + whole)

    def _tcp(self, message, request_id):
        with socket.create_connection((self.host, self.port), timeout=self.timeout) as s:
            s.sendall(message)
            replies = []
            while True:
                head = _recv_exactly(s, ENVELOPE.size)
                length = ENVELOPE.unpack(head)[6]
                reply = decode_message(head + _recv_exactly(s, length))
                if reply.request_id != request_id:
                    raise ValueError("reply to request %d, sent %d" % (reply.request_id, request_id))
                replies.append(reply)
                # A long listing may come as continuous (CN) messages.
                if not reply.op_flags & FLAG_CN:
                    break
            first = replies[0]
            for more in replies[1:]:
                first.handles.extend(more.handles)
            return first

    # --- operations -----------------------------------------------------------

    def resolve(self, handle, indexes=(), types=(), op_flags=0):
        return self.call(OC_RESOLUTION, resolution_body(handle, indexes, types), op_flags)

    def site_info(self):
        return self.call(OC_GET_SITEINFO, _string("/"))

    def create(self, handle, values, overwrite=False):
        return self.call(OC_CREATE_HANDLE, _string(handle) + _values(values),
                         FLAG_OVERWRITE if overwrite else 0)

    def delete(self, handle):
        return self.call(OC_DELETE_HANDLE, _string(handle))

    def add(self, handle, values):
        return self.call(OC_ADD_VALUE, _string(handle) + _values(values))

    def remove(self, handle, indexes):
        return self.call(OC_REMOVE_VALUE, _string(handle) + _indexes(indexes))

    def modify(self, handle, values):
        return self.call(OC_MODIFY_VALUE, _string(handle) + _values(values))

    def list_handles(self, prefix):
        return self.call(OC_LIST_HANDLES, _string("0.NA/" + prefix))

    # --- secret-key authentication (HANDLE-INTEROP "Digests, MACs") ------------

    def answer(self, challenge, key_handle, key_index, secret, mac="pbkdf2",
               request_id=None, answer_octets=None):
        """Answers a 402 `challenge` (a Reply) with opcode 200 on a new TCP
        connection in the challenge's session, as deployed clients do.
        `answer_octets` sends that ChallengeResponse instead of computing one
        (to replay a recorded answer)."""
        if answer_octets is None:
            answer_octets = secret_key_answer(secret, challenge.nonce, challenge.digest[1], mac)
        body = (_string("HS_SECKEY") + _string(key_handle) + struct.pack(">I", key_index) +
                _string(answer_octets))
        if request_id is None:
            request_id = struct.unpack(">I", os.urandom(4))[0] & 0x7fffffff
        message = encode_request(OC_CHALLENGE_RESPONSE, body, 0, request_id,
                                 session_id=challenge.session_id)
        return self._tcp(message, request_id), answer_octets

    def answer_as(self, challenge, auth_type, key_handle, key_index, answer_octets,
                  request_id=None):
        """Answers a 402 `challenge` with opcode 200 carrying `answer_octets`
        for an identity of `auth_type` ("HS_SECKEY" or "HS_PUBKEY"; for the
        latter see pubkey_answer), on a new TCP connection in the challenge's
        session."""
        body = (_string(auth_type) + _string(key_handle) + struct.pack(">I", key_index) +
                _string(answer_octets))
        if request_id is None:
            request_id = struct.unpack(">I", os.urandom(4))[0] & 0x7fffffff
        message = encode_request(OC_CHALLENGE_RESPONSE, body, 0, request_id,
                                 session_id=challenge.session_id)
        return self._tcp(message, request_id)


def pubkey_answer(hash_name, signature):
    """An HS_PUBKEY SignedResponse (docs/authentication.md "HS_PUBKEY
    challenge answers"): HashName, then the signature over nonce | digest."""
    return _string(hash_name) + _string(signature)


def admin_data(permissions, handle, index):
    """HS_ADMIN value data (RFC 3651 3.5): permissions, admin handle, index."""
    return struct.pack(">H", permissions) + _string(handle) + struct.pack(">I", index)


def secret_key_answer(secret, nonce, digest, mac="pbkdf2", salt=None):
    """A ChallengeResponse: 0x22 (PBKDF2-HMAC-SHA1, what clients send from
    2.7) or 0x02 (SHA-1(secret | nonce | digest | secret), 2.1)."""
    import hashlib
    import hmac
    secret = secret.encode("utf-8") if isinstance(secret, str) else secret
    if mac == "sha1":
        return b"\x02" + hashlib.sha1(secret + nonce + digest + secret).digest()
    salt = os.urandom(16) if salt is None else salt
    key = hashlib.pbkdf2_hmac("sha1", secret, salt, 10000, 20)
    tag = hmac.new(key, nonce + digest, hashlib.sha1).digest()
    return (b"\x22" + struct.pack(">I", len(salt)) + salt +
            struct.pack(">III", 10000, 160, len(tag)) + tag)


def _recv_exactly(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d octets" % (len(out), n))
        out += chunk
    return out
