"""Statistics (docs/statistics.md): per-prefix counts of identifiers and
resolutions by front door at /api/stats and /metrics, kept across a
restart, and a child node's daily report reaching its parent's
/api/stats/nodes.

Each test counts only what it did itself on a fresh node, so every figure is
exact. Figures are read as the sum over the default 7-day range, so a test
running across midnight UTC still sees them all.
"""

import os
import unittest

import handle_client as hc
from harness import Qiliand, string_value


def put(node, handle):
    status, body = node.request(
        "PUT", "/api/handles/%s?overwrite=false" % handle,
        {"values": [string_value(1, "URL", "https://example.org/" + handle)]})
    assert status == 201, (status, body)


def doors(http, udp, tcp):
    return {"http": http, "udp": udp, "tcp": tcp, "total": http + udp + tcp}


class NodeStatisticsTest(unittest.TestCase):
    def test_counts_by_door_exactly_and_survive_a_restart(self):
        with Qiliand() as node:
            for i in range(3):
                put(node, "88.999/STAT-%d" % i)
            status, _ = node.request("DELETE", "/api/handles/88.999/STAT-2")
            self.assertEqual(status, 200)
            self.assertEqual(node.request("GET", "/api/handles/88.999/STAT-0")[0], 200)
            self.assertEqual(node.request("GET", "/api/handles/88.999/STAT-1")[0], 200)
            self.assertEqual(node.request("GET", "/api/handles/88.999/NOPE")[0], 404)
            # Not this node's prefix: answered 301/400, not counted.
            self.assertEqual(node.request("GET", "/api/handles/77.1/x")[0], 400)

            udp = hc.Client("127.0.0.1", node.handle_port, "udp")
            tcp = hc.Client("127.0.0.1", node.handle_port, "tcp", auth=node.admin_key)
            self.assertEqual(udp.resolve("88.999/STAT-0").code, hc.RC_SUCCESS)
            self.assertEqual(udp.resolve("88.999/STAT-1").code, hc.RC_SUCCESS)
            self.assertEqual(tcp.resolve("88.999/STAT-0").code, hc.RC_SUCCESS)
            # A native create over TCP (as the administrator) counts too.
            reply = tcp.create("88.999/STAT-T", [hc.HandleValue(1, "URL", "https://example.org/t")])
            self.assertEqual(reply.code, hc.RC_SUCCESS)

            status, stats = node.request("GET", "/api/stats?prefix=88.999")
            self.assertEqual(status, 200, stats)
            self.assertEqual(stats["prefix"], "88.999")
            self.assertEqual(len(stats["buckets"]), 7)
            self.assertEqual(stats["total"], {"resolutions": doors(3, 2, 1),
                                              "created": 4, "deleted": 1})
            today = stats["to"]

            status, hours = node.request(
                "GET", "/api/stats?prefix=88.999&granularity=hour&from=%s&to=%s" % (today, today))
            self.assertEqual(status, 200, hours)
            self.assertEqual(len(hours["buckets"]), 24)
            self.assertEqual(hours["buckets"][0]["bucket"], today + "T00")

            status, summary = node.request("GET", "/api/stats/summary")
            self.assertEqual(status, 200, summary)
            self.assertEqual(summary["prefixes"][0]["prefix"], "88.999")
            self.assertEqual(summary["prefixes"][0]["registered"], 3)
            self.assertEqual(summary["total"]["registered"], 3)

            status, metrics = node.request("GET", "/metrics")
            self.assertIn('qilian_resolutions_total{door="http"} 3\n', metrics)
            self.assertIn('qilian_resolutions_total{door="udp"} 2\n', metrics)
            self.assertIn('qilian_resolutions_total{door="tcp"} 1\n', metrics)
            self.assertIn('qilian_identifiers_registered{prefix="88.999"} 3\n', metrics)

            status, body = node.request("GET", "/api/stats?prefix=88.999&granularity=week")
            self.assertEqual(status, 400)
            self.assertEqual(body["message"], "granularity must be 'day' or 'hour'")

            # SIGTERM flushes; the figures come back from the store.
            self.assertEqual(node.stop(), 0)
            node.start()
            status, again = node.request("GET", "/api/stats?prefix=88.999")
            self.assertEqual(status, 200)
            self.assertEqual(again["total"], stats["total"])
            status, summary = node.request("GET", "/api/stats/summary")
            self.assertEqual(summary["prefixes"][0]["registered"], 3)

    def test_report_now_without_a_parent_is_409(self):
        with Qiliand(["--memory-store"]) as node:
            # Only an operator may ask for a report; anonymous callers are challenged.
            self.assertEqual(node.request("POST", "/api/stats/report-now", auth=None),
                             (401, {"responseCode": 402, "message": "authentication required"}))
            status, body = node.request("POST", "/api/stats/report-now")
            self.assertEqual(status, 409, body)
            self.assertEqual(body["message"], "no parent is configured ([stats] parent_url)")


