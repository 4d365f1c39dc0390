"""The three front doors (REST, native UDP, native TCP) answer alike.

One real qiliand; one table of cases; each case runs through REST and
through the native Handle protocol (tests/e2e/handle_client.py, an
independent RFC 3652 encoder) over UDP and over TCP. The answers must agree:
the same Handle response code and the same values. UDP refuses
administration (RC 4, as deployed servers do), so writes go through REST
and TCP, as the node's first administrator (REST Basic credentials, native
HS_SECKEY challenge answers); anonymous writes are refused at every door.
Native resolutions send the PO (public only) flag, as deployed resolvers do;
without it a handle with non-public values is answered with a 402 challenge.
"""

import base64
import struct
import unittest
import urllib.parse

import handle_client as hc
from harness import Qiliand, string_value

PREFIX = "88.999"
DOORS = ("rest", "udp", "tcp")
NATIVE = ("udp", "tcp")
WRITE_DOORS = ("rest", "tcp")

PERMS = {"1110": 0x0e, "1100": 0x0c}


def perm_bits(text):
    # adminRead adminWrite publicRead publicWrite, most significant first.
    return int(text, 2)


def perm_text(bits):
    return format(bits & 0x0f, "04b")


# The seeded handle: values 1..4 public, 5 readable by admins only.
SEED = "88.999/FD-SEED"
SEED_VALUES = [
    (1, "URL", "https://example.org/fd"),
    (2, "EMAIL", "fd@example.org"),
    (3, "URL.mirror", "https://mirror.example.org/fd"),
    (4, "X-NOTE", "front doors"),
]
HIDDEN = (5, "X-SECRET", "only admins")


