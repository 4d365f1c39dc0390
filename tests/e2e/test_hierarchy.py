"""The identifier hierarchy as separate qiliand processes on loopback.

A top-level node (88), a secondary node (88.999), an enterprise node
(88.999.7) and a pure recursive node whose root is the top-level node. The
prefix handles are written over REST as an operator would: 0.NA/88.999 at
the top level names the secondary's site, 0.NA/88.999.7 at the secondary
names the enterprise's. Then:

- the secondary refers 88.999.7/PUMP-1 (303 with the enterprise's site),
  natively and over REST (421, docs/api.md);
- the recursive node resolves it over UDP, TCP and REST with the exact
  values, and answers again from its cache;
- with the enterprise killed it serves the expired answer (serve-stale,
  counted); restarted on its data directory and port, fresh answers come
  once the cached ones expire (the recursive node's test clock);
- a referral loop ends in an error code, and the referral bound in code 6.
"""

import re
import unittest

import handle_client as hc
from harness import Qiliand, string_value

RC_SUCCESS = 1
RC_ERROR = 2
RC_RECURSION_LIMIT = 6
RC_NOT_RESPONSIBLE = 301
RC_PREFIX_REFERRAL = 303
NATIVE = ("udp", "tcp")


def site_json(port):
    """The HS_SITE of a node serving UDP and TCP on 127.0.0.1:port."""
    return {"version": 1, "protocolVersion": "2.11", "serialNumber": 1, "primaryMask": 128,
            "hashOption": 2, "hashFilter": "", "attributes": [],
            "servers": [{"serverId": 1, "address": "127.0.0.1",
                         "interfaces": [{"type": "both", "protocol": "TCP", "port": port},
                                        {"type": "query", "protocol": "UDP", "port": port}]}]}


def site_value(index, port, ttl=86400):
    return {"index": index, "type": "HS_SITE", "ttl": ttl,
            "data": {"format": "site", "value": site_json(port)}}


def node_config(prefixes, extra=""):
    quoted = ", ".join('"%s"' % p for p in prefixes)
    return "[node]\nprefixes = [%s]\n[store]\nsync_writes = false\n%s" % (quoted, extra)


def recursive_config(root_port, max_referrals=8):
    return node_config([], """[recursive]
enabled = true
roots = ["127.0.0.1:%d"]
query_timeout_ms = 400
prefetch_min_hits = 0
max_referrals = %d
""" % (root_port, max_referrals))


class Node(Qiliand):
    """A qiliand that keeps its Handle port across restarts (HS_SITE values
    elsewhere name it)."""

    pinned_handle_port = None

    def command(self):
        cmd = super().command()
        if self.pinned_handle_port:
            cmd[cmd.index("--handle-port") + 1] = str(self.pinned_handle_port)
        return cmd

    def start(self):
        super().start()
        if self.handle_port is None:
            self.kill()
            raise RuntimeError("qiliand did not report a handle port:\n" + self.log())
        self.pinned_handle_port = self.handle_port
        return self

    def put(self, handle, values):
        status, body = self.request("PUT", "/api/handles/" + handle, {"values": values})
        assert status in (200, 201), (handle, status, body)

    def metric(self, name):
        status, text = self.request("GET", "/metrics")
        assert status == 200, text
        total = 0
        for m in re.finditer(r"^%s(?:\{[^}]*\})? (\d+)$" % re.escape(name), text, re.M):
            total += int(m.group(1))
        return total

    def advance_clock(self, seconds):
        status, body = self.request("POST", "/debug/clock?advance_s=%d" % seconds)
        assert status == 200, body

    def client(self, transport):
        return hc.Client("127.0.0.1", self.handle_port, transport)


def pump_values(url):
    return [string_value(1, "URL", url, ttl=60),
            string_value(2, "EMAIL", "ops@pump.example", ttl=60)]


def comparable(values):
    """Native values as (index, type, text)."""
    return [(v.index, v.type, v.data.decode("utf-8")) for v in values]


def rest_comparable(values):
    return [(v["index"], v["type"], v["data"]["value"]) for v in values]


class HierarchyTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.nodes = []
        try:
            cls.top = cls.started(Node(config_text=node_config(["88"])))
            cls.secondary = cls.started(Node(config_text=node_config(["88.999"])))
            cls.enterprise = cls.started(Node(config_text=node_config(["88.999.7"])))
            cls.recursive = cls.started(Node(config_text=recursive_config(cls.top.handle_port),
                                             extra_args=["--test-clock"]))
            # Allocations written at the parents, as onboarding does.
            cls.top.put("0.NA/88.999", [site_value(1, cls.secondary.handle_port)])
            cls.secondary.put("0.NA/88.999.7", [site_value(1, cls.enterprise.handle_port)])
            cls.enterprise.put("88.999.7/PUMP-1", pump_values("https://pump.example/1"))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def started(cls, node):
        cls.nodes.append(node)
        return node.start()

    @classmethod
    def tearDownClass(cls):
        for node in reversed(cls.nodes):
            node.__exit__(None, None, None)

    # --- authoritative nodes refer -------------------------------------------

    def test_secondary_refers_to_the_enterprise_natively(self):
        expected_site = self.secondary.client("udp").resolve("0.NA/88.999.7")
        self.assertEqual(expected_site.code, RC_SUCCESS)
        for transport in NATIVE:
            with self.subTest(transport=transport):
                reply = self.secondary.client(transport).resolve("88.999.7/PUMP-1")
                self.assertEqual(reply.code, RC_PREFIX_REFERRAL)
                self.assertEqual(reply.handle, "0.NA/88.999.7")
                self.assertEqual([(v.type, v.data) for v in reply.values],
                                 [("HS_SITE", expected_site.values[0].data)])

    def test_top_level_refers_prefix_handles_to_the_secondary(self):
        reply = self.top.client("udp").resolve("0.NA/88.999.7")
        self.assertEqual(reply.code, RC_PREFIX_REFERRAL)
        self.assertEqual(reply.handle, "0.NA/88.999")
        # Its own allocation is its data.
        self.assertEqual(self.top.client("udp").resolve("0.NA/88.999").code, RC_SUCCESS)

    def test_secondary_refers_over_rest(self):
        status, body = self.secondary.request("GET", "/api/handles/88.999.7/PUMP-1")
        self.assertEqual(status, 421, body)
        self.assertEqual(body["responseCode"], RC_PREFIX_REFERRAL)
        self.assertEqual(body["handle"], "88.999.7/PUMP-1")
        self.assertEqual(body["message"],
                         "prefix '88.999.7' is served by another site (see 0.NA/88.999.7)")
        self.assertEqual(body["referral"]["handle"], "0.NA/88.999.7")
        [site] = body["referral"]["values"]
        self.assertEqual(site["type"], "HS_SITE")
        ports = {i["port"] for i in site["data"]["value"]["servers"][0]["interfaces"]}
        self.assertEqual(ports, {self.enterprise.handle_port})
        # Writes for a prefix served elsewhere are referred too.
        status, body = self.secondary.request(
            "PUT", "/api/handles/88.999.7/NEW", {"values": pump_values("https://x")})
        self.assertEqual((status, body["responseCode"]), (421, RC_PREFIX_REFERRAL))

    # --- the recursive node resolves -----------------------------------------

    def test_recursive_node_resolves_over_every_front_door(self):
        expected = [(1, "URL", "https://pump.example/1"), (2, "EMAIL", "ops@pump.example")]
        for transport in NATIVE:
            with self.subTest(transport=transport):
                reply = self.recursive.client(transport).resolve("88.999.7/PUMP-1",
                                                                 op_flags=hc.FLAG_REC)
                self.assertEqual(reply.code, RC_SUCCESS, reply.message)
                self.assertEqual(reply.handle, "88.999.7/PUMP-1")
                self.assertEqual(comparable(reply.values), expected)
                self.assertTrue(reply.op_flags & hc.FLAG_REC)
                self.assertFalse(reply.op_flags & hc.FLAG_AT)
        status, body = self.recursive.request("GET", "/api/handles/88.999.7/PUMP-1")
        self.assertEqual(status, 200, body)
        self.assertEqual(rest_comparable(body["values"]), expected)
        # Answered from the cache the second time.
        hits = self.recursive.metric("qilian_resolver_cache_hits_total")
        again = self.recursive.client("udp").resolve("88.999.7/PUMP-1", op_flags=hc.FLAG_REC)
        self.assertEqual(comparable(again.values), expected)
        self.assertGreater(self.recursive.metric("qilian_resolver_cache_hits_total"), hits)

    def test_without_rec_a_native_client_is_told_to_ask_recursively(self):
        reply = self.recursive.client("udp").resolve("88.999.7/PUMP-1")
        self.assertEqual(reply.code, RC_NOT_RESPONSIBLE)
        self.assertEqual(reply.message, "this node is not responsible for prefix '88.999.7' "
                                        "(set REC to resolve recursively)")

    def test_two_levels_of_referral(self):
        # 88.999.7.1 is homed at the enterprise too (its own prefix handle).
        self.enterprise.put("0.NA/88.999.7.1", [site_value(1, self.enterprise.handle_port)])
        self.enterprise.put("88.999.7.1/DEEP", [string_value(1, "URL", "https://deep")])
        reply = self.recursive.client("tcp").resolve("88.999.7.1/DEEP", op_flags=hc.FLAG_REC)
        self.assertEqual(reply.code, RC_SUCCESS, reply.message)
        self.assertEqual(comparable(reply.values), [(1, "URL", "https://deep")])
        # The same walk with a bound of one referral: code 6.
        with Node(config_text=recursive_config(self.top.handle_port, max_referrals=1)) as bounded:
            reply = bounded.client("udp").resolve("88.999.7.1/DEEP", op_flags=hc.FLAG_REC)
            self.assertEqual(reply.code, RC_RECURSION_LIMIT, reply.message)
            self.assertEqual(reply.message, "more than 1 referrals resolving 0.NA/88.999.7.1")
            status, body = bounded.request("GET", "/api/handles/88.999.7.1/DEEP")
            self.assertEqual(body["responseCode"], RC_RECURSION_LIMIT, body)

    def test_referral_loop_ends_in_an_error(self):
        # The secondary says 88.999.9 is at the top level, which says 88.999
        # (and so 88.999.9) is at the secondary.
        self.secondary.put("0.NA/88.999.9", [site_value(1, self.top.handle_port)])
        for transport in NATIVE:
            with self.subTest(transport=transport):
                reply = self.recursive.client(transport).resolve("88.999.9/LOOP",
                                                                 op_flags=hc.FLAG_REC)
                self.assertEqual(reply.code, RC_ERROR, reply.message)
                self.assertIn("referral loop resolving 88.999.9/LOOP", reply.message)

    # --- serve-stale and fresh answers after a restart ------------------------

    def test_stale_while_down_then_fresh_after_restart(self):
        self.enterprise.put("88.999.7/STALE-1", pump_values("https://v1"))
        get = lambda: self.recursive.request("GET", "/api/handles/88.999.7/STALE-1")
        status, body = get()
        self.assertEqual(status, 200, body)
        self.assertEqual(body["values"][0]["data"]["value"], "https://v1")

        self.enterprise.kill()
        try:
            self.recursive.advance_clock(61)  # past the values' 60 s TTL
            stale = self.recursive.metric("qilian_resolver_stale_served_total")
            status, body = get()
            self.assertEqual(status, 200, body)
            self.assertEqual(body["values"][0]["data"]["value"], "https://v1")
            self.assertGreater(self.recursive.metric("qilian_resolver_stale_served_total"), stale)
            reply = self.recursive.client("udp").resolve("88.999.7/STALE-1", op_flags=hc.FLAG_REC)
            self.assertEqual(comparable(reply.values)[0], (1, "URL", "https://v1"))
        finally:
            self.enterprise.start()  # same data directory, same port
        self.assertEqual(self.enterprise.client("udp").resolve("88.999.7/STALE-1").code,
                         RC_SUCCESS)
        self.enterprise.put("88.999.7/STALE-1", pump_values("https://v2"))
        # The stale entry is expired: the next question goes upstream.
        status, body = get()
        self.assertEqual(body["values"][0]["data"]["value"], "https://v2")
        # A fresh entry is served until its TTL passes on the test clock.
        self.enterprise.put("88.999.7/STALE-1", pump_values("https://v3"))
        status, body = get()
        self.assertEqual(body["values"][0]["data"]["value"], "https://v2")
        self.recursive.advance_clock(61)
        status, body = get()
        self.assertEqual(body["values"][0]["data"]["value"], "https://v3")

    def test_debug_clock_exists_only_with_the_flag(self):
        status, _ = self.top.request("POST", "/debug/clock?advance_s=1")
        self.assertEqual(status, 404)
        status, body = self.recursive.request("POST", "/debug/clock?advance_s=x")
        self.assertEqual(status, 400, body)


if __name__ == "__main__":
    unittest.main()
