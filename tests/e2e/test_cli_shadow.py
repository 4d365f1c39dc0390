"""`qilian device shadow|properties|desired|write|invoke` end to end
(docs/cli.md, "qilian device") against live simulated devices: a real
mosquitto with Qilian's broker plugin (scripts/broker), a real qiliand
connected to it (--broker-env) and two qilian-devsim runs, one for pump-1
that answers every call and one for pump-2 started with --refuse-writes.
pump-9 is created but never connects.

The shadow of a device never seen; a property write and a service call
answered by the device; a desired state pushed, its delta cleared when the
device reports it, a stale --version refused (exit 3); a write the device
refuses (exit 7, its code and message); a write to a device that is not
running times out (exit 8); bad NAME=VALUE arguments are usage errors
(exit 2) with nothing sent.

    QILIAN_BUILD_DIR=build python3 -m unittest tests/e2e/test_cli_shadow.py
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Mosquitto  # noqa: E402
from harness import QILIAN, Qiliand  # noqa: E402
from test_cli import admin_credentials, run_cli  # noqa: E402
from test_enterprises import onboard  # noqa: E402
from test_platform_tour import DEVSIM, STARTER, wait_for  # noqa: E402

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


class CliShadowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for binary in (QILIAN, DEVSIM):
            if not os.path.exists(binary):
                raise RuntimeError("not built: " + binary)
        cls.dir = tempfile.mkdtemp(prefix="cli-shadow-")
        cls.sims = []
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        cls.broker = Mosquitto().__enter__()
        cls.addClassCleanup(cls.broker.__exit__, None, None, None)
        cls.node = Qiliand(
            extra_args=["--broker-env", os.path.join(cls.broker.data_dir, "broker.env")]).start()
        cls.addClassCleanup(cls.node.__exit__, None, None, None)
        cls.enterprise = str(onboard(cls.node, "71000501")[0])
        status, reply = cls.node.request("POST", "/api/products?enterprise=" + cls.enterprise,
                                         {"id": "pump", "fromStarter": STARTER})
        assert status == 201, reply
        csv_path = os.path.join(cls.dir, "devices.csv")
        with open(csv_path, "w") as f:
            f.write("id,product,name,serial,gateway,tags\n"
                    "pump-1,pump,,,,\npump-2,pump,,,,\npump-9,pump,,,,\n")
        fleet = os.path.join(cls.dir, "fleet.csv")
        code, out, err = cls.cli_as_admin("device", "import", csv_path, "--secrets-out", fleet,
                                          "--enterprise", cls.enterprise)
        assert code == 0, out + err
        with open(fleet) as f:
            lines = f.read().splitlines()
        rows = {line.split(",")[1]: line for line in lines[1:]}
        # One fleet file per simulator: pump-1 answers, pump-2 refuses writes.
        for device, extra in (("pump-1", []), ("pump-2", ["--refuse-writes"])):
            path = os.path.join(cls.dir, device + ".csv")
            with open(path, "w") as f:
                f.write(lines[0] + "\n" + rows[device] + "\n")
            cls.sims.append(subprocess.Popen(
                [DEVSIM, "--fleet", path, "--port", str(cls.broker.port), "--qos", "1",
                 "--rate", "2", "--duration", "300", "-q"] + extra,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    @classmethod
    def tearDownClass(cls):
        for sim in cls.sims:
            sim.kill()  # they run for 300 s; a finished one is not signalled
            sim.wait()
        # Then the class cleanups: qiliand, the broker, the directory.

    @classmethod
    def cli_as_admin(cls, *args):
        return run_cli(*args, server=cls.node.url, auth=admin_credentials(cls.node))

    def device(self, *args, json_output=False):
        return self.cli_as_admin(*(["--json"] if json_output else []), "device", *args,
                                 "--enterprise", self.enterprise)

    def shadow(self, device):
        code, out, err = self.device("shadow", device, json_output=True)
        self.assertEqual((code, err), (0, ""), out)
        return json.loads(out)["shadow"]

    def wait_online(self, device):
        wait_for(lambda: self.shadow(device)["online"], what=device + " online")

    def test_shadow_of_a_device_never_seen(self):
        self.assertEqual(self.device("shadow", "pump-9"), (
            0,
            "online: false\n"
            "lastSeen: -\n"
            "desired version: 0\n"
            "delta: none\n"
            "PROPERTY  VALUE  TIME  DESIRED\n",
            ""))
        self.assertEqual(self.device("properties", "pump-9"),
                         (0, "online: false\nPROPERTY  VALUE  TIME\n", ""))
        self.assertEqual(self.device("shadow", "pump-404"), (
            1, "", "qilian: device 'pump-404' not found (responseCode 100)\n"))

    def test_write_invoke_and_desired_on_a_live_device(self):
        self.wait_online("pump-1")
        self.assertEqual(self.device("write", "pump-1", "speedSetpoint=1450"),
                         (0, "device pump-1 accepted: speedSetpoint=1450\n", ""))
        self.assertEqual(self.device("invoke", "pump-1", "setSpeed", "speed=1200"),
                         (0, "device pump-1 answered setSpeed: accepted=true\n", ""))
        self.assertEqual(self.device("invoke", "pump-1", "start", "--timeout", "10000"),
                         (0, "device pump-1 answered start: accepted=true\n", ""))
        code, out, err = self.device("invoke", "pump-1", "setSpeed", "speed=1200",
                                     json_output=True)
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(json.loads(out),
                         {"responseCode": 1, "success": True, "output": {"accepted": True}})
        # The model refuses before anything is sent (exit 4).
        self.assertEqual(self.device("write", "pump-1", "flowRate=10"), (
            4, "", "qilian: flowRate: property is read-only (responseCode 202)\n"))

        # Desired state: pushed to the device; the delta clears once it reports.
        code, out, err = self.device("desired", "pump-1", "valveOpening=55")
        self.assertEqual((code, err), (0, ""))
        first, delta = out.splitlines()
        self.assertEqual(first, "device pump-1 desired version 1: valveOpening=55")
        # Unless the device answered within the request itself: then none.
        self.assertIn(delta, ("delta: valveOpening=55", "delta: none"))
        wait_for(lambda: self.shadow("pump-1")["delta"] == {}, what="the delta cleared")
        code, out, err = self.device("shadow", "pump-1")
        self.assertEqual((code, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[0], "online: true")
        self.assertRegex(lines[1], r"^lastSeen: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(lines[2:4], ["desired version: 1", "delta: none"])
        self.assertRegex(lines[4], r"^PROPERTY +VALUE +TIME +DESIRED$")
        rows = {line.split()[0]: line.split()[1:] for line in lines[5:]}
        self.assertEqual(rows["valveOpening"][0::2], ["55.0", "55"])
        self.assertRegex(rows["valveOpening"][1], "^" + TIME + "$")
        self.assertEqual(rows["flowRate"][2], "-")
        self.assertEqual(self.device("desired", "pump-1", "valveOpening=60", "--version", "0"),
                         (3, "", "qilian: desired version is 1, not 0\n"))
        self.assertEqual(self.device("desired", "pump-1", "valveOpening=null", "--version", "1"),
                         (0, "device pump-1 desired version 2: none\ndelta: none\n", ""))

        code, out, err = self.device("properties", "pump-1")
        self.assertEqual((code, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[0], "online: true")
        self.assertRegex(lines[1], r"^PROPERTY +VALUE +TIME$")
        self.assertRegex(out, r"\nflowRate +[0-9.]+ +%s\n" % TIME)

    def test_a_device_that_refuses_writes(self):
        self.wait_online("pump-2")
        message = "this simulated device refuses writes (--refuse-writes)"
        self.assertEqual(self.device("write", "pump-2", "speedSetpoint=1450"), (
            7, "", "qilian: device pump-2 refused: %s (code refused)\n" % message))
        code, out, err = self.device("write", "pump-2", "speedSetpoint=1450", json_output=True)
        self.assertEqual((code, err), (7, "qilian: device pump-2 refused: %s (code refused)\n"
                                       % message))
        self.assertEqual(json.loads(out), {"responseCode": 2, "success": False,
                                           "code": "refused", "message": message})

    def test_a_device_that_is_not_running_times_out(self):
        self.assertEqual(self.device("write", "pump-9", "speedSetpoint=1450", "--timeout", "500"),
                         (8, "", "qilian: device 'pump-9' did not reply within 500ms\n"))
        self.assertEqual(self.device("invoke", "pump-9", "stop", "mode=1", "--timeout", "300"),
                         (8, "", "qilian: device 'pump-9' did not reply within 300ms\n"))

    def test_usage_errors_send_nothing(self):
        # Against a port nobody listens on: exit 2, not 6, so nothing was sent.
        nowhere = "http://127.0.0.1:1"
        cases = [
            (["write", "pump-1", "speedSetpoint"],
             "qilian: malformed 'speedSetpoint': expected PROPERTY=VALUE\n"),
            (["write", "pump-1", "=1450"],
             "qilian: malformed '=1450': the property name is empty\n"),
            (["write", "pump-1", "speedSetpoint=1", "speedSetpoint=2"],
             "qilian: property 'speedSetpoint' is given twice\n"),
            (["write", "pump-1"], "qilian: give at least one PROPERTY=VALUE\n"),
            (["desired", "pump-1"], "qilian: give at least one PROPERTY=VALUE\n"),
            (["invoke", "pump-1", "setSpeed", "speed"],
             "qilian: malformed 'speed': expected INPUT=VALUE\n"),
            (["invoke", "pump-1", "setSpeed", "speed=1", "speed=2"],
             "qilian: input 'speed' is given twice\n"),
            (["write", "pump-1", "speedSetpoint=1450", "--timeout", "0"],
             "qilian: --timeout: Value 0 not in range 1 to 60000\n"
             "Run 'qilian --help' for usage.\n"),
        ]
        for args, err in cases:
            with self.subTest(args=args):
                self.assertEqual(run_cli("device", *args, server=nowhere), (2, "", err))
        self.assertEqual(run_cli("device", "write", "pump-1", "speedSetpoint=1", server=nowhere), (
            6, "", "qilian: cannot connect to http://127.0.0.1:1: Connection refused\n"))

if __name__ == "__main__":
    unittest.main()
