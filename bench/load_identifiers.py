"""Loads N identifiers 88.999/<TAG>-0 .. <TAG>-(N-1), three values each, over
REST with 16 keep-alive connections, authenticated with the Authorization
header in QILIAN_BENCH_AUTH (writes need one since issue 5; bench/rest-bench
passes the first administrator's). Usage: load_identifiers.py URL N TAG"""
import http.client
import json
import os
import sys
import threading
import urllib.parse

url, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host = urllib.parse.urlparse(url)
headers = {"Content-Type": "application/json"}
if os.environ.get("QILIAN_BENCH_AUTH"):
    headers["Authorization"] = os.environ["QILIAN_BENCH_AUTH"]


def load(start, step):
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    for i in range(start, count, step):
        body = {"values": [
            {"index": 1, "type": "URL", "data": {"format": "string", "value": "https://example.org/%d" % i}},
            {"index": 2, "type": "EMAIL", "data": {"format": "string", "value": "ops@example.org"}},
            {"index": 3, "type": "X-BATCH", "data": {"format": "string", "value": "batch-2026-11"}}]}
        conn.request("PUT", "/api/handles/88.999/%s-%d" % (tag, i), body=json.dumps(body),
                     headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status not in (200, 201):
            raise SystemExit("PUT %s-%d -> %d" % (tag, i, resp.status))
    conn.close()


threads = [threading.Thread(target=load, args=(k, 16)) for k in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("loaded", count)
