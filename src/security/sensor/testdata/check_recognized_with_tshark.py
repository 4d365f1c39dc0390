#!/usr/bin/env python3
"""Cross-checks the recognisers' golden events against Wireshark's dissection.

    python3 check_recognized_with_tshark.py CAPTURE GOLDEN.events.jsonl

The recognisers (docs/security/recognized.md) write one event per flow or
link-layer conversation. For every protocol of the golden file that tshark
dissects, this runs `tshark -r CAPTURE -Y <protocol> -T json -e ...`, adds up
per conversation and direction what tshark shows (PDUs, and the same header
fields: BACnet BVLC function, APDU type and service; C37.118 frame type, ID
code and command; GOOSE identity and state numbers; PROFINET frame id and DCP
service; MMS confirmed services; FINS commands and end codes; HART-IP message
types, ids and commands; ADS commands, responses and errors; LLDP IDs) and
compares it with the event. MELSOFT has no dissector: its datagrams are
counted and their first byte read from udp.payload. Prints each difference
and exits 1 if there is one. Needs the `tshark` package; a tool for checking
golden files by hand, not part of the test run (README.md explains the
differences it reports).
"""
import collections
import datetime
import json
import subprocess
import sys

BVLC = ["result", "write-broadcast-distribution-table", "read-broadcast-distribution-table",
        "read-broadcast-distribution-table-ack", "forwarded-npdu", "register-foreign-device",
        "read-foreign-device-table", "read-foreign-device-table-ack",
        "delete-foreign-device-table-entry", "distribute-broadcast-to-network",
        "original-unicast-npdu", "original-broadcast-npdu", "secure-bvll"]
APDU = ["confirmed-request", "unconfirmed-request", "simple-ack", "complex-ack", "segment-ack",
        "error", "reject", "abort"]
CONFIRMED = ["acknowledgeAlarm", "confirmedCOVNotification", "confirmedEventNotification",
             "getAlarmSummary", "getEnrollmentSummary", "subscribeCOV", "atomicReadFile",
             "atomicWriteFile", "addListElement", "removeListElement", "createObject",
             "deleteObject", "readProperty", "readPropertyConditional", "readPropertyMultiple",
             "writeProperty", "writePropertyMultiple", "deviceCommunicationControl",
             "confirmedPrivateTransfer", "confirmedTextMessage", "reinitializeDevice", "vtOpen",
             "vtClose", "vtData", "authenticate", "requestKey", "readRange",
             "lifeSafetyOperation", "subscribeCOVProperty", "getEventInformation"]
UNCONFIRMED = ["i-Am", "i-Have", "unconfirmedCOVNotification", "unconfirmedEventNotification",
               "unconfirmedPrivateTransfer", "unconfirmedTextMessage", "timeSynchronization",
               "who-Has", "who-Is", "utcTimeSynchronization", "writeGroup"]
C37_TYPES = ["data", "header", "cfg1", "cfg2", "command", "cfg3"]
C37_COMMANDS = {1: "turn-off-transmission", 2: "turn-on-transmission", 3: "send-header",
                4: "send-cfg1", 5: "send-cfg2", 6: "send-cfg3", 8: "extended-frame"}
DCP_SERVICES = {3: "get", 4: "set", 5: "identify", 6: "hello"}
DCP_TYPES = {0: "request", 1: "response-success", 5: "response-unsupported"}
MMS_SERVICES = {1: "getNameList", 2: "identify", 4: "read", 5: "write",
                6: "getVariableAccessAttributes", 12: "getNamedVariableListAttributes",
                72: "fileOpen", 73: "fileRead", 74: "fileClose", 77: "fileDirectory"}
HART_TYPES = {0: "request", 1: "response", 2: "publish", 3: "error", 15: "nak"}
HART_IDS = ["session-initiate", "session-close", "keep-alive", "pass-through", "direct-pdu",
            "read-audit-log"]
FINS_TCP = ["node-address-to-server", "node-address-to-client", "frame", "frame-error"]
ADS = ["invalid", "read-device-info", "read", "write", "read-state", "write-control",
       "add-device-notification", "delete-device-notification", "device-notification",
       "read-write"]


def epoch(rfc3339):
    t = datetime.datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ")
    return round(t.replace(tzinfo=datetime.timezone.utc).timestamp(), 6)


def num(v):
    return int(v, 0) if isinstance(v, str) else int(v)


class Conversation:
    def __init__(self):
        self.pdus = [0, 0]
        self.counts = collections.defaultdict(collections.Counter)
        self.first = {}
        self.last = {}

    def count(self, key, value):
        self.counts[key][value] += 1


