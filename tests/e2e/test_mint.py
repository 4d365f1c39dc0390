"""Minted suffixes (issue 9): the node chooses the handle.

A real qiliand. Native clients send a CreateHandleRequest with the MINT
flag (OpFlag bit 10, 0x00200000) naming a stem ("88.999/E2E-"), answer the
402 challenge with the first administrator's secret key, and get back the
handle the node created (the reply body, MINT echoed), as from a deployed
Handle.Net server. 16 threads mint concurrently: no two answers name the
same handle, and each handle resolves to the values its own client sent.
REST mints with POST /api/handles/{stem} and Handle.Net's
PUT ...?mintNewSuffix=true. docs/handle_wire.md "Minted suffixes".
"""

import re
import threading
import unittest

import handle_client as hc
from harness import Qiliand, start_native_node

FLAG_MINT = 0x00200000
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
THREADS = 16
MINTS_PER_THREAD = 25
URL_VALUE = {"index": 1, "type": "URL", "ttl": 86400,
             "data": {"format": "string", "value": "https://example.org/rest-minted"}}


def mint(client, stem, url):
    """A native create of `stem` with MINT and one URL value."""
    body = hc._string(stem) + hc._values([hc.HandleValue(1, "URL", url)])
    return client.call(hc.OC_CREATE_HANDLE, body, FLAG_MINT)


