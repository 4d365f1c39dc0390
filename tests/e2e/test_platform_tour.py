"""The README's platform tour end to end: a real mosquitto with Qilian's
broker plugin (scripts/broker), a real qiliand connected to it
(--broker-env), the real qilian-devsim.

An operator onboards an enterprise, creates a product from the starter
library and imports devices from a CSV with the CLI (which writes the
fleet file); qilian-devsim connects them and publishes JSON reports and
binary batches; the shadow fills over REST and the devices show online.
A property write and a service call reach a device and its reply comes
back to the REST caller; a desired change is pushed and its delta clears
when the device reports it; a call to a silent device times out (504).
A device's bad messages are refused on its reply topic with the exact
code and counted; a deleted device is cut off at once; the
device's identifier resolves over the Handle protocol to its shadow URL;
a device created again under a deleted one's id starts with an empty shadow;
after the broker restarts, a device registered while it was down gets in
and ingestion resumes;
and the desired state survives kill -9 of qiliand."""

import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import handle_client as hc  # noqa: E402
import mqtt_client  # noqa: E402
from broker import Mosquitto  # noqa: E402
from harness import BUILD_DIR, QILIAN, Qiliand  # noqa: E402
from test_enterprises import onboard  # noqa: E402

DEVSIM = os.path.join(BUILD_DIR, "src", "platform", "devsim", "qilian-devsim")
STARTER = "centrifugal_pump"


