"""The authorization matrix (issue 5, docs/authorization.md): every role x
every operation x a target under enterprise A's prefix / under enterprise
B's prefix x both front doors (REST with Bearer tokens, native TCP with
challenge answers), each cell asserting the exact response code (and HTTP
status on REST), the effect on the registry, and the audit event.

One real qiliand. Set up through the public API by the operator (the node's
first administrator 300:0.NA/88.999):
  - enterprises A and B (POST /api/enterprises): prefixes 88.999.1, 88.999.2;
  - native identities: A admin 300:88.999.1/ADMIN (HS_PUBKEY RSA), A member
    300:88.999.1/MEMBER (HS_PUBKEY Ed25519), B admin 300:88.999.2/ADMIN
    (HS_PUBKEY SM2), auditor 300:88.999/AUDITOR (HS_SECKEY);
  - console users a-admin, a-member (bound to the A member identity), b-admin,
    ops (operator), audit (auditor, bound to the auditor identity);
  - HS_ADMIN on both prefix handles naming the A admin, the A member and the
    B admin with every permission bit, so that the role and tenancy rule,
    not a missing HS_ADMIN, decides every cell (a tenancy hole would show as
    a success, not as 400).

How each native identity plays its role (src/tenant/principals.h): the first
administrator is an operator; MEMBER and AUDITOR are bound to console users;
88.999.1/ADMIN and 88.999.2/ADMIN lie under their enterprise's prefix.

The expected table is data: DOC mirrors the table of docs/authorization.md
(own prefix / other prefix), EXTRA the rules under it; expected() expands it
to (role, op, target prefix) per door. The keys' signatures are made with
the openssl CLI (RSA, Ed25519, SM2), independently of the C++ code.
"""

import base64
import http.client
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
from urllib.parse import quote

import handle_client as hc
from harness import Qiliand, basic_auth, string_value
from test_enterprises import body as enterprise_body, credit_code

A, B = "88.999.1", "88.999.2"
PASSWORD = "correct horse battery"
ALL = 0x0fff
ALL_BITS = "111111111111"

# Outcomes: a Handle response code, or for authorized read (a resolution
# without PO of a handle with an admin-read-only value) whether the reader
# saw the restricted value: a reader who may not read it is not refused,
# the value is filtered out (docs/authorization.md "Value-level
# permissions"; processor.cc FilterReadable).
OK = 1
READ_ALL = "all values"
READ_PUBLIC = "public values"

ROLES = ["anonymous", "a_admin", "a_member", "b_admin", "operator", "auditor"]
# The enterprise a role belongs to, and its kind in the docs' table.
ENTERPRISE = {"a_admin": A, "a_member": A, "b_admin": B}
KIND = {"anonymous": "anonymous", "a_admin": "admin", "a_member": "member",
        "b_admin": "admin", "operator": "operator", "auditor": "auditor"}

# docs/authorization.md, "Console roles and tenancy": op -> kind -> (own,
# other). For roles without an enterprise both entries are the same.
_W = {"anonymous": (402, 402), "admin": (OK, 401), "member": (401, 401),
      "operator": (OK, OK), "auditor": (401, 401)}            # admin-only writes
_M = dict(_W, member=(OK, 401))                               # members may too
DOC = {
    "create": _M,
    "delete": _W,
    "add_prefix": _W,
    "delete_prefix": _W,
    "add_value": _M,
    "modify_value": _M,
    "remove_value": _W,
    "add_admin": _W,
    "modify_admin": _W,
    "remove_admin": _W,
    "read": {"anonymous": (402, 402), "admin": (READ_ALL, READ_PUBLIC),
             "member": (READ_ALL, READ_PUBLIC), "operator": (READ_ALL, READ_ALL),
             "auditor": (READ_ALL, READ_ALL)},
    "list": {"anonymous": (402, 402), "admin": (OK, 401), "member": (OK, 401),
             "operator": (OK, OK), "auditor": (OK, OK)},
    # The rules under the table, on the prefix handle 0.NA/P itself:
    # creating or deleting an enterprise's own allocation is the operator's
    # (the operator's create answers 101: it exists; the operator's delete
    # is not run, it would remove the fixture); members may not change
    # prefix handles; an enterprise administrator may change their values.
    "alloc_create": dict(_W, admin=(401, 401), operator=(101, 101)),
    "alloc_delete": dict(_W, admin=(401, 401), operator=(None, None)),
    "prefix_add_value": _W,
}
OPS = list(DOC)