def frames(capture, display_filter, fields):
    args = ["tshark", "-r", capture, "-Y", display_filter, "-T", "json"]
    for f in ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
              "udp.dstport", "eth.src", "eth.dst"] + fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, check=True, text=True).stdout
    return [f["_source"]["layers"] for f in json.loads(out or "[]")]


def endpoint_key(layer):
    """The conversation's key as our events name it, and the direction."""
    if "ip.src" in layer:
        sport = layer.get("tcp.srcport", layer.get("udp.srcport"))[0]
        dport = layer.get("tcp.dstport", layer.get("udp.dstport"))[0]
        return (layer["ip.src"][0], int(sport)), (layer["ip.dst"][0], int(dport))
    return layer["eth.src"][0], layer["eth.dst"][0]


# Per protocol: the display filter, the fields, and what one frame adds.
def bacnet(layer, c, d):
    c.pdus[d] += 1
    c.count("bvlc_functions", BVLC[num(layer["bvlc.function"][0])])
    if "bacapp.type" in layer:
        t = num(layer["bacapp.type"][0])
        c.count("apdu_types", APDU[t])
        if "bacapp.confirmed_service" in layer:
            c.count("services", CONFIRMED[num(layer["bacapp.confirmed_service"][0])])
        if "bacapp.unconfirmed_service" in layer:
            c.count("services", UNCONFIRMED[num(layer["bacapp.unconfirmed_service"][0])])


def c37118(layer, c, d):
    for i, t in enumerate(layer["synphasor.frtype"]):
        c.pdus[d] += 1
        c.count("frame_types", C37_TYPES[num(t)])
        c.first.setdefault("id_code", num(layer["synphasor.idcode_stream_source"][i]))
    for cmd in layer.get("synphasor.command", []):
        c.count("commands", C37_COMMANDS.get(num(cmd), "other"))


def goose(layer, c, d):
    c.pdus[d] += 1
    c.first.setdefault("appid", "0x%04x" % num(layer["goose.appid"][0]))
    for ours, theirs in [("gocb_ref", "goose.gocbRef"), ("dat_set", "goose.datSet"),
                         ("go_id", "goose.goID")]:
        c.first.setdefault(ours, layer[theirs][0])
    for ours, theirs in [("st_num", "goose.stNum"), ("sq_num", "goose.sqNum"),
                         ("conf_rev", "goose.confRev")]:
        c.last[ours] = num(layer[theirs][0])


def profinet(layer, c, d):
    c.pdus[d] += 1
    c.count("frame_ids", "0x%04x" % num(layer["pn_rt.frame_id"][0]))
    if "pn_dcp.service_id" in layer:
        c.count("dcp_services", DCP_SERVICES.get(num(layer["pn_dcp.service_id"][0]), "unknown") +
                "/" + DCP_TYPES.get(num(layer["pn_dcp.service_type"][0]), "unknown"))


def mms(layer, c, d):
    for s in layer.get("mms.confirmedServiceRequest", []) + layer.get(
            "mms.confirmedServiceResponse", []):
        c.count("services", MMS_SERVICES.get(num(s), str(s)))


def fins(layer, c, d):
    if "omron.tcp.command" in layer:
        c.count("tcp_commands", FINS_TCP[num(layer["omron.tcp.command"][0])])
    c.pdus[d] += 1
    if "omron.icf" not in layer:
        return
    if num(layer["omron.icf"][0]) & 0x40:
        c.count("end_codes", "0x%04x" % num(layer["omron.response.code"][0]))
    else:
        c.count("commands", "0x%04x" % num(layer["omron.command"][0]))


def hart_ip(layer, c, d):
    ids = layer["hart_ip.message_id"]
    for i, t in enumerate(layer["hart_ip.message_type"]):
        c.pdus[d] += 1
        c.count("message_types", HART_TYPES.get(num(t), "reserved"))
        c.count("message_ids", HART_IDS[num(ids[i])])
    for cmd in layer.get("hart_ip.pt.command", []):
        c.count("commands", str(num(cmd)))


def ads(layer, c, d):
    for i, cmd in enumerate(layer.get("ams.cmdid", [])):
        c.pdus[d] += 1
        name = ADS[num(cmd)] if num(cmd) < len(ADS) else "other"
        if num(layer["ams.stateflags"][i]) & 1:
            c.count("responses", name)
            if num(layer["ams.errorcode"][i]) != 0:
                c.count("errors", "0x%04x" % num(layer["ams.errorcode"][i]))
        else:
            c.count("commands", name)


def text_or_hex(value):
    """tshark shows a locally assigned chassis ID in hex; ours is its text."""
    try:
        return bytes.fromhex(value).decode("ascii")
    except ValueError:
        return value


def lldp(layer, c, d):
    c.pdus[d] += 1
    c.first.setdefault("chassis_id", text_or_hex(layer["lldp.chassis.id"][0]))
    c.first.setdefault("port_id", layer["lldp.port.id"][0])
    c.first.setdefault("system_name", layer["lldp.tlv.system.name"][0])


