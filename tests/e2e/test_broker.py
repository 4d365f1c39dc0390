"""The MQTT broker of a Qilian node (docs/operations.md, "MQTT broker"):
a real mosquitto started by scripts/broker, with device clients managed
through the dynamic-security plugin as qiliand will manage them. Clients
speak MQTT 3.1.1 over loopback (tests/e2e/mqtt_client.py).

"Not delivered" is shown without waiting for nothing: the device publishes
the refused message and then an allowed one on the same connection; the
broker handles one connection's messages in order and delivers to one
subscriber in order, so the allowed one arriving first and alone proves
the refused one was dropped.
"""

import json
import os
import subprocess
import unittest

import broker
from mqtt_client import ACCEPTED, NOT_AUTHORIZED, SUBACK_FAILURE

WAIT_S = 10  # every wait's bound; nothing is timed


class BrokerTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = broker.Mosquitto()
        cls.addClassCleanup(cls.broker.__exit__, None, None, None)
        cls.broker.start()

    def device(self, product, device):
        """A device client allowed /{product}/{device}/# only, connected."""
        name = "%s-%s" % (product, device)
        self.broker.create_client(name, "secret-" + name,
                                  publish=["/%s/%s/#" % (product, device)],
                                  subscribe=["/%s/%s/#" % (product, device)])
        c = self.broker.client(name, name, "secret-" + name, timeout=WAIT_S)
        self.addCleanup(c.close)
        self.assertEqual(c.connect(), ACCEPTED)
        return c

    def platform(self, name, filters):
        """A subscriber standing for qiliand's ingestion, subscribed."""
        self.broker.create_client(name, "secret-" + name, subscribe=filters)
        c = self.broker.client(name, name, "secret-" + name, timeout=WAIT_S)
        self.addCleanup(c.close)
        self.assertEqual(c.connect(), ACCEPTED)
        self.assertEqual(c.subscribe(*filters, qos=1), [1] * len(filters))
        return c

    def attempt(self, client_id, username=None, password=None):
        """A client that sent CONNECT (closed at cleanup), and the CONNACK code."""
        c = self.broker.client(client_id, username, password, timeout=WAIT_S)
        self.addCleanup(c.close)
        return c, c.connect()

    def test_device_report_reaches_subscriber_exactly(self):
        sub = self.platform("ingest-a", ["/pa/+/properties/report"])
        dev = self.device("pa", "d1")
        payload = json.dumps({"properties": {"temperature": 36.6, "rpm": 1480},
                              "timestamp": 1796650000000}).encode()
        dev.publish("/pa/d1/properties/report", payload, qos=1)
        msg = sub.recv_publish(timeout=WAIT_S)
        self.assertEqual(msg.topic, "/pa/d1/properties/report")
        self.assertEqual(msg.payload, payload)
        self.assertEqual(msg.qos, 1)

    def test_publish_on_another_devices_topic_is_dropped(self):
        sub = self.platform("ingest-b", ["/pb/#"])
        d1 = self.device("pb", "d1")
        self.device("pb", "d2")
        # MQTT 3.1.1: the broker acknowledges the refused QoS 1 publish and drops it.
        d1.publish("/pb/d2/properties/report", b'{"forged":true}', qos=1)
        d1.publish("/pb/d2/properties/report", b'{"forged":0}', qos=0)
        d1.publish("/pb/d1/properties/report", b'{"marker":1}', qos=1)
        msg = sub.recv_publish(timeout=WAIT_S)
        self.assertEqual((msg.topic, msg.payload), ("/pb/d1/properties/report", b'{"marker":1}'))
        # Nothing else was queued behind the marker: a ping round trip
        # brings any later packet, and there is none.
        sub.ping()
        self.assertEqual(sub.queued(), 0)

    def test_device_may_not_subscribe_to_another_devices_topics(self):
        d1 = self.device("pc", "d1")
        self.assertEqual(d1.subscribe("/pc/d2/#", "/pc/d1/properties/write", "#"),
                         [SUBACK_FAILURE, 1, SUBACK_FAILURE])

    def test_wrong_password_is_not_authorized(self):
        self.broker.create_client("pd-d1", "right-password", publish=["/pd/d1/#"])
        c, rc = self.attempt("pd-d1", "pd-d1", "wrong-password")
        self.assertEqual(rc, NOT_AUTHORIZED)
        c.wait_closed(WAIT_S)
        self.assertEqual(self.attempt("nobody", "nobody", "right-password")[1], NOT_AUTHORIZED)

    def test_anonymous_is_refused(self):
        c, rc = self.attempt("anonymous-1")
        self.assertEqual(rc, NOT_AUTHORIZED)
        c.wait_closed(WAIT_S)
        # A username with no password is not anonymous, and still refused.
        self.assertEqual(self.attempt("anonymous-2", "pe-d1")[1], NOT_AUTHORIZED)

    def test_deleting_a_client_disconnects_it_at_once(self):
        dev = self.device("pf", "d1")
        dev.ping()
        self.broker.delete_client("pf-d1")
        # Keepalive is 60 s: only the plugin's kick closes it within WAIT_S.
        dev.wait_closed(WAIT_S)
        self.assertEqual(self.attempt("pf-d1", "pf-d1", "secret-pf-d1")[1], NOT_AUTHORIZED)

    def test_disabling_a_client_disconnects_it_and_enabling_lets_it_back(self):
        dev = self.device("pg", "d1")
        dev.ping()
        self.broker.disable_client("pg-d1")
        dev.wait_closed(WAIT_S)
        self.assertEqual(self.attempt("pg-d1", "pg-d1", "secret-pg-d1")[1], NOT_AUTHORIZED)
        self.broker.enable_client("pg-d1")
        self.assertEqual(self.attempt("pg-d1", "pg-d1", "secret-pg-d1")[1], ACCEPTED)

    def test_admin_errors_are_named(self):
        self.broker.create_client("ph-d1", "pw", publish=["/ph/d1/#"])
        with self.assertRaises(broker.DynsecError) as e:
            self.broker.control({"command": "createClient", "username": "ph-d1",
                                 "password": "pw"})
        self.assertEqual(str(e.exception), "createClient: Client already exists")

    def test_admin_may_not_publish_device_topics(self):
        # The admin client manages the plugin; it cannot pose as a device.
        sub = self.platform("ingest-i", ["/pi/#"])
        admin, rc = self.attempt("admin-2", self.broker.admin_user, self.broker.admin_password)
        self.assertEqual(rc, ACCEPTED)
        admin.publish("/pi/d1/properties/report", b"forged", qos=1)
        dev = self.device("pi", "d1")
        dev.publish("/pi/d1/properties/report", b"real", qos=1)
        self.assertEqual(sub.recv_publish(timeout=WAIT_S).payload, b"real")