# Where a front door answers otherwise than the docs' table says, and why.
DOOR_DIFFERENCES = {
    # REST has no "read everything" request for an anonymous caller: its
    # GET is a public-only resolution (rest_api.cc AttributeRequest sets PO).
    ("rest", "anonymous", "read"): READ_PUBLIC,
}

# Cells where the server disagrees with docs/authorization.md. The matrix
# asserts what the server answers today, so that it stays green and any
# change shows; test_known_disagreements_follow_the_docs asserts the
# documented answer and is an expected failure until the server is fixed.
# See the final report of the session that wrote this file.
# Cells where the server is known to disagree with the docs (a bug being
# fixed): (door, role, op, prefix) -> the code it answers. Empty when all
# agree.
KNOWN_DISAGREEMENTS = {}


def expected(door, role, op, prefix):
    """The documented outcome of one cell (None: not run)."""
    key = (door, role, op)
    if key in DOOR_DIFFERENCES:
        return DOOR_DIFFERENCES[key]
    own, other = DOC[op][KIND[role]]
    return own if ENTERPRISE.get(role, prefix) == prefix else other


def asserted(door, role, op, prefix):
    key = (door, role, op, prefix)
    if key in KNOWN_DISAGREEMENTS:
        return KNOWN_DISAGREEMENTS[key]
    return expected(door, role, op, prefix)


# HTTP status of a REST answer with Handle code `code` to `op`.
def http_status(op, code):
    if code == OK:
        return 201 if op in ("create", "add_prefix") else 200
    return {402: 401, 403: 401, 405: 401, 401: 403, 400: 403, 101: 409, 100: 404}[code]


# ---- keys ---------------------------------------------------------------------

def big_number(n):
    """RFC 3651 / Java BigInteger.toByteArray with a u32 length."""
    b = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return struct.pack(">I", len(b)) + b


def key_record(key_type, key_data):
    return hc._string(key_type) + struct.pack(">H", 0) + key_data


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, check=True,
                          capture_output=True).stdout


class Key:
    """A private key made and used through the openssl CLI (the e2e tests
    use the standard library only), and its HS_PUBKEY record."""

    def __init__(self, tmp, kind):
        self.kind = kind
        self.pem = os.path.join(tmp, "%s-%s.pem" % (kind, os.urandom(4).hex()))
        self.data_file = self.pem + ".in"
        if kind == "rsa":
            self.hash_name = "SHA-256"
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", self.pem)
            modulus = openssl("rsa", "-in", self.pem, "-noout", "-modulus").decode()
            n = int(modulus.strip().split("=", 1)[1], 16)
            self.record = key_record("RSA_PUB_KEY", big_number(65537) + big_number(n) +
                                     struct.pack(">I", 0))
            return
        # The SubjectPublicKeyInfo ends with the raw key (Ed25519) or the
        # uncompressed point 04 | X | Y (SM2).
        if kind == "ed25519":
            self.hash_name = "SHA-512"  # not read for pure Ed25519; what Qilian's client writes
            openssl("genpkey", "-algorithm", "ED25519", "-out", self.pem)
            raw = openssl("pkey", "-in", self.pem, "-pubout", "-outform", "DER")[-32:]
            self.record = key_record("ED25519_PUB_KEY", struct.pack(">I", 32) + raw)
        elif kind == "sm2":
            self.hash_name = "SM3"
            openssl("genpkey", "-algorithm", "SM2", "-out", self.pem)
            point = openssl("pkey", "-in", self.pem, "-pubout", "-outform", "DER")[-65:]
            assert point[0] == 4, point.hex()
            self.record = key_record("SM2_PUB_KEY", struct.pack(">I", 65) + point)
        else:
            raise ValueError(kind)

    def sign(self, data):
        """The signature over `data` (nonce | digest) that the node verifies:
        RSA PKCS#1 v1.5 with SHA-256; pure Ed25519; SM2 with SM3 and the
        default distinguishing ID."""
        with open(self.data_file, "wb") as f:
            f.write(data)
        if self.kind == "rsa":
            return openssl("dgst", "-sha256", "-sign", self.pem, self.data_file)
        if self.kind == "ed25519":
            return openssl("pkeyutl", "-sign", "-inkey", self.pem, "-rawin", "-in", self.data_file)
        return openssl("pkeyutl", "-sign", "-inkey", self.pem, "-rawin", "-digest", "sm3",
                       "-pkeyopt", "distid:1234567812345678", "-in", self.data_file)


