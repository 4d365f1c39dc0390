#!/usr/bin/env python3
"""Cross-checks a golden DNP3 events file against Wireshark's dissection.

    python3 check_dnp3_with_tshark.py CAPTURE GOLDEN.events.jsonl

Runs `tshark -r CAPTURE -Y dnp3 -T json -e ...` and compares what both say,
packet by packet (events are grouped by their packet's time, tshark's fields
by frame time, since one TCP segment may carry several link frames and
one fragment may span several segments): link source and destination,
link-only frames' functions, application function codes, sequence numbers,
IIN, every object header's group and variation, CROB fields (operation
type, count, on/off time, status), analog output values, time-and-date
values (group 50), time delays (group 52) and file names. Prints every
difference and exits 1 if there is one (README.md explains the expected
ones). Needs the `tshark` package; a tool for checking golden files by
hand, not part of the test run.
"""
import datetime
import json
import subprocess
import sys
from collections import OrderedDict

FIELDS = ["frame.number", "frame.time_epoch", "dnp3.src", "dnp3.dst", "dnp3.tr.ctl",
          "dnp3.ctl.prifunc", "dnp3.ctl.secfunc", "dnp3.al.func", "dnp3.al.seq", "dnp3.al.iin",
          "dnp3.al.obj", "dnp3.ctl.op", "dnp3.al.count", "dnp3.al.on_time", "dnp3.al.off_time",
          "dnp3.al.ctrlstatus", "dnp3.al.anaout.int", "dnp3.al.anaout.float",
          "dnp3.al.anaout.double", "dnp3.al.timestamp", "dnp3.al.time_delay", "dnp3.al.file_name"]


def ints(layer, key):
    return [int(v, 0) for v in layer.get(key, [])]


def tshark_groups(capture):
    args = ["tshark", "-r", capture, "-Y", "dnp3", "-T", "json"]
    for f in FIELDS:
        args += ["-e", f]
    frames = json.loads(subprocess.run(args, capture_output=True, check=True, text=True).stdout)
    groups = OrderedDict()
    for fr in frames:
        l = fr["_source"]["layers"]
        ts = round(float(l["frame.time_epoch"][0]), 6)
        g = groups.setdefault(ts, new_group())
        g["frames"].append(int(l["frame.number"][0]))
        funcs = ints(l, "dnp3.al.func")
        g["funcs"] += funcs
        g["seqs"] += ints(l, "dnp3.al.seq")
        g["iin"] += ints(l, "dnp3.al.iin")
        g["objs"] += ints(l, "dnp3.al.obj")
        # Link-only frames: those without a transport header.
        if not l.get("dnp3.tr.ctl"):
            g["link"] += ints(l, "dnp3.ctl.prifunc") + ints(l, "dnp3.ctl.secfunc")
        g["crob"] += list(zip(ints(l, "dnp3.ctl.op"), ints(l, "dnp3.al.count"),
                              ints(l, "dnp3.al.on_time"), ints(l, "dnp3.al.off_time")))
        g["status"] += ints(l, "dnp3.al.ctrlstatus")
        for k in ("dnp3.al.anaout.int", "dnp3.al.anaout.float", "dnp3.al.anaout.double"):
            g["analog"] += [float(v) for v in l.get(k, [])]
        g["times"] += [parse_time(v) for v in l.get("dnp3.al.timestamp", [])]
        g["delay"] += ints(l, "dnp3.al.time_delay")
        g["files"] += l.get("dnp3.al.file_name", [])
    return groups


def parse_time(s):
    # "Oct 11, 2004 09:39:01.483000000 UTC"
    date, frac = s.rsplit(".", 1)
    t = datetime.datetime.strptime(date, "%b %d, %Y %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000 + int(frac.split()[0][:3])


def new_group():
    return {k: [] for k in ("frames", "funcs", "seqs", "iin", "objs", "link", "crob", "status",
                            "analog", "times", "delay", "files")}


def our_groups(golden):
    groups = OrderedDict()
    with open(golden) as f:
        for line in f:
            e = json.loads(line)
            t = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
            ts = round(t.replace(tzinfo=datetime.timezone.utc).timestamp(), 6)
            g = groups.setdefault(ts, new_group())
            if e["pdu"] == "link":
                g["link"].append(e["link_func"])
                continue
            g["funcs"].append(e["func"])
            g["seqs"].append(e["seq"])
            if "iin" in e:
                g["iin"].append(e["iin"])
            for o in e.get("objects", []):
                g["objs"].append(o["group"] << 8 | o["variation"])
                for p in o.get("points", []):
                    if "control_code" in p:
                        g["crob"].append((p["control_code"] & 0x0f, p["count"], p["on_time"],
                                          p["off_time"]))
                    if "status" in p and "status_name" in p:
                        g["status"].append(p["status"])
                    if o["group"] == 41:
                        g["analog"].append(float(p["value"]))
                    if "time_ms" in p and o["group"] == 50:
                        g["times"].append(p["time_ms"])
                    if "delay" in p:
                        g["delay"].append(p["delay"])
                    if "file_name" in p:
                        g["files"].append(p["file_name"])
    return groups


def main():
    capture, golden = sys.argv[1], sys.argv[2]
    theirs, ours = tshark_groups(capture), our_groups(golden)
    n_theirs = sum(len(g["funcs"]) + len(g["link"]) for g in theirs.values())
    n_ours = sum(len(g["funcs"]) + len(g["link"]) for g in ours.values())
    print(f"tshark: {n_theirs} DNP3 PDUs; golden: {n_ours} events")
    differences = 0
    for ts in sorted(set(theirs) | set(ours)):
        t, o = theirs.get(ts, new_group()), ours.get(ts, new_group())
        where = f"frames {t['frames']}" if t["frames"] else f"time {ts}"
        for key in ("funcs", "seqs", "iin", "objs", "link", "crob", "status", "analog",
                    "delay", "files"):
            # tshark shows analog output status (group 40) values in the same
            # fields as group 41's; ours are group 41's only.
            if key == "analog" and any(x >> 8 == 40 for x in t["objs"]):
                continue
            if t[key] != o[key]:
                print(f"{where}: {key} ours {o[key]} tshark {t[key]}")
                differences += 1
        # tshark also shows times of event objects; ours are group 50's only.
        missing = [x for x in o["times"] if x not in t["times"]]
        if missing:
            print(f"{where}: times ours {o['times']} tshark {t['times']}")
            differences += 1
    print(f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
