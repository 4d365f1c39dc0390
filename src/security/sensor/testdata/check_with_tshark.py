#!/usr/bin/env python3
"""Cross-checks a golden Modbus events file against Wireshark's dissection.

    python3 check_with_tshark.py CAPTURE GOLDEN.events.jsonl

Runs `tshark -r CAPTURE -Y mbtcp -T json -e ...` and compares, PDU by PDU in
capture order, what both say: time, transaction id, unit, function code,
exception code, the request's reference number (our "address"), and register
values. Prints every difference and exits 1 if there is one it does not
expect (see README.md for the expected ones). Needs the `tshark` package; it
is a tool for checking golden files by hand, not part of the test run.
"""
import datetime
import json
import subprocess
import sys

FIELDS = ["frame.number", "frame.time_epoch", "mbtcp.trans_id", "mbtcp.unit_id",
          "modbus.func_code", "modbus.exception_code", "modbus.reference_num",
          "modbus.regval_uint16", "tcp.srcport"]


def tshark_pdus(capture):
    args = ["tshark", "-r", capture, "-Y", "mbtcp", "-T", "json"]
    for f in FIELDS:
        args += ["-e", f]
    frames = json.loads(subprocess.run(args, capture_output=True, check=True, text=True).stdout)
    pdus = []
    for fr in frames:
        layer = fr["_source"]["layers"]
        tids = layer.get("mbtcp.trans_id", [])
        for i, tid in enumerate(tids):
            funcs = layer.get("modbus.func_code", [])
            pdus.append({
                "frame": int(layer["frame.number"][0]),
                "ts": round(float(layer["frame.time_epoch"][0]), 6),
                "tid": int(tid),
                "unit": int(layer["mbtcp.unit_id"][i]),
                "func": int(funcs[i]) if i < len(funcs) else None,
                "exception": layer.get("modbus.exception_code"),
                "reference": layer.get("modbus.reference_num"),
                "values": [int(v) for v in layer.get("modbus.regval_uint16", [])],
                "pdus_in_frame": len(tids),
            })
    return pdus


def our_pdus(golden):
    out = []
    with open(golden) as f:
        for line in f:
            e = json.loads(line)
            t = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
            e["epoch"] = round(t.replace(tzinfo=datetime.timezone.utc).timestamp(), 6)
            out.append(e)
    return out


def main():
    capture, golden = sys.argv[1], sys.argv[2]
    theirs, ours = tshark_pdus(capture), our_pdus(golden)
    print(f"tshark: {len(theirs)} Modbus PDUs; golden: {len(ours)} events")
    differences = 0
    j = 0
    for t in theirs:
        # Events are in capture order; skip ours that tshark has no PDU for.
        while j < len(ours) and ours[j]["epoch"] < t["ts"]:
            print(f"only ours: {json.dumps(ours[j])[:160]}")
            differences += 1
            j += 1
        if j == len(ours):
            print(f"only tshark: frame {t['frame']}")
            differences += 1
            continue
        o = ours[j]
        j += 1
        problems = []
        if (o["tid"], o["unit"]) != (t["tid"], t["unit"]):
            problems.append(f"tid/unit {o['tid']}/{o['unit']} vs {t['tid']}/{t['unit']}")
        func = o["func"] | (0x80 if "exception" in o else 0)
        if t["func"] is not None and t["func"] not in (o["func"], func):
            problems.append(f"func {o['func']} vs {t['func']}")
        if t["exception"] and int(t["exception"][0]) != o.get("exception"):
            problems.append(f"exception {o.get('exception')} vs {t['exception']}")
        if (o["pdu"] == "request" and t["reference"] and t["pdus_in_frame"] == 1
                and "address" in o and int(t["reference"][0]) != o["address"]):
            problems.append(f"address {o['address']} vs {t['reference']}")
        if t["values"] and t["pdus_in_frame"] == 1 and o.get("values") != t["values"]:
            problems.append(f"values {o.get('values')} vs {t['values']}")
        for p in problems:
            print(f"frame {t['frame']}: {p}")
        differences += len(problems)
    for o in ours[j:]:
        print(f"only ours: {json.dumps(o)[:160]}")
        differences += 1
    print(f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
