"""Durability under kill -9: a write acknowledged to a client survives.

Writers create, replace and delete identifiers against a real qiliand on the
embedded RocksDB store; the harness kills the daemon with SIGKILL at a random
moment, restarts it on the same data directory, and checks every identifier
a client saw acknowledged: created and replaced ones are present with exactly
their acknowledged values, deleted ones are absent. Requests that were in
flight at the kill may or may not have landed, but if they did they landed
whole (all of the new values or none).

At least 20 kills per run (QILIAN_DURABILITY_KILLS overrides), each cycle
bounded in time; the random seed is printed so a failure can be replayed.
"""

import http.client
import json
import os
import random
import threading
import time
import unittest
import urllib.parse

from harness import Qiliand, string_value

KILLS = int(os.environ.get("QILIAN_DURABILITY_KILLS", "20"))
WRITERS = 8
SEED = int(os.environ.get("QILIAN_DURABILITY_SEED", str(int(time.time()))))


def values_for(name, generation):
    return [string_value(1, "URL", "https://example.org/%s/%d" % (name, generation)),
            string_value(2, "EMAIL", "%s-%d@example.org" % (name, generation)),
            string_value(7, "X-GEN", "g%d-" % generation + "x" * (generation % 50))]


def comparable(values):
    """The parts of values a client controls (the server stamps timestamps)."""
    return sorted((v["index"], v["type"], v["data"]["format"], v["data"]["value"], v["ttl"])
                  for v in values)


class Ledger:
    """What clients saw acknowledged, and what was in flight, per handle."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}      # handle -> comparable values, or None if deleted
        self.in_flight = {}  # handle -> comparable values, or None for a delete
        self.refusals = []   # answers other than the expected one (e.g. a 401)

    def begin(self, handle, values):
        with self.lock:
            self.in_flight[handle] = values

    def ack(self, handle, values):
        with self.lock:
            self.acked[handle] = values
            self.in_flight.pop(handle, None)


def writer(port, auth_header, ledger, rng, stop, worker_id, round_id):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    mine = []
    generation = 0
    try:
        while not stop.is_set():
            generation += 1
            roll = rng.random()
            if mine and roll < 0.2:
                name = rng.choice(mine)
                vals = values_for(name, generation)
                method, body, expect = "PUT", {"values": vals}, 200
                after = comparable(vals)
            elif mine and roll < 0.3:
                name = mine.pop(rng.randrange(len(mine)))
                method, body, expect, after = "DELETE", None, 200, None
            else:
                name = "DUR-%d-%d-%d" % (round_id, worker_id, generation)
                vals = values_for(name, generation)
                method, body, expect = "PUT", {"values": vals}, 201
                after = comparable(vals)
                mine.append(name)
            handle = "88.999/" + name
            ledger.begin(handle, after)
            path = "/api/handles/" + urllib.parse.quote(handle, safe="")
            conn.request(method, path, body=json.dumps(body) if body else None,
                         headers={"Content-Type": "application/json", **auth_header})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != expect:
                with ledger.lock:
                    ledger.refusals.append("%s %s -> %d %s" % (method, handle, resp.status, data))
                raise AssertionError("%s %s -> %d %s" % (method, handle, resp.status, data))
            ledger.ack(handle, after)
    except (OSError, http.client.HTTPException):
        pass  # the daemon was killed under us
    finally:
        conn.close()


class DurabilityTest(unittest.TestCase):

    def test_acknowledged_writes_survive_sigkill(self):
        print("durability seed", SEED, "kills", KILLS, flush=True)
        rng = random.Random(SEED)
        ledger = Ledger()
        with Qiliand() as q:
            for round_id in range(KILLS):
                stop = threading.Event()
                threads = [threading.Thread(
                    target=writer,
                    args=(q.port, q.admin_header(), ledger, random.Random(rng.random()), stop,
                          w, round_id))
                    for w in range(WRITERS)]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.05, 0.6))
                q.kill()
                stop.set()
                for t in threads:
                    t.join(timeout=10)
                    self.assertFalse(t.is_alive(), "writer did not stop")
                self.assertEqual(ledger.refusals, [])
                q.start()
                # The first administrator is created once and survives every kill.
                self.assertRegex(q.log(), r"event=auth\.first_admin identity=300:0\.NA/88\.999 "
                                          r"created=false")
                self.check(q, ledger)
                ledger.in_flight.clear()
            acked = sum(1 for v in ledger.acked.values() if v is not None)
            print("durability: %d kills, %d identifiers acknowledged and present, %d deleted"
                  % (KILLS, acked, len(ledger.acked) - acked), flush=True)
            self.assertGreater(acked, KILLS)  # the writers made progress every round

    def check(self, q, ledger):
        conn = http.client.HTTPConnection("127.0.0.1", q.port, timeout=10)
        try:
            for handle, expected in list(ledger.acked.items()):
                pending = ledger.in_flight.get(handle, "none")
                got = self.fetch(conn, handle)
                allowed = [expected] if pending == "none" else [expected, pending]
                self.assertIn(got, allowed, "after restart %s is %r, acknowledged %r"
                              % (handle, got, expected))
            for handle, pending in ledger.in_flight.items():
                if handle in ledger.acked:
                    continue
                got = self.fetch(conn, handle)
                self.assertIn(got, [None, pending], "in-flight create of %s landed half-way: %r"
                              % (handle, got))
        finally:
            conn.close()
        # Bring the ledger up to date with what the store now holds.
        for handle in list(ledger.in_flight):
            conn = http.client.HTTPConnection("127.0.0.1", q.port, timeout=10)
            try:
                ledger.acked[handle] = self.fetch(conn, handle)
            finally:
                conn.close()

    @staticmethod
    def fetch(conn, handle):
        conn.request("GET", "/api/handles/" + urllib.parse.quote(handle, safe=""))
        resp = conn.getresponse()
        body = json.loads(resp.read())
        if resp.status == 404:
            assert body["responseCode"] == 100, body
            return None
        assert resp.status == 200, (resp.status, body)
        return comparable(body["values"])


if __name__ == "__main__":
    unittest.main()
