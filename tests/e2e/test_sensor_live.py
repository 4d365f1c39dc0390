"""qilian-sensor capturing live gives the same events as reading the file.

Each test builds a network namespace of its own (a unique name per run) with
a veth pair: `qilian-sensor --interface qcap` captures on one end inside the
namespace, `tcpreplay` sends a capture file into the other end at top speed,
and the events must equal those of `qilian-sensor --read` of the same file
in every field but `ts` (live time is the receive time). Nothing outside the
namespace is touched; the namespace (and with it the veth pair) and every
process are removed even when a test fails.

No timed assertions: the sensor is started and the test waits for its
"listening on qcap" line (printed once libpcap's capture is active), then
replays. The sensor stops on `--count N`, N being the frames in the file,
so it ends exactly when it has seen every frame; one test stops it with
SIGTERM after tcpreplay has finished instead, and one with --duration on a
quiet link. The only timeouts are generous safety nets that end a hung
process and fail with its output.

Needs root (namespaces, packet sockets) and tcpreplay (scripts/install-deps);
skipped, saying why, where a namespace cannot be created. The captures are
from ../shared/data/pcaps (see its README for sources and licences).
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import unittest

import harness

SENSOR = os.path.join(harness.BUILD_DIR, "src", "security", "sensor", "qilian-sensor")
PCAPS = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "pcaps"))

# Ethernet captures only: tcpreplay puts the file's bytes on an Ethernet
# link as they are, so DLT_NULL (the opendnp3 conformance dumps) and Linux
# cooked captures would arrive as garbage frames. Between them they cover
# Modbus, S7comm (pcap and pcapng), DNP3, IEC 104, EtherNet/IP and 802.1Q
# tags (the GOOSE capture has them on every frame; the tagged Modbus capture
# is made by tcprewrite in the test).
CAPTURES = [
    "iti/ModbusTCP/Modbus/modbus_test.pcap",
    "iti/s7/s7comm_reading_plc_status.pcap",
    "iti/s7/step7_s300_readDiagData.pcapng",
    "iti/dnp3/full_exchange.pcap",
    "iti/IEC60870-5-104/TestDissectIec104.pcap",
    "iti/EthernetIP/EthernetIP-CIP.pcap",
    "iti/IEC61850/GOOSE/Sample_File_GOOSE.pcap",
]
VLAN_SOURCE = "iti/ModbusTCP/Modbus/modbus_test.pcap"

# The largest frame of these captures is 1514 bytes (1518 tagged); a jumbo
# MTU on both ends leaves room, so the veth never drops a frame as too long.
MTU = 9000
# Safety nets only: a sensor or tcpreplay that takes this long has hung.
HANG_S = 300


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=HANG_S, **kw)


def events_without_ts(path):
    with open(path) as f:
        events = [json.loads(line) for line in f]
    for e in events:
        del e["ts"]
    return events


def summary_lines(output):
    """The summary, without the lines only a live run prints."""
    return [line for line in output.splitlines()
            if not line.startswith(("qilian-sensor: listening on ", "capture: "))]


class Namespace:
    """A network namespace with a veth pair: qcap (the sensor's) and qsend."""

    def __init__(self):
        self.name = "qilian-live-%d" % os.getpid()

    def __enter__(self):
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)
        out = run(["ip", "netns", "add", self.name])
        if out.returncode != 0:
            raise unittest.SkipTest("cannot create a network namespace: " + out.stdout.strip())
        try:
            # No IPv6: a link coming up would send router solicitations and
            # DAD probes, frames that are not in the capture.
            script = ("set -e; sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                      "net.ipv6.conf.default.disable_ipv6=1; "
                      "ip link add qcap type veth peer name qsend; "
                      "ip link set qcap mtu {0} up; ip link set qsend mtu {0} up").format(MTU)
            out = self.exec(["sh", "-c", script])
            if out.returncode != 0:
                raise RuntimeError("setting up the veth pair failed:\n" + out.stdout)
        except BaseException:
            self.__exit__()
            raise
        return self

    def command(self, cmd):
        return ["ip", "netns", "exec", self.name] + cmd

    def exec(self, cmd):
        return run(self.command(cmd))

    def __exit__(self, *exc):
        # Deleting the namespace removes both ends of the veth pair.
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)


class Sensor:
    """qilian-sensor capturing on qcap in the namespace; its output kept."""

    def __init__(self, ns, events_path, extra=()):
        cmd = ns.command([SENSOR, "--interface", "qcap", "--events", events_path] + list(extra))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines = []
        self.listening = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.lines.append(line)
                if line.startswith("qilian-sensor: listening on qcap"):
                    self.listening.set()
            self.listening.set()  # ended without listening: wait_ready says so
        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()

    def output(self):
        return "".join(self.lines)

    def wait_ready(self):
        if not self.listening.wait(HANG_S) or self.proc.poll() is not None:
            self.kill()
            raise AssertionError("qilian-sensor did not start capturing:\n" + self.output())

    def wait(self):
        """Waits for the sensor to end; if it hangs, stops it and fails
        with what it printed (its summary says how many frames it saw)."""
        try:
            self.proc.wait(timeout=HANG_S)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            finally:
                self.kill()
            raise AssertionError("qilian-sensor did not finish:\n" + self.output()) from None
        self._pump.join(timeout=30)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._pump.join(timeout=30)  # the pipe reaches EOF once the process is gone
        self.proc.stdout.close()


def replay(ns, capture):
    # One CPU: frames sent from two CPUs could reach the capture out of order.
    out = ns.exec(["taskset", "-c", "0", "tcpreplay", "--topspeed", "-i", "qsend", capture])
    if out.returncode != 0:
        raise AssertionError("tcpreplay failed:\n" + out.stdout)
    return out.stdout