class Mint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = start_native_node()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def tcp(self, auth=True):
        return hc.Client("127.0.0.1", self.node.handle_port, "tcp",
                         auth=self.node.admin_key if auth else None)

    def assert_minted(self, handle, stem):
        self.assertTrue(handle.startswith(stem), handle)
        self.assertRegex(handle[len(stem):], UUID4)

    def listing(self, prefix):
        status, body = self.node.request(
            "GET", "/api/handles?prefix=%s&pageSize=10000" % prefix, auth=self.node.admin)
        self.assertEqual(status, 200, body)
        self.assertFalse(body["more"])
        return body["handles"]

    def test_concurrent_native_mints_never_collide_and_all_resolve(self):
        stem = "88.999/E2E-"
        results = [[] for _ in range(THREADS)]
        failures = []

        def worker(t):
            client = self.tcp()
            try:
                for i in range(MINTS_PER_THREAD):
                    url = "https://example.org/t%d/%d" % (t, i)
                    reply = mint(client, stem, url)
                    results[t].append((reply.code, reply.op, reply.op_flags, reply.message,
                                       reply.handle, url))
            except Exception as e:  # reported below, with the thread
                failures.append("thread %d: %r" % (t, e))

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(failures, [])
        minted = {}
        for t in range(THREADS):
            self.assertEqual(len(results[t]), MINTS_PER_THREAD)
            for code, op, flags, message, handle, url in results[t]:
                self.assertEqual((code, op, flags, message),
                                 (hc.RC_SUCCESS, hc.OC_CREATE_HANDLE, hc.FLAG_AT | FLAG_MINT, ""))
                self.assert_minted(handle, stem)
                self.assertNotIn(handle, minted)
                minted[handle] = url
        self.assertEqual(len(minted), THREADS * MINTS_PER_THREAD)

        # Every minted handle resolves, over UDP, to its own client's value.
        udp = hc.Client("127.0.0.1", self.node.handle_port, "udp")
        for handle, url in sorted(minted.items()):
            reply = udp.resolve(handle)
            self.assertEqual(reply.code, hc.RC_SUCCESS, handle)
            self.assertEqual(reply.handle, handle)
            self.assertEqual([(v.index, v.type, v.data) for v in reply.values],
                             [(1, "URL", url.encode())])
        # And nothing else was created under the stem.
        listed = [h for h in self.listing("88.999") if h.upper().startswith(stem.upper())]
        self.assertEqual(sorted(h.upper() for h in listed),
                         sorted(h.upper() for h in minted))

    def test_anonymous_mint_is_challenged_and_creates_nothing(self):
        before = self.listing("88.999")
        reply = mint(self.tcp(auth=False), "88.999/ANON-", "https://example.org/anon")
        self.assertEqual(reply.code, hc.RC_AUTHEN_NEEDED)
        self.assertEqual(reply.op, hc.OC_CREATE_HANDLE)
        self.assertEqual(self.listing("88.999"), before)

    def test_native_mint_refusals(self):
        # A prefix this node does not serve: 301 before any challenge.
        reply = mint(self.tcp(), "99.1/", "https://example.org/x")
        self.assertEqual((reply.code, reply.op_flags & FLAG_MINT, reply.message),
                         (301, 0, "this node is not responsible for prefix '99.1'"))
        # No '/' in the stem: nothing to mint under.
        reply = mint(self.tcp(), "88.999", "https://example.org/x")
        self.assertEqual((reply.code, reply.message),
                         (102, "handle has no '/' between prefix and suffix"))
        # Administration over UDP is refused, as for every write.
        udp = hc.Client("127.0.0.1", self.node.handle_port, "udp")
        reply = mint(udp, "88.999/", "https://example.org/x")
        self.assertEqual((reply.code, reply.message),
                         (4, "administration requests are accepted only over TCP or HTTP"))

    def test_rest_post_and_mint_new_suffix_mint(self):
        status, body = self.node.request("POST", "/api/handles/88.999/R-",
                                         {"values": [URL_VALUE]})
        self.assertEqual(status, 201, body)
        self.assertEqual(sorted(body), ["handle", "responseCode"])
        self.assertEqual(body["responseCode"], 1)
        posted = body["handle"]
        self.assert_minted(posted, "88.999/R-")

        status, body = self.node.request(
            "PUT", "/api/handles/88.999/?overwrite=false&mintNewSuffix=true",
            {"values": [URL_VALUE]})
        self.assertEqual(status, 201, body)
        self.assertEqual(body["responseCode"], 1)
        put = body["handle"]
        self.assert_minted(put, "88.999/")
        self.assertNotEqual(posted, put)

        for handle in (posted, put):
            status, got = self.node.request("GET", "/api/handles/" + handle)
            self.assertEqual(status, 200, got)
            self.assertEqual(got["handle"], handle)
            self.assertEqual([(v["index"], v["type"], v["data"]["value"]) for v in got["values"]],
                             [(1, "URL", "https://example.org/rest-minted")])
            # The same handle over the native protocol.
            reply = hc.Client("127.0.0.1", self.node.handle_port, "udp").resolve(handle)
            self.assertEqual((reply.code, reply.handle), (hc.RC_SUCCESS, handle))

    def test_rest_mint_needs_credentials(self):
        before = self.listing("88.999")
        status, body = self.node.request("POST", "/api/handles/88.999/",
                                         {"values": [URL_VALUE]}, auth=None)
        self.assertEqual((status, body["responseCode"], body["message"]),
                         (401, 402, "authentication required"))
        self.assertEqual(self.listing("88.999"), before)


class MintAcrossRestart(unittest.TestCase):
    def test_minted_handles_survive_a_crash_and_new_mints_stay_unique(self):
        with Qiliand(config_text="[handle]\nport = 0\n") as node:
            def mint_three():
                client = hc.Client("127.0.0.1", node.handle_port, "tcp", auth=node.admin_key)
                handles = []
                for i in range(3):
                    reply = mint(client, "88.999/", "https://example.org/r%d" % i)
                    self.assertEqual(reply.code, hc.RC_SUCCESS, reply.message)
                    handles.append(reply.handle)
                return handles

            before = mint_three()
            node.kill()  # SIGKILL: nothing of the minting is saved on the way out
            node.start()
            after = mint_three()
            self.assertEqual(len(set(before + after)), 6)
            udp = hc.Client("127.0.0.1", node.handle_port, "udp")
            for handle in before + after:
                self.assertEqual(udp.resolve(handle).code, hc.RC_SUCCESS, handle)


if __name__ == "__main__":
    unittest.main()
