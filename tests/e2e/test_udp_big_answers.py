"""Big answers over UDP for clients that ignore TC (issue 9, point 1).

A record of 20 values of 100 octets (a 2,688-octet answer) is written over
REST as the node's first administrator, then resolved by a client that
behaves like Handle.Net's hdllib (tests/e2e/hdllib_like.py): UDP first,
reassembly sized purely from MessageLength, TCP only after its UDP attempts
fail. By default the answer arrives in full over UDP, in 6 datagrams of at
most 512 octets, its excess over udp_max_reply_factor x the request paid
from the source network's budget; in truncate mode, over the maximum answer
size, or once the budget is spent, the client gets the 20-octet TC envelope
and has to go to TCP. Every outcome and counter is asserted exactly.
"""

import contextlib
import re
import unittest

import handle_client as hc
import hdllib_like
from harness import Qiliand, string_value

HANDLE = "88.999/BIG-1"  # 12 octets: with 20 values of 132 octets, a 2,688-octet message
VALUES = [(i, "X-DATA", ("%02d" % i) + chr(ord("a") + i) * 98) for i in range(1, 21)]
MESSAGE_LENGTH = 2688
REQUEST_OCTETS = 72  # envelope, header, handle, no indexes or types, no credential
DATAGRAMS = 6        # ceil(2688 / 492)
WIRE_OCTETS = 20 + MESSAGE_LENGTH + (DATAGRAMS - 1) * 20  # every datagram has an envelope
# One short UDP attempt where the answer cannot come over UDP: it bounds the
# test's duration (the client then asks over TCP); nothing is timed.
SHORT_SCHEDULE_MS = (300,)


@contextlib.contextmanager
def node_with_record(config=""):
    with Qiliand(config_text="[handle]\nport = 0\n" + config) as node:
        values = [string_value(i, t, d) for i, t, d in VALUES]
        status, body = node.request("PUT", "/api/handles/" + HANDLE, {"values": values})
        assert status == 201, (status, body)
        yield node


def counter(node, name, labels=""):
    status, text = node.request("GET", "/metrics")
    assert status == 200, status
    m = re.search(r"^%s%s (\d+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return int(m.group(1)) if m else 0


class BigUdpAnswers(unittest.TestCase):
    def resolve(self, node, schedule_ms=hdllib_like.RETRY_SCHEDULE_MS):
        reply, transport, datagrams = hdllib_like.resolve(
            "127.0.0.1", node.handle_port, HANDLE, schedule_ms=schedule_ms)
        self.assertEqual(reply.code, hc.RC_SUCCESS)
        self.assertEqual(reply.handle, HANDLE)
        self.assertEqual([(v.index, v.type, v.data.decode()) for v in reply.values], VALUES)
        return transport, datagrams

    def assert_full(self, datagrams):
        self.assertEqual(len(datagrams), DATAGRAMS)
        self.assertEqual(sum(len(d) for d in datagrams), WIRE_OCTETS)
        for sequence, d in enumerate(sorted(datagrams, key=lambda d: hc.ENVELOPE.unpack_from(d)[5])):
            envelope = hc.ENVELOPE.unpack_from(d)
            self.assertLessEqual(len(d), 512)
            self.assertTrue(envelope[2] & hc.FLAG_TRUNCATED)
            self.assertEqual(envelope[5], sequence)
            self.assertEqual(envelope[6], MESSAGE_LENGTH)

    def assert_tc_envelope_then_tcp(self, node, reason):
        """One short UDP attempt gets the TC envelope alone, then TCP answers."""
        transport, datagrams = self.resolve(node, SHORT_SCHEDULE_MS)
        self.assertEqual(transport, "tcp")
        self.assertEqual(len(datagrams), 1)
        self.assertEqual(len(datagrams[0]), 20)
        envelope = hc.ENVELOPE.unpack_from(datagrams[0])
        self.assertTrue(envelope[2] & hc.FLAG_TRUNCATED)
        self.assertEqual(envelope[6], 0)
        self.assertEqual(counter(node, "qilian_handle_udp_truncated_total",
                                 '{reason="%s"}' % reason), 1)

    def test_default_sends_the_whole_answer_over_udp(self):
        with node_with_record() as node:
            transport, datagrams = self.resolve(node)
            self.assertEqual(transport, "udp")
            self.assert_full(datagrams)
            self.assertEqual(counter(node, "qilian_handle_udp_budget_answers_total",
                                     '{outcome="sent"}'), 1)
            self.assertEqual(counter(node, "qilian_handle_udp_budget_bytes_total"),
                             WIRE_OCTETS - 10 * REQUEST_OCTETS)
            self.assertEqual(counter(node, "qilian_handle_udp_budget_answers_total",
                                     '{outcome="refused"}'), 0)
            self.assertEqual(counter(node, "qilian_handle_udp_fragmented_total"), 1)

    def test_truncate_mode_sends_the_tc_envelope(self):
        with node_with_record('udp_large_answers = "truncate"\n') as node:
            self.assert_tc_envelope_then_tcp(node, "factor")
            self.assertEqual(counter(node, "qilian_handle_udp_budget_answers_total",
                                     '{outcome="sent"}'), 0)

    def test_spent_budget_sends_the_tc_envelope(self):
        # 5000 octets and no refill: two answers' excess (2,088 each), not three.
        with node_with_record("udp_budget_bytes_per_second = 0\nudp_budget_burst = 5000\n") as node:
            for _ in range(2):
                transport, datagrams = self.resolve(node)
                self.assertEqual(transport, "udp")
                self.assert_full(datagrams)
            self.assert_tc_envelope_then_tcp(node, "budget")
            self.assertEqual(counter(node, "qilian_handle_udp_budget_answers_total",
                                     '{outcome="sent"}'), 2)
            self.assertEqual(counter(node, "qilian_handle_udp_budget_answers_total",
                                     '{outcome="refused"}'), 1)

    def test_answers_over_the_maximum_send_the_tc_envelope(self):
        with node_with_record("udp_max_answer_bytes = 2048\n") as node:
            self.assert_tc_envelope_then_tcp(node, "too_large")
            self.assertEqual(counter(node, "qilian_handle_udp_budget_answers_total",
                                     '{outcome="sent"}'), 0)


if __name__ == "__main__":
    unittest.main()
