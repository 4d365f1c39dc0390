"""Devices in the MQTT broker through Qilian's plugin (docs/broker.md): a
real mosquitto started by scripts/broker with dynamic security and
qilian_broker_plugin.so, devices added, changed and removed by the admin on
$CONTROL/qilian-devices/v1 as qiliand does, devices speaking MQTT 3.1.1
(tests/e2e/mqtt_client.py).

"Not delivered" is shown as in test_broker: the refused message is
followed by an allowed one on the same connection, and the allowed one
arrives first and alone (one connection's messages are handled in order,
and delivered to one subscriber in order). Nothing is timed: every wait is
bounded by WAIT_S and ends on an event.
"""

import json
import os
import unittest

import broker
from broker import credential
from mqtt_client import ACCEPTED, NOT_AUTHORIZED, SUBACK_FAILURE, ConnectionClosed

WAIT_S = 10
PK = "a1B2c3D4e5F"


def device_name(n):
    return "%s/dev-%s" % (PK, n)


class DevicesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = broker.Mosquitto()
        cls.addClassCleanup(cls.broker.__exit__, None, None, None)
        cls.broker.start()

    def connect(self, username, secret, client_id=None):
        """A device's connection attempt: the client (closed at cleanup) and
        the CONNACK code."""
        c = self.broker.client(client_id or username, username, secret, timeout=WAIT_S)
        self.addCleanup(c.close)
        return c, c.connect()

    def device(self, name, secret=None):
        """A device added to the plugin and connected."""
        username = device_name(name)
        secret = secret or "secret-" + name
        self.broker.upsert_devices(credential(username, secret))
        c, rc = self.connect(username, secret)
        self.assertEqual(rc, ACCEPTED)
        return c

    def admin(self, client_id, *filters):
        """A second admin connection (qiliand's), subscribed to `filters`."""
        c = self.broker.client(client_id, self.broker.admin_user, self.broker.admin_password,
                               timeout=WAIT_S)
        self.addCleanup(c.close)
        self.assertEqual(c.connect(), ACCEPTED)
        self.assertEqual(c.subscribe(*filters, qos=1), [1] * len(filters))
        return c

    def presence(self, watcher, username):
        """The next presence message about `username` (topic, body): other
        devices' (an earlier test's connections closing) are skipped."""
        while True:
            msg = watcher.recv_publish(timeout=WAIT_S)
            body = json.loads(msg.payload)
            if body["username"] == username:
                return msg, body

    def test_a_device_connects_with_its_secret_only(self):
        username = device_name("auth")
        self.assertEqual(self.broker.upsert_devices(credential(username, "right")),
                         {"added": 1, "updated": 0, "unchanged": 0, "revoked": 0})
        c, rc = self.connect(username, "right")
        self.assertEqual(rc, ACCEPTED)
        c, rc = self.connect(username, "wrong", client_id="auth-wrong")
        self.assertEqual(rc, NOT_AUTHORIZED)  # mosquitto 2.0.11 answers 5 for MOSQ_ERR_AUTH
        c.wait_closed(WAIT_S)
        self.assertEqual(self.connect(username, None, client_id="auth-none")[1], NOT_AUTHORIZED)
        self.assertEqual(self.connect(device_name("unknown"), "right")[1], NOT_AUTHORIZED)
        # Not device-shaped: dynamic security decides, and knows no such client.
        self.assertEqual(self.connect("%s-dev-auth" % PK, "right")[1], NOT_AUTHORIZED)

    def test_a_devices_message_on_its_own_topic_reaches_the_admin(self):
        sub = self.admin("ingest-own", "/%s/dev-own/#" % PK)
        dev = self.device("own")
        payload = json.dumps({"messageId": "m-1", "properties": {"flow": 212.5}}).encode()
        dev.publish("/%s/dev-own/properties/report" % PK, payload, qos=1)
        msg = sub.recv_publish(timeout=WAIT_S)
        self.assertEqual((msg.topic, msg.payload, msg.qos),
                         ("/%s/dev-own/properties/report" % PK, payload, 1))

    def test_a_publish_on_another_devices_topic_is_never_delivered(self):
        sub = self.admin("ingest-forge", "/%s/#" % PK, "/elsewhere")
        d1 = self.device("forger")
        self.device("victim")
        d1.publish("/%s/dev-victim/properties/report" % PK, b'{"forged":1}', qos=1)
        d1.publish("/%s/dev-victim/properties/report" % PK, b'{"forged":0}', qos=0)
        d1.publish("/elsewhere", b'{"forged":2}', qos=1)
        d1.publish("$CONTROL/qilian-devices/v1", json.dumps(
            {"commands": [{"command": "removeDevices", "usernames": [device_name("victim")]}]}),
            qos=1)
        d1.publish("/%s/dev-forger/properties/report" % PK, b'{"marker":1}', qos=1)
        msg = sub.recv_publish(timeout=WAIT_S)
        self.assertEqual((msg.topic, msg.payload),
                         ("/%s/dev-forger/properties/report" % PK, b'{"marker":1}'))
        sub.ping()
        self.assertEqual(sub.queued(), 0)
        # The device's control message changed nothing: the victim is there.
        self.assertEqual(self.connect(device_name("victim"), "secret-victim",
                                      client_id="victim-2")[1], ACCEPTED)

    def test_a_device_subscribes_under_its_root_only(self):
        dev = self.device("subs")
        root = "/%s/dev-subs" % PK
        self.assertEqual(dev.subscribe(root + "/#", root + "/+/reply", root + "/properties/write",
                                       "/%s/+/#" % PK, "/%s/dev-other/#" % PK, "#", root,
                                       "$SYS/#", "$qilian/#", "$CONTROL/qilian-devices/#"),
                         [1, 1, 1] + [SUBACK_FAILURE] * 7)

    def test_removing_a_device_closes_its_connection_at_once(self):
        dev = self.device("removed")
        dev.ping()
        self.assertEqual(self.broker.remove_devices(device_name("removed"), device_name("never")),
                         {"removed": 1, "absent": 1, "revoked": 1})
        dev.wait_closed(WAIT_S)  # keepalive is 60 s: only the plugin's kick closes it
        self.assertEqual(self.connect(device_name("removed"), "secret-removed",
                                      client_id="removed-2")[1], NOT_AUTHORIZED)

    def test_removing_a_device_closes_every_connection_it_has(self):
        username = device_name("twice")
        self.broker.upsert_devices(credential(username, "s"))
        a, rc_a = self.connect(username, "s", client_id="twice-a")
        b, rc_b = self.connect(username, "s", client_id="twice-b")
        self.assertEqual((rc_a, rc_b), (ACCEPTED, ACCEPTED))
        self.assertEqual(self.broker.remove_devices(username),
                         {"removed": 1, "absent": 0, "revoked": 1})
        a.wait_closed(WAIT_S)
        b.wait_closed(WAIT_S)

    def test_disabling_closes_and_enabling_lets_the_device_back(self):
        username = device_name("toggled")
        salt = os.urandom(16)
        dev = self.device("toggled")
        self.broker.upsert_devices(credential(username, "secret-toggled", salt=salt))
        dev.wait_closed(WAIT_S)  # a new salt is a new key: closed
        dev, rc = self.connect(username, "secret-toggled", client_id="toggled-2")
        self.assertEqual(rc, ACCEPTED)
        self.assertEqual(self.broker.upsert_devices(
            credential(username, "secret-toggled", enabled=False, salt=salt)),
            {"added": 0, "updated": 1, "unchanged": 0, "revoked": 1})
        dev.wait_closed(WAIT_S)
        self.assertEqual(self.connect(username, "secret-toggled", client_id="toggled-3")[1],
                         NOT_AUTHORIZED)
        self.broker.upsert_devices(credential(username, "secret-toggled", salt=salt))
        self.assertEqual(self.connect(username, "secret-toggled", client_id="toggled-4")[1],
                         ACCEPTED)

    def test_a_new_secret_closes_the_connection_and_replaces_the_old_one(self):
        username = device_name("rekeyed")
        dev = self.device("rekeyed", "old-secret")
        self.broker.upsert_devices(credential(username, "new-secret"))
        dev.wait_closed(WAIT_S)
        self.assertEqual(self.connect(username, "old-secret", client_id="rk-1")[1], NOT_AUTHORIZED)
        self.assertEqual(self.connect(username, "new-secret", client_id="rk-2")[1], ACCEPTED)

    def test_presence_on_connect_and_disconnect(self):
        watcher = self.admin("presence-watcher", "$qilian/presence/#")
        username = device_name("present")
        self.broker.upsert_devices(credential(username, "s"))
        # A refused CONNECT says nothing: the next message about the device
        # is the accepted connection's.
        self.assertEqual(self.connect(username, "wrong", client_id="present-bad")[1],
                         NOT_AUTHORIZED)
        dev, rc = self.connect(username, "s", client_id="present-1")
        self.assertEqual(rc, ACCEPTED)
        msg, body = self.presence(watcher, username)
        self.assertEqual((msg.topic, msg.qos), ("$qilian/presence/connected", 1))
        self.assertIsInstance(body.pop("time"), int)
        self.assertEqual(body, {"username": username, "clientId": "present-1", "connections": 1})
        dev.disconnect()
        msg, body = self.presence(watcher, username)
        self.assertEqual(msg.topic, "$qilian/presence/disconnected")
        self.assertIsInstance(body.pop("time"), int)
        self.assertEqual(body, {"username": username, "clientId": "present-1", "connections": 0})

    def test_a_session_taken_over_keeps_the_device_online(self):
        watcher = self.admin("takeover-watcher", "$qilian/presence/#")
        username = device_name("takeover")
        self.broker.upsert_devices(credential(username, "s"))
        first, rc = self.connect(username, "s", client_id="takeover")
        self.assertEqual(rc, ACCEPTED)
        second, rc = self.connect(username, "s", client_id="takeover")
        self.assertEqual(rc, ACCEPTED)
        first.wait_closed(WAIT_S)
        # The new session's "connected" comes before the old one's
        # "disconnected"; the count says the device is still online.
        seen = []
        for _ in range(3):
            msg, body = self.presence(watcher, username)
            seen.append((msg.topic.rsplit("/", 1)[1], body["clientId"], body["connections"]))
        self.assertEqual(seen, [("connected", "takeover", 1), ("connected", "takeover", 2),
                                ("disconnected", "takeover", 1)])

    def test_a_client_that_is_not_the_admin_changes_nothing(self):
        self.broker.create_client("intruder", "intruder-pw",
                                  publish=["$CONTROL/qilian-devices/#"],
                                  subscribe=["$CONTROL/qilian-devices/#"])
        c = self.broker.client("intruder", "intruder", "intruder-pw", timeout=WAIT_S)
        self.addCleanup(c.close)
        self.assertEqual(c.connect(), ACCEPTED)
        self.assertEqual(c.subscribe("$CONTROL/qilian-devices/v1/response"), [1])
        before = self.broker.device_stats()["devices"]
        c.publish("$CONTROL/qilian-devices/v1", json.dumps({"commands": [
            {"command": "upsertDevices", "correlationData": "x",
             "devices": [credential(device_name("intruded"), "s")]}]}), qos=1)
        msg = c.recv_publish(timeout=WAIT_S)
        self.assertEqual(json.loads(msg.payload), {"responses": [
            {"command": "upsertDevices", "correlationData": "x", "code": "permission_denied",
             "error": "not authorised: only the admin client may send commands"}]})
        self.assertEqual(self.broker.device_stats()["devices"], before)
        self.assertEqual(self.connect(device_name("intruded"), "s")[1], NOT_AUTHORIZED)

    def test_a_malformed_message_changes_nothing(self):
        self.broker.upsert_devices(credential(device_name("kept"), "s"))
        before = self.broker.device_stats()
        for payload in ("not json", '{"commands": 5}'):
            self.assertEqual(
                self.broker.send_control(broker.DEVICES_CONTROL_TOPIC, payload, tag=False),
                [{"command": "", "code": "invalid_argument",
                  "error": 'the payload is not a JSON object with a "commands" array'}])
        self.assertEqual(self.broker.device_stats(), before)
        # One bad device refuses the whole command, named.
        with self.assertRaises(broker.DevicesError) as e:
            self.broker.upsert_devices(credential(device_name("fine"), "s"),
                                       dict(credential(device_name("bad"), "s"), salt="00"))
        self.assertEqual((e.exception.code, e.exception.error),
                         ("invalid_argument", "devices[1].salt: must be 32 hex digits"))
        self.assertEqual(self.broker.device_stats()["devices"], before["devices"])
        self.assertEqual(self.connect(device_name("fine"), "s")[1], NOT_AUTHORIZED)

    def test_replace_all_in_chunks_makes_the_set_exact(self):
        keep = self.device("replace-keep")
        gone = self.device("replace-gone")
        wanted = [credential(device_name("replace-keep"), "secret-replace-keep")]
        wanted += [credential(device_name("r%d" % i), "s%d" % i) for i in range(25)]
        # The kept device's salt changes (credential() draws a new one), so
        # it is re-keyed and closed too; the set is exact afterwards.
        data = self.broker.replace_all(wanted, chunk=10)
        self.assertEqual(data["devices"], 26)
        gone.wait_closed(WAIT_S)
        keep.wait_closed(WAIT_S)
        self.assertEqual(self.connect(device_name("replace-gone"), "secret-replace-gone",
                                      client_id="rg-2")[1], NOT_AUTHORIZED)
        self.assertEqual(self.connect(device_name("r24"), "s24")[1], ACCEPTED)
        self.assertEqual(self.broker.device_stats()["devices"], 26)

    def test_ten_thousand_devices_in_one_upsert(self):
        devices = [credential("%s/bulk-%05d" % ("BuLk0000001", i), "s%d" % i)
                   for i in range(10000)]
        self.assertEqual(self.broker.upsert_devices(*devices),
                         {"added": 10000, "updated": 0, "unchanged": 0, "revoked": 0})
        self.assertEqual(self.connect("BuLk0000001/bulk-04711", "s4711")[1], ACCEPTED)
        self.assertEqual(self.connect("BuLk0000001/bulk-04712", "s4711")[1], NOT_AUTHORIZED)


