"""Abuse limits against a real qiliand (docs/abuse-limits.md): write quotas
per caller mapped to IDIS 604 (rate) and 603 (daily count), and throttling
of failed authentications (406). The node runs with --test-clock, so time
moves only when the test says: no assertion depends on how fast this
machine is.

The caller is 300:88.999/W, an identity the first administrator creates and
names in the prefix handle's HS_ADMIN; it belongs to no enterprise and is no
operator, so quotas apply to it (operators are not charged).
"""

import unittest

from harness import Qiliand, string_value

W = "88.999/W"
W_ID = "300:" + W
W_SECRET = "w-secret-for-quota-tests"

CONFIG = """
[auth]
write_rate_per_s = 2
writes_per_day = 6
max_failed_authentications = 2
"""


def body(n):
    return {"values": [string_value(1, "URL", "https://example.com/%d" % n)]}


class AbuseLimits(unittest.TestCase):
    config = CONFIG

    def setUp(self):
        self.node = Qiliand(extra_args=["--test-clock"], config_text=self.config).start()
        seckey = string_value(300, "HS_SECKEY", W_SECRET)
        seckey["permissions"] = "1100"
        status, reply = self.node.request("PUT", "/api/handles/" + W, {"values": [seckey]})
        self.assertEqual(status, 201, reply)
        admin = {"index": 101, "type": "HS_ADMIN",
                 "data": {"format": "admin",
                          "value": {"handle": W, "index": 300, "permissions": "111111111111"}}}
        status, reply = self.node.request(
            "PUT", "/api/handles/0.NA/88.999?index=101&overwrite=false", {"values": [admin]})
        self.assertEqual(status, 200, reply)

    def tearDown(self):
        self.node.kill()

    def advance(self, seconds):
        status, reply = self.node.request("POST", "/debug/clock?advance_s=%d" % seconds)
        self.assertEqual(status, 200, reply)

    def write(self, n, secret=W_SECRET):
        return self.node.request("PUT", "/api/handles/88.999/q-%d" % n, body(n),
                                 auth=(W_ID, secret))

    def exists(self, n):
        return self.node.request("GET", "/api/handles/88.999/q-%d" % n)[0] == 200

    def audit(self, actor):
        status, reply = self.node.request("GET", "/api/audit?actor=" + actor.replace("/", "%2F"),
                                          auth=self.node.admin)
        self.assertEqual(status, 200, reply)
        return [(e["action"], e["result"]) for e in reply["events"]]

    def test_rate_then_daily_quota(self):
        # Two writes a second (the bucket holds one second's worth)...
        self.assertEqual(self.write(1)[0], 201)
        self.assertEqual(self.write(2)[0], 201)
        status, reply = self.write(3)
        self.assertEqual((status, reply["responseCode"], reply["message"]),
                         (429, 604, "write rate for %s exceeds 2/s" % W_ID))
        self.assertFalse(self.exists(3))
        # ...the operator is not charged...
        self.assertEqual(self.node.request("PUT", "/api/handles/88.999/op", body(0))[0], 201)
        # ...and a second later the bucket has refilled.
        self.advance(1)
        self.assertEqual(self.write(3)[0], 201)
        self.assertEqual(self.write(4)[0], 201)
        self.advance(1)
        self.assertEqual(self.write(5)[0], 201)
        self.assertEqual(self.write(6)[0], 201)
        # Six writes today: the daily quota is used up, whatever the rate.
        self.advance(1)
        status, reply = self.write(7)
        self.assertEqual((status, reply["responseCode"], reply["message"]),
                         (429, 603, "daily write quota of 6 for %s is used up; it renews at "
                                    "00:00 UTC" % W_ID))
        self.assertFalse(self.exists(7))
        self.advance(86400)
        self.assertEqual(self.write(7)[0], 201)
        # Refusals are in the audit trail with their codes.
        results = self.audit(W_ID)
        self.assertIn(("create handle", 604), results)
        self.assertIn(("create handle", 603), results)
        self.assertEqual(results.count(("create handle", 1)), 7)

    def test_failed_authentications_are_throttled(self):
        for _ in range(2):
            status, reply = self.write(1, secret="wrong")
            self.assertEqual((status, reply["responseCode"], reply["message"]),
                             (401, 403, "secret does not match for %s" % W_ID))
        # The right secret is refused too until the back-off has passed: the
        # node does not even check it.
        status, reply = self.write(1)
        self.assertEqual((status, reply["responseCode"], reply["message"]),
                         (401, 406, "too many failed authentications for %s; retry in 1 s" % W_ID))
        self.assertFalse(self.exists(1))
        self.advance(1)
        self.assertEqual(self.write(1)[0], 201)
        failures = [r for a, r in self.audit(W_ID) if a == "authentication failed"]
        self.assertEqual(failures, [403, 403, 406])


class IdentifierCap(AbuseLimits):
    """IDIS 605: a prefix holds at most identifiers_per_prefix identifiers
    (the node's statistics count them; operators are not capped)."""

    config = CONFIG + "identifiers_per_prefix = 3\n"

    # The parent's quota tests run with a cap that would end them early.
    test_rate_then_daily_quota = None
    test_failed_authentications_are_throttled = None

    def test_creates_beyond_the_cap_are_refused(self):
        # 88.999/W itself is the first identifier of 88.999.
        self.assertEqual(self.write(1)[0], 201)
        self.assertEqual(self.write(2)[0], 201)
        status, reply = self.write(3)
        self.assertEqual((status, reply["responseCode"], reply["message"]),
                         (403, 605, "prefix 88.999 holds 3 identifiers; its limit is 3"))
        self.assertFalse(self.exists(3))
        # Changing an existing identifier is not a create: still allowed.
        self.advance(1)
        status, reply = self.node.request("PUT", "/api/handles/88.999/q-1?index=2",
                                          {"values": [string_value(2, "EMAIL", "a@b.c")]},
                                          auth=(W_ID, W_SECRET))
        self.assertEqual(status, 200, reply)
        # A delete makes room again.
        self.assertEqual(self.node.request("DELETE", "/api/handles/88.999/q-2")[0], 200)
        self.assertEqual(self.write(3)[0], 201)


if __name__ == "__main__":
    unittest.main()
