#!/usr/bin/env python3
"""Cross-checks a golden S7comm events file against Wireshark's dissection.

    python3 check_s7comm_with_tshark.py CAPTURE GOLDEN.events.jsonl

Runs `tshark -r CAPTURE -T json -e ...` over the COTP and S7comm fields and
compares, frame by frame (an event carries the time of the packet that
completed its PDU, as tshark shows a reassembled PDU in its last frame):
COTP connect request/confirm (source reference, TSAPs, TPDU size); for S7
PDUs the ROSCTR, PDU reference, error class and code, function, setup's PDU
size and AmQ, item count, each item's transport size, length, DB, area, byte
and bit address, the data return codes, and for userdata the type, function
group, subfunction, sequence number and SZL id and index; item values where
ours are written (64 bytes or fewer). Where one frame
holds several S7 PDUs only their ROSCTR and PDU references are compared.
COTP data that is not S7comm (S7comm-plus, which Wireshark 4.0 does not
dissect) is compared by count: a frame that ends a TSDU and shows no s7comm
is one "s7comm-plus" event. Prints every difference; exits 1 if any. Needs
the `tshark` package; a tool for checking golden files by hand, not part of
the test run.
"""
import collections
import datetime
import json
import subprocess
import sys

FIELDS = [
    "frame.number", "frame.time_epoch", "cotp.type", "cotp.eot", "cotp.srcref",
    "cotp.src-tsap", "cotp.dst-tsap", "cotp.tpdu_size", "s7comm.header.rosctr",
    "s7comm.header.pduref", "s7comm.header.errcls", "s7comm.header.errcod", "s7comm.param.func",
    "s7comm.param.pdu_length", "s7comm.param.maxamq_calling", "s7comm.param.maxamq_called",
    "s7comm.param.itemcount", "s7comm.param.item.transp_size", "s7comm.param.item.length",
    "s7comm.param.item.db", "s7comm.param.item.area", "s7comm.param.item.address.byte",
    "s7comm.param.item.address.bit", "s7comm.data.returncode", "s7comm.param.userdata.type",
    "s7comm.param.userdata.funcgroup", "s7comm.param.userdata.subfunc",
    "s7comm.param.userdata.seq_num", "s7comm.data.userdata.szl_id",
    "s7comm.data.userdata.szl_index", "s7comm.resp.data",
]
ROSCTR = {"job": 1, "ack": 2, "ack_data": 3, "userdata": 7}
UD_TYPE = {"push": 0, "request": 4, "response": 8}
AREAS = {"RECORD": 0x01, "P": 0x80, "I": 0x81, "Q": 0x82, "M": 0x83, "DB": 0x84, "DI": 0x85,
         "L": 0x86, "V": 0x87, "C": 0x1c, "T": 0x1d, "C200": 0x1e, "T200": 0x1f}
SIZES = {"BIT": 1, "BYTE": 2, "CHAR": 3, "WORD": 4, "INT": 5, "DWORD": 6, "DINT": 7, "REAL": 8,
         "DATE": 9, "TOD": 10, "TIME": 11, "S5TIME": 12, "DATE_AND_TIME": 15, "COUNTER": 28,
         "TIMER": 29, "IEC_COUNTER": 30, "IEC_TIMER": 31, "HS_COUNTER": 32}


def num(v):
    return int(v, 0)


def micros(epoch):
    """Seconds since the epoch, cut (not rounded) to microseconds as our ts is."""
    whole, _, frac = epoch.partition(".")
    return f"{whole}.{(frac + '000000')[:6]}"


def tsap(theirs):
    """tshark writes a TSAP as 0x.... or, when printable, as its text."""
    return theirs[2:].lower() if theirs.startswith("0x") else theirs.encode().hex()


def tshark_frames(capture):
    args = ["tshark", "-r", capture, "-Y", "cotp", "-T", "json"]
    for f in FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, check=True, text=True).stdout
    return [f["_source"]["layers"] for f in json.loads(out)]


def our_events(golden):
    by_ts = collections.defaultdict(list)
    with open(golden) as f:
        for line in f:
            e = json.loads(line)
            t = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
            t = t.replace(tzinfo=datetime.timezone.utc)
            by_ts[f"{int(t.timestamp())}.{t.microsecond:06d}"].append(e)
    return by_ts


counts_data = [0]  # item values compared


