"""REST API end to end: a real qiliand on loopback, raw sockets where the
HTTP framing itself is the test (limits, smuggling, slow clients), and the
exact status, responseCode and message for each rejection. Every rejected
request is followed by a check that nothing was stored."""

import json
import socket
import subprocess
import time
import unittest

from harness import QILIAND, Qiliand, string_value

# Small limits so the slow-client cases finish quickly.
CONFIG = """
[http]
max_body_bytes = 4096
header_timeout_ms = 300
body_timeout_ms = 300
"""


def raw_exchange(port, payload, pause_after=None, read_timeout=5):
    """Sends `payload` (bytes, or a list of chunks sent with `pause_after`
    seconds between them) and returns everything the server sends back."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        chunks = payload if isinstance(payload, list) else [payload]
        for i, chunk in enumerate(chunks):
            if i and pause_after:
                time.sleep(pause_after)
            try:
                s.sendall(chunk)
            except OSError:
                break
        out = b""
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not data:
                break
            out += data
        return out
    finally:
        s.close()


def parse_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


class RestEndToEndTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.q = Qiliand(config_text=CONFIG).start()

    @classmethod
    def tearDownClass(cls):
        cls.q.kill()

    def assert_absent(self, handle="88.999/E2E-BAD"):
        status, body = self.q.request("GET", "/api/handles/" + handle)
        self.assertEqual((status, body["responseCode"]), (404, 100))

    def test_create_resolve_filter_list_delete(self):
        q = self.q
        body = {"values": [string_value(1, "URL", "https://example.org/pump"),
                           string_value(2, "EMAIL", "ops@example.org"),
                           string_value(3, "URL.mirror", "https://mirror.example.org/pump")]}
        self.assertEqual(q.request("PUT", "/api/handles/88.999/E2E-PUMP-1", body),
                         (201, {"responseCode": 1, "handle": "88.999/E2E-PUMP-1"}))
        status, got = q.request("GET", "/api/handles/88.999/E2E-PUMP-1")
        self.assertEqual(status, 200)
        self.assertEqual([(v["index"], v["type"], v["data"]) for v in got["values"]],
                         [(1, "URL", {"format": "string", "value": "https://example.org/pump"}),
                          (2, "EMAIL", {"format": "string", "value": "ops@example.org"}),
                          (3, "URL.mirror",
                           {"format": "string", "value": "https://mirror.example.org/pump"})])
        # The TYPE. subtype rule and index filters.
        status, got = q.request("GET", "/api/handles/88.999/E2E-PUMP-1?type=URL")
        self.assertEqual([v["index"] for v in got["values"]], [1, 3])
        status, got = q.request("GET", "/api/handles/88.999/E2E-PUMP-1?index=2&index=3")
        self.assertEqual([v["index"] for v in got["values"]], [2, 3])
        status, got = q.request("GET", "/api/handles/88.999/E2E-PUMP-1?type=NONE")
        self.assertEqual((status, got["responseCode"]), (404, 200))
        # Handles are case-insensitive (ASCII); the answer echoes the request.
        status, got = q.request("GET", "/api/handles/88.999/e2e-pump-1?index=1")
        self.assertEqual((status, got["handle"], got["values"][0]["data"]["value"]),
                         (200, "88.999/e2e-pump-1", "https://example.org/pump"))
        # Exists already.
        status, got = q.request("PUT", "/api/handles/88.999/E2E-PUMP-1?overwrite=false", body)
        self.assertEqual((status, got["responseCode"]), (409, 101))
        # Listing needs credentials: anonymous is challenged, the administrator sees it.
        self.assertEqual(q.request("GET", "/api/handles?prefix=88.999&pageSize=1000", auth=None),
                         (401, {"responseCode": 402, "message": "authentication required"}))
        status, got = q.request("GET", "/api/handles?prefix=88.999&pageSize=1000", auth=q.admin)
        self.assertEqual(status, 200)
        self.assertIn("88.999/E2E-PUMP-1", got["handles"])
        # An anonymous delete is refused and the handle stays.
        self.assertEqual(q.request("DELETE", "/api/handles/88.999/E2E-PUMP-1", auth=None),
                         (401, {"responseCode": 402, "message": "authentication required",
                                "handle": "88.999/E2E-PUMP-1"}))
        self.assertEqual(q.request("GET", "/api/handles/88.999/E2E-PUMP-1?index=1")[0], 200)
        self.assertEqual(q.request("DELETE", "/api/handles/88.999/E2E-PUMP-1"),
                         (200, {"responseCode": 1, "handle": "88.999/E2E-PUMP-1"}))
        self.assert_absent("88.999/E2E-PUMP-1")

    def test_malformed_json_is_refused_and_stores_nothing(self):
        status, got = self.q.request("PUT", "/api/handles/88.999/E2E-BAD",
                                     b'{"values":[{"index":1,')
        self.assertEqual((status, got["responseCode"], got["message"]),
                         (400, 4, "body: malformed JSON at byte 23"))
        self.assert_absent()

    def test_body_over_limit(self):
        big = json.dumps({"values": [string_value(1, "URL", "x" * 5000)]}).encode()
        raw = raw_exchange(self.q.port,
                           b"PUT /api/handles/88.999/E2E-BAD HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                           % len(big) + big)
        self.assertEqual(parse_response(raw),
                         (413, {"responseCode": 2, "message": "request body exceeds 4096 bytes"}))
        self.assert_absent()

    def test_chunked_body_over_limit(self):
        chunk = b"a" * 3000
        raw = raw_exchange(self.q.port,
                           b"PUT /api/handles/88.999/E2E-BAD HTTP/1.1\r\nHost: x\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n"
                           + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
        self.assertEqual(parse_response(raw),
                         (413, {"responseCode": 2, "message": "request body exceeds 4096 bytes"}))
        self.assert_absent()

    def test_content_length_with_transfer_encoding_is_refused(self):
        body = json.dumps({"values": [string_value(1, "URL", "https://x")]}).encode()
        raw = raw_exchange(self.q.port,
                           b"PUT /api/handles/88.999/E2E-BAD HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n"
                           % len(body) + body)
        self.assertEqual(parse_response(raw),
                         (400, {"responseCode": 4,
                                "message": "malformed HTTP request: both Content-Length and "
                                           "Transfer-Encoding present"}))
        self.assert_absent()

    def test_conflicting_content_lengths_are_refused(self):
        raw = raw_exchange(self.q.port,
                           b"PUT /api/handles/88.999/E2E-BAD HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 5\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
        self.assertEqual(parse_response(raw),
                         (400, {"responseCode": 4,
                                "message": "malformed HTTP request: conflicting Content-Length values"}))
        self.assert_absent()

    def test_slow_header_times_out(self):
        raw = raw_exchange(self.q.port, [b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n"],
                           pause_after=1.0)
        self.assertEqual(parse_response(raw),
                         (408, {"responseCode": 4,
                                "message": "request header not received within 300 ms"}))

    def test_slow_body_times_out_and_stores_nothing(self):
        body = json.dumps({"values": [string_value(1, "URL", "https://x")]}).encode()
        raw = raw_exchange(self.q.port,
                           [b"PUT /api/handles/88.999/E2E-BAD HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(body) + body[:10], body[10:]],
                           pause_after=1.0)
        self.assertEqual(parse_response(raw),
                         (408, {"responseCode": 4,
                                "message": "request body not received within 300 ms"}))
        self.assert_absent()

    def test_percent_tricks_and_traversal(self):
        body = {"values": [string_value(1, "URL", "https://x")]}
        for target, message in [
                ("/api/handles/88.999/%2E%2E/E2E-BAD",
                 "handle must not contain '.' or '..' path segments"),
                ("/api/handles/88.999/E2E-BAD%zz", "handle has an invalid percent-escape"),
                ("/api/handles/88.999/E2E-BAD%00", "handle contains a control character"),
                ("/api/handles/88.999/E2E-BAD%C0%AF", "handle is not valid UTF-8")]:
            status, got = self.q.request("PUT", target, body)
            self.assertEqual((status, got["responseCode"], got["message"]), (400, 102, message),
                             target)
        self.assert_absent()

    def test_unknown_query_parameter(self):
        status, got = self.q.request("GET", "/api/handles/88.999/E2E-BAD?format=xml")
        self.assertEqual((status, got["responseCode"], got["message"]),
                         (400, 4, "unknown query parameter 'format'"))

    def test_not_responsible(self):
        status, got = self.q.request(
            "PUT", "/api/handles/20.500/E2E-BAD",
            {"values": [string_value(1, "URL", "https://x")]})
        self.assertEqual((status, got["responseCode"], got["message"]),
                         (400, 301, "this node is not responsible for prefix '20.500'"))

    def test_metrics_count_rejections(self):
        self.q.request("PUT", "/api/handles/88.999/E2E-BAD", b"{")
        status, text = self.q.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertRegex(text, r'qilian_rest_errors_total\{reason="malformed_json"\} [1-9]')
        self.assertRegex(text, r"qilian_process_resident_memory_bytes [1-9]")

    def test_openapi_is_served(self):
        status, doc = self.q.request("GET", "/api/openapi.json")
        self.assertEqual(status, 200)
        self.assertTrue(doc["openapi"].startswith("3."))
        self.assertIn("/api/handles/{handle}", doc["paths"])


class StartupTest(unittest.TestCase):

    def test_unknown_config_key_is_named(self):
        q = Qiliand(config_text="[http]\nprot = 1\n")
        try:
            proc = subprocess.run(q.command(), capture_output=True, timeout=30)
        finally:
            q.__exit__()
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"unknown configuration key 'http.prot'", proc.stderr)

    def test_sigterm_stops_cleanly_and_keeps_data(self):
        with Qiliand() as q:
            body = {"values": [string_value(1, "URL", "https://example.org/term")]}
            self.assertEqual(q.request("PUT", "/api/handles/88.999/TERM", body)[0], 201)
            self.assertEqual(q.stop(), 0)
            q.start()
            status, got = q.request("GET", "/api/handles/88.999/TERM")
            self.assertEqual((status, got["values"][0]["data"]["value"]),
                             (200, "https://example.org/term"))

    def test_a_write_without_credentials_is_refused_even_from_loopback(self):
        # There is no loopback exemption any more: the first start creates an
        # administrator, and everything else is refused.
        with Qiliand() as q:
            self.assertRegex(q.log(), r"event=auth\.first_admin identity=300:0\.NA/88\.999 "
                                      r"created=true")
            self.assertEqual(q.admin[0], "300:0.NA/88.999")
            body = {"values": [string_value(1, "URL", "https://example.org/anon")]}
            self.assertEqual(q.request("PUT", "/api/handles/88.999/ANON", body, auth=None),
                             (401, {"responseCode": 402, "message": "authentication required",
                                    "handle": "88.999/ANON"}))
            status, got = q.request("GET", "/api/handles/88.999/ANON")
            self.assertEqual((status, got["responseCode"]), (404, 100))
            self.assertEqual(q.request("PUT", "/api/handles/88.999/ANON", body)[0], 201)

if __name__ == "__main__":
    unittest.main()
