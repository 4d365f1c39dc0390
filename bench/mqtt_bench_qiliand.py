#!/usr/bin/env python3
"""qiliand for bench/mqtt-bench, part (b): a real qiliand (RocksDB in DIR)
connected to the bench's broker through its broker.env, with N devices of
a centrifugal pump product registered the way users do it (POST
/api/devices/import, CSV), so that qiliand puts their credentials into the
broker itself. Writes the fleet file (product_key,device_id,secret,model)
the publishers read.

Usage: mqtt_bench_qiliand.py BUILD DIR BROKER_ENV N FLEET_OUT
Prints "ready HTTP_PORT PID" once the devices are registered and the
broker knows them, then runs until SIGTERM or SIGINT and stops qiliand.
"""

import json
import os
import signal
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))


def main():
    build, data_dir, broker_env, count, fleet_out = sys.argv[1:6]
    os.environ["QILIAN_BUILD_DIR"] = os.path.abspath(build)
    import harness  # noqa: E402 (reads QILIAN_BUILD_DIR)
    from test_enterprises import onboard  # noqa: E402

    node = harness.Qiliand(data_dir=data_dir, extra_args=["--broker-env", broker_env]).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        enterprise = onboard(node, "71000901")[0]
        status, reply = node.request("POST", "/api/products?enterprise=%d" % enterprise,
                                     {"id": "pump", "fromStarter": "centrifugal_pump"})
        assert status == 201, reply
        product_key = reply["product"]["productKey"]
        start = time.monotonic()
        created = []
        # In pieces under the HTTP body limit ([http] max_body_bytes, 1 MiB).
        for first in range(0, int(count), 20000):
            rows = ["id,product"] + ["bench-%06d,pump" % i
                                     for i in range(first, min(int(count), first + 20000))]
            request = urllib.request.Request(
                "%s/api/devices/import?enterprise=%d" % (node.url, enterprise),
                data=("\n".join(rows) + "\n").encode(), method="POST",
                headers=dict(node.admin_header(), **{"Content-Type": "text/csv"}))
            with urllib.request.urlopen(request, timeout=600) as response:
                result = json.loads(response.read())
            assert result["rejected"] == 0, result["rows"][:3]
            created += result["rows"]
        with open(fleet_out, "w") as f:
            f.write("product_key,device_id,secret,model\n")
            for row in created:
                f.write("%s,%s,%s,centrifugal_pump\n" % (product_key, row["id"], row["secret"]))
        print("registered %d devices through qiliand in %.1f s" % (len(created),
                                                                   time.monotonic() - start),
              file=sys.stderr)
        print("ready %d %d" % (node.port, node.proc.pid), flush=True)
        while not stop.wait(1):
            pass
    finally:
        node.stop()


if __name__ == "__main__":
    main()