class NativeIdentity:
    def __init__(self, handle, index=300, key=None, secret=None):
        self.handle, self.index, self.key, self.secret = handle, index, key, secret
        self.actor = "%d:%s" % (index, handle)

    def answer(self, client, challenge, secret=None):
        """(reply, answer octets) for a 402 `challenge`."""
        nonce, digest = challenge.nonce, challenge.digest[1]
        if self.key is None:
            octets = hc.secret_key_answer(secret or self.secret, nonce, digest)
            auth_type = "HS_SECKEY"
        else:
            octets = hc.pubkey_answer(self.key.hash_name, self.key.sign(nonce + digest))
            auth_type = "HS_PUBKEY"
        return client.answer_as(challenge, auth_type, self.handle, self.index, octets), octets


# ---- values -------------------------------------------------------------------

def value_json(index, type_, text, permissions="1110"):
    v = string_value(index, type_, text)
    v["permissions"] = permissions
    return v


def admin_json(index, handle, admin_index, permissions=ALL_BITS):
    return {"index": index, "type": "HS_ADMIN",
            "data": {"format": "admin",
                     "value": {"handle": handle, "index": admin_index,
                               "permissions": permissions}}}


def key_json(index, type_, octets):
    return {"index": index, "type": type_, "permissions": "1110",
            "data": {"format": "base64", "value": base64.b64encode(octets).decode()}}


STAFF = ["88.999.1/ADMIN", "88.999.1/MEMBER", "88.999.2/ADMIN"]
# Admin-op fixtures govern themselves: HS_ADMIN 100-102 name the staff with
# every bit; 103 names nobody and is the one modified or removed.
ADMIN_FIXTURE = [value_json(1, "URL", "https://example.org/x")] + [
    admin_json(100 + i, h, 300) for i, h in enumerate(STAFF)] + [
    admin_json(103, "88.999/NOBODY", 300)]
NEW_ADMIN = (110, "88.999/NEWADMIN", 300, ALL)
CHANGED_ADMIN = (103, "88.999/NOBODY", 300, 0x0001)


