"""`qilian telemetry` end to end (docs/telemetry-query.md, "Command line")
against a real qiliand with the real CLI binary: the node's first
administrator (an operator) onboards an enterprise and, naming it with
--enterprise, writes a line-protocol file of 300 good lines and one bad
one in batches (the bad line named with its line in the file), then
queries raw, windowed, grouped, filled and latest values and checks them
exactly against values computed here, lists the series, sets and reads
back the retention, and exports CSV and JSON lines in several pages,
comparing the files with the expected points exactly.

    QILIAN_BUILD_DIR=build python3 -m unittest tests/e2e/test_cli_telemetry.py
"""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QILIAN, Qiliand  # noqa: E402
from test_cli import admin_credentials, run_cli  # noqa: E402
from test_enterprises import onboard  # noqa: E402

T0 = 1796083200000  # 2026-12-01T00:00:00Z, in the past so `end` may default to now
STEP_MS = 6000
STEPS = 100  # ten minutes of points


def rfc3339(ms):
    """Epoch milliseconds as the CLI prints them (UTC, milliseconds)."""
    import datetime
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def p1_pressure(i):
    return i + 0.5


def p1_temp(i):
    return 20 + i % 5


def p2_pressure(i):
    return 2 * i + 0.25


def f1_speed(i):
    return 100 + i + 0.75