class BrokerDirectoryTest(unittest.TestCase):
    """scripts/broker on one directory: state kept across restarts, files
    private, loopback only, one broker per directory."""

    def test_restart_keeps_clients_and_admin(self):
        with broker.Mosquitto() as b:
            b.create_client("pj-d1", "pw-j", publish=["/pj/d1/#"])
            password = b.admin_password
            b.stop()
            b.start()
            self.assertEqual(b.admin_password, password)
            c = b.client("pj-d1", "pj-d1", "pw-j", timeout=WAIT_S)
            self.addCleanup(c.close)
            self.assertEqual(c.connect(), ACCEPTED)

    def test_files_and_listener(self):
        with broker.Mosquitto() as b:
            d = b.data_dir
            self.assertEqual(os.stat(d).st_mode & 0o777, 0o700)
            for name in ("admin.password", "dynamic-security.json"):
                self.assertEqual(os.stat(os.path.join(d, name)).st_mode & 0o777, 0o600, name)
            with open(os.path.join(d, "mosquitto.conf")) as f:
                conf = [l.strip() for l in f if l.strip() and not l.startswith("#")]
            listeners = [l for l in conf if l.startswith("listener ")]
            self.assertEqual(listeners, ["listener %d 127.0.0.1" % b.port])
            self.assertIn("allow_anonymous false", conf)
            self.assertIn("per_listener_settings false", conf)
            self.assertEqual(b.env["QILIAN_BROKER_CONTROL_TOPIC"], "$CONTROL/dynamic-security/v1")
            self.assertEqual(b.env["QILIAN_BROKER_PORT"], str(b.port))
            # The password never appears in the state file, only its hash.
            with open(os.path.join(d, "dynamic-security.json")) as f:
                self.assertNotIn(b.admin_password, f.read())

    def test_second_broker_on_same_directory_refused(self):
        with broker.Mosquitto() as b:
            r = subprocess.run([broker.SCRIPT, b.data_dir, "auto"], capture_output=True,
                               timeout=WAIT_S)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.decode(),
                             "scripts/broker: a broker is already running on %s (pid %d)\n"
                             % (os.path.realpath(b.data_dir), b.proc.pid))

    def test_bad_arguments(self):
        r = subprocess.run([broker.SCRIPT], capture_output=True, timeout=WAIT_S)
        self.assertEqual(r.returncode, 2)
        r = subprocess.run([broker.SCRIPT, "/nonexistent-never", "70000"],
                           capture_output=True, timeout=WAIT_S)
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists("/nonexistent-never"))


if __name__ == "__main__":
    unittest.main()