class DevicesAcrossRestartsTest(unittest.TestCase):

    def test_devices_survive_a_restart(self):
        with broker.Mosquitto() as b:
            b.upsert_devices(credential(device_name("kept"), "kept-secret"),
                             credential(device_name("off"), "off-secret", enabled=False))
            b.upsert_devices(credential(device_name("removed"), "x"))
            b.remove_devices(device_name("removed"))
            self.assertEqual(b.stop(), 0)
            with open(os.path.join(b.data_dir, "devices.state")) as f:
                lines = f.read().splitlines()
            self.assertEqual(lines[:2], ["qilian-broker-devices v1", "count 2"])
            self.assertEqual(sorted(l.split(" ")[0] + " " + l.split(" ")[3] for l in lines[2:4]),
                             [device_name("kept") + " 1", device_name("off") + " 0"])
            self.assertEqual(lines[4][:7], "sha256 ")
            self.assertEqual(len(lines), 5)
            b.start()
            c = b.client("kept", device_name("kept"), "kept-secret", timeout=WAIT_S)
            self.addCleanup(c.close)
            self.assertEqual(c.connect(), ACCEPTED)
            off = b.client("off", device_name("off"), "off-secret", timeout=WAIT_S)
            self.addCleanup(off.close)
            self.assertEqual(off.connect(), NOT_AUTHORIZED)
            self.assertEqual(b.device_stats()["devices"], 2)

    def test_a_corrupt_state_file_is_reported_and_ignored(self):
        with broker.Mosquitto() as b:
            b.upsert_devices(credential(device_name("lost"), "s"))
            b.stop()
            path = os.path.join(b.data_dir, "devices.state")
            with open(path, "r+b") as f:
                f.seek(40)
                f.write(b"X")
            b.start()
            self.assertIn("qilian-devices: ignoring %s (corrupt): the SHA-256 of the file does "
                          "not match its sha256 line; starting with no devices until the admin "
                          "sends them" % path, b.log())
            self.assertEqual(b.device_stats()["devices"], 0)
            c = b.client("lost", device_name("lost"), "s", timeout=WAIT_S)
            self.addCleanup(c.close)
            self.assertEqual(c.connect(), NOT_AUTHORIZED)
            # qiliand re-sends the set; the file is written anew.
            b.replace_all([credential(device_name("lost"), "s")])
            self.assertEqual(b.stop(), 0)
            b.start()
            self.assertEqual(b.device_stats()["devices"], 1)


class MissingPluginTest(unittest.TestCase):

    def test_scripts_broker_refuses_to_start_without_the_plugin(self):
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            missing = os.path.join(d, "nowhere.so")
            r = subprocess.run([broker.SCRIPT, os.path.join(d, "b"), "auto"],
                               env=dict(os.environ, QILIAN_BROKER_PLUGIN=missing),
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout, "")
            self.assertEqual(r.stderr,
                             "scripts/broker: Qilian's broker plugin not found at %s: build it "
                             "(cmake --build build --target qilian_broker_plugin) or set "
                             "QILIAN_BROKER_PLUGIN\n" % missing)


if __name__ == "__main__":
    unittest.main()