def melsoft(layer, c, d):
    c.pdus[d] += 1
    c.count("frame_types", "0x" + layer["udp.payload"][0][:2])


PROTOCOLS = {
    "bacnet": ("bvlc", ["bvlc.function", "bacapp.type", "bacapp.confirmed_service",
                        "bacapp.unconfirmed_service"], bacnet),
    "c37118": ("synphasor", ["synphasor.frtype", "synphasor.idcode_stream_source",
                             "synphasor.command"], c37118),
    "goose": ("goose", ["goose.appid", "goose.gocbRef", "goose.datSet", "goose.goID",
                        "goose.stNum", "goose.sqNum", "goose.confRev"], goose),
    "profinet": ("pn_rt", ["pn_rt.frame_id", "pn_dcp.service_id", "pn_dcp.service_type"],
                 profinet),
    "mms": ("mms", ["mms.confirmedServiceRequest", "mms.confirmedServiceResponse"], mms),
    "fins": ("omron", ["omron.tcp.command", "omron.icf", "omron.command",
                       "omron.response.code"], fins),
    "hart_ip": ("hart_ip", ["hart_ip.message_type", "hart_ip.message_id",
                            "hart_ip.pt.command"], hart_ip),
    "ads": ("ams", ["ams.cmdid", "ams.stateflags", "ams.errorcode"], ads),
    "lldp": ("lldp", ["lldp.chassis.id", "lldp.port.id", "lldp.tlv.system.name"], lldp),
    "melsoft": ("udp.port == 5560", ["udp.payload"], melsoft),
}
# What each protocol's check covers: the event's other notes are not compared.
COUNTED = {"bacnet": ["bvlc_functions", "apdu_types", "services"],
           "c37118": ["frame_types", "commands"], "goose": [], "profinet": ["frame_ids",
           "dcp_services"], "mms": ["services"], "fins": ["tcp_commands", "commands",
           "end_codes"], "hart_ip": ["message_types", "message_ids", "commands"],
           "ads": ["commands", "responses", "errors"], "lldp": [],
           "melsoft": ["frame_types"]}
# Where tshark's PDU count is not comparable (MMS: tshark counts only what its
# presentation layer could decode; FINS over TCP: node address frames too).
PDUS_COMPARED = {"mms": False}


def main():
    capture, golden = sys.argv[1], sys.argv[2]
    events = [json.loads(line) for line in open(golden)]
    differences = 0
    for proto in sorted({e["proto"] for e in events} & PROTOCOLS.keys()):
        display_filter, fields, add = PROTOCOLS[proto]
        convs = collections.defaultdict(Conversation)
        # A conversation that went idle and came back is a second event with
        # the same key: a frame belongs to the first one ending at or after it.
        index = collections.defaultdict(list)
        checked = []
        for e in events:
            if e["proto"] != proto:
                continue
            checked.append(e)
            end = epoch(e["ts"])
            if "conv" in e:
                index[(e["src_mac"], e["dst_mac"])].append((end, e, 0))
            else:
                a, b = (e["orig_h"], e["orig_p"]), (e["resp_h"], e["resp_p"])
                index[(a, b)].append((end, e, 0))
                index[(b, a)].append((end, e, 1))
        unmatched = 0
        for layer in frames(capture, display_filter, fields):
            ts = round(float(layer["frame.time_epoch"][0]), 6)
            match = [(e, d) for end, e, d in sorted(index.get(endpoint_key(layer), []),
                                                    key=lambda x: x[0]) if end >= ts]
            if not match:
                unmatched += 1
                continue
            e, d = match[0]
            add(layer, convs[id(e)], d)
        if unmatched:
            print(f"{proto}: {unmatched} tshark frames in no event's conversation")
            differences += 1
        for e in checked:
            c = convs[id(e)]
            where = f"{proto} {e.get('flow', e.get('conv'))}"
            got = {"pdus": [e["pdus_orig"], e["pdus_resp"]]}
            want = {"pdus": c.pdus}
            if PDUS_COMPARED.get(proto, True) and got != want:
                print(f"{where}: pdus ours {got['pdus']} tshark {want['pdus']}")
                differences += 1
            for key in COUNTED[proto]:
                ours = e.get(key, {})
                if ours != dict(c.counts[key]):
                    print(f"{where}: {key} ours {ours} tshark {dict(c.counts[key])}")
                    differences += 1
            for key, value in list(c.first.items()) + list(c.last.items()):
                if e.get(key) != value:
                    print(f"{where}: {key} ours {e.get(key)!r} tshark {value!r}")
                    differences += 1
        print(f"{proto}: {len(checked)} conversations checked")
    print(f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