class ParentReportingTest(unittest.TestCase):
    def test_a_child_reports_its_day_to_its_parent(self):
        with Qiliand(["--memory-store"]) as parent:
            # The child reports as the parent's first administrator.
            config = ('[node]\nprefixes = ["88.998"]\n'
                      '[stats]\nparent_url = "%s"\nnode_id = "child-a"\n'
                      'report_identity = "%s"\nreport_secret_file = "%s"\n'
                      % (parent.url, parent.admin[0],
                         os.path.join(parent.data_dir, "db", "admin.secret")))
            with Qiliand(["--memory-store"], config_text=config) as child:
                put(child, "88.998/C1")
                put(child, "88.998/C2")
                self.assertEqual(child.request("GET", "/api/handles/88.998/C1")[0], 200)
                udp = hc.Client("127.0.0.1", child.handle_port, "udp")
                self.assertEqual(udp.resolve("88.998/C2").code, hc.RC_SUCCESS)
                today = child.request("GET", "/api/stats?prefix=88.998")[1]["to"]

                status, body = child.request("POST", "/api/stats/report-now")
                self.assertEqual(status, 200, body)

            status, nodes = parent.request("GET", "/api/stats/nodes?day=" + today)
            self.assertEqual(status, 200, nodes)
            self.assertEqual(len(nodes["nodes"]), 1, nodes)
            node = nodes["nodes"][0]
            self.assertEqual(node["node"], "child-a")
            self.assertEqual(node["registered"], 2)
            self.assertEqual(node["created"], 2)
            self.assertEqual(node["resolutions"], doors(1, 1, 0))
            self.assertEqual(node["prefixes"], [{"prefix": "88.998", "registered": 2,
                                                 "created": 2, "resolutions": doors(1, 1, 0)}])
            self.assertEqual(nodes["total"]["nodes"], 1)

    def test_a_child_without_credentials_is_refused_and_nothing_is_recorded(self):
        with Qiliand(["--memory-store"]) as parent:
            config = ('[node]\nprefixes = ["88.998"]\n'
                      '[stats]\nparent_url = "%s"\nnode_id = "child-b"\n' % parent.url)
            with Qiliand(["--memory-store"], config_text=config) as child:
                put(child, "88.998/C1")
                today = child.request("GET", "/api/stats?prefix=88.998")[1]["to"]
                self.assertEqual(child.request("POST", "/api/stats/report-now"), (502, {
                    "responseCode": 2,
                    "message": 'parent %s answered 401: {"message":"authentication required",'
                               '"responseCode":402}' % parent.url}))
            status, nodes = parent.request("GET", "/api/stats/nodes?day=" + today)
            self.assertEqual((status, nodes["nodes"]), (200, []))

    def test_the_parent_names_the_bad_field_of_a_report(self):
        with Qiliand(["--memory-store"]) as parent:
            report = {"node": "c", "day": "2026-11-28",
                      "prefixes": [{"prefix": "88.1", "registered": 1, "created": 1,
                                    "resolutions": {"http": 1, "udp": -1, "tcp": 0}}]}
            self.assertEqual(parent.request("POST", "/api/stats/reports", report, auth=None),
                             (401, {"responseCode": 402, "message": "authentication required"}))
            status, body = parent.request("POST", "/api/stats/reports", report)
            self.assertEqual(status, 400)
            self.assertEqual(body, {"responseCode": 202,
                                    "field": "prefixes[0].resolutions.udp",
                                    "message": "prefixes[0].resolutions.udp: "
                                               "must be a non-negative integer"})
            status, nodes = parent.request("GET", "/api/stats/nodes?day=2026-11-28")
            self.assertEqual(nodes["nodes"], [])


if __name__ == "__main__":
    unittest.main()