def table(rows):
    """The CLI's text table: columns padded to the widest cell, the last not."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]) - 1)]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)) +
                   ("  " if widths else "") + r[-1] + "\n" for r in rows)


class CliTelemetryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(QILIAN):
            raise RuntimeError("qilian not built at " + QILIAN)
        cls.node = Qiliand().start()
        enterprise, _ = onboard(cls.node, "71000601")
        cls.enterprise = str(enterprise)
        cls.dir = tempfile.mkdtemp()
        cls.write_fleet()

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__(None, None, None)
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def cli(cls, *args):
        return run_cli(*args, server=cls.node.url, auth=admin_credentials(cls.node))

    @classmethod
    def telemetry(cls, *args, json_output=False):
        words = (["--json"] if json_output else []) + ["telemetry"] + list(args)
        return cls.cli(*words, "--enterprise", cls.enterprise)

    @classmethod
    def write_fleet(cls):
        """Writes the fleet's file in batches of 64 lines; keeps what the
        CLI answered for test_write_names_the_bad_line."""
        lines = ["# two pumps and a fan, one point every 6 s for ten minutes"]
        for i in range(STEPS):
            ts = T0 + i * STEP_MS
            lines.append("plant,device=p1,product=pump pressure=%r,temp=%di %d"
                         % (p1_pressure(i), p1_temp(i), ts))
            lines.append("plant,device=p2,product=pump pressure=%r %d" % (p2_pressure(i), ts))
            lines.append("plant,device=f1,product=fan speed=%r %d" % (f1_speed(i), ts))
            if i == 70:
                lines.append("plant,device=p1,product=pump pressure=oops %d" % ts)
                cls.bad_line = len(lines)  # in the file, counted from 1
        path = os.path.join(cls.dir, "fleet.lp")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        cls.write_result = cls.telemetry("write", "--file", path, "--batch", "64")
        code, out, _ = cls.telemetry("series", json_output=True)
        assert code == 0, out
        cls.ids = {(s["device"], s["property"]): s["id"] for s in json.loads(out)["series"]}

    def test_write_names_the_bad_line(self):
        self.assertGreater(self.bad_line, 64)  # not in the first batch
        self.assertEqual(self.write_result, (
            4, "wrote 300 lines, refused 1\n",
            "qilian: line %d: field \"pressure\": invalid value \"oops\"\n" % self.bad_line))

    def test_gzip_write_with_seconds(self):
        path = os.path.join(self.dir, "seconds.lp")
        with open(path, "w") as f:
            f.write("gz,device=g1 v=1.5 %d\ngz,device=g1 v=2.5 %d\n" % (T0 // 1000, T0 // 1000 + 1))
        self.assertEqual(self.telemetry("write", "--file", path, "--gzip", "--precision", "s"),
                         (0, "wrote 2 lines, refused 0\n", ""))
        code, out, err = self.telemetry("query", "--device", "g1", "--start", str(T0))
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, "series %d: g1/v  _measurement=gz\n" % self.ids_of("g1", "v") +
                         table([["TIME", "VALUE"], [rfc3339(T0), "1.5"],
                                [rfc3339(T0 + 1000), "2.5"]]))

    def ids_of(self, device, prop):
        code, out, _ = self.telemetry("series", "--device", device, json_output=True)
        return {s["property"]: s["id"] for s in json.loads(out)["series"]}[prop]

    def test_series_list(self):
        code, out, err = self.telemetry("series", "--device", "p1")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, table([
            ["ID", "DEVICE", "PROPERTY", "KIND", "LABELS"],
            [str(self.ids["p1", "pressure"]), "p1", "pressure", "float",
             "_measurement=plant,product=pump"],
            [str(self.ids["p1", "temp"]), "p1", "temp", "int", "_measurement=plant,product=pump"]]))

    def test_raw_query_with_limit(self):
        code, out, err = self.telemetry("query", "--device", "p1", "--property", "pressure",
                                        "--start", rfc3339(T0), "--end", str(T0 + 60000),
                                        "--limit", "3")
        self.assertEqual((code, err), (0, ""))
        rows = [["TIME", "VALUE"]] + [[rfc3339(T0 + i * STEP_MS), repr(p1_pressure(i))]
                                      for i in range(3)]
        self.assertEqual(out, "series %d: p1/pressure  _measurement=plant product=pump\n"
                         % self.ids["p1", "pressure"] + table(rows))

    def test_windowed_query(self):
        code, out, err = self.telemetry("query", "--where", "product=pump", "--property",
                                        "pressure", "--start", str(T0), "--end",
                                        str(T0 + 180000), "--window", "1m", "--agg",
                                        "avg,max,count")
        self.assertEqual((code, err), (0, ""))
        expected = []
        for device, value in (("p1", p1_pressure), ("p2", p2_pressure)):
            rows = [["TIME", "AVG", "MAX", "COUNT"]]
            for k in range(3):
                values = [value(i) for i in range(10 * k, 10 * k + 10)]
                rows.append([rfc3339(T0 + k * 60000), repr(sum(values) / 10), repr(max(values)),
                             "10"])
            expected.append("series %d: %s/pressure  _measurement=plant product=pump\n"
                            % (self.ids[device, "pressure"], device) + table(rows))
        self.assertEqual(out, "\n".join(expected))

    def test_grouped_query_and_json(self):
        args = ("query", "--property", "pressure", "--property", "speed",
                "--start", str(T0), "--end", str(T0 + 600000), "--window", "5m", "--agg",
                "sum,count", "--group-by", "product")
        code, out, err = self.telemetry(*args)
        self.assertEqual((code, err), (0, ""))

        def window_sum(values, k):
            return repr(float(sum(values(i) for i in range(50 * k, 50 * k + 50))))
        fan = table([["TIME", "SUM", "COUNT"]] +
                    [[rfc3339(T0 + k * 300000), window_sum(f1_speed, k), "50"]
                     for k in range(2)])
        pump = table([["TIME", "SUM", "COUNT"]] +
                     [[rfc3339(T0 + k * 300000),
                       repr(float(sum(p1_pressure(i) + p2_pressure(i)
                                      for i in range(50 * k, 50 * k + 50)))), "100"]
                      for k in range(2)])
        self.assertEqual(out, "group product=fan (1 members)\n" + fan +
                         "\ngroup product=pump (2 members)\n" + pump)
        # --json: the server's answer as it is.
        code, out, err = self.telemetry(*args, json_output=True)
        self.assertEqual((code, err), (0, ""))
        answer = json.loads(out)
        self.assertEqual(answer["series"][1]["group"], {"product": "pump"})
        self.assertEqual(answer["series"][1]["columns"], ["time", "sum", "count"])
        self.assertEqual(answer["series"][1]["values"][0][2], 100.0)

    def test_fill_previous(self):
        code, out, err = self.telemetry("query", "--device", "f1", "--start", str(T0 + 540000),
                                        "--end", str(T0 + 720000), "--window", "1m", "--fill",
                                        "previous")
        self.assertEqual((code, err), (0, ""))
        last = repr(sum(f1_speed(i) for i in range(90, 100)) / 10)
        self.assertEqual(out, "series %d: f1/speed  _measurement=plant product=fan\n"
                         % self.ids["f1", "speed"] +
                         table([["TIME", "AVG"]] + [[rfc3339(T0 + m * 60000), last]
                                                    for m in (9, 10, 11)]))

    def test_latest(self):
        last = T0 + (STEPS - 1) * STEP_MS
        for words in (("latest",), ("query", "--latest")):
            code, out, err = self.telemetry(*words, "--device", "p1")
            self.assertEqual((code, err), (0, ""))
            self.assertEqual(out, (
                "series %d: p1/pressure  _measurement=plant product=pump\n"
                % self.ids["p1", "pressure"] +
                table([["TIME", "VALUE"], [rfc3339(last), repr(p1_pressure(STEPS - 1))]]) +
                "\nseries %d: p1/temp  _measurement=plant product=pump\n" % self.ids["p1", "temp"] +
                table([["TIME", "VALUE"], [rfc3339(last), str(p1_temp(STEPS - 1))]])))

    def test_refusals(self):
        # Over a limit: 422 and the message naming it.
        self.assertEqual(self.telemetry("query", "--start", "0", "--end", str(T0), "--window",
                                        "1ms"),
                         (4, "", "qilian: the query has %d windows, over the limit of 100000 "
                                 "([tsdb] max_windows_per_query)\n" % T0))
        self.assertEqual(self.telemetry("query", "--device", "p1"),
                         (4, "", "qilian: start: missing\n"))
        self.assertEqual(self.telemetry("query", "--start", "0", "--agg", "avg,,max"),
                         (2, "", "qilian: --agg: empty name in 'avg,,max'\n"))
        code, _, err = self.telemetry("write", "--file", os.path.join(self.dir, "missing.lp"))
        self.assertEqual(code, 2)
        self.assertIn("cannot read", err)
        # Anonymous: no credentials, no telemetry.
        code, _, err = run_cli("telemetry", "series", "--enterprise", self.enterprise,
                               server=self.node.url)
        self.assertEqual(code, 5, err)

    def test_retention_set_and_read_back(self):
        self.assertEqual(self.telemetry("retention"), (0, "days: node default (forever)\n", ""))
        self.assertEqual(self.telemetry("retention", "--days", "400", "--product", "pump=30"),
                         (0, "days: 400\nproduct pump: 30 days\n", ""))
        self.assertEqual(self.telemetry("retention", "--product", "fan=7"),
                         (0, "days: 400\nproduct fan: 7 days\nproduct pump: 30 days\n", ""))
        self.assertEqual(self.telemetry("retention"),
                         (0, "days: 400\nproduct fan: 7 days\nproduct pump: 30 days\n", ""))
        code, out, _ = self.telemetry("retention", json_output=True)
        self.assertEqual(json.loads(out)["products"], {"fan": 7, "pump": 30})
        self.assertEqual(self.telemetry("retention", "--node-default"),
                         (0, "days: node default (forever)\nproduct fan: 7 days\n"
                             "product pump: 30 days\n", ""))

    def expected_points(self):
        """(time, device, property, value text, value) in export order:
        series by id, each ascending."""
        series = {("p1", "pressure"): (p1_pressure, "pump"), ("p1", "temp"): (p1_temp, "pump"),
                  ("p2", "pressure"): (p2_pressure, "pump"), ("f1", "speed"): (f1_speed, "fan")}
        out = []
        for key in sorted(series, key=lambda k: self.ids[k]):
            value, product = series[key]
            for i in range(STEPS):
                v = value(i)
                out.append((T0 + i * STEP_MS, key[0], key[1], repr(v), v, product))
        return out

    def export(self, fmt):
        path = os.path.join(self.dir, "export." + fmt)
        result = self.telemetry("export", "--format", fmt, "--out", path, "--start", str(T0),
                                "--end", str(T0 + 600000), "--where", "_measurement=plant",
                                "--page-points", "70")
        if result[0] != 0 and "HTTP 501" in result[2]:
            self.skipTest("the export route is not served yet: " + result[2])
        code, out, err = result
        self.assertEqual((code, out), (0, "exported 400 points of 4 series to %s\n" % path), err)
        self.assertFalse(os.path.exists(path + ".part"))
        # One progress line per page (stderr is not a terminal), 70 points each.
        progress = err.splitlines()
        self.assertEqual(len(progress), 6, err)
        for line in progress:
            self.assertRegex(line, r"^exported \d+ points, series \d/4, \d+ points/s$")
        self.assertTrue(progress[-1].startswith("exported 400 points, series 4/4"))
        with open(path, "rb") as f:
            return f.read().decode("utf-8")

    def test_export_csv_in_pages(self):
        text = self.export("csv")
        expected = "time,device,property,value,_measurement,product\r\n" + "".join(
            "%d,%s,%s,%s,plant,%s\r\n" % (t, d, p, v, product)
            for t, d, p, v, _, product in self.expected_points())
        self.assertEqual(text, expected)

    def test_export_json_lines_in_pages(self):
        text = self.export("jsonl")
        self.assertTrue(text.endswith("\n"))
        got = [json.loads(line) for line in text.splitlines()]
        self.assertEqual(got, [{"time": t, "device": d, "property": p, "value": v,
                                "labels": {"_measurement": "plant", "product": product}}
                               for t, d, p, _, v, product in self.expected_points()])


if __name__ == "__main__":
    unittest.main()