def wait_for(predicate, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def metric(node, name, **labels):
    """The value of one sample of /metrics, or 0 when it is not there."""
    status, text = node.request("GET", "/metrics")
    assert status == 200
    want = name + ("{" + ",".join('%s="%s"' % kv for kv in sorted(labels.items())) + "}"
                   if labels else "")
    for line in text.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return 0


class PlatformTourTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sims = []
        cls.broker = Mosquitto().__enter__()
        cls.addClassCleanup(cls.broker.__exit__, None, None, None)
        cls.node = Qiliand(
            config_text="[handle]\nport = 0\n",
            extra_args=["--broker-env", os.path.join(cls.broker.data_dir, "broker.env")]).start()
        cls.addClassCleanup(cls.node.__exit__, None, None, None)
        cls.enterprise, cls.prefix = onboard(cls.node, "71000301")
        status, reply = cls.node.request(
            "POST", "/api/products?enterprise=%d" % cls.enterprise,
            {"id": "pump", "fromStarter": STARTER})
        assert status == 201, reply
        cls.product_key = reply["product"]["productKey"]
        cls.workdir = tempfile.mkdtemp(prefix="tour-")
        csv_path = os.path.join(cls.workdir, "devices.csv")
        with open(csv_path, "w") as f:
            f.write("id,product,name,serial,gateway,tags\n")
            for i in range(1, 4):
                f.write("pump-%d,pump,,SN-%d,,\n" % (i, i))
        cls.fleet = os.path.join(cls.workdir, "fleet.csv")
        env = dict(os.environ, QILIAN_AUTH=cls.node.admin[0],
                   QILIAN_SECRET_FILE=os.path.join(cls.node.data_dir, "db", "admin.secret"))
        out = subprocess.run(
            [QILIAN, "--server", cls.node.url, "device", "import", csv_path,
             "--enterprise", str(cls.enterprise), "--secrets-out", cls.fleet],
            env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        with open(cls.fleet) as f:
            cls.secrets = {row.split(",")[1]: row.split(",")[2]
                           for row in f.read().splitlines()[1:]}

    @classmethod
    def tearDownClass(cls):
        for sim in cls.sims:
            if sim.poll() is None:
                sim.kill()
            sim.communicate()

    def start_sim(self, *args, duration=60):
        sim = subprocess.Popen(
            [DEVSIM, "--fleet", self.fleet, "--port", str(self.broker.port), "--qos", "1",
             "--duration", str(duration), "-q"] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.sims.append(sim)
        return sim

    def api(self, method, path, body=None):
        sep = "&" if "?" in path else "?"
        return self.node.request(method, "%s%senterprise=%d" % (path, sep, self.enterprise), body,
                                 headers=self.node.admin_header(), timeout=30)

    def shadow(self, device):
        status, reply = self.api("GET", "/api/devices/%s/shadow" % device)
        self.assertEqual(status, 200, reply)
        return reply["shadow"]

    def device_client(self, device, client_id=None):
        username = "%s/%s" % (self.product_key, device)
        client = mqtt_client.Client(self.broker.port, client_id or username, username,
                                    self.secrets[device])
        self.assertEqual(client.connect(), mqtt_client.ACCEPTED)
        return client

    def test_1_fleet_reports_fill_the_shadow(self):
        self.assertEqual(sorted(self.secrets), ["pump-1", "pump-2", "pump-3"])
        sim = self.start_sim("--rate", "20", "--format", "batch", "--batch-samples", "10",
                             duration=6)
        for device in ("pump-3", "pump-2", "pump-1"):
            shadow = wait_for(lambda: (lambda s: s if s["online"] and "flowRate" in s["reported"]
                                       else None)(self.shadow(device)),
                              what=device + " online with a reported flowRate")
        value = shadow["reported"]["flowRate"]
        self.assertIsInstance(value["value"], float)
        self.assertGreaterEqual(value["value"], 0)
        self.assertRegex(shadow["lastSeen"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        status, reply = self.api("GET", "/api/devices/pump-2/properties")
        self.assertEqual(status, 200, reply)
        self.assertIn("dischargePressure", reply["properties"])
        out, err = sim.communicate(timeout=60)
        self.assertEqual(sim.returncode, 0, err)
        summary = json.loads(out.decode().strip().splitlines()[-1])
        self.assertEqual(summary["connected"], 3)
        # Every message the broker took at QoS 1 reached the platform and was
        # applied or refused (nothing here is refused: no faults).
        received = wait_for(lambda: (lambda n: n if n >= summary["messages_sent"] else None)(
            metric(self.node, "qilian_mqtt_received_total")), what="all messages received")
        self.assertEqual(received, summary["messages_sent"])
        self.assertEqual(metric(self.node, "qilian_mqtt_messages_total", kind="batch"),
                         summary["messages_sent"])
        # After devsim stopped, the broker says the devices went offline.
        wait_for(lambda: not self.shadow("pump-1")["online"], what="pump-1 offline")

    def test_2_write_invoke_desired_and_timeout(self):
        sim = self.start_sim("--rate", "2", duration=60)
        wait_for(lambda: self.shadow("pump-3")["online"], what="pump-3 online")
        status, reply = self.api("PUT", "/api/devices/pump-3/properties",
                                 {"properties": {"speedSetpoint": 1450}, "timeout": 10000})
        self.assertEqual(status, 200, reply)
        self.assertTrue(reply["success"])
        status, reply = self.api("POST", "/api/devices/pump-3/functions/setSpeed",
                                 {"inputs": {"speed": 1200}, "timeout": 10000})
        self.assertEqual(status, 200, reply)
        self.assertTrue(reply["success"])
        # A value the model refuses never reaches the device.
        status, reply = self.api("PUT", "/api/devices/pump-3/properties",
                                 {"properties": {"flowRate": 10}})
        self.assertEqual(status, 400, reply)
        self.assertEqual(reply["message"], "flowRate: property is read-only")
        # Desired state: pushed to the device, the delta clears once it reports.
        status, reply = self.api("PUT", "/api/devices/pump-3/shadow",
                                 {"desired": {"valveOpening": 55.0}})
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["shadow"]["desiredVersion"], 1)
        wait_for(lambda: (lambda s: s["delta"] == {} and
                          s["reported"].get("valveOpening", {}).get("value") == 55.0)(
                              self.shadow("pump-3")), what="valveOpening reported as desired")
        # A stale version is refused.
        status, reply = self.api("PUT", "/api/devices/pump-3/shadow",
                                 {"desired": {"valveOpening": 60.0}, "version": 0})
        self.assertEqual(status, 409, reply)
        self.assertEqual(reply["message"], "desired version is 1, not 0")
        sim.kill()
        sim.communicate()
        wait_for(lambda: not self.shadow("pump-3")["online"], what="pump-3 offline")
        status, reply = self.api("POST", "/api/devices/pump-3/functions/start",
                                 {"timeout": 500})
        self.assertEqual(status, 504, reply)
        self.assertEqual(reply["message"], "device 'pump-3' did not reply within 500ms")

    def test_3_bad_messages_are_refused_and_counted(self):
        root = "/%s/pump-2" % self.product_key
        client = self.device_client("pump-2", "pump-2-test")
        try:
            self.assertEqual(client.subscribe(root + "/#"), [1])
            cases = [
                (root + "/properties/report", b"{not json", "bad_json"),
                (root + "/properties/report",
                 json.dumps({"messageId": "m2", "properties": {"noSuch": 1}}).encode(),
                 "unknown_property"),
                (root + "/properties/report",
                 json.dumps({"messageId": "m3", "properties": {"speed": "fast"}}).encode(),
                 "wrong_type"),
                (root + "/properties/report",
                 json.dumps({"messageId": "m4", "timestamp": int(time.time() * 1000) + 3600_000,
                             "properties": {"speed": 100}}).encode(),
                 "bad_timestamp"),
                (root + "/properties/report/batch", b"QB\x01\x00" + struct.pack("<q", 0),
                 "bad_batch"),
            ]
            for topic, payload, code in cases:
                before = metric(self.node, "qilian_mqtt_refused_total", reason=code)
                client.publish(topic, payload, qos=1)
                reply = None
                while reply is None:
                    msg = client.recv_publish(timeout=10)
                    if msg.topic.endswith("/reply"):
                        reply = json.loads(msg.payload)
                self.assertFalse(reply["success"])
                self.assertEqual(reply["code"], code, reply)
                self.assertEqual(metric(self.node, "qilian_mqtt_refused_total", reason=code),
                                 before + 1)
            # None of it reached the shadow.
            self.assertNotIn("noSuch", self.shadow("pump-2")["reported"])
        finally:
            client.close()

    def test_4_identifier_resolves_to_the_device(self):
        native = hc.Client("127.0.0.1", self.node.handle_port)
        reply = native.resolve("%s/pump-1" % self.prefix)
        self.assertEqual(reply.code, hc.RC_SUCCESS)
        urls = [v.data.decode() for v in reply.values if v.type == "URL"]
        self.assertEqual(len(urls), 1)
        self.assertTrue(urls[0].endswith("/api/devices/pump-1/shadow"), urls)
        types = {v.type: v.data.decode() for v in reply.values if v.type != "HS_ADMIN"}
        self.assertEqual(types["QILIAN.DEVICE.PRODUCT_KEY"], self.product_key)

    def test_5_deleted_device_is_cut_off_and_forgotten(self):
        status, reply = self.api("PUT", "/api/devices/pump-1/shadow",
                                 {"desired": {"speedSetpoint": 700}})
        self.assertEqual(status, 200, reply)
        client = self.device_client("pump-1", "pump-1-test")
        status, reply = self.api("DELETE", "/api/devices/pump-1")
        self.assertEqual(status, 200, reply)
        client.wait_closed(timeout=10)
        client.close()
        username = "%s/pump-1" % self.product_key
        again = mqtt_client.Client(self.broker.port, "pump-1-again", username,
                                   self.secrets["pump-1"])
        self.assertEqual(again.connect(), mqtt_client.NOT_AUTHORIZED)
        again.close()
        # A device created again under the id starts with an empty shadow.
        status, reply = self.api("POST", "/api/devices", {"id": "pump-1", "product": "pump"})
        self.assertEqual(status, 201, reply)
        self.assertEqual(self.shadow("pump-1"),
                         {"online": False, "lastSeen": None, "reported": {}, "desired": {},
                          "desiredVersion": 0, "delta": {}})

    def test_6_desired_state_survives_kill(self):
        status, reply = self.api("PUT", "/api/devices/pump-2/shadow",
                                 {"desired": {"speedSetpoint": 990}})
        self.assertEqual(status, 200, reply)
        version = reply["shadow"]["desiredVersion"]
        self.node.kill()
        self.node.start()
        shadow = self.shadow("pump-2")
        self.assertEqual(shadow["desired"], {"speedSetpoint": 990})
        self.assertEqual(shadow["desiredVersion"], version)

    def test_7_broker_restart(self):
        # The broker goes down; a device registered meanwhile still gets in
        # once it is back (qiliand gives the broker its whole set again on
        # reconnecting), and ingestion resumes on its own.
        port = self.broker.port
        self.broker.stop()
        status, reply = self.api("POST", "/api/devices", {"id": "pump-4", "product": "pump"})
        self.assertEqual(status, 201, reply)
        self.secrets["pump-4"] = reply["secret"]
        self.broker.start(port=port)
        client = wait_for(lambda: self.try_device_client("pump-4"), timeout=60,
                          what="pump-4 let in after the broker restarted")
        try:
            root = "/%s/pump-4" % self.product_key
            wait_for(lambda: (client.publish(root + "/properties/report",
                                             json.dumps({"properties": {"speed": 1234}}).encode(),
                                             qos=1),
                              self.shadow("pump-4")["reported"].get("speed", {}).get("value")
                              == 1234)[1], timeout=60, what="a report applied after the restart")
        finally:
            client.close()

    def try_device_client(self, device):
        username = "%s/%s" % (self.product_key, device)
        client = mqtt_client.Client(self.broker.port, username, username, self.secrets[device])
        try:
            if client.connect() == mqtt_client.ACCEPTED:
                return client
        except (OSError, mqtt_client.ConnectionClosed):
            pass
        client.close()
        return None


if __name__ == "__main__":
    unittest.main()
