#!/usr/bin/env python3
"""The broker of bench/mqtt-bench: Debian's mosquitto started by
scripts/broker on DIR (through tests/e2e/broker.py, so with Qilian's broker
plugin from BUILD/src/platform/broker), with the devices of a fleet file
(qilian-devsim's: product_key,device_id,secret,model) registered in the
plugin by upsertDevices in chunks of 10,000.

Usage: mqtt_bench_broker.py BUILD DIR FLEET
Prints "ready PORT PID" (PID: mosquitto's) once the devices are in, then
runs until SIGTERM or SIGINT, and stops the broker.
"""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import broker  # noqa: E402

CHUNK = 10000


def main():
    build, data_dir, fleet = sys.argv[1:4]
    os.environ["QILIAN_BUILD_DIR"] = os.path.abspath(build)
    devices = []
    with open(fleet) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or line == "product_key,device_id,secret,model":
                continue
            pk, dev, secret, _ = line.split(",", 3)
            devices.append(broker.credential("%s/%s" % (pk, dev), secret))
    b = broker.Mosquitto(data_dir=data_dir)
    b.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        start = time.monotonic()
        for i in range(0, len(devices), CHUNK):
            b.upsert_devices(*devices[i:i + CHUNK])
        print("registered %d devices in %.1f s" % (len(devices), time.monotonic() - start),
              file=sys.stderr)
        print("ready %d %d" % (b.port, b.proc.pid), flush=True)
        while not stop.wait(1):
            pass
    finally:
        b.stop()


if __name__ == "__main__":
    main()
