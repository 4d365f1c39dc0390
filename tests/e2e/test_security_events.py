"""Sensor event delivery end to end (docs/security/events-api.md) against a
real qiliand: an operator onboards two enterprises with an administrator
each; each registers a sensor. Events are posted as a sensor would (urllib,
NDJSON, gzip), a batch with one bad line is refused whole, the same batch
replayed stores nothing twice, and after kill -9 and a restart every
acknowledged event is there. Queries by protocol, time and sensor answer
newest first with cursors; each enterprise sees only its own events; a
sensor token can do nothing but post events; `qilian security events`
prints the same events. A second node, on a test clock, shows the
retention sweep deleting events older than [security] events_retention_days;
a third serves HTTPS, as a sensor in a plant network reaches its node."""

import datetime
import gzip
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QILIAN, Qiliand, basic_auth  # noqa: E402
from test_enterprises import body as enterprise_body, credit_code  # noqa: E402
from test_products import PASSWORD, two_enterprises_with_staff  # noqa: E402
from test_tls import make_pair, tls_config  # noqa: E402


def event(i, proto="modbus", second=None, orig_h="10.1.0.5"):
    """The sensor's event object with a delivery id (as qilian-sensor writes
    them: ts, flow, proto, addresses, then the protocol's own fields)."""
    second = i if second is None else second
    e = {"ts": "2026-12-07T16:%02d:%02d.%06dZ" % (second // 60, second % 60, i),
         "flow": 1 + i % 3, "proto": proto,
         "orig_h": orig_h, "orig_p": 50000 + i, "resp_h": "10.1.0.9",
         "resp_p": 502 if proto == "modbus" else 20000}
    if proto == "modbus":
        e.update({"unit": 1, "func": "read_holding_registers", "address": i, "quantity": 2})
    else:
        e.update({"function": "READ", "objects": [{"group": 30, "variation": 1}]})
    e["id"] = "s1:%d" % i
    return e


def ndjson(events):
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events).encode()


class SecurityEventsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Qiliand().start()
        cls.enterprise, _, cls.token = two_enterprises_with_staff(cls.node, ("71001201", "71001202"))
        cls.sensor, cls.sensor_token = {}, {}
        for who, e in (("a", cls.enterprise[0]), ("b", cls.enterprise[1])):
            status, reply = cls.call(who + "-admin", "POST", "/api/enterprises/%d/sensors" % e,
                                     {"name": "plant-%s-line-3" % who,
                                      "description": "span port of line 3"})
            assert status == 201, reply
            cls.sensor[who], cls.sensor_token[who] = reply["id"], reply["token"]

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)

    @classmethod
    def call(cls, who, method, path, body=None):
        return cls.node.request(method, path, body, headers={"Authorization": cls.token[who]})

    def post(self, who, body, encoding=None, token=None):
        """POST /api/security/events as the sensor `who`, with urllib as a
        sensor's sender would; (status, JSON answer)."""
        headers = {"Content-Type": "application/x-ndjson",
                   "Authorization": "Bearer " + (token or self.sensor_token[who])}
        if encoding == "gzip":
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        request = urllib.request.Request(self.node.url + "/api/security/events", data=body,
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def query(self, who, params=""):
        status, reply = self.call(who, "GET", "/api/security/events" + params)
        self.assertEqual(status, 200, reply)
        return reply

    def all_ids(self, who, params=""):
        """Every event id the query answers, following cursors (pages of 7)."""
        ids, cursor = [], None
        sep = "&" if params else "?"
        while True:
            page = self.query(who, params + sep + "limit=7" +
                              ("&cursor=" + cursor if cursor else ""))
            ids += [e["id"] for e in page["events"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return ids

    def test_delivery_durability_queries_and_isolation(self):
        a_events = [event(i, "modbus" if i % 4 else "dnp3", orig_h="10.1.0.%d" % (5 + i % 2))
                    for i in range(1, 41)]
        # One bad line refuses the batch whole, naming the line.
        bad = a_events[:16] + [dict(a_events[16], ts="2026-12-07 16:00:17Z")] + a_events[17:]
        status, reply = self.post("a", ndjson(bad))
        self.assertEqual(status, 400)
        self.assertEqual(reply["error"], "line 17: ts: not an RFC 3339 time")
        self.assertEqual(reply["line"], 17)
        self.assertEqual(self.query("a-admin")["events"], [])

        status, reply = self.post("a", ndjson(a_events), encoding="gzip")
        self.assertEqual((status, reply), (200, {"accepted": 40, "duplicates": 0}))
        # The replay of a batch whose answer was lost: nothing stored twice.
        status, reply = self.post("a", ndjson(a_events[30:] + [event(41)]))
        self.assertEqual((status, reply), (200, {"accepted": 1, "duplicates": 10}))
        status, reply = self.post("b", ndjson([event(i, second=100 + i) for i in range(1, 6)]))
        self.assertEqual((status, reply), (200, {"accepted": 5, "duplicates": 0}))

        # kill -9 and a restart: every acknowledged event is there.
        self.node.kill()
        self.node.start()
        for name in ("a-admin", "b-admin", "audit"):  # console tokens live in memory
            status, reply = self.node.request("POST", "/api/login",
                                              {"user": name, "password": PASSWORD}, auth=None)
            self.assertEqual(status, 200, reply)
            self.token[name] = "Bearer " + reply["token"]

        a_ids = ["s1:%d" % i for i in range(41, 0, -1)]  # newest first
        self.assertEqual(self.all_ids("a-admin"), a_ids)
        self.assertEqual(self.all_ids("b-admin"), ["s1:%d" % i for i in range(5, 0, -1)])
        newest = self.query("a-admin", "?limit=1")["events"][0]
        expected = {"id": "s1:41", "sensor": self.sensor["a"], "enterprise": self.enterprise[0]}
        self.assertEqual({k: newest[k] for k in expected}, expected)
        self.assertEqual(list(newest)[:5], ["id", "sensor", "enterprise", "received", "ts"])
        self.assertEqual({k: v for k, v in newest.items()
                          if k not in ("sensor", "enterprise", "received")}, event(41))
        status, sensor = self.call("a-admin", "GET", "/api/enterprises/%d/sensors/%s" %
                                   (self.enterprise[0], self.sensor["a"]))
        self.assertEqual(status, 200)
        self.assertEqual(sensor["events_received"], 41)
        self.assertEqual(sensor["last_event_ts"], event(41)["ts"])

        # Queries by protocol, time, sensor and address.
        self.assertEqual(self.all_ids("a-admin", "?protocol=dnp3"),
                         ["s1:%d" % i for i in range(40, 0, -4)])
        self.assertEqual(
            self.all_ids("a-admin", "?from=2026-12-07T16:00:10Z&to=2026-12-07T16:00:20Z"),
            ["s1:%d" % i for i in range(19, 9, -1)])
        self.assertEqual(self.all_ids("a-admin", "?sensor=" + self.sensor["a"]), a_ids)
        self.assertEqual(self.all_ids("a-admin", "?orig_h=10.1.0.6&protocol=modbus"),
                         ["s1:%d" % i for i in range(39, 0, -2)])  # 41 is from 10.1.0.5
        # Isolation: B sees none of A's, by sensor or by naming A.
        self.assertEqual(self.query("b-admin", "?sensor=" + self.sensor["a"])["events"], [])
        status, reply = self.call("b-admin", "GET",
                                  "/api/security/events?enterprise=%d" % self.enterprise[0])
        self.assertEqual((status, reply["message"]),
                         (404, "enterprise %d not found" % self.enterprise[0]))
        status, reply = self.call("b-admin", "GET", "/api/enterprises/%d/sensors" %
                                  self.enterprise[0])
        self.assertEqual(status, 404)
        # The auditor sees both enterprises.
        self.assertEqual(len(self.all_ids("audit")), 46)

        # A sensor token posts events and nothing else.
        status, reply = self.node.request("GET", "/api/security/events",
                                          auth="Bearer " + self.sensor_token["a"])
        self.assertEqual((status, reply["message"]),
                         (403, "sensor:%s is a sensor: it may only post events" %
                          self.sensor["a"]))
        status, reply = self.post("a", ndjson([event(99)]), token="qsn.0000000000000000." + "0" * 64)
        self.assertEqual((status, reply["message"]), (401, "sensor token is not valid"))

        # The CLI, as the node's operator: the same events, as JSON lines and a table.
        secret_file = os.path.join(self.node.data_dir, "operator.secret")
        with open(secret_file, "w") as f:
            f.write(self.node.admin[1])

        def cli(*args):
            proc = subprocess.run([QILIAN, "--server", self.node.url, "--auth", self.node.admin[0],
                                   "--secret-file", secret_file] + list(args),
                                  capture_output=True, timeout=60)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return proc.stdout.decode()

        api = self.query("a-admin", "?protocol=dnp3&limit=1000")["events"]
        lines = cli("security", "events", "--enterprise", str(self.enterprise[0]),
                    "--protocol", "dnp3", "--limit", "1000", "--json").splitlines()
        self.assertEqual([json.loads(line) for line in lines], api)
        self.assertEqual(list(json.loads(lines[0])), list(api[0]))  # the same member order
        table = cli("security", "events", "--sensor", self.sensor["b"], "--limit", "3").splitlines()
        self.assertEqual(table[0].split(), ["TS", "PROTO", "ORIG", "RESP", "SENSOR", "ID", "DETAIL"])
        self.assertEqual([row.split()[:6] for row in table[1:]],
                         [[event(i, second=100 + i)["ts"], "modbus", "10.1.0.5:%d" % (50000 + i),
                           "10.1.0.9:502", self.sensor["b"], "s1:%d" % i] for i in (5, 4, 3)])
        listed = cli("security", "sensors", "list", "--enterprise", str(self.enterprise[0]))
        self.assertEqual(listed.splitlines()[1].split()[:3],
                         [self.sensor["a"], "plant-a-line-3", "41"])


class RetentionTest(unittest.TestCase):
    def test_sweep_deletes_events_past_retention(self):
        config = "[security]\nevents_retention_days = 2\nevents_retention_interval_s = 1\n"
        with Qiliand(extra_args=["--test-clock"], config_text=config) as node:
            enterprise, _, token = two_enterprises_with_staff(node, ("71001211", "71001212"))
            admin = {"Authorization": token["a-admin"]}
            status, sensor = node.request("POST", "/api/enterprises/%d/sensors" % enterprise[0],
                                          {"name": "s"}, headers=admin)
            self.assertEqual(status, 201, sensor)
            now = datetime.datetime.now(datetime.timezone.utc)
            stamp = lambda days: (now - datetime.timedelta(days=days)).strftime(  # noqa: E731
                "%Y-%m-%dT%H:%M:%SZ")
            body = "".join(json.dumps({"ts": stamp(days), "flow": 1, "proto": "modbus",
                                       "id": "e%d" % days}) + "\n" for days in (0, 1, 3))
            status, reply = node.request(
                "POST", "/api/security/events", body,
                headers={"Authorization": "Bearer " + sensor["token"],
                         "Content-Type": "application/x-ndjson"})
            self.assertEqual((status, reply), (200, {"accepted": 3, "duplicates": 0}))

            def ids():
                # As the operator: the console token expires with the clock's jump.
                status, page = node.request("GET", "/api/security/events",
                                            headers=node.admin_header())
                self.assertEqual(status, 200, page)
                return [e["id"] for e in page["events"]]
            # The sweep runs every second: wait for it to delete e3 (3 days old).
            deadline = time.monotonic() + 60
            while ids() != ["e0", "e1"] and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual(ids(), ["e0", "e1"])
            # A day and a half later, e1 is past retention too.
            status, _ = node.request("POST", "/debug/clock?advance_s=%d" % (36 * 3600))
            self.assertEqual(status, 200)
            deadline = time.monotonic() + 60
            while ids() != ["e0"] and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual(ids(), ["e0"])


class HttpsTest(unittest.TestCase):
    def test_sensor_delivers_over_https(self):
        directory = tempfile.mkdtemp(prefix="qilian-sec-tls-")
        self.addCleanup(shutil.rmtree, directory, True)
        cert, key = make_pair(directory)
        context = ssl.create_default_context(cafile=cert)
        with Qiliand(config_text=tls_config(cert, key)) as node:
            base = "https://localhost:%d" % node.port
            operator = basic_auth(*node.admin)

            def call(method, path, body=None, auth=operator, content_type="application/json"):
                request = urllib.request.Request(base + path, data=body, method=method,
                                                 headers={"Authorization": auth,
                                                          "Content-Type": content_type})
                try:
                    with urllib.request.urlopen(request, timeout=30, context=context) as r:
                        return r.status, json.loads(r.read())
                except urllib.error.HTTPError as e:
                    return e.code, json.loads(e.read())

            status, reply = call("POST", "/api/enterprises", json.dumps(
                enterprise_body(credit_code("91620100", "71001221"))).encode())
            self.assertEqual(status, 201, reply)
            enterprise = reply["enterprise"]["id"]
            status, sensor = call("POST", "/api/enterprises/%d/sensors" % enterprise,
                                  json.dumps({"name": "tls"}).encode())
            self.assertEqual(status, 201, sensor)
            body = ndjson([event(i) for i in range(1, 4)])
            status, reply = call("POST", "/api/security/events", gzip.compress(body),
                                 auth="Bearer " + sensor["token"],
                                 content_type="application/x-ndjson")
            # urllib does not set Content-Encoding: the gzip bytes are not NDJSON.
            self.assertEqual(status, 400)
            self.assertEqual(reply["error"], "line 1: not valid JSON")
            status, reply = call("POST", "/api/security/events", body,
                                 auth="Bearer " + sensor["token"],
                                 content_type="application/x-ndjson")
            self.assertEqual((status, reply), (200, {"accepted": 3, "duplicates": 0}))
            status, page = call("GET", "/api/security/events?enterprise=%d" % enterprise)
            self.assertEqual(status, 200, page)
            self.assertEqual([e["id"] for e in page["events"]], ["s1:3", "s1:2", "s1:1"])


if __name__ == "__main__":
    unittest.main()
