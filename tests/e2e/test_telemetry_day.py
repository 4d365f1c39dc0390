"""A day of telemetry end to end (issue 11's acceptance): devices of a
starter product stream a day of simulated time and its history, rollups
and aggregates come back over REST and the CLI.

A real mosquitto with Qilian's plugin (scripts/broker), a real qiliand
connected to it (--broker-env), the real qilian-devsim. The operator
onboards an enterprise, creates a product from the starter library and
three devices; qilian-devsim plays them for a day of simulated time in
about ten real seconds (--sim-start a day ago, --time-scale 8640, a row
every 10 simulated seconds, binary batches at QoS 1). Once qiliand's
counters show every value written to the time-series engine, the test
asks POST /api/telemetry/query for the raw history (exactly the rows
devsim sent, at their simulated times), 1-minute and 1-hour aggregates
(answered from the engine's rollups where sealed, and equal to the same
aggregates computed here from the raw points), a query grouped by
product, the latest points, and the same through `qilian telemetry`.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Mosquitto  # noqa: E402
from harness import BUILD_DIR, QILIAN, Qiliand  # noqa: E402
from test_enterprises import onboard  # noqa: E402
from test_platform_tour import wait_for  # noqa: E402

DEVSIM = os.path.join(BUILD_DIR, "src", "platform", "devsim", "qilian-devsim")
STARTER = "centrifugal_pump"
DEVICES = ["pump-1", "pump-2", "pump-3"]
PROPERTY = "flowRate"  # a float the pump reports in every row

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
ROW_SECONDS = 10
ROWS = DAY_MS // (ROW_SECONDS * 1000)  # 8640 rows a day per device
TIME_SCALE = 8640  # a simulated day in 10 real seconds
DURATION_S = 10
# Aggregates whose rollup answers must equal the raw computation exactly,
# and those that may differ by the order of floating-point additions.
EXACT = ("count", "min", "max", "first", "last")
CLOSE = ("avg", "sum")
RELATIVE = 1e-9


def metrics(node):
    """{(name, frozenset of label pairs): value} of /metrics."""
    status, text = node.request("GET", "/metrics")
    assert status == 200, text
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        name, labels = head, frozenset()
        if "{" in head:
            name, rest = head.split("{", 1)
            labels = frozenset(tuple(kv.split("=", 1)) for kv in rest.rstrip("}").split(",")
                               if kv)
            labels = frozenset((k, v.strip('"')) for k, v in labels)
        out[(name, labels)] = float(value)
    return out


def metric(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0)


def window_summary(points):
    """What each aggregate of a window is, computed from its raw points
    [[time, value], ...] in time order (docs/telemetry-query.md)."""
    values = [float(v) for _, v in points]
    return {"count": float(len(values)), "min": min(values), "max": max(values),
            "first": values[0], "last": values[-1], "sum": math.fsum(values),
            "avg": math.fsum(values) / len(values)}


def by_window(points, width_ms):
    windows = {}
    for t, v in points:
        windows.setdefault(t - t % width_ms, []).append([t, v])
    return windows


class TelemetryDayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Mosquitto().__enter__()
        cls.addClassCleanup(cls.broker.__exit__, None, None, None)
        cls.node = Qiliand(
            extra_args=["--broker-env", os.path.join(cls.broker.data_dir, "broker.env")]).start()
        cls.addClassCleanup(cls.node.__exit__, None, None, None)
        cls.enterprise, _ = onboard(cls.node, "71000311")
        status, reply = cls.api("POST", "/api/products", {"id": "pump", "fromStarter": STARTER})
        assert status == 201, reply
        product_key = reply["product"]["productKey"]
        cls.workdir = tempfile.mkdtemp(prefix="telemetry-day-")
        cls.fleet = os.path.join(cls.workdir, "fleet.csv")
        with open(cls.fleet, "w") as f:
            f.write("product_key,device_id,secret,model\n")
            for device in DEVICES:
                status, reply = cls.api("POST", "/api/devices", {"id": device, "product": "pump"})
                assert status == 201, reply
                f.write("%s,%s,%s,%s\n" % (product_key, device, reply["secret"], STARTER))
        # qiliand hands new devices to the broker over its admin connection,
        # which may still be connecting: wait (bounded) until the broker
        # knows all of them, or devsim's connections are refused (connack 5).
        deadline = time.monotonic() + 30
        while cls.broker.device_stats()["devices"] < len(DEVICES):
            assert time.monotonic() < deadline, "the broker never got the devices"
            time.sleep(0.05)
        # The day ends at the last whole hour, so that 1-minute and 1-hour
        # windows tile it, and the simulated clock never passes real time.
        now_ms = int(time.time() * 1000)
        cls.end_ms = now_ms - now_ms % HOUR_MS
        cls.start_ms = cls.end_ms - DAY_MS
        sim = subprocess.run(
            [DEVSIM, "--fleet", cls.fleet, "--port", str(cls.broker.port), "--qos", "1",
             "--format", "batch", "--batch-samples", "1000", "--sim-start", str(cls.start_ms),
             "--time-scale", str(TIME_SCALE), "--row-seconds", str(ROW_SECONDS),
             "--duration", str(DURATION_S), "-q"],
            capture_output=True, text=True, timeout=180)
        assert sim.returncode == 0, sim.stdout + sim.stderr
        cls.summary = json.loads(sim.stdout.strip().splitlines()[-1])
        # qiliand writes MQTT points to the engine every [tsdb] mqtt_flush_ms:
        # wait until every value devsim sent is counted as written.
        sent = cls.summary["values_sent"]
        wait_for(lambda: metric(metrics(cls.node), "qilian_tsdb_points_total", path="mqtt",
                                outcome="written") >= sent,
                 timeout=120, what="%d points written to the engine" % sent)

    @classmethod
    def api(cls, method, path, body=None):
        sep = "&" if "?" in path else "?"
        return cls.node.request(method, "%s%senterprise=%d" % (path, sep, cls.enterprise), body,
                                headers=cls.node.admin_header(), timeout=60)

    def query(self, body):
        status, reply = self.api("POST", "/api/telemetry/query", body)
        self.assertEqual(status, 200, reply)
        return reply

    def raw_series(self, devices, prop=PROPERTY):
        """The raw answer series of `prop` of `devices` over the day."""
        return self.query({"series": {"devices": devices, "properties": [prop]},
                           "start": self.start_ms, "end": self.end_ms})["series"]

    def raw(self, devices, prop=PROPERTY):
        """{device: [[time, value], ...]} over the day."""
        return {s["device"]: s["values"] for s in self.raw_series(devices, prop)}

    def assert_rows_match(self, rows, columns, expected, what):
        """Each answer row [time, value...] against window_summary of the
        window's raw points."""
        self.assertEqual([r[0] for r in rows], sorted(expected), what)
        for row in rows:
            want = expected[row[0]]
            for column, got in zip(columns[1:], row[1:]):
                if column in EXACT:
                    self.assertEqual(got, want[column], "%s %s at %d" % (what, column, row[0]))
                else:
                    self.assertLessEqual(abs(got - want[column]),
                                         RELATIVE * max(abs(got), abs(want[column]), 1),
                                         "%s %s at %d" % (what, column, row[0]))

    def test_1_devsim_sent_the_day_and_qiliand_took_all_of_it(self):
        s = self.summary
        self.assertEqual(s["connected"], len(DEVICES))
        self.assertEqual(s["sim"]["start_ms"], self.start_ms)
        self.assertEqual(s["sim"]["end_ms"], self.end_ms)
        self.assertEqual(s["sim"]["rows_per_device"], ROWS)
        self.assertEqual(s["sim"]["devices_complete"], len(DEVICES))
        self.assertEqual(s["pubacks"], s["messages_sent"])
        # Every reported property of every row: a whole number of values
        # per row and device.
        self.assertEqual(s["values_sent"] % (ROWS * len(DEVICES)), 0)
        self.assertGreater(s["values_sent"], 0)
        samples = metrics(self.node)
        self.assertEqual(metric(samples, "qilian_mqtt_values_total"), s["values_sent"])
        self.assertEqual(metric(samples, "qilian_tsdb_points_total", path="mqtt",
                                outcome="written"), s["values_sent"])
        self.assertEqual(metric(samples, "qilian_tsdb_points_total", path="mqtt",
                                outcome="refused"), 0)

    def test_2_raw_history_is_every_row_at_its_simulated_time(self):
        history = self.raw(DEVICES)
        self.assertEqual(sorted(history), DEVICES)
        times = [self.start_ms + i * ROW_SECONDS * 1000 for i in range(ROWS)]
        for device, points in history.items():
            self.assertEqual(len(points), ROWS, device)
            self.assertEqual([t for t, _ in points], times, device)
            self.assertTrue(all(isinstance(v, float) and v >= 0 for _, v in points), device)
        # The whole fleet: series × rows is what devsim sent.
        properties = self.summary["values_sent"] // (ROWS * len(DEVICES))
        latest = self.query({"series": {"devices": DEVICES}, "latest": True})
        self.assertEqual(len(latest["series"]), properties * len(DEVICES))

    def test_3_minute_averages_over_the_day_come_from_1m_rollups(self):
        columns = ["time", "avg", "min", "max", "sum", "count", "first", "last"]
        reply = self.query({"series": {"devices": ["pump-2"], "properties": [PROPERTY]},
                            "start": self.start_ms, "end": self.end_ms, "window": "1m",
                            "aggregates": columns[1:]})
        self.assertEqual(len(reply["series"]), 1)
        answer = reply["series"][0]
        self.assertEqual(answer["columns"], columns)
        self.assertEqual(len(answer["values"]), 1440)
        stats = reply["stats"]
        # Sealed heads (2 h of data each) are read as 1-minute buckets; only
        # the newest head, at most about 2 h, is read raw.
        self.assertEqual(stats["rollup"], "1m")
        self.assertGreaterEqual(stats["buckets_read"], 1440 - 2 * 60 - 1)
        self.assertLess(stats["points_read"], ROWS // 10)
        raw = self.raw(["pump-2"])["pump-2"]
        expected = {t: window_summary(p) for t, p in by_window(raw, MINUTE_MS).items()}
        self.assertTrue(all(w["count"] == 6 for w in expected.values()))
        self.assert_rows_match(answer["values"], columns, expected, "pump-2 1m")

    def test_4_hourly_aggregates_come_from_1h_rollups(self):
        columns = ["time", "avg", "min", "max", "sum", "count", "first", "last"]
        reply = self.query({"series": {"devices": ["pump-1"], "properties": [PROPERTY]},
                            "start": self.start_ms, "end": self.end_ms, "window": "1h",
                            "aggregates": columns[1:]})
        answer = reply["series"][0]
        self.assertEqual(len(answer["values"]), 24)
        self.assertEqual(reply["stats"]["rollup"], "1h")
        self.assertGreaterEqual(reply["stats"]["buckets_read"], 21)
        raw = self.raw(["pump-1"])["pump-1"]
        expected = {t: window_summary(p) for t, p in by_window(raw, HOUR_MS).items()}
        self.assert_rows_match(answer["values"], columns, expected, "pump-1 1h")

    def test_5_grouped_by_product(self):
        columns = ["time", "avg", "min", "max", "sum", "count", "first", "last"]
        reply = self.query({"series": {"properties": [PROPERTY]}, "start": self.start_ms,
                            "end": self.end_ms, "window": "1h", "aggregates": columns[1:],
                            "group_by": ["product"]})
        self.assertEqual(len(reply["series"]), 1)
        group = reply["series"][0]
        self.assertEqual(group["group"], {"product": "pump"})
        self.assertEqual(group["members"], len(DEVICES))
        self.assertEqual(reply["stats"]["rollup"], "1h")
        # The group's window is over all its members' points together; its
        # first and last are the earliest and latest point over the members,
        # a tie (every row here: the devices share their stamps) going to the
        # lower series id.
        points = [(t, s["id"], v) for s in self.raw_series(DEVICES) for t, v in s["values"]]
        expected = {}
        for start, window in by_window([[t, (i, v)] for t, i, v in points], HOUR_MS).items():
            summary = window_summary([[t, v] for t, (_, v) in window])
            summary["first"] = min((t, i, v) for t, (i, v) in window)[2]
            summary["last"] = min((-t, i, v) for t, (i, v) in window)[2]
            expected[start] = summary
        self.assert_rows_match(group["values"], columns, expected, "pump 1h by product")
        # Every value of the day, all properties of all devices together.
        counts = self.query({"start": self.start_ms, "end": self.end_ms, "window": "1h",
                             "aggregates": ["count"], "group_by": ["product"]})
        total = sum(row[1] for row in counts["series"][0]["values"])
        self.assertEqual(total, self.summary["values_sent"])

    def test_6_latest_is_the_last_row_of_the_day(self):
        reply = self.query({"series": {"devices": ["pump-3"]}, "latest": True})
        self.assertGreater(len(reply["series"]), 1)
        for series in reply["series"]:
            self.assertEqual(len(series["values"]), 1, series)
            self.assertEqual(series["values"][0][0], self.end_ms - ROW_SECONDS * 1000, series)
        flow = [s for s in reply["series"] if s["property"] == PROPERTY]
        self.assertEqual(flow[0]["values"][0], self.raw(["pump-3"])["pump-3"][-1])

    def cli(self, *args):
        env = dict(os.environ, QILIAN_AUTH=self.node.admin[0],
                   QILIAN_SECRET_FILE=os.path.join(self.node.data_dir, "db", "admin.secret"))
        return subprocess.run([QILIAN, "--server", self.node.url] + list(args), env=env,
                              capture_output=True, text=True, timeout=60)

    def test_7_cli_query_and_latest(self):
        probe = self.cli("telemetry", "query", "--help")
        if probe.returncode != 0:
            self.skipTest("`qilian telemetry query` is not built (src/cli/telemetry.cc)")
        enterprise = str(self.enterprise)
        out = self.cli("--json", "telemetry", "query", "--device", "pump-1", "--property",
                       PROPERTY, "--start", str(self.start_ms), "--end", str(self.end_ms),
                       "--window", "1h", "--agg", "avg,count,max", "--enterprise", enterprise)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        answer = json.loads(out.stdout)
        rest = self.query({"series": {"devices": ["pump-1"], "properties": [PROPERTY]},
                           "start": self.start_ms, "end": self.end_ms, "window": "1h",
                           "aggregates": ["avg", "count", "max"]})
        self.assertEqual(answer["series"], rest["series"])
        self.assertEqual(answer["stats"]["rollup"], "1h")
        # The table: a header line for the series, then one row per hour.
        out = self.cli("telemetry", "query", "--device", "pump-1", "--property", PROPERTY,
                       "--start", str(self.start_ms), "--end", str(self.end_ms), "--window", "1h",
                       "--agg", "count", "--enterprise", enterprise)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("pump-1/" + PROPERTY, out.stdout)
        rows = [line.split() for line in out.stdout.splitlines() if line[:4].isdigit()]
        hours = [time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                               time.gmtime((self.start_ms + h * HOUR_MS) // 1000))
                 for h in range(24)]
        self.assertEqual([r[0] for r in rows], hours, out.stdout)
        self.assertEqual({float(r[1]) for r in rows}, {HOUR_MS / (ROW_SECONDS * 1000)})
        out = self.cli("--json", "telemetry", "latest", "--device", "pump-1", "--property",
                       PROPERTY, "--enterprise", enterprise)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        latest = json.loads(out.stdout)["series"][0]["values"]
        self.assertEqual(latest, [self.raw(["pump-1"])["pump-1"][-1]])


if __name__ == "__main__":
    unittest.main()
