#!/usr/bin/env python3
"""Cross-checks EtherNet/IP events against Wireshark's enip and cip dissectors.

    python3 check_enip_with_tshark.py CAPTURE EVENTS.jsonl

Runs `tshark -r CAPTURE -Y enip -T json -e ...` and compares frame by frame
(events carry their packet's time; a frame may hold several messages) what
both say: encapsulation command, session handle, status and sender context;
the CIP service codes (with the response bit, embedded services of
Multiple_Service_Packet and Unconnected_Send included, in order) and general
statuses; in request frames the classes, instances, attributes and symbolic
segments of every path; List Identity and identity object fields; the
Connection Manager's connection ids and serials; PCCC command and TNS. Prints
every difference and exits 1 if there is any (README.md explains the
expected ones). EVENTS may be a whole run's events or a golden file's prefix
(frames past its last event are not compared). Needs the `tshark` package; a
tool for checking by hand, not part of the test run.
"""
import datetime
import json
import re
import subprocess
import sys
from collections import OrderedDict

FIELDS = {
    "command": "enip.command", "session": "enip.session", "status": "enip.status",
    "context": "enip.context", "services": "cip.service", "genstat": "cip.genstat",
    "class": "cip.class", "instance": "cip.instance", "attribute": "cip.attribute",
    "symbol": "cip.symbol", "vendor_id": "enip.lir.vendor", "device_type": "enip.lir.devtype",
    "product_code": "enip.lir.prodcode", "serial": "enip.lir.serial",
    "product_name": "enip.lir.name", "id_vendor": "cip.id.vendor_id",
    "id_product_name": "cip.id.product_name", "ot_connid": "cip.cm.ot_connid",
    "to_connid": "cip.cm.to_connid", "conn_serial": "cip.cm.conn_serial_num",
    "pccc_cmd": "cip.pccc.cmd.code", "pccc_tns": "cip.pccc.tns.code",
}
# tshark lists these from the request's side only (it adds generated path
# fields to responses, and names no PCCC command in a reply).
REQUEST_ONLY = {"class", "instance", "attribute", "symbol", "pccc_cmd", "pccc_tns"}
TEXT = {"context", "symbol", "product_name", "id_product_name", "serial"}


def value(key, v):
    if key in TEXT:
        if key == "serial":
            return int(v, 0)
        return v
    return int(v, 0)


def tshark_frames(capture):
    args = ["tshark", "-r", capture, "-Y", "enip", "-T", "json", "-e", "frame.number",
            "-e", "frame.time_epoch"]
    for f in FIELDS.values():
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, check=True, text=True).stdout
    frames = []
    for fr in json.loads(out):
        l = fr["_source"]["layers"]
        f = {"frame": int(l["frame.number"][0]), "ts": f"{float(l['frame.time_epoch'][0]):.6f}"}
        for k, name in FIELDS.items():
            f[k] = [value(k, v) for v in l.get(name, [])]
        # Frames with the same time are one group, as our events are.
        if frames and frames[-1]["ts"] == f["ts"]:
            for k in FIELDS:
                frames[-1][k] += f[k]
        else:
            frames.append(f)
    return frames


def epoch(ts):
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{t.replace(tzinfo=datetime.timezone.utc).timestamp():.6f}"


def walk_cip(c, response, out):
    """Collects what tshark lists for one CIP message, depth first in order."""
    out["services"].append(c.get("service", 0) | (0x80 if response else 0))
    if response and "status" in c:
        out["genstat"].append(c["status"])
    for k in ["class", "instance", "attribute"]:
        if k in c:
            out[k].append(c[k])
    out["attribute"] += c.get("attributes", [])  # Get_Attribute_List
    if "tag" in c:
        out["symbol"] += [re.sub(r"\[.*?\]", "", s) for s in c["tag"].split(".")]
    if "identity" in c:
        i = c["identity"]
        if "vendor_id" in i:
            out["id_vendor"].append(i["vendor_id"])
        if "product_name" in i:
            out["id_product_name"].append(i["product_name"])
    for k, f in [("o_t_connection_id", "ot_connid"), ("t_o_connection_id", "to_connid"),
                 ("connection_serial", "conn_serial")]:
        if k in c:
            out[f].append(c[k])
    if "pccc" in c:
        out["pccc_cmd"].append(c["pccc"]["cmd"])
        out["pccc_tns"].append(c["pccc"]["tns"])
    if "request" in c:
        walk_cip(c["request"], response, out)
    if "connection_path" in c:
        for k in ["class", "instance", "attribute"]:
            if k in c["connection_path"]:
                out[k].append(c["connection_path"][k])
    for s in c.get("services", []):
        walk_cip(s, response, out)


def our_frames(events):
    by_ts = OrderedDict()
    with open(events) as f:
        for line in f:
            e = json.loads(line)
            by_ts.setdefault(epoch(e["ts"]), []).append(e)
    frames = OrderedDict()
    for ts, evs in by_ts.items():
        out = {k: [] for k in FIELDS}
        out["all_requests"] = all(e["pdu"] == "request" for e in evs)
        for e in evs:
            out["command"].append(e["command"])
            out["session"].append(e["session"])
            out["status"].append(e["status"])
            # tshark reads a List Identity request's first two context bytes
            # as the maximum response delay (we write it as its own field).
            ctx = e.get("context")
            if e["command"] == 0x63 and e["pdu"] == "request" and ctx:
                ctx = ctx[4:]
            out["context"].append(ctx)
            for i in e.get("identities", []):
                for k in ["vendor_id", "device_type", "product_code", "product_name"]:
                    out[k].append(i[k])
                out["serial"].append(int(i["serial"], 16))
            if "cip" in e:
                walk_cip(e["cip"], e["pdu"] == "response", out)
        frames[ts] = out
    return frames


def main():
    capture, events = sys.argv[1], sys.argv[2]
    ours = our_frames(events)
    last = next(reversed(ours)) if ours else "0"
    theirs = [t for t in tshark_frames(capture) if float(t["ts"]) <= float(last)]
    print(f"tshark: {sum(len(t['command']) for t in theirs)} messages in {len(theirs)} frames; "
          f"ours: {sum(len(o['command']) for o in ours.values())} events")
    differences = 0
    seen = set()
    for t in theirs:
        seen.add(t["ts"])
        o = ours.get(t["ts"])
        if o is None:
            print(f"frame {t['frame']}: only tshark: commands {t['command']}")
            differences += 1
            continue
        for k in FIELDS:
            if k in REQUEST_ONLY and not o["all_requests"]:
                continue
            if o[k] != t[k]:
                print(f"frame {t['frame']}: {k}: ours {o[k][:12]} tshark {t[k][:12]}")
                differences += 1
    for ts, o in ours.items():
        if ts not in seen:
            print(f"time {ts}: only ours: commands {o['command']}")
            differences += 1
    print(f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
