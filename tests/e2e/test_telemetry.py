"""Telemetry over HTTP end to end (docs/tsdb.md, docs/line-protocol.md,
docs/telemetry-query.md) against a real qiliand: InfluxDB's Python client
(Debian's python3-influxdb, a deployed 1.x client) and Telegraf-shaped
requests write line protocol with Basic, Token and ?u=&p= credentials, gzip
and every precision; bad lines are named one by one while the good ones are
stored; the body limit, the series limit of an enterprise and the query
limits refuse with the limit named; enterprises cannot write for each
other; acknowledged points survive kill -9; retention is set and read."""

import gzip
import http.client
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qiliand, string_value  # noqa: E402
from test_enterprises import onboard  # noqa: E402

import influxdb  # noqa: E402  (python3-influxdb, installed by scripts/install-deps)

SECRET = "telegraf-secret-1"
CONFIG = """[tsdb]
max_series_per_enterprise = 40
max_series_per_query = 30
max_write_body_bytes = 65536
"""
T0 = 1796083200000  # 2026-12-01T00:00:00Z


def seckey_value(secret):
    v = string_value(300, "HS_SECKEY", secret)
    v["permissions"] = "1100"
    return v


class TelemetryHttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Qiliand(config_text=CONFIG).__enter__()
        cls.a, cls.prefix_a = onboard(cls.node, "71001101")
        cls.b, cls.prefix_b = onboard(cls.node, "71001102")
        cls.c, _ = onboard(cls.node, "71001104")
        # A writer identity under each enterprise's prefix: that enterprise's
        # administrator (src/tenant/principals.h), as Telegraf's user.
        for prefix in (cls.prefix_a, cls.prefix_b):
            status, reply = cls.node.request("PUT", "/api/handles/%s/telegraf" % prefix,
                                             {"values": [seckey_value(SECRET)]})
            assert status in (200, 201), reply
        cls.writer_a = "300:%s/telegraf" % cls.prefix_a
        cls.writer_b = "300:%s/telegraf" % cls.prefix_b

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)

    def token(self, identity):
        return "Token %s:%s" % (identity, SECRET)

    def post(self, path, body, headers=None, auth=None):
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = auth
        return self.node.request("POST", path, body, headers=headers, auth=None)

    def query(self, enterprise, request):
        status, reply = self.node.request(
            "POST", "/api/telemetry/query?enterprise=%d" % enterprise, request,
            headers=self.node.admin_header())
        self.assertEqual(status, 200, reply)
        return reply

    def raw(self, enterprise, device, prop, start=0, end=4102444800000):
        reply = self.query(enterprise, {"series": {"devices": [device], "properties": [prop]},
                                        "start": start, "end": end})
        self.assertEqual(len(reply["series"]), 1, reply)
        return [tuple(v) for v in reply["series"][0]["values"]]

    def test_influxdb_python_client_writes_with_basic_credentials_and_gzip(self):
        client = influxdb.InfluxDBClient(host="127.0.0.1", port=self.node.port,
                                         username=self.writer_a, password=SECRET,
                                         database="plant", gzip=True)
        points = [{"measurement": "boiler", "tags": {"device": "boiler-1", "site": "lanzhou"},
                   "time": T0 + i * 1000,
                   "fields": {"temp": 80.0 + i / 4, "on": i % 2 == 0, "steps": i}}
                  for i in range(10)]
        self.assertTrue(client.write_points(points, time_precision="ms"))
        self.assertEqual(self.raw(self.a, "boiler-1", "temp"),
                         [(T0 + i * 1000, 80.0 + i / 4) for i in range(10)])
        self.assertEqual(self.raw(self.a, "boiler-1", "on"),
                         [(T0 + i * 1000, i % 2 == 0) for i in range(10)])
        self.assertEqual(self.raw(self.a, "boiler-1", "steps"),
                         [(T0 + i * 1000, i) for i in range(10)])
        status, series = self.node.request(
            "GET", "/api/telemetry/series?enterprise=%d&device=boiler-1" % self.a,
            headers=self.node.admin_header())
        self.assertEqual(status, 200, series)
        self.assertEqual(sorted((s["property"], s["kind"]) for s in series["series"]),
                         [("on", "bool"), ("steps", "int"), ("temp", "float")])
        self.assertEqual(series["series"][0]["labels"],
                         {"_measurement": "boiler", "site": "lanzhou"})

    def test_telegraf_v2_token_and_precisions(self):
        # Telegraf's influxdb_v2 output: Token header, gzip, nanoseconds.
        body = gzip.compress(("cpu,cpu=cpu0,host=edge-1 usage_idle=97.5,usage_user=2i %d\n"
                              % ((T0 + 5) * 1000000)).encode())
        status, reply = self.post("/api/v2/write?org=acme&bucket=telegraf", body,
                                  {"Content-Encoding": "gzip"}, self.token(self.writer_a))
        self.assertEqual((status, reply), (204, ""))
        self.assertEqual(self.raw(self.a, "cpu,cpu=cpu0,host=edge-1", "usage_idle"),
                         [(T0 + 5, 97.5)])
        for precision, stamp in (("s", T0 // 1000 + 7), ("ms", T0 + 8000), ("us", (T0 + 9000) * 1000),
                                 ("h", T0 // 3600000 + 1)):
            status, reply = self.post(
                "/api/v2/write?org=acme&bucket=b&precision=%s" % precision,
                "gauge,device=p-%s v=1 %d\n" % (precision, stamp), auth=self.token(self.writer_a))
            self.assertEqual(status, 204, (precision, reply))
        self.assertEqual(self.raw(self.a, "p-s", "v"), [(T0 + 7000, 1.0)])
        self.assertEqual(self.raw(self.a, "p-ms", "v"), [(T0 + 8000, 1.0)])
        self.assertEqual(self.raw(self.a, "p-us", "v"), [(T0 + 9000, 1.0)])
        self.assertEqual(self.raw(self.a, "p-h", "v"), [(T0 + 3600000, 1.0)])
        status, reply = self.post("/api/v2/write?org=acme&bucket=b&precision=d", "m v=1 1\n",
                                  auth=self.token(self.writer_a))
        self.assertEqual(status, 400)
        self.assertEqual(reply["message"],
                         'precision "d" is not one of ns, us, ms, s (n, u, m, h also accepted)')

    def test_v1_query_credentials(self):
        path = "/write?db=plant&precision=ms&u=%s&p=%s" % (self.writer_a, SECRET)
        status, reply = self.post(path, "meter,device=m-1 kwh=12.5 %d\n" % T0)
        self.assertEqual((status, reply), (204, ""))
        self.assertEqual(self.raw(self.a, "m-1", "kwh"), [(T0, 12.5)])
        status, reply = self.post("/write?db=plant&u=%s&p=wrong" % self.writer_a, "m v=1\n")
        self.assertEqual((status, reply["responseCode"]), (401, 403), reply)
        self.assertEqual(reply["message"], "secret does not match for %s" % self.writer_a)

    def test_compact_is_for_operators_and_keeps_every_point(self):
        body = "".join("vessel,device=v-1 level=%d.5 %d\n" % (i, T0 + i * 1000) for i in range(50))
        status, reply = self.post("/write?db=x&precision=ms", body, auth=self.token(self.writer_a))
        self.assertEqual((status, reply), (204, ""))
        want = [(T0 + i * 1000, i + 0.5) for i in range(50)]
        self.assertEqual(self.raw(self.a, "v-1", "level"), want)
        status, reply = self.post("/api/telemetry/compact", "")
        self.assertEqual(status, 401, reply)
        status, reply = self.post("/api/telemetry/compact", "", auth=self.token(self.writer_a))
        self.assertEqual(status, 403, reply)
        status, reply = self.post("/api/telemetry/compact", "", self.node.admin_header())
        self.assertEqual((status, reply), (204, ""))
        self.assertEqual(self.raw(self.a, "v-1", "level"), want)

    def test_anonymous_and_cross_enterprise_writes_are_refused(self):
        status, reply = self.post("/write?db=x", "m v=1\n")
        self.assertEqual(status, 401, reply)
        # B's writer naming enterprise A.
        status, reply = self.post("/write?db=x&enterprise=%d" % self.a, "m,device=x v=1\n",
                                  auth=self.token(self.writer_b))
        self.assertEqual(status, 404, reply)
        self.assertEqual(self.query(self.a, {"series": {"devices": ["x"]}, "start": 0,
                                             "end": 4102444800000})["series"], [])

    def test_bad_lines_are_named_and_the_good_ones_stored(self):
        body = ("valve,device=v-1 open=true,pos=12.5 %d\n"       # 1 good
                "valve,device=v-1 open=1i %d\n"                  # 2 another kind
                "valve,device=v-1 pos=\n"                        # 3 syntax
                "valve,device=v-1 pos=13.5 %d\n"                 # 4 good
                % (T0, T0 + 1000, T0 + 2000))
        status, reply = self.post("/write?db=x&precision=ms", body, auth=self.token(self.writer_a))
        self.assertEqual(status, 400, reply)
        self.assertEqual(reply["code"], "invalid")
        self.assertEqual(reply["line"], 2)
        self.assertEqual([(e["line"], e["message"]) for e in reply["errors"]], [
            (2, 'field "open" is integer, but its series (device "v-1") holds boolean values'),
            (3, 'field "pos": missing value')])
        self.assertEqual(self.raw(self.a, "v-1", "pos"), [(T0, 12.5), (T0 + 2000, 13.5)])
        self.assertEqual(self.raw(self.a, "v-1", "open"), [(T0, True)])

    def test_bodies_over_the_limit(self):
        big = ("m,device=big v=1 %d\n" % T0) * 4000  # 84,000 bytes
        status, reply = self.post("/write?db=x", big, auth=self.token(self.writer_a))
        self.assertEqual(status, 413, reply)
        self.assertEqual(reply["message"], "request body exceeds 65536 bytes")
        status, reply = self.post("/write?db=x", gzip.compress(big.encode()),
                                  {"Content-Encoding": "gzip"}, self.token(self.writer_a))
        self.assertEqual(status, 413, reply)
        self.assertEqual(reply["message"], "body over 65536 bytes after decompression")
        self.assertEqual(self.query(self.a, {"series": {"devices": ["big"]}, "start": 0,
                                             "end": 4102444800000})["series"], [])

    def test_series_limit_of_an_enterprise(self):
        body = "".join("sensor,device=s-%02d v=1 %d\n" % (i, T0) for i in range(45))
        status, reply = self.post("/write?db=x&precision=ms", body, auth=self.token(self.writer_b))
        self.assertEqual(status, 400, reply)
        self.assertEqual(len(reply["errors"]), 5)
        self.assertEqual(reply["errors"][0], {
            "line": 41, "column": 1,
            "message": "enterprise %d has 40 series, the limit ([tsdb] max_series_per_enterprise)"
                       % self.b})
        status, reply = self.node.request(
            "GET", "/api/telemetry/series?enterprise=%d" % self.b, headers=self.node.admin_header())
        self.assertEqual((status, reply["total"]), (200, 40), reply)
        self.assertEqual(reply["series"][-1]["device"], "s-39")

    def test_queries_over_a_limit_are_refused_with_the_limit_named(self):
        body = "".join("probe,device=q-%02d v=%d %d\n" % (i, i, T0) for i in range(35))
        status, reply = self.node.request("POST", "/write?db=x&precision=ms&enterprise=%d" % self.c,
                                          body, headers=self.node.admin_header())
        self.assertEqual(status, 204, reply)
        status, reply = self.node.request(
            "POST", "/api/telemetry/query?enterprise=%d" % self.c,
            {"series": {"properties": ["v"]}, "start": 0, "end": 4102444800000},
            headers=self.node.admin_header())
        self.assertEqual(status, 422, reply)
        self.assertEqual(reply["message"], "the query selects 35 series, over the limit of 30 "
                                           "([tsdb] max_series_per_query)")
        status, reply = self.node.request(
            "POST", "/api/telemetry/query?enterprise=%d" % self.c,
            {"series": {"devices": ["q-01"]}, "start": 0, "end": 4102444800000, "window": "1ms",
             "aggregates": ["avg"]}, headers=self.node.admin_header())
        self.assertEqual(status, 422, reply)
        self.assertEqual(reply["message"], "the query has 4102444800000 windows, over the "
                                           "limit of 100000 ([tsdb] max_windows_per_query)")
        status, reply = self.node.request(
            "POST", "/api/telemetry/query?enterprise=%d" % self.c,
            {"series": {}, "start": 10, "end": 5}, headers=self.node.admin_header())
        self.assertEqual(status, 400, reply)
        self.assertEqual(reply["message"], "start: must be before end (start 10, end 5)")

    def test_retention_is_set_and_read(self):
        path = "/api/telemetry/retention?enterprise=%d" % self.a
        status, reply = self.node.request("PUT", path, {"days": 30, "products": {"pump": 7}},
                                          headers=self.node.admin_header())
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply, {"enterprise": self.a, "days": 30, "products": {"pump": 7},
                                 "node_default_days": 0})
        status, reply = self.node.request("GET", path, headers=self.node.admin_header())
        self.assertEqual((status, reply["days"], reply["products"]), (200, 30, {"pump": 7}))
        status, reply = self.node.request("PUT", path, {"days": -1},
                                          headers=self.node.admin_header())
        self.assertEqual(status, 400, reply)
        status, reply = self.node.request("GET", path, headers=self.node.admin_header())
        self.assertEqual(reply["days"], 30)


class TelemetryExportTest(unittest.TestCase):
    """Export pages: each answer names the next page's cursor; the pages
    together are every point, once, in series order."""

    def test_pages_cover_the_range_exactly(self):
        with Qiliand() as node:
            enterprise, _ = onboard(node, "71001105")
            body = "".join("pump,device=p-%d,site=a flow=%d %d\n" % (d, i, T0 + i * 1000)
                           for d in (1, 2) for i in range(25))
            status, reply = node.request(
                "POST", "/write?db=x&precision=ms&enterprise=%d" % enterprise, body,
                headers=node.admin_header())
            self.assertEqual(status, 204, reply)
            pages, cursor, text = [], None, ""
            while True:
                request = {"series": {"properties": ["flow"]}, "start": T0, "end": T0 + 20000,
                           "format": "csv", "page_points": 7}
                if cursor:
                    request["cursor"] = cursor
                conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
                conn.request("POST", "/api/telemetry/export?enterprise=%d" % enterprise,
                             json.dumps(request), headers=node.admin_header())
                resp = conn.getresponse()
                page = resp.read().decode()
                self.assertEqual(resp.status, 200, page)
                self.assertEqual(resp.getheader("Content-Type"), "text/csv; charset=utf-8")
                pages.append((int(resp.getheader("X-Qilian-Export-Points")),
                              resp.getheader("X-Qilian-Export-Series")))
                text += page
                cursor = resp.getheader("X-Qilian-Export-Cursor")
                conn.close()
                if cursor is None:
                    break
            self.assertEqual(pages, [(7, "0/2"), (7, "0/2"), (7, "1/2"), (7, "1/2"), (7, "1/2"),
                                     (5, "2/2")])
            expected = "time,device,property,value,_measurement,site\r\n" + "".join(
                "%d,p-%d,flow,%d,pump,a\r\n" % (T0 + i * 1000, d, i)
                for d in (1, 2) for i in range(20))
            self.assertEqual(text, expected)


class TelemetryDurabilityTest(unittest.TestCase):
    def test_acknowledged_points_survive_kill_9(self):
        with Qiliand() as node:
            enterprise, _ = onboard(node, "71001103")
            body = "".join("pump,device=p-1 flow=%d.5 %d\n" % (i, T0 + i * 1000)
                           for i in range(500))
            status, reply = node.request(
                "POST", "/write?db=x&precision=ms&enterprise=%d" % enterprise, body,
                headers=node.admin_header())
            self.assertEqual(status, 204, reply)
            node.kill()
            node.start()
            status, reply = node.request(
                "POST", "/api/telemetry/query?enterprise=%d" % enterprise,
                {"series": {"devices": ["p-1"]}, "start": 0, "end": 4102444800000},
                headers=node.admin_header())
            self.assertEqual(status, 200, reply)
            self.assertEqual([tuple(v) for v in reply["series"][0]["values"]],
                             [(T0 + i * 1000, i + 0.5) for i in range(500)])


if __name__ == "__main__":
    unittest.main()