def compare_one(layer, e, problems):
    def want(field, ours, conv=num):
        theirs = layer.get(field)
        if theirs is None:
            return
        if ours is None or conv(theirs[0]) != ours:
            problems.append(f"{field}: ours {ours} tshark {theirs[0]}")

    want("s7comm.header.errcls", e.get("error_class"))
    want("s7comm.header.errcod", e.get("error_code"))
    if e["pdu"] != "userdata" and "s7comm.param.func" in layer:
        want("s7comm.param.func", e.get("function"))
    want("s7comm.param.pdu_length", e.get("pdu_size"))
    want("s7comm.param.maxamq_calling", e.get("max_amq_calling"))
    want("s7comm.param.maxamq_called", e.get("max_amq_called"))
    want("s7comm.param.itemcount", e.get("item_count"))
    items = e.get("items", [])
    if e["pdu"] == "job":
        any_items = [i for i in items if i.get("syntax") == "S7ANY"]
        pairs = [("s7comm.param.item.transp_size", lambda i: SIZES.get(i["transport_size"])),
                 ("s7comm.param.item.length", lambda i: i["length"]),
                 ("s7comm.param.item.db", lambda i: i["db"]),
                 ("s7comm.param.item.area", lambda i: AREAS.get(i["area"])),
                 ("s7comm.param.item.address.byte", lambda i: i.get("byte")),
                 ("s7comm.param.item.address.bit", lambda i: i.get("bit"))]
        for field, get in pairs:
            theirs = [num(v) for v in layer.get(field, [])]
            ours = [get(i) for i in any_items if get(i) is not None]
            if theirs != ours:
                problems.append(f"{field}: ours {ours} tshark {theirs}")
    # Item values (read var responses, write var jobs): ours up to 64 bytes.
    theirs_data = [v.replace(":", "").lower() for v in layer.get("s7comm.resp.data", [])]
    ours_data = [i.get("data") for i in items if i.get("data_length")]
    if e["pdu"] != "userdata" and theirs_data:
        if len(theirs_data) != len(ours_data) or any(
                o is not None and o != t for o, t in zip(ours_data, theirs_data)):
            problems.append(f"item data: ours {ours_data} tshark {theirs_data}")
        counts_data[0] += sum(1 for o in ours_data if o is not None)
    rcs = [num(v) for v in layer.get("s7comm.data.returncode", [])]
    if e["pdu"] == "userdata":
        # The programmer commands' data holds items with return codes of
        # their own, after the one compared here.
        ours_rc = [e["return_code"]] if "return_code" in e else []
        rcs = rcs[:1]
        want("s7comm.param.userdata.type", UD_TYPE.get(e.get("type")))
        want("s7comm.param.userdata.funcgroup", e.get("group"))
        want("s7comm.param.userdata.subfunc", e.get("subfunction"))
        want("s7comm.param.userdata.seq_num", e.get("seq"))
        want("s7comm.data.userdata.szl_id", e.get("szl_id"))
        want("s7comm.data.userdata.szl_index", e.get("szl_index"))
    else:
        ours_rc = [i["return_code"] for i in items if "return_code" in i]
    if rcs and rcs != ours_rc:
        problems.append(f"return codes: ours {ours_rc} tshark {rcs}")


def key(e):
    if e["proto"] == "s7comm-plus":
        return ("plus",)
    if e["pdu"] == "userdata":  # a request and its response share the reference
        return ("s7", 7, e["pdu_ref"], UD_TYPE.get(e.get("type")))
    if e["pdu"] in ROSCTR:
        return ("s7", ROSCTR[e["pdu"]], e["pdu_ref"], None)
    return ("cotp", e["pdu"])


def main():
    capture, golden = sys.argv[1], sys.argv[2]
    frames, by_ts = tshark_frames(capture), our_events(golden)
    ours = [(ts, e) for ts in sorted(by_ts) for e in by_ts[ts]]
    used = [False] * len(ours)
    first = 0  # the first event not yet matched
    counts = collections.Counter()
    differences = 0

    def match(ts, k):
        """The first unmatched event with key k from the same time on: where
        the capture lacks segments, the sensor delivers data after the hole
        only when a later packet passes it, so an event may come later."""
        nonlocal first
        while first < len(ours) and used[first]:
            first += 1
        for i in range(first, min(len(ours), first + 64)):
            if not used[i] and key(ours[i][1]) == k and ours[i][0] >= ts:
                used[i] = True
                if ours[i][0] != ts:
                    counts["ours_later"] += 1
                return ours[i][1]
        return None

    for layer in frames:
        frame = layer["frame.number"][0]
        ts = micros(layer["frame.time_epoch"][0])
        problems = []
        rosctr = [num(v) for v in layer.get("s7comm.header.rosctr", [])]
        refs = [num(v) for v in layer.get("s7comm.header.pduref", [])]
        counts["tshark_s7"] += len(rosctr)
        s7 = []
        types = [num(v) for v in layer.get("s7comm.param.userdata.type", [])]
        for r, ref in zip(rosctr, refs):
            e = match(ts, ("s7", r, ref, (types.pop(0) if types else None) if r == 7 else None))
            if e is None:
                problems.append(f"only tshark: S7 rosctr {r} pdu_ref {ref}")
            s7.append(e)
        if len(s7) == 1 and s7[0] is not None:
            compare_one(layer, s7[0], problems)
        for t in [num(t) for t in layer.get("cotp.type", [])]:
            if t not in (0x0e, 0x0d):
                continue
            counts["tshark_cotp_connect"] += 1
            name = "cotp_connect_request" if t == 0x0e else "cotp_connect_confirm"
            e = match(ts, ("cotp", name))
            if e is None:
                problems.append(f"only tshark: {name}")
                continue
            for field, ours_v in (("cotp.srcref", e.get("src_ref")),
                                  ("cotp.tpdu_size", e.get("tpdu_size"))):
                theirs = layer.get(field)
                if theirs and num(theirs[0]) != ours_v:
                    problems.append(f"{field}: ours {ours_v} tshark {theirs[0]}")
            for field, k in (("cotp.src-tsap", "src_tsap"), ("cotp.dst-tsap", "dst_tsap")):
                theirs = layer.get(field)
                if theirs and tsap(theirs[0]) != e.get(k):
                    problems.append(f"{field}: ours {e.get(k)} tshark {theirs[0]}")
        # TSDUs that end here and are not S7comm: S7comm-plus for us.
        if not rosctr:
            for _ in [v for v in layer.get("cotp.eot", []) if v == "1"]:
                counts["tshark_other_tsdu"] += 1
                if match(ts, ("plus",)) is None:
                    problems.append("only tshark: a TSDU that is not S7comm")
        for p in problems:
            print(f"frame {frame}: {p}")
        differences += len(problems)
    for i, (ts, e) in enumerate(ours):
        counts["ours_" + key(e)[0]] += 1
        if not used[i] and e["pdu"] not in ("cotp_disconnect_request", "cotp_disconnect_confirm"):
            print(f"only ours: {json.dumps(e)[:200]}")
            differences += 1
    counts["item_values_compared"] = counts_data[0]
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    print(f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
