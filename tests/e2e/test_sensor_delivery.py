"""qilian-sensor delivers its events to a real qiliand over HTTPS
(docs/security/delivery.md): exactly the events `--events` writes arrive,
each with its id; with the node down the events wait in the spool and a
later `--flush-only` run delivers them; a kill -9 between the node's 200 and
the spool's acknowledgement loses nothing and stores nothing twice (the
resent ids are counted as duplicates); a wrong token stops delivery with
exit status 3 and the events stay spooled.

The answers a real node gives only to a broken sender (a 400 naming a line,
a 413 for a batch over its limits) come from FakeNode, a small HTTPS server
in this file that follows the contract of docs/security/events-api.md:
fault injection, the one use of a fake.

Each test starts its own qiliand with a self-signed certificate for
127.0.0.1 (made by openssl, as test_tls does), onboards an enterprise and
registers a sensor over REST as the node's first administrator. The
captures are from ../shared/data/pcaps (see its README for sources and
licences). The kill -9 is fault injection: QILIAN_SENSOR_CRASH_AFTER_POSTS=N
makes the sender SIGKILL itself right after the Nth acknowledged request's
200, before the spool records it, so the test knows exactly what was sent.
No timed assertions."""

import gzip
import http.client
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_enterprises import body, credit_code  # noqa: E402
from test_tls import make_pair, tls_config  # noqa: E402

SENSOR = os.path.join(harness.BUILD_DIR, "src", "security", "sensor", "qilian-sensor")
PCAPS = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "pcaps"))
# 15,976 Modbus events: two requests (10,000 and 5,976), gzip.
BIG = os.path.join(PCAPS, "iti", "ModbusTCP", "ModbusTCP.pcap")
# 2,258 Modbus events: one request.
SMALL = os.path.join(PCAPS, "iti", "ModbusTCP", "Modbus", "modbus_test.pcap")
WRONG_TOKEN = "qsn.0000000000000000." + "0" * 64


class TlsQiliand(harness.Qiliand):
    """A qiliand speaking HTTPS on its HTTP port; request() goes over TLS,
    verified against the node's own certificate."""

    def __init__(self, cert, key):
        super().__init__(config_text=tls_config(cert, key))
        self.cert = cert

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, headers=None, timeout=30, auth=harness.ADMIN):
        headers = dict(headers or {})
        if auth is harness.ADMIN:
            headers.update(self.admin_header())
        context = ssl.create_default_context(cafile=self.cert)
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=context)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers=headers)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()


def sensor(*args, env=None):
    proc = subprocess.run([SENSOR] + list(args), capture_output=True, timeout=300,
                          env=dict(os.environ, **(env or {})))
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def delivery_line(stdout):
    return next(line for line in stdout.splitlines() if line.startswith("delivery: "))


def summary(spooled, sent, duplicates, pending):
    return ("delivery: spooled %d, sent %d, duplicates %d, rejected 0, dropped 0, pending %d" %
            (spooled, sent, duplicates, pending))


