#!/usr/bin/env python3
"""Cross-checks a golden IEC 60870-5-104 events file against Wireshark.

    python3 check_iec104_with_tshark.py CAPTURE GOLDEN.events.jsonl

Runs `tshark -r CAPTURE -Y iec60870_104 -T json -e ...` and compares, frame
by frame (our events carry their packet's time), what both say about every
APDU in the frame: format (I/S/U), U function, N(S), N(R), and for each ASDU
the type id, cause of transmission, originator and common address, then the
information object addresses and the values tshark shows as fields (single
and double point, scaled values, single and double commands, QOI, CP56Time2a).
Prints every difference and exits 1 if there is any (README.md explains the
expected ones). Needs the `tshark` package; a tool for checking golden files
by hand, not part of the test run.
"""
import datetime
import json
import subprocess
import sys
from collections import OrderedDict

FIELDS = ["frame.number", "frame.time_epoch", "iec60870_104.type", "iec60870_104.utype",
          "iec60870_104.tx", "iec60870_104.rx", "iec60870_asdu.typeid", "iec60870_asdu.causetx",
          "iec60870_asdu.oa", "iec60870_asdu.addr", "iec60870_asdu.ioa", "iec60870_asdu.siq.spi",
          "iec60870_asdu.diq.dpi", "iec60870_asdu.scalval", "iec60870_asdu.sco.on",
          "iec60870_asdu.dco.on", "iec60870_asdu.qoi", "iec60870_asdu.cp56time"]
FORMATS = {0: "I", 1: "S", 3: "U"}
U_FUNCS = {1: "STARTDT_act", 2: "STARTDT_con", 4: "STOPDT_act", 8: "STOPDT_con",
           16: "TESTFR_act", 32: "TESTFR_con"}


def ints(layer, name):
    return [int(v, 0) for v in layer.get(name, [])]


def bools(layer, name):
    return [v in ("1", "True", "true") for v in layer.get(name, [])]


def tshark_time(s):
    # "Aug 29, 2008 08:57:13.000000000 UTC" -> "2008-08-29T08:57:13.000"
    parts = s.replace(" UTC", "").split()
    day_time = " ".join(parts[:3]) + " " + parts[3][:15]
    t = datetime.datetime.strptime(day_time, "%b %d, %Y %H:%M:%S.%f")
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def tshark_frames(capture):
    args = ["tshark", "-r", capture, "-Y", "iec60870_104", "-T", "json"]
    for f in FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, check=True, text=True).stdout
    frames = []
    for fr in json.loads(out):
        l = fr["_source"]["layers"]
        frames.append({
            "frame": int(l["frame.number"][0]),
            "ts": f"{float(l['frame.time_epoch'][0]):.6f}",
            "apdu": [FORMATS.get(v, "?") for v in ints(l, "iec60870_104.type")],
            "u_func": [U_FUNCS.get(v, "invalid") for v in ints(l, "iec60870_104.utype")],
            "tx_seq": ints(l, "iec60870_104.tx"),
            "rx_seq": ints(l, "iec60870_104.rx"),
            "type_id": ints(l, "iec60870_asdu.typeid"),
            "cot": ints(l, "iec60870_asdu.causetx"),
            "originator": ints(l, "iec60870_asdu.oa"),
            "common_address": ints(l, "iec60870_asdu.addr"),
            "ioa": ints(l, "iec60870_asdu.ioa"),
            "siq": bools(l, "iec60870_asdu.siq.spi"),
            "dpi": ints(l, "iec60870_asdu.diq.dpi"),
            "scaled": ints(l, "iec60870_asdu.scalval"),
            "sco": bools(l, "iec60870_asdu.sco.on"),
            "dco": ints(l, "iec60870_asdu.dco.on"),
            "qoi": ints(l, "iec60870_asdu.qoi"),
            "time": [tshark_time(v) for v in l.get("iec60870_asdu.cp56time", [])],
        })
    return frames


def epoch(ts):
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{t.replace(tzinfo=datetime.timezone.utc).timestamp():.6f}"


def our_frames(golden):
    by_ts = OrderedDict()
    with open(golden) as f:
        for line in f:
            e = json.loads(line)
            by_ts.setdefault(epoch(e["ts"]), []).append(e)
    frames = {}
    for ts, events in by_ts.items():
        fr = {k: [] for k in ["apdu", "u_func", "tx_seq", "rx_seq", "type_id", "cot",
                              "originator", "common_address", "ioa", "siq", "dpi", "scaled",
                              "sco", "dco", "qoi", "time"]}
        for e in events:
            fr["apdu"].append(e["apdu"])
            for k in ["u_func", "tx_seq", "rx_seq"]:
                if k in e:
                    fr[k].append(e[k])
            if "type_id" not in e:
                continue
            for k in ["type_id", "cot", "originator", "common_address"]:
                fr[k].append(e[k])
            t = e["type_name"]
            for o in e.get("objects", []):
                fr["ioa"].append(o["ioa"])
                if t.startswith("M_SP"):
                    fr["siq"].append(o["value"])
                if t.startswith("M_DP"):
                    fr["dpi"].append(o["value"])
                if t in ("M_ME_NB_1", "M_ME_TB_1", "M_ME_TE_1", "C_SE_NB_1", "C_SE_TB_1"):
                    fr["scaled"].append(o["value"])
                if t in ("C_SC_NA_1", "C_SC_TA_1"):
                    fr["sco"].append(o["value"])
                if t in ("C_DC_NA_1", "C_DC_TA_1"):
                    fr["dco"].append(o["value"])
                if "qoi" in o:
                    fr["qoi"].append(o["qoi"])
                if "time" in o and len(o["time"]) > 9:
                    fr["time"].append(o["time"])
        frames[ts] = fr
    return frames


def main():
    capture, golden = sys.argv[1], sys.argv[2]
    theirs, ours = tshark_frames(capture), our_frames(golden)
    n_theirs = sum(len(t["apdu"]) for t in theirs)
    n_ours = sum(len(o["apdu"]) for o in ours.values())
    print(f"tshark: {n_theirs} APDUs in {len(theirs)} frames; golden: {n_ours} events")
    differences = 0
    seen = set()
    for t in theirs:
        o = ours.get(t["ts"])
        seen.add(t["ts"])
        if o is None:
            print(f"frame {t['frame']}: only tshark: {t['apdu']}")
            differences += 1
            continue
        for k in o:
            if o[k] != t[k]:
                print(f"frame {t['frame']}: {k}: ours {o[k]} tshark {t[k]}")
                differences += 1
    for ts, o in ours.items():
        if ts not in seen:
            print(f"time {ts}: only ours: {o['apdu']}")
            differences += 1
    print(f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
