"""Writes the inputs of bench/handle-bench for N identifiers 88.999/B-<i>:
handles.txt (qilian-perf), bench.zone (Knot: the same names under bench.,
each with three TXT records holding the three values' data) and queries.txt
(dnsperf). Usage: handle_bench_data.py N DIR"""
import os
import random
import sys

count, out = int(sys.argv[1]), sys.argv[2]
with open(os.path.join(out, "handles.txt"), "w") as f:
    f.writelines("88.999/B-%d\n" % i for i in range(count))
# dnsperf walks its file in order, qilian-perf picks at random; a shuffled
# file keeps dnsperf from walking the zone in creation order.
order = list(range(count))
random.Random(1).shuffle(order)
with open(os.path.join(out, "queries.txt"), "w") as f:
    f.writelines("B-%d.bench TXT\n" % i for i in order)
with open(os.path.join(out, "bench.zone"), "w") as f:
    f.write("$ORIGIN bench.\n$TTL 86400\n"
            "@ SOA ns.bench. hostmaster.bench. 1 3600 900 604800 86400\n"
            "@ NS ns.bench.\nns A 127.0.0.1\n")
    for i in range(count):
        f.write('B-%d TXT "https://example.org/%d"\n'
                '  TXT "ops@example.org"\n'
                '  TXT "batch-2026-11"\n' % (i, i))
print("wrote", count, "names to", out)