@unittest.skipUnless(os.path.exists(BIG), "the public captures are not in " + PCAPS)
class SensorDeliveryTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qilian-delivery-")
        self.cert, key = make_pair(self.dir)
        self.node = TlsQiliand(self.cert, key).start()
        status, reply = self.node.request("POST", "/api/enterprises",
                                          body(credit_code("91620100", "72001201")))
        self.assertEqual(status, 201, reply)
        self.enterprise = reply["enterprise"]["id"]
        status, reply = self.node.request("POST", "/api/enterprises/%d/sensors" % self.enterprise,
                                          {"name": "plant-1-line-3"})
        self.assertEqual(status, 201, reply)
        self.sensor_id = reply["id"]
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(reply["token"] + "\n")
        self.spool = os.path.join(self.dir, "spool")

    def tearDown(self):
        self.node.__exit__(None, None, None)
        shutil.rmtree(self.dir, ignore_errors=True)

    def deliver(self, *args, token_file=None, env=None):
        return sensor(*args, "--deliver", self.node.url, "--ca-file", self.cert,
                      "--sensor-token-file", token_file or self.token_file,
                      "--spool", self.spool, env=env)

    def flush(self, env=None):
        return self.deliver("--flush-only", env=env)

    def stored(self):
        """Every event the node holds from this sensor, oldest id first, with
        the members the node adds taken off."""
        events, cursor = [], None
        while True:
            path = "/api/security/events?enterprise=%d&sensor=%s&limit=1000" % (
                self.enterprise, self.sensor_id)
            status, page = self.node.request("GET", path + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(status, 200, page)
            for e in page["events"]:
                self.assertEqual(list(e)[:4], ["id", "sensor", "enterprise", "received"])
                self.assertEqual((e.pop("sensor"), e.pop("enterprise")),
                                 (self.sensor_id, self.enterprise))
                e.pop("received")
                events.append(e)
            cursor = page["next_cursor"]
            if cursor is None:
                return sorted(events, key=lambda e: int(e["id"].rsplit("-", 1)[1]))

    def expected(self, events_files):
        """The lines of --events (of each run in turn) with the ids the spool
        gives them (<spool identity>-1, -2, ...) as their first member."""
        with open(os.path.join(self.spool, "identity")) as f:
            identity = f.read().strip()
        lines = []
        for name in events_files:
            with open(name) as f:
                lines += f.read().splitlines()
        return [dict([("id", "%s-%d" % (identity, n))] + list(json.loads(line).items()))
                for n, line in enumerate(lines, 1)]

    def assert_stored_exactly(self, *events_files):
        expected, stored = self.expected(events_files), self.stored()
        self.assertEqual(len(stored), len(expected))
        for got, want in zip(stored, expected):
            self.assertEqual(list(got.items()), list(want.items()))  # members and their order

    def test_events_arrive_as_written(self):
        events_file = os.path.join(self.dir, "events.jsonl")
        rc, out, err = self.deliver("--read", BIG, "--events", events_file)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        self.assertEqual(delivery_line(out), summary(15976, 15976, 0, 0))
        self.assert_stored_exactly(events_file)
        # Nothing is left to send; a second flush sends nothing.
        rc, out, err = self.flush()
        self.assertEqual((rc, delivery_line(out)), (0, summary(0, 0, 0, 0)), err)

    def test_node_down_then_flush_only(self):
        events_file = os.path.join(self.dir, "events.jsonl")
        url = self.node.url
        self.node.stop()
        rc, out, err = sensor("--read", SMALL, "--events", events_file, "--deliver", url,
                              "--ca-file", self.cert, "--sensor-token-file", self.token_file,
                              "--spool", self.spool)
        self.assertEqual(rc, 0, err)
        self.assertEqual(delivery_line(out), summary(2258, 0, 0, 2258))
        self.assertIn("qilian-sensor: cannot deliver events: cannot connect to %s: "
                      "Connection refused; retrying (events stay spooled)\n" % url, err)
        self.node.start()  # a new port; the spool does not care
        rc, out, err = self.flush()
        self.assertEqual(rc, 0, err)
        self.assertEqual(delivery_line(out), summary(0, 2258, 0, 0))
        self.assert_stored_exactly(events_file)

    def test_kill_9_between_the_200_and_the_acknowledgement(self):
        events_file = os.path.join(self.dir, "events.jsonl")
        url = self.node.url
        self.node.stop()
        rc, out, err = sensor("--read", BIG, "--events", events_file, "--deliver", url,
                              "--ca-file", self.cert, "--sensor-token-file", self.token_file,
                              "--spool", self.spool)
        self.assertEqual((rc, delivery_line(out)), (0, summary(15976, 0, 0, 15976)), err)
        self.node.start()
        # The first request (10,000 events) is stored; the sender dies before
        # the spool records it.
        rc, out, err = self.flush(env={"QILIAN_SENSOR_CRASH_AFTER_POSTS": "1"})
        self.assertEqual(rc, -9, err)
        rc, out, err = self.flush()
        self.assertEqual(rc, 0, err)
        self.assertEqual(delivery_line(out), summary(0, 15976, 10000, 0))
        self.assert_stored_exactly(events_file)

    def test_kill_9_at_any_moment_of_sending(self):
        # Two runs spool 31,952 events with the node down; a --flush-only
        # run is killed with SIGKILL from outside as soon as the node has
        # stored some (wherever the sender is then: sending, between the 200
        # and the acknowledgement, writing `acked`), and a rerun must leave
        # each event stored exactly once. The moment varies; the outcome may not.
        url = self.node.url
        self.node.stop()
        files = [os.path.join(self.dir, "events-%d.jsonl" % i) for i in (1, 2)]
        for events_file in files:
            rc, out, err = sensor("--read", BIG, "--events", events_file, "--deliver", url,
                                  "--ca-file", self.cert, "--sensor-token-file",
                                  self.token_file, "--spool", self.spool)
            self.assertEqual(rc, 0, err)
        self.node.start()
        proc = subprocess.Popen([SENSOR, "--flush-only", "--deliver", self.node.url, "--ca-file",
                                 self.cert, "--sensor-token-file", self.token_file,
                                 "--spool", self.spool],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = "/api/enterprises/%d/sensors/%s" % (self.enterprise, self.sensor_id)
        while proc.poll() is None:
            status, reply = self.node.request("GET", path)
            self.assertEqual(status, 200, reply)
            if reply["events_received"] > 0:
                proc.kill()
                break
        proc.wait()
        rc, out, err = self.flush()
        self.assertEqual(rc, 0, err)
        self.assertTrue(delivery_line(out).endswith(", rejected 0, dropped 0, pending 0"), out)
        self.assert_stored_exactly(*files)

    def test_wrong_token_stops_with_status_3(self):
        bad = os.path.join(self.dir, "bad-token")
        with open(bad, "w") as f:
            f.write(WRONG_TOKEN)
        rc, out, err = self.deliver("--read", SMALL, token_file=bad)
        self.assertEqual(rc, 3, err)
        self.assertEqual(err, "qilian-sensor: %s refused the sensor token (HTTP 401: sensor "
                              "token is not valid); sending stopped, the events stay spooled "
                              "in %s\n" % (self.node.url, self.spool))
        self.assertEqual(delivery_line(out), summary(2258, 0, 0, 2258))
        self.assertEqual(self.stored(), [])
        # With the right token the next run delivers them.
        rc, out, err = self.flush()
        self.assertEqual((rc, delivery_line(out)), (0, summary(0, 2258, 0, 0)), err)
        self.assertEqual(len(self.stored()), 2258)

    def test_bad_options(self):
        rc, _, err = sensor("--read", SMALL, "--deliver", "http://127.0.0.1:1",
                            "--sensor-token-file", self.token_file, "--spool", self.spool)
        self.assertEqual((rc, err), (2, "qilian-sensor: --deliver needs an https:// URL: the "
                                        "sensor token must not cross the network in clear\n"))
        rc, _, err = sensor("--read", SMALL, "--deliver", self.node.url, "--spool", self.spool)
        self.assertEqual((rc, err), (2, "qilian-sensor: --deliver needs --sensor-token-file\n"))
        missing = os.path.join(self.dir, "missing")
        rc, _, err = sensor("--read", SMALL, "--deliver", self.node.url, "--spool", self.spool,
                            "--sensor-token-file", missing)
        self.assertEqual((rc, err), (2, "qilian-sensor: cannot read sensor token file %s: "
                                        "No such file or directory\n" % missing))


class FakeNode:
    """An HTTPS server for POST /api/security/events: ids stored once each,
    in order, 200 {"accepted", "duplicates"} unless `refuse(lines)` returns
    (status, answer) for the request's event lines."""

    def __init__(self, cert, key, refuse):
        self.ids, self.bodies = [], []
        node = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # kept alive, as the sensor expects

            def do_POST(self):
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    data = gzip.decompress(data)
                lines = data.decode().splitlines()
                node.bodies.append(lines)
                status, answer = refuse(lines) or (200, None)
                if status == 200:
                    ids = [json.loads(line)["id"] for line in lines]
                    new = [i for i in ids if i not in node.ids]
                    node.ids += new
                    answer = {"accepted": len(new), "duplicates": len(ids) - len(new)}
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = "https://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@unittest.skipUnless(os.path.exists(SMALL), "the public captures are not in " + PCAPS)
class SenderFaultTest(unittest.TestCase):
    """The capture's 2,258 events are spooled with no node (port 1), then
    `--flush-only` sends them to a FakeNode: one request of all of them
    first, so every answer and message is known."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qilian-delivery-fault-")
        self.cert, self.key = make_pair(self.dir)
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(WRONG_TOKEN)  # the fake does not check it
        self.spool = os.path.join(self.dir, "spool")
        self.events_file = os.path.join(self.dir, "events.jsonl")
        rc, out, err = sensor("--read", SMALL, "--events", self.events_file,
                              "--deliver", "https://127.0.0.1:1", "--ca-file", self.cert,
                              "--sensor-token-file", self.token_file, "--spool", self.spool)
        self.assertEqual((rc, delivery_line(out)), (0, summary(2258, 0, 0, 2258)), err)
        with open(os.path.join(self.spool, "identity")) as f:
            self.identity = f.read().strip()
        self.all_ids = ["%s-%d" % (self.identity, n) for n in range(1, 2259)]
        self.node = None

    def tearDown(self):
        if self.node:
            self.node.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def flush(self, refuse):
        self.node = FakeNode(self.cert, self.key, refuse)
        return sensor("--flush-only", "--deliver", self.node.url, "--ca-file", self.cert,
                      "--sensor-token-file", self.token_file, "--spool", self.spool)

    def test_a_line_refused_with_400_is_set_aside_and_the_rest_delivered(self):
        bad = "%s-5" % self.identity

        def refuse(lines):
            for n, line in enumerate(lines, 1):
                if json.loads(line)["id"] == bad:
                    message = "line %d: the test refuses this event" % n
                    return 400, {"error": message, "line": n}
            return None

        rc, out, err = self.flush(refuse)
        self.assertEqual(rc, 3, err)
        self.assertEqual(delivery_line(out), "delivery: spooled 0, sent 2257, duplicates 0, "
                                             "rejected 1, dropped 0, pending 0")
        rejected = os.path.join(self.spool, "rejected", "events.ndjson")
        self.assertEqual(err, "qilian-sensor: event %s rejected by %s (HTTP 400: line 5: the "
                              "test refuses this event); set aside in %s\n" %
                         (bad, self.node.url, rejected))
        self.assertEqual(self.node.ids, [i for i in self.all_ids if i != bad])
        self.assertEqual([len(b) for b in self.node.bodies], [2258, 2257])
        with open(self.events_file) as f:
            fifth = f.read().splitlines()[4]
        with open(rejected) as f:
            self.assertEqual(f.read(), '{"id":"%s",%s\n' % (bad, fifth[1:]))
        with open(os.path.join(self.spool, "rejected", "reasons.txt")) as f:
            self.assertEqual(f.read(), "%s HTTP 400: line 5: the test refuses this event\n" % bad)

    def test_413_halves_the_batches(self):
        def refuse(lines):
            if len(lines) > 500:
                return 413, {"error": "request holds more than 500 events"}
            return None

        rc, out, err = self.flush(refuse)
        self.assertEqual(rc, 0, err)
        self.assertEqual(delivery_line(out), summary(0, 2258, 0, 0))
        self.assertEqual(err, "".join(
            "qilian-sensor: %s refused a batch of %d events as too large (request holds more "
            "than 500 events); sending %d at most\n" % (self.node.url, n, n // 2)
            for n in (2258, 1129, 564)))
        self.assertEqual(self.node.ids, self.all_ids)
        self.assertEqual([len(b) for b in self.node.bodies],
                         [2258, 1129, 564] + [282] * 8 + [2])

    def test_503_at_exit_leaves_the_events_spooled(self):
        # At exit a failed request ends the flush: the node is not answering
        # now, and the next run sends the rest.
        rc, out, err = self.flush(lambda lines: (503, {"error": "storage is busy"}))
        self.assertEqual(rc, 0, err)
        self.assertEqual(delivery_line(out), summary(0, 0, 0, 2258))
        self.assertEqual(err, "qilian-sensor: cannot deliver events: %s answered HTTP 503: "
                              "storage is busy; retrying (events stay spooled)\n" % self.node.url)
        self.node.close()
        rc, out, err = self.flush(lambda lines: None)
        self.assertEqual((rc, delivery_line(out)), (0, summary(0, 2258, 0, 0)), err)
        self.assertEqual(self.node.ids, self.all_ids)


if __name__ == "__main__":
    unittest.main()
