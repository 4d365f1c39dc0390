"""qilian-devsim (docs/devsim.md) against a real mosquitto started by
scripts/broker (tests/e2e/broker.py): simulated devices connect with their
own credentials, publish JSON reports and binary batches under their topic
root, answer properties/write, /read and function/invoke on the reply
topics, stop by themselves, and print a summary whose counts are exactly
what a QoS 1 subscriber received. The devices are in Qilian's broker plugin
(docs/broker.md), as in production; the stand-in for qiliand is a
dynamic-security client.

Nothing is timed: every wait has a bound (WAIT_S) and asserts only what
arrived; runs are bounded by --duration or --messages.
"""

import json
import os
import struct
import subprocess
import tempfile
import threading
import unittest

import broker
from harness import BUILD_DIR
from mqtt_client import ACCEPTED

DEVSIM = os.path.join(BUILD_DIR, "src", "platform", "devsim", "qilian-devsim")
WAIT_S = 20
PK = "DevSim0Test"
DEVICES = ["d-%d" % i for i in range(1, 5)]
PUMP_CHANNELS = 16  # numeric, bool and enum properties of centrifugal_pump


def decode_batch(payload):
    """docs/mqtt.md 'The binary batch', independently of the C++ codec:
    (base time, property names, [(index, time ms, value)])."""
    assert payload[:3] == b"QB\x01", payload[:3]
    assert payload[3] == 0
    (base,) = struct.unpack_from("<q", payload, 4)
    pos = 12

    def varint():
        nonlocal pos
        value = shift = 0
        while True:
            b = payload[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    def zigzag():
        v = varint()
        return (v >> 1) ^ -(v & 1)

    names = []
    for _ in range(varint()):
        n = payload[pos]
        names.append(payload[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    samples = []
    for _ in range(varint()):
        index = varint()
        offset = zigzag()
        tag = payload[pos]
        pos += 1
        if tag == 1:
            value = bool(payload[pos])
            pos += 1
        elif tag == 2:
            value = zigzag()
        elif tag == 3:
            (value,) = struct.unpack_from("<d", payload, pos)
            pos += 8
        elif tag == 4:
            (value,) = struct.unpack_from("<f", payload, pos)
            pos += 4
        else:
            raise AssertionError("unexpected tag %d" % tag)
        assert index < len(names)
        samples.append((index, base + offset, value))
    assert pos == len(payload), "bytes after the last sample"
    return base, names, samples


class DevsimTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(DEVSIM):
            raise unittest.SkipTest("build qilian-devsim first: " + DEVSIM)
        cls.broker = broker.Mosquitto()
        cls.addClassCleanup(cls.broker.__exit__, None, None, None)
        cls.broker.start()
        cls.dir = tempfile.mkdtemp(prefix="devsim-test-")
        lines = ["product_key,device_id,secret,model"]
        devices = []
        for dev in DEVICES:
            secret = "secret-" + dev
            devices.append(broker.credential("%s/%s" % (PK, dev), secret))
            lines.append("%s,%s,%s,centrifugal_pump" % (PK, dev, secret))
        cls.broker.upsert_devices(*devices)
        cls.fleet = os.path.join(cls.dir, "fleet.csv")
        with open(cls.fleet, "w") as f:
            f.write("\n".join(lines) + "\n")
        # qiliand's stand-in: reads everything of the product, writes requests.
        cls.broker.create_client("platform", "secret-platform", publish=["/%s/#" % PK],
                                 subscribe=["/%s/#" % PK])

    def platform(self):
        c = self.broker.client("platform-%d" % id(self), "platform", "secret-platform",
                               timeout=WAIT_S)
        self.addCleanup(c.close)
        self.assertEqual(c.connect(), ACCEPTED)
        self.assertEqual(c.subscribe("/%s/#" % PK, qos=1), [1])
        return c

    def devsim(self, *args):
        return [DEVSIM, "--fleet", self.fleet, "--port", str(self.broker.port), *args]

    def run_devsim(self, *args):
        """Runs to the end; returns the summary (the last line of stdout)."""
        p = subprocess.run(self.devsim(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode() + p.stdout.decode())
        return json.loads(p.stdout.decode().strip().splitlines()[-1])

    def receive(self, client, count):
        """Exactly `count` messages, then nothing more (a ping round trip
        brings anything the broker still had)."""
        got = [client.recv_publish(timeout=WAIT_S) for _ in range(count)]
        client.ping()
        self.assertEqual(client.queued(), 0)
        return got

    def check_connected(self, summary):
        self.assertEqual(summary["connected"], len(DEVICES))
        self.assertEqual(summary["connect_failures"], {})
        self.assertEqual(summary["subscriptions_refused"], 0)
        self.assertEqual(summary["publish_errors"], 0)

    def test_json_reports_at_qos1_match_the_summary(self):
        sub = self.platform()
        summary = self.run_devsim("--format", "json", "--qos", "1", "--message-rate", "20",
                                  "--duration", "2", "--threads", "2", "--seed", "5")
        self.check_connected(summary)
        sent = summary["messages_sent"]
        self.assertGreater(sent, 0)
        self.assertEqual(summary["pubacks"], sent)
        self.assertEqual(summary["values_sent"], sent * PUMP_CHANNELS)
        per_device = {}
        for msg in self.receive(sub, sent):
            pk, dev, rest = msg.topic[1:].split("/", 2)
            self.assertEqual((pk, rest), (PK, "properties/report"))
            self.assertIn(dev, DEVICES)
            per_device[dev] = per_device.get(dev, 0) + 1
            report = json.loads(msg.payload)
            self.assertEqual(set(report), {"timestamp", "properties"})
            self.assertIsInstance(report["timestamp"], int)
            self.assertEqual(len(report["properties"]), PUMP_CHANNELS)
            self.assertIn(report["properties"]["runState"], (0, 1, 2, 3))
            self.assertTrue(0 <= report["properties"]["vibrationVelocity"] <= 50)
        self.assertEqual(sorted(per_device), DEVICES)

    def test_batches_at_qos1_match_the_summary(self):
        sub = self.platform()
        summary = self.run_devsim("--format", "batch", "--batch-samples", "40", "--qos", "1",
                                  "--rate", "80", "--duration", "2")
        self.check_connected(summary)
        sent = summary["messages_sent"]
        self.assertGreater(sent, 0)
        self.assertEqual(summary["pubacks"], sent)
        samples = 0
        for msg in self.receive(sub, sent):
            self.assertRegex(msg.topic, r"^/%s/d-[1-4]/properties/report/batch$" % PK)
            base, names, decoded = decode_batch(msg.payload)
            self.assertEqual(len(names), PUMP_CHANNELS)
            self.assertEqual(names[0], "runState")
            self.assertTrue(1 <= len(decoded) <= 40)
            self.assertEqual(decoded[0][1], base)
            samples += len(decoded)
        self.assertEqual(samples, summary["values_sent"])

    def test_dropout_devices_disconnect_and_come_back(self):
        sub = self.platform()
        summary = self.run_devsim("--qos", "1", "--rate", "64", "--duration", "6",
                                  "--fault", "dropout=1", "--quiet")
        self.assertEqual(summary["faults"]["dropout"], len(DEVICES))
        self.assertEqual(summary["dropouts"], len(DEVICES))
        self.assertEqual(summary["reconnects"], len(DEVICES))
        self.assertEqual(summary["connections_lost"], 0)
        self.assertGreater(summary["slots_not_connected"], 0)
        self.assertEqual(summary["pubacks"], summary["messages_sent"])
        self.assertEqual(len(self.receive(sub, summary["messages_sent"])),
                         summary["messages_sent"])

    def test_overheating_goes_past_the_maximum(self):
        # 600 simulated seconds a second: past the 300 s ramp after 0.5 s.
        sub = self.platform()
        summary = self.run_devsim("--qos", "1", "--rate", "64", "--duration", "2",
                                  "--fault", "overheating=1", "--time-scale", "600", "--quiet")
        self.assertEqual(summary["faults"]["overheating"], len(DEVICES))
        reports = [json.loads(m.payload)["properties"]
                   for m in self.receive(sub, summary["messages_sent"])]
        hot = [r for r in reports if r["bearingTempDE"] > 150 and r["fluidTemperature"] > 200]
        self.assertTrue(hot)
        # The run state shows "Fault" (2) once the ramp is over (values pass
        # the maximum a little before).
        self.assertIn(2, [r["runState"] for r in hot])
        self.assertTrue(all(0 <= r["vibrationVelocity"] <= 50 for r in reports))

    def test_devices_answer_writes_reads_and_invocations(self):
        sub = self.platform()
        proc = subprocess.Popen(self.devsim("--format", "json", "--qos", "1", "--rate", "32",
                                            "--duration", "6", "--quiet"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(proc.kill)
        topic = "/%s/d-1" % PK
        # The first report of d-1: it is connected and subscribed (its
        # SUBSCRIBE went before its first PUBLISH on the same connection).
        while sub.recv_publish(timeout=WAIT_S).topic != topic + "/properties/report":
            pass
        requests = [
            ("properties/write", {"messageId": "w-1", "properties": {"speedSetpoint": 1480}}),
            ("properties/write", {"messageId": "w-2", "properties": {"flowRate": 3}}),
            ("properties/read", {"messageId": "r-1", "properties": ["speedSetpoint"]}),
            ("function/invoke", {"messageId": "i-1", "function": "setSpeed",
                                 "inputs": {"speed": 1500}}),
            ("function/invoke", {"messageId": "i-2", "function": "selfDestruct"}),
        ]
        for kind, body in requests:
            sub.publish("%s/%s" % (topic, kind), json.dumps(body), qos=1)
        replies = {}
        later_report = None
        while len(replies) < len(requests) or later_report is None:
            msg = sub.recv_publish(timeout=WAIT_S)
            if msg.topic.endswith("/reply"):
                self.assertTrue(msg.topic.startswith(topic + "/"), msg.topic)
                body = json.loads(msg.payload)
                replies[body["messageId"]] = (msg.topic[len(topic) + 1:], body)
            elif msg.topic == topic + "/properties/report" and len(replies) >= 1:
                later_report = json.loads(msg.payload)
        self.assertEqual(replies["w-1"], ("properties/write/reply", {
            "messageId": "w-1", "success": True, "properties": {"speedSetpoint": 1480}}))
        self.assertEqual(replies["w-2"], ("properties/write/reply", {
            "messageId": "w-2", "success": False, "code": "read_only",
            "message": "flowRate: property is read-only"}))
        self.assertEqual(replies["r-1"], ("properties/read/reply", {
            "messageId": "r-1", "success": True, "properties": {"speedSetpoint": 1480}}))
        self.assertEqual(replies["i-1"], ("function/invoke/reply", {
            "messageId": "i-1", "success": True, "output": {"accepted": True}}))
        self.assertEqual(replies["i-2"][1]["code"], "unknown_function")
        self.assertEqual(later_report["properties"]["speedSetpoint"], 1480)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err.decode())
        summary = json.loads(out.decode().strip().splitlines()[-1])
        self.assertEqual(summary["replies"], {"write": 2, "read": 1, "invoke": 2, "failed": 2})

    def test_refuse_writes(self):
        sub = self.platform()
        proc = subprocess.Popen(self.devsim("--qos", "1", "--rate", "32", "--duration", "4",
                                            "--quiet", "--refuse-writes"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(proc.kill)
        topic = "/%s/d-2" % PK
        while sub.recv_publish(timeout=WAIT_S).topic != topic + "/properties/report":
            pass
        sub.publish(topic + "/properties/write",
                    json.dumps({"messageId": "w-9", "properties": {"speedSetpoint": 1000}}), qos=1)
        while True:
            msg = sub.recv_publish(timeout=WAIT_S)
            if msg.topic == topic + "/properties/write/reply":
                break
        self.assertEqual(json.loads(msg.payload), {
            "messageId": "w-9", "success": False, "code": "refused",
            "message": "this simulated device refuses writes (--refuse-writes)"})
        proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0)

    def test_sink_counts_what_publishers_send(self):
        env = os.path.join(self.broker.data_dir, "broker.env")
        sink = subprocess.Popen([DEVSIM, "--sink", "--broker-env", env, "--connections", "2",
                                 "--topic-filter", "$share/bench/#", "--qos", "1",
                                 "--messages", "60", "--duration", "60"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(sink.kill)
        # Publishing starts once the sink counts (its connections subscribed).
        lines = []
        for line in sink.stdout:
            lines.append(line)
            if line.startswith(b"devsim count"):
                break
        summary = self.run_devsim("--format", "batch", "--batch-samples", "16", "--qos", "1",
                                  "--message-rate", "200", "--messages", "60", "--duration", "60")
        self.assertEqual(summary["messages_sent"], 60)
        self.assertEqual(summary["pubacks"], 60)
        out, err = sink.communicate(timeout=90)
        self.assertEqual(sink.returncode, 0, err.decode())
        result = json.loads(out.decode().strip().splitlines()[-1])
        self.assertEqual(result["mode"], "sink")
        self.assertEqual(result["connected"], 2)
        self.assertEqual(result["messages_received"], 60)
        self.assertEqual(result["values_received"], summary["values_sent"])

    def test_bad_arguments_and_fleets_exit_2(self):
        p = subprocess.run(self.devsim("--host", "192.0.2.1"), stderr=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr.decode(),
                         "qilian-devsim: --host 192.0.2.1: qilian-devsim only connects to a "
                         "broker on this machine (127.0.0.0/8 or ::1)\n")
        bad = os.path.join(self.dir, "bad.csv")
        with open(bad, "w") as f:
            f.write("%s,ok-1,s,motor\n%s,ok-2,s\n" % (PK, PK))
        p = subprocess.run([DEVSIM, "--fleet", bad, "--port", "1"], stderr=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr.decode(),
                         "qilian-devsim: --fleet %s: line 2: 3 fields, expected 4 "
                         "(product_key,device_id,secret,model)\n" % bad)

    def test_fleet_out_writes_a_fleet_it_reads_back(self):
        out = os.path.join(self.dir, "generated.csv")
        p = subprocess.run([DEVSIM, "--generate", "3", "--starter", "kiln", "--product-key", PK,
                            "--fleet-out", out], stdout=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout.decode(), "wrote 3 devices to %s\n" % out)
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "product_key,device_id,secret,model")
        self.assertEqual([l.split(",")[1] for l in lines[1:]],
                         ["sim-000001", "sim-000002", "sim-000003"])
        self.assertTrue(all(l.endswith(",rotary_kiln") for l in lines[1:]))


if __name__ == "__main__":
    unittest.main()