class Rest:
    """A keep-alive connection to the node's REST API."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def __call__(self, method, path, body=None, auth=None):
        headers = {}
        if auth:
            headers["Authorization"] = auth
        data = json.dumps(body) if body is not None else None
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, (json.loads(raw) if raw else None)
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise


class AuthzMatrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="authz-matrix-")
        cls.node = Qiliand(
            extra_args=["--test-clock"],
            config_text="[handle]\nport = 0\n[auth]\ntoken_lifetime_s = 60\n"
                        "max_failed_authentications = 0\n").start()
        try:
            cls._set_up()
        except BaseException:
            cls.node.kill()
            raise

    @classmethod
    def _set_up(cls):
        node = cls.node
        if node.handle_port is None or node.admin is None:
            raise RuntimeError("no handle port or first administrator:\n" + node.log())
        cls.rest = Rest(node.port)
        cls.op_basic = basic_auth(*node.admin)
        cls.tcp = hc.Client("127.0.0.1", node.handle_port, "tcp")

        def put(path, body, want=(200, 201)):
            status, reply = cls.rest("PUT", "/api/handles/" + path, body, cls.op_basic)
            assert status in want, (path, status, reply)

        def post(path, body):
            status, reply = cls.rest("POST", path, body, cls.op_basic)
            assert status == 201, (path, status, reply)
            return reply

        cls.enterprise = {}
        for prefix, code in ((A, credit_code("91620100", "71000101")),
                             (B, credit_code("91620100", "71000102"))):
            reply = post("/api/enterprises", enterprise_body(code))
            assert reply["enterprise"]["prefix"] == prefix, reply
            cls.enterprise[prefix] = reply["enterprise"]["id"]

        cls.keys = {kind: Key(cls.tmp, kind) for kind in ("rsa", "ed25519", "sm2")}
        cls.native = {
            "a_admin": NativeIdentity("88.999.1/ADMIN", key=cls.keys["rsa"]),
            "a_member": NativeIdentity("88.999.1/MEMBER", key=cls.keys["ed25519"]),
            "b_admin": NativeIdentity("88.999.2/ADMIN", key=cls.keys["sm2"]),
            "operator": NativeIdentity(node.admin_key[0], node.admin_key[1],
                                       secret=node.admin_key[2]),
            "auditor": NativeIdentity("88.999/AUDITOR", secret="auditor-secret-1"),
        }
        for role in ("a_admin", "a_member", "b_admin"):
            ident = cls.native[role]
            put(ident.handle, {"values": [key_json(300, "HS_PUBKEY", ident.key.record)]})
        put("88.999/AUDITOR",
            {"values": [value_json(300, "HS_SECKEY", "auditor-secret-1", "1100")]})
        # Both prefix handles name every enterprise identity (see the module
        # docstring); 100 (the node administrators' group) stays.
        for prefix in (A, B):
            put("0.NA/%s?index=101&index=102&index=103&overwrite=false" % prefix,
                {"values": [admin_json(101 + i, h, 300) for i, h in enumerate(STAFF)]})

        users = [("a-admin", "enterprise-admin", A, None),
                 ("a-member", "enterprise-member", A, "300:88.999.1/MEMBER"),
                 ("b-admin", "enterprise-admin", B, None),
                 ("ops", "operator", None, None),
                 ("audit", "auditor", None, "300:88.999/AUDITOR")]
        for name, role, prefix, identity in users:
            user = {"name": name, "role": role, "password": PASSWORD}
            if prefix:
                user["enterprise"] = cls.enterprise[prefix]
            if identity:
                user["identity"] = identity
            post("/api/users", user)
        cls.rest_user = {"a_admin": "a-admin", "a_member": "a-member", "b_admin": "b-admin",
                         "operator": "ops", "auditor": "audit"}
        cls.token = {role: cls.login(name) for role, name in cls.rest_user.items()}
        cls.token["anonymous"] = None

        # The authorized-read fixtures: a public URL and an admin-read-only
        # value, governed by the prefix handles.
        for prefix in (A, B):
            put("%s/read" % prefix, {"values": [
                value_json(1, "URL", "https://example.org/read"),
                value_json(2, "DESC", "for administrators", "1100")]})

    @classmethod
    def login(cls, name, password=PASSWORD):
        status, reply = cls.rest("POST", "/api/login", {"user": name, "password": password})
        assert status == 200, (name, status, reply)
        return "Bearer " + reply["token"]

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- helpers --------------------------------------------------------------

    def op_put(self, path, body):
        status, reply = self.rest("PUT", "/api/handles/" + path, body, self.op_basic)
        self.assertIn(status, (200, 201), (path, reply))

    def values(self, handle):
        """{index: value JSON} as the operator reads it; None if no handle."""
        status, reply = self.rest("GET", "/api/handles/" + handle, None, self.op_basic)
        if status == 404:
            return None
        self.assertEqual(status, 200, reply)
        return {v["index"]: v for v in reply["values"]}

    def native_call(self, role, send):
        """Sends a request anonymously; answers the 402 as `role`'s identity."""
        reply = send(self.tcp)
        if role == "anonymous" or reply.code != hc.RC_AUTHEN_NEEDED:
            return reply
        reply, _ = self.native[role].answer(self.tcp, reply)
        return reply

    # ---- one cell -------------------------------------------------------------

    def prepare(self, op, prefix, name, k):
        """Writes the cell's fixture as the operator; returns the target."""
        handle = "%s/%s" % (prefix, name)
        if op == "create":
            return handle
        if op in ("add_prefix", "delete_prefix"):
            target = "0.NA/%s.%d" % (prefix, k)
            if op == "delete_prefix":
                self.op_put(target, {"values": [value_json(1, "DESC", "derived")]})
            return target
        if op in ("alloc_create", "alloc_delete", "prefix_add_value", "list"):
            return "0.NA/" + prefix
        if op == "read":
            return "%s/read" % prefix
        if op in ("add_admin", "modify_admin", "remove_admin"):
            self.op_put(handle, {"values": ADMIN_FIXTURE})
        else:
            self.op_put(handle, {"values": [value_json(1, "URL", "https://example.org/1"),
                                            value_json(2, "URL", "https://example.org/2")]})
        return handle

    def perform_rest(self, role, op, target, k):
        auth = self.token[role]
        h = "/api/handles/" + target
        url = value_json(1, "URL", "https://example.org/new")
        if op in ("create", "add_prefix", "alloc_create"):
            return self.rest("PUT", h + "?overwrite=false", {"values": [url]}, auth)
        if op in ("delete", "delete_prefix", "alloc_delete"):
            return self.rest("DELETE", h, None, auth)
        if op == "add_value":
            return self.rest("PUT", h + "?index=3&overwrite=false",
                             {"values": [value_json(3, "URL", "https://example.org/3")]}, auth)
        if op == "prefix_add_value":
            return self.rest("PUT", h + "?index=%d&overwrite=false" % (1000 + k),
                             {"values": [value_json(1000 + k, "DESC", "added")]}, auth)
        if op == "modify_value":
            return self.rest("PUT", h + "?index=1", {"values": [url]}, auth)
        if op == "remove_value":
            return self.rest("DELETE", h + "?index=2", None, auth)
        if op == "add_admin":
            i, ah, ai, _ = NEW_ADMIN
            return self.rest("PUT", h + "?index=%d&overwrite=false" % i,
                             {"values": [admin_json(i, ah, ai)]}, auth)
        if op == "modify_admin":
            i, ah, ai, _ = CHANGED_ADMIN
            return self.rest("PUT", h + "?index=%d" % i,
                             {"values": [admin_json(i, ah, ai, "000000000001")]}, auth)
        if op == "remove_admin":
            return self.rest("DELETE", h + "?index=103", None, auth)
        if op == "read":
            return self.rest("GET", h, None, auth)
        if op == "list":
            return self.rest("GET", "/api/handles?prefix=" + target[len("0.NA/"):], None, auth)
        raise AssertionError(op)

    def perform_native(self, role, op, target, k):
        url = hc.HandleValue(1, "URL", "https://example.org/new")
        pub = 0x0e  # admin read, admin write, public read
        sends = {
            "create": lambda c: c.create(target, [url]),
            "add_prefix": lambda c: c.create(target, [url]),
            "alloc_create": lambda c: c.create(target, [url]),
            "delete": lambda c: c.delete(target),
            "delete_prefix": lambda c: c.delete(target),
            "alloc_delete": lambda c: c.delete(target),
            "add_value": lambda c: c.add(target, [hc.HandleValue(3, "URL",
                                                                 "https://example.org/3")]),
            "prefix_add_value": lambda c: c.add(target, [hc.HandleValue(1000 + k, "DESC",
                                                                        "added")]),
            "modify_value": lambda c: c.modify(target, [url]),
            "remove_value": lambda c: c.remove(target, [2]),
            "add_admin": lambda c: c.add(target, [hc.HandleValue(
                NEW_ADMIN[0], "HS_ADMIN", hc.admin_data(NEW_ADMIN[3], *NEW_ADMIN[1:3]),
                permissions=pub)]),
            "modify_admin": lambda c: c.modify(target, [hc.HandleValue(
                CHANGED_ADMIN[0], "HS_ADMIN",
                hc.admin_data(CHANGED_ADMIN[3], *CHANGED_ADMIN[1:3]), permissions=pub)]),
            "remove_admin": lambda c: c.remove(target, [103]),
            "read": lambda c: c.resolve(target),
            "list": lambda c: c.list_handles(target[len("0.NA/"):]),
        }
        return self.native_call(role, sends[op])

    def effect(self, op, target, k):
        """Whether the cell's change happened (None: the op changes nothing)."""
        if op in ("read", "list", "alloc_create"):
            return None
        v = self.values(target)
        if op in ("create", "add_prefix"):
            return v is not None
        if op in ("delete", "delete_prefix", "alloc_delete"):
            return v is None
        if op == "add_value":
            return 3 in v
        if op == "prefix_add_value":
            return 1000 + k in v
        if op == "modify_value":
            return v[1]["data"]["value"] == "https://example.org/new"
        if op == "remove_value":
            return 2 not in v
        if op == "add_admin":
            return NEW_ADMIN[0] in v
        if op == "modify_admin":
            return v[103]["data"]["value"]["permissions"] == "000000000001"
        if op == "remove_admin":
            return 103 not in v
        raise AssertionError(op)

    @staticmethod
    def audit_action(door, op):
        """The audit log's name for the request a cell sends."""
        if door == "native":
            return {"create": "create handle", "add_prefix": "create handle",
                    "alloc_create": "create handle", "delete": "delete handle",
                    "delete_prefix": "delete handle", "alloc_delete": "delete handle",
                    "add_value": "add values", "prefix_add_value": "add values",
                    "add_admin": "add values", "modify_value": "modify values",
                    "modify_admin": "modify values", "remove_value": "remove values",
                    "remove_admin": "remove values", "list": "list handles"}.get(op)
        return {"create": "create handle", "add_prefix": "create handle",
                "alloc_create": "create handle", "delete": "delete handle",
                "delete_prefix": "delete handle", "alloc_delete": "delete handle",
                "add_value": "put values", "prefix_add_value": "put values",
                "add_admin": "put values", "modify_value": "put values",
                "modify_admin": "put values", "remove_value": "remove values",
                "remove_admin": "remove values", "list": "list handles"}.get(op)

    def actor(self, door, role):
        if role == "anonymous":
            return ""
        if door == "native":
            return self.native[role].actor
        return "user:" + self.rest_user[role]

    def run_cell(self, door, role, op, prefix, k):
        """Runs one cell; returns (outcome, detail, audit key or None)."""
        name = "%s-%s-%s-%d" % (door, role, op, k)
        target = self.prepare(op, prefix, name, k)
        if door == "rest":
            status, reply = self.perform_rest(role, op, target, k)
            code = reply.get("responseCode") if isinstance(reply, dict) else None
            detail = "HTTP %d %s" % (status, (reply or {}).get("message", ""))
        else:
            reply = self.perform_native(role, op, target, k)
            code, status = reply.code, None
            detail = reply.message
        outcome = code
        if op == "read" and code == OK:
            indexes = ([v["index"] for v in reply["values"]] if door == "rest"
                       else [v.index for v in reply.values])
            outcome = {(1, 2): READ_ALL, (1,): READ_PUBLIC}.get(tuple(sorted(indexes)), indexes)
        problems = []
        want = asserted(door, role, op, prefix)
        if outcome != want:
            problems.append("outcome %r, want %r" % (outcome, want))
        if door == "rest" and outcome == want:
            if status != http_status(op, code):
                problems.append("HTTP %d, want %d" % (status, http_status(op, code)))
        changed = self.effect(op, target, k)
        if changed is not None and changed != (code == OK):
            problems.append("change happened: %s" % changed)
        audit = None
        action = self.audit_action(door, op)
        if action and role != "anonymous" and code is not None:
            audit = (self.actor(door, role), action, target, code)
        return problems, detail, audit

    # ---- the matrix -----------------------------------------------------------

    def test_matrix(self):
        failures, audits, k = [], [], 0
        for door in ("rest", "native"):
            for role in ROLES:
                for op in OPS:
                    for prefix in (A, B):
                        k += 1
                        if expected(door, role, op, prefix) is None:
                            continue
                        problems, detail, audit = self.run_cell(door, role, op, prefix, k)
                        if problems:
                            failures.append("%-6s %-9s %-16s %s: %s (%s)" % (
                                door, role, op, prefix, "; ".join(problems), detail))
                        if audit:
                            audits.append(audit)
        if failures:
            self.fail("%d cells disagree:\n%s" % (len(failures), "\n".join(failures)))
        # Every authenticated write (and listing) of the matrix is audited
        # with its actor, action, target and result.
        events = self.audit_events(self.login("ops"))
        seen = {(e["actor"], e["action"], e["target"], e["result"]) for e in events}
        missing = [a for a in audits if a not in seen]
        self.assertEqual(missing, [], "not in /api/audit:\n" + "\n".join(map(str, missing)))

    def audit_events(self, auth, query=""):
        events, cursor = [], None
        while True:
            path = "/api/audit?limit=1000" + query + ("&cursor=" + cursor if cursor else "")
            status, reply = self.rest("GET", path, None, auth)
            self.assertEqual(status, 200, reply)
            events += reply["events"]
            cursor = reply.get("nextCursor")
            if not cursor:
                return events

    # ---- refused authentications, each audited ---------------------------------

    def failures_of(self, actor, action):
        """The audit events of `actor` with `action`, as (result, detail)."""
        events = self.audit_events(self.login("ops"), "&actor=" + quote(actor, safe=""))
        return [(e["result"], e["detail"]) for e in events
                if e["actor"] == actor and e["action"] == action]

    def replay(self, name):
        """Answers a challenge as the A admin (RSA), then sends the same
        answer octets again in the same session; returns the second reply."""
        ident = self.native["a_admin"]
        challenge = self.tcp.create("%s/%s" % (A, name), [hc.HandleValue(1, "URL", "x")])
        self.assertEqual(challenge.code, hc.RC_AUTHEN_NEEDED)
        reply, octets = ident.answer(self.tcp, challenge)
        self.assertEqual(reply.code, OK, reply.message)
        return self.tcp.answer_as(challenge, "HS_PUBKEY", ident.handle, ident.index, octets)

    def test_replayed_challenge_answer_is_refused(self):
        replay = self.replay("replayed")
        self.assertEqual((replay.code, replay.message), (403, "challenge nonce already used"))

    def test_replayed_challenge_answer_is_audited(self):
        replay = self.replay("replayed-audit")
        self.assertEqual(replay.code, 403)
        self.assertIn((403, "challenge nonce already used"),
                      self.failures_of(self.native["a_admin"].actor, "authentication failed"))

    def test_wrong_secret_native_is_refused_and_audited(self):
        ident = self.native["auditor"]  # HS_SECKEY
        challenge = self.tcp.create(A + "/wrong-secret", [hc.HandleValue(1, "URL", "x")])
        reply, _ = ident.answer(self.tcp, challenge, secret="not the secret")
        self.assertEqual((reply.code, reply.message), (403, "secret key answer does not match"))
        self.assertIsNone(self.values(A + "/wrong-secret"))
        self.assertIn((403, "secret key answer does not match"),
                      self.failures_of(ident.actor, "authentication failed"))

    def test_wrong_key_native_is_refused_and_audited(self):
        # The A member's identity (Ed25519) answered with another Ed25519 key.
        member = self.native["a_member"]
        impostor = NativeIdentity(member.handle, key=Key(self.tmp, "ed25519"))
        challenge = self.tcp.create(A + "/wrong-key", [hc.HandleValue(1, "URL", "x")])
        reply, _ = impostor.answer(self.tcp, challenge)
        self.assertEqual((reply.code, reply.message), (403, "signature does not verify"))
        self.assertIsNone(self.values(A + "/wrong-key"))
        self.assertIn((403, "signature does not verify"),
                      self.failures_of(member.actor, "authentication failed"))

    def test_wrong_secret_rest_is_refused_and_audited(self):
        status, reply = self.rest("PUT", "/api/handles/%s/wrong-basic" % A,
                                  {"values": [value_json(1, "URL", "x")]},
                                  basic_auth("300:88.999/AUDITOR", "not the secret"))
        self.assertEqual((status, reply["responseCode"], reply["message"]),
                         (401, 403, "secret does not match for 300:88.999/AUDITOR"))
        self.assertIsNone(self.values(A + "/wrong-basic"))
        self.assertIn((403, "secret does not match for 300:88.999/AUDITOR"),
                      self.failures_of("300:88.999/AUDITOR", "authentication failed"))

    def test_wrong_password_is_refused_and_audited(self):
        status, reply = self.rest("POST", "/api/login",
                                  {"user": "a-member", "password": "not the password"})
        self.assertEqual((status, reply["responseCode"], reply["message"]),
                         (401, 403, "wrong user name or password"))
        self.assertIn(403, [r for r, _ in self.failures_of("user:a-member", "login failed")])

    def test_zz_expired_token_is_refused_and_audited(self):
        # Runs last (unittest orders by name): it moves the node's test
        # clock past every token's 60 s lifetime.
        token = self.login("b-admin")
        status, reply = self.rest("GET", "/api/me", None, token)
        self.assertEqual((status, reply["actor"]), (200, "user:b-admin"))
        status, reply = self.rest("POST", "/debug/clock?advance_s=61")
        self.assertEqual(status, 200, reply)
        status, reply = self.rest("PUT", "/api/handles/%s/expired" % B,
                                  {"values": [value_json(1, "URL", "x")]}, token)
        self.assertEqual((status, reply["responseCode"], reply["message"]),
                         (401, 405, "bearer token expired"))
        self.assertIsNone(self.values(B + "/expired"))
        # The node remembers whose token it was, for the audit trail.
        self.assertIn((405, "bearer token expired"),
                      self.failures_of("user:b-admin", "authentication failed"))


if __name__ == "__main__":
    unittest.main()