def read_file(capture, events_path):
    out = run([SENSOR, "--read", capture, "--events", events_path])
    if out.returncode != 0:
        raise AssertionError("qilian-sensor --read %s failed:\n%s" % (capture, out.stdout))
    return out.stdout


def frames_in(summary):
    first = summary.splitlines()[0]  # "packets: N (B bytes): ..."
    return int(first.split()[1])


class LiveCaptureTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root to create a network namespace and capture")
        if not os.path.isdir(PCAPS):
            raise unittest.SkipTest("no capture collection at " + PCAPS)
        cls.tmp = tempfile.mkdtemp(prefix="qilian-sensor-live-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check_same_as_file(self, capture):
        """Replays `capture` into a live sensor stopped by --count; compares."""
        file_events = os.path.join(self.tmp, "file.jsonl")
        live_events = os.path.join(self.tmp, "live.jsonl")
        file_summary = read_file(capture, file_events)
        frames = frames_in(file_summary)
        with Namespace() as ns:
            sensor = Sensor(ns, live_events, ["--count", str(frames)])
            try:
                sensor.wait_ready()
                replay(ns, capture)
                self.assertEqual(sensor.wait(), 0, sensor.output())
            finally:
                sensor.kill()
        live = sensor.output()
        self.assertIn("capture: %d received, 0 dropped by the kernel (ring full), "
                      "0 by the interface\n" % frames, live)
        want, got = summary_lines(file_summary), summary_lines(live)
        # Flows that the file's clock expires (idle past a timeout) end at
        # the end of a top-speed replay instead: only that count may differ.
        flows = next(i for i, line in enumerate(want) if line.startswith("flows: "))
        want[flows] = want[flows].split("; expired")[0]
        got[flows] = got[flows].split("; expired")[0]
        self.assertEqual(got, want)
        self.assertEqual(events_without_ts(live_events), events_without_ts(file_events))

    def test_captures_give_the_same_events_live(self):
        for name in CAPTURES:
            with self.subTest(capture=name):
                self.check_same_as_file(os.path.join(PCAPS, name))

    def test_vlan_tagged_frames_give_the_same_events_live(self):
        # The kernel takes the tag off into the frame's metadata; libpcap
        # puts it back from the auxiliary data, so the bytes are the file's.
        tagged = os.path.join(self.tmp, "modbus_test.vlan100.pcap")
        out = run(["tcprewrite", "--enet-vlan=add", "--enet-vlan-tag=100", "--enet-vlan-cfi=0",
                   "--enet-vlan-pri=3", "-i", os.path.join(PCAPS, VLAN_SOURCE), "-o", tagged])
        self.assertEqual(out.returncode, 0, out.stdout)
        self.check_same_as_file(tagged)

    def test_sigterm_after_the_replay_stops_cleanly_with_every_event(self):
        capture = os.path.join(PCAPS, "iti/dnp3/full_exchange.pcap")
        file_events = os.path.join(self.tmp, "sigterm.file.jsonl")
        live_events = os.path.join(self.tmp, "sigterm.live.jsonl")
        frames = frames_in(read_file(capture, file_events))
        with Namespace() as ns:
            sensor = Sensor(ns, live_events)
            try:
                sensor.wait_ready()
                replay(ns, capture)
                # The stop drains what the kernel counted for the capture.
                sensor.proc.send_signal(signal.SIGTERM)
                self.assertEqual(sensor.wait(), 0, sensor.output())
            finally:
                sensor.kill()
        self.assertIn("packets: %d " % frames, sensor.output())
        self.assertEqual(events_without_ts(live_events), events_without_ts(file_events))

    def test_duration_ends_a_quiet_capture(self):
        events = os.path.join(self.tmp, "quiet.jsonl")
        with Namespace() as ns:
            sensor = Sensor(ns, events, ["--duration", "0.5"])
            try:
                self.assertEqual(sensor.wait(), 0, sensor.output())
            finally:
                sensor.kill()
        self.assertEqual(sensor.output().splitlines()[0], "qilian-sensor: listening on qcap")
        self.assertIn("packets: 0 (0 bytes)", sensor.output())
        self.assertIn("capture: 0 received, 0 dropped by the kernel (ring full), "
                      "0 by the interface\n", sensor.output())
        with open(events) as f:
            self.assertEqual(f.read(), "")


class LiveCaptureErrorsTest(unittest.TestCase):
    """What a user gets wrong; none of it needs privileges."""

    def sensor(self, *args):
        return run([SENSOR] + list(args))

    def test_no_such_interface(self):
        out = self.sensor("--interface", "qilian-nosuch0")
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stdout,
                         "qilian-sensor: cannot capture on qilian-nosuch0: no such interface\n")

    def test_bad_filter(self):
        out = self.sensor("--interface", "lo", "--filter", "tcp port")
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stdout, "qilian-sensor: bad capture filter 'tcp port': "
                         "can't parse filter expression: syntax error\n")

    def test_exactly_one_input(self):
        for args in ([], ["--read", "x.pcap", "--interface", "lo"]):
            out = self.sensor(*args)
            self.assertEqual(out.returncode, 2)
            self.assertEqual(out.stdout, "qilian-sensor: give exactly one of --read FILE and "
                             "--interface IF (or neither, with --flush-only)\n")
        out = self.sensor("--read", "x.pcap", "--count", "3")
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stdout, "qilian-sensor: --count goes with --interface\n")


if __name__ == "__main__":
    unittest.main()