class FrontDoors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Qiliand(config_text="[handle]\nport = 0\n").start()
        if cls.node.handle_port is None:
            cls.node.kill()
            raise RuntimeError("qiliand did not report a handle port:\n" + cls.node.log())
        cls.clients = {t: hc.Client("127.0.0.1", cls.node.handle_port, t) for t in NATIVE}
        cls.admin_clients = {t: hc.Client("127.0.0.1", cls.node.handle_port, t,
                                          auth=cls.node.admin_key) for t in NATIVE}
        values = [string_value(i, t, d) for i, t, d in SEED_VALUES]
        hidden = string_value(*HIDDEN)
        hidden["permissions"] = "1100"
        status, body = cls.node.request("PUT", "/api/handles/" + SEED,
                                        {"values": values + [hidden]})
        assert status == 201, body

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)

    # --- one operation through one door, as (code, comparable values) --------

    def rest_resolve(self, handle, indexes=(), types=()):
        query = urllib.parse.urlencode([("index", i) for i in indexes] +
                                       [("type", t) for t in types])
        path = "/api/handles/" + urllib.parse.quote(handle, safe="/")
        status, body = self.node.request("GET", path + ("?" + query if query else ""))
        code = body["responseCode"]
        values = []
        for v in body.get("values", []):
            data = v["data"]
            raw = (data["value"].encode() if data["format"] == "string"
                   else base64.b64decode(data["value"]))
            values.append((v["index"], v["type"], raw, v["ttl"], perm_bits(v["permissions"])))
        return code, values

    def native_resolve(self, door, handle, indexes=(), types=(), op_flags=0):
        reply = self.clients[door].resolve(handle, indexes, types, op_flags)
        values = [(v.index, v.type, v.data, v.ttl, v.permissions) for v in reply.values]
        if reply.code == hc.RC_SUCCESS:
            self.assertEqual(reply.handle, handle)
            self.assertTrue(reply.op_flags & hc.FLAG_AT, hex(reply.op_flags))
        return reply.code, values

    def resolve(self, door, handle, indexes=(), types=()):
        if door == "rest":
            return self.rest_resolve(handle, indexes, types)
        return self.native_resolve(door, handle, indexes, types, op_flags=hc.FLAG_PO)

    def create(self, door, handle, values, overwrite=False):
        """values: [(index, type, bytes)]"""
        if door == "rest":
            body = {"values": [{"index": i, "type": t,
                                "data": {"format": "base64",
                                         "value": base64.b64encode(d).decode()}}
                               for i, t, d in values]}
            q = "" if overwrite else "?overwrite=false"
            status, reply = self.node.request("PUT", "/api/handles/" + handle + q, body)
            return reply["responseCode"]
        reply = self.admin_clients[door].create(
            handle, [hc.HandleValue(i, t, d) for i, t, d in values], overwrite)
        if reply.code == hc.RC_SUCCESS and reply.handle is not None:
            self.assertEqual(reply.handle, handle)
        return reply.code

    def add(self, door, handle, values):
        if door == "rest":
            indexes = "&".join("index=%d" % i for i, _, _ in values)
            body = {"values": [string_value(i, t, d.decode()) for i, t, d in values]}
            status, reply = self.node.request(
                "PUT", "/api/handles/%s?%s&overwrite=false" % (handle, indexes), body)
            return reply["responseCode"]
        return self.admin_clients[door].add(
            handle, [hc.HandleValue(i, t, d) for i, t, d in values]).code

    def delete(self, door, handle):
        if door == "rest":
            status, reply = self.node.request("DELETE", "/api/handles/" + handle)
            return reply["responseCode"]
        return self.admin_clients[door].delete(handle).code

    def list_handles(self, door, prefix):
        if door == "rest":
            status, body = self.node.request(
                "GET", "/api/handles?prefix=%s&pageSize=10000" % prefix, auth=self.node.admin)
            return body["responseCode"], sorted(body.get("handles", []))
        reply = self.admin_clients[door].list_handles(prefix)
        return reply.code, sorted(reply.handles)

    def agree(self, results, code):
        """results: {door: (code, payload)}; all the same, with `code`."""
        first = results[DOORS[0]] if DOORS[0] in results else next(iter(results.values()))
        for door, result in results.items():
            self.assertEqual(result[0], code, "%s: %r" % (door, result))
            self.assertEqual(result, first, "%s disagrees with the others" % door)

    # --- the table ------------------------------------------------------------

    READ_CASES = [
        # name, handle, indexes, types, code, expected indexes
        ("all public values", SEED, (), (), 1, [1, 2, 3, 4]),
        ("index filter", SEED, (2,), (), 1, [2]),
        ("two indexes", SEED, (1, 4), (), 1, [1, 4]),
        ("type filter with subtype", SEED, (), ("URL",), 1, [1, 3]),
        ("index or type", SEED, (2,), ("X-NOTE",), 1, [2, 4]),
        ("filter matches nothing", SEED, (), ("NO-SUCH-TYPE",), 200, []),
        ("missing index", SEED, (9,), (), 200, []),
        ("non-public value is never returned", SEED, (5,), (), 200, []),
        ("non-public type is never returned", SEED, (), ("X-SECRET",), 200, []),
        ("not found", "88.999/FD-NOPE", (), (), 100, []),
        ("not responsible", "10.1234/x", (), (), 301, []),
        ("derived prefix elsewhere", "10.1234.1/x", (), (), 301, []),
    ]

    def test_resolution_cases_agree(self):
        for name, handle, indexes, types, code, want in self.READ_CASES:
            with self.subTest(name):
                results = {d: self.resolve(d, handle, indexes, types) for d in DOORS}
                self.agree(results, code)
                self.assertEqual([v[0] for v in results["rest"][1]], want)

    def test_seeded_values_are_the_same_bytes_everywhere(self):
        code, values = self.resolve("udp", SEED)
        self.assertEqual(code, 1)
        self.assertEqual([(i, t, d.encode(), 86400, 0x0e) for i, t, d in SEED_VALUES], values)

    def test_invalid_handles(self):
        # The REST path cannot carry every invalid handle; these it can.
        for handle, rest_path in [("88.999", "/api/handles/88.999"),
                                  ("88.999/a\x01b", "/api/handles/88.999/a%01b")]:
            with self.subTest(handle):
                status, body = self.node.request("GET", rest_path)
                results = {"rest": (body["responseCode"], [])}
                for door in NATIVE:
                    results[door] = self.native_resolve(door, handle)
                self.agree(results, 102)

    def test_recursion_flag_on_a_non_recursive_node(self):
        for door in NATIVE:
            with self.subTest(door):
                local = self.native_resolve(door, SEED, op_flags=hc.FLAG_REC | hc.FLAG_PO)
                self.assertEqual(local, self.resolve("rest", SEED))
                remote = self.native_resolve(door, "10.1234/x", op_flags=hc.FLAG_REC)
                self.assertEqual(remote[0], 301)
                po = self.native_resolve(door, SEED, (5,), op_flags=hc.FLAG_PO)
                self.assertEqual(po[0], 200)

    def test_create_exists_bad_values_and_delete_agree(self):
        values = [(1, "URL", b"https://example.org/new"), (2, "EMAIL", b"new@example.org")]
        for door in WRITE_DOORS:
            with self.subTest(door):
                handle = "88.999/FD-NEW-" + door.upper()
                self.assertEqual(self.create(door, handle, values), 1)
                # Whoever wrote it, every door reads the same values.
                results = {d: self.resolve(d, handle) for d in DOORS}
                self.agree(results, 1)
                self.assertEqual([(v[0], v[1], v[2]) for v in results["rest"][1]], values)
                # Exists.
                self.assertEqual(self.create(door, handle, values), 101)
                # Overwrite replaces the whole handle.
                self.assertEqual(self.create(door, handle, values[:1], overwrite=True), 1)
                self.assertEqual([v[0] for v in self.resolve("udp", handle)[1]], [1])
                # Value operations.
                self.assertEqual(self.add(door, handle, [(7, "X-NOTE", b"seven")]), 1)
                self.assertEqual(self.add(door, handle, [(7, "X-NOTE", b"again")]), 201)
                self.agree({d: self.resolve(d, handle, (7,)) for d in DOORS}, 1)
                # Delete, then it is gone everywhere.
                self.assertEqual(self.delete(door, handle), 1)
                self.agree({d: self.resolve(d, handle) for d in DOORS}, 100)
                self.assertEqual(self.delete(door, handle), 100)

    def test_bad_values_are_refused_alike_and_store_nothing(self):
        bad = [
            ("duplicate index", [(1, "URL", b"a"), (1, "URL", b"b")], 202),
            ("undecodable HS_ADMIN", [(100, "HS_ADMIN", b"\x00\x01")], 202),
            ("no values", [], 202),
        ]
        for name, values, code in bad:
            for door in WRITE_DOORS:
                with self.subTest(name=name, door=door):
                    handle = "88.999/FD-BAD"
                    self.assertEqual(self.create(door, handle, values), code)
                    self.agree({d: self.resolve(d, handle) for d in DOORS}, 100)
        for door in WRITE_DOORS:
            with self.subTest(name="not responsible", door=door):
                self.assertEqual(self.create(door, "10.1234/x", [(1, "URL", b"u")]), 301)

    def test_udp_refuses_administration(self):
        # Anonymous or not, UDP refuses a write before any challenge.
        for clients in (self.clients, self.admin_clients):
            reply = clients["udp"].create("88.999/FD-UDP", [hc.HandleValue(1, "URL", "u")])
            self.assertEqual((reply.code, reply.message),
                             (4, "administration requests are accepted only over TCP or HTTP"))
            self.assertIsNone(reply.nonce)
            self.agree({d: self.resolve(d, "88.999/FD-UDP") for d in DOORS}, 100)

    def test_non_public_values_need_a_reader_who_may_see_them(self):
        # Without PO: anonymous natives are challenged; REST answers public values.
        for door in NATIVE:
            with self.subTest(door):
                reply = self.clients[door].resolve(SEED)
                self.assertEqual(reply.code, hc.RC_AUTHEN_NEEDED)
                self.assertTrue(reply.nonce)
                self.assertEqual(reply.values, [])
        self.assertEqual([v[0] for v in self.rest_resolve(SEED)[1]], [1, 2, 3, 4])
        # The administrator, answering the challenge or sending Basic
        # credentials, reads the admin-only value too, the same everywhere.
        results = {d: self.native_resolve(d, SEED) for d in ("udp", "tcp")}
        for door in NATIVE:
            reply = self.admin_clients[door].resolve(SEED)
            results[door] = (reply.code, [(v.index, v.type, v.data, v.ttl, v.permissions)
                                          for v in reply.values])
        status, body = self.node.request("GET", "/api/handles/" + SEED, auth=self.node.admin)
        results["rest"] = (body["responseCode"],
                           [(v["index"], v["type"], v["data"]["value"].encode(), v["ttl"],
                             perm_bits(v["permissions"])) for v in body["values"]])
        self.agree(results, 1)
        self.assertEqual(results["rest"][1][-1], (5, "X-SECRET", b"only admins", 86400, 0x0c))

    def test_anonymous_writes_and_listing_are_refused_and_change_nothing(self):
        handle = "88.999/FD-ANON"
        values = [hc.HandleValue(1, "URL", "https://example.org/anon")]
        self.assertEqual(self.create("rest", SEED + "-ANON-KEEP", [(1, "URL", b"keep")]), 1)
        keep = SEED + "-ANON-KEEP"
        before = self.resolve("rest", keep)
        # REST
        body = {"values": [string_value(1, "URL", "https://example.org/anon")]}
        add = {"values": [string_value(2, "URL", "https://example.org/anon")]}
        for method, path, payload in [("PUT", handle, body), ("PUT", keep, body),
                                      ("PUT", keep + "?index=2", add), ("DELETE", keep, None)]:
            with self.subTest(door="rest", method=method, path=path):
                status, reply = self.node.request(method, "/api/handles/" + path, payload,
                                                  auth=None)
                self.assertEqual((status, reply["responseCode"], reply["message"]),
                                 (401, 402, "authentication required"))
        # Native TCP: every administration request gets a challenge.
        tcp = self.clients["tcp"]
        for name, reply in [("create", tcp.create(handle, values)),
                            ("create overwrite", tcp.create(keep, values, overwrite=True)),
                            ("add", tcp.add(keep, [hc.HandleValue(2, "URL", "x")])),
                            ("modify", tcp.modify(keep, [hc.HandleValue(1, "URL", "x")])),
                            ("remove", tcp.remove(keep, [1])),
                            ("delete", tcp.delete(keep))]:
            with self.subTest(door="tcp", op=name):
                self.assertEqual(reply.code, hc.RC_AUTHEN_NEEDED)
                self.assertTrue(reply.nonce)
        # Native UDP: refused outright.
        self.assertEqual(self.clients["udp"].create(handle, values).code, 4)
        # Listing.
        self.assertEqual(self.node.request("GET", "/api/handles?prefix=88.999", auth=None),
                         (401, {"responseCode": 402, "message": "authentication required"}))
        for door in NATIVE:
            self.assertEqual(self.clients[door].list_handles(PREFIX).code, hc.RC_AUTHEN_NEEDED)
        # Nothing changed.
        self.agree({d: self.resolve(d, handle) for d in DOORS}, 100)
        self.agree({d: self.resolve(d, keep) for d in DOORS}, 1)
        self.assertEqual(self.resolve("rest", keep), before)

    def test_list_agrees(self):
        for suffix in ("L-A", "L-B", "L-C"):
            self.assertEqual(self.create("rest", "88.999/FD-" + suffix, [(1, "URL", b"u")]), 1)
        results = {d: self.list_handles(d, PREFIX) for d in DOORS}
        self.agree(results, 1)
        for suffix in ("L-A", "L-B", "L-C"):
            self.assertIn("88.999/FD-" + suffix, results["rest"][1])
        self.assertIn(SEED, results["rest"][1])
        self.agree({d: self.list_handles(d, "10.1234") for d in DOORS}, 301)

    def test_site_info_names_this_node(self):
        sites = {}
        for door in NATIVE:
            reply = self.clients[door].site_info()
            self.assertEqual(reply.code, 1)
            self.assertTrue(reply.op_flags & hc.FLAG_AT)
            sites[door] = reply.site
        self.assertEqual(sites["udp"], sites["tcp"])
        site = sites["udp"]
        self.assertEqual(site[:2], b"\x00\x01")  # format version 1
        # ::127.0.0.1, then somewhere after it the handle port as a u32.
        self.assertIn(bytes(12) + bytes([127, 0, 0, 1]), site)
        self.assertIn(struct.pack(">BBI", 3, 1, self.node.handle_port), site)  # TCP
        self.assertIn(struct.pack(">BBI", 2, 0, self.node.handle_port), site)  # UDP


if __name__ == "__main__":
    unittest.main()
