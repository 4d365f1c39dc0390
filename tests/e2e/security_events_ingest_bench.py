"""Ingest rate of POST /api/security/events against a real qiliand (RocksDB,
synced WAL): one sensor, BATCHES batches of N events (gzip), one after the
other; then a replay of every batch (all duplicates); then query pages.
Not a test: python3 tests/e2e/security_events_ingest_bench.py BATCHES N."""
import gzip, json, os, sys, time, urllib.request
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Qiliand
from test_products import two_enterprises_with_staff

BATCHES, N = int(sys.argv[1]), int(sys.argv[2])
def ev(i):
    return {"ts": "2026-12-07T%02d:%02d:%02d.%06dZ" % (i // 3600 % 24, i // 60 % 60, i % 60, i % 10**6),
            "flow": i % 97, "proto": ("modbus", "dnp3", "s7comm", "enip")[i % 4],
            "orig_h": "10.1.%d.%d" % (i % 7, i % 250), "orig_p": 40000 + i % 20000,
            "resp_h": "10.1.0.9", "resp_p": 502, "unit": 1, "func": "read_holding_registers",
            "address": i % 65536, "quantity": 8, "values": [i % 100, 7, 9, 11], "id": "s1:%d" % i}
bodies = [gzip.compress("".join(json.dumps(ev(b * N + k), separators=(",", ":")) + "\n"
                                for k in range(N)).encode()) for b in range(BATCHES)]
raw = sum(len(gzip.decompress(b)) for b in bodies)
with Qiliand() as node:
    ent, _, tok = two_enterprises_with_staff(node, ("71001301", "71001302"))
    st, r = node.request("POST", "/api/enterprises/%d/sensors" % ent[0], {"name": "bench"},
                         headers={"Authorization": tok["a-admin"]})
    token = r["token"]
    def post(body):
        req = urllib.request.Request(node.url + "/api/security/events", data=body, method="POST",
                                     headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip",
                                              "Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())
    for label in ("new", "replay"):
        t = time.monotonic()
        acc = dup = 0
        for b in bodies:
            r = post(b); acc += r["accepted"]; dup += r["duplicates"]
        dt = time.monotonic() - t
        print("%s: %d events (%d accepted, %d duplicates) in %d batches, %.2f s: %.0f events/s, %.1f MB/s of NDJSON"
              % (label, acc + dup, acc, dup, BATCHES, dt, (acc + dup) / dt, raw / dt / 1e6))
    t = time.monotonic(); n = 0; cursor = None
    while True:
        q = "/api/security/events?limit=1000&protocol=dnp3" + ("&cursor=" + cursor if cursor else "")
        st, page = node.request("GET", q, headers={"Authorization": tok["a-admin"]})
        n += len(page["events"]); cursor = page["next_cursor"]
        if not cursor: break
    dt = time.monotonic() - t
    print("query protocol=dnp3, pages of 1000: %d events in %.2f s: %.0f events/s" % (n, dt, n / dt))
