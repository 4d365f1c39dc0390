#!/usr/bin/env python3
"""Cross-checks OPC UA events against Wireshark's opcua dissector.

    python3 check_opcua_with_tshark.py CAPTURE EVENTS.jsonl [PORT]

Runs `tshark -r CAPTURE -Y opcua -T json -e ...` (with `-d tcp.port==PORT,opcua`
when the server is not on 4840) and compares frame by frame (events carry
their packet's time) what both say: message type and size; Hello and
Acknowledge fields; Error code and reason; the secure channel id, security
policy URI, token id, sequence number and request id; the service's type
NodeId; RequestHeader request handle and timeout hint; ResponseHeader
service result; OpenSecureChannel request type, security mode and
lifetimes; CreateSession session name, ActivateSession user name; the
attribute ids of Read, Write and CreateMonitoredItems; subscription and
monitored item ids; the operations' status codes; and in Read responses,
Write and Call requests, Call and Publish responses the Variant values of
the scalar built-in types (Boolean to Double, String), by type in message
order, arrays and nested Variants included. Prints every difference
and exits 1 if there is any (README.md explains the expected ones). EVENTS
may be a whole run's events or a golden file's prefix. Needs the `tshark`
package; a tool for checking by hand, not part of the test run.
"""
import datetime
import json
import subprocess
import sys
from collections import OrderedDict

FIELDS = {
    "msg_type": "opcua.transport.type", "msg_size": "opcua.transport.size",
    "version": "opcua.transport.ver", "receive_buffer_size": "opcua.transport.rbs",
    "send_buffer_size": "opcua.transport.sbs", "max_message_size": "opcua.transport.mms",
    "max_chunk_count": "opcua.transport.mcc",
    "endpoint_url": ["opcua.transport.endpoint", "opcua.EndpointUrl"],
    "error": "opcua.transport.error", "reason": "opcua.transport.reason",
    "channel_id": "opcua.transport.scid", "security_policy_uri": "opcua.security.spu",
    "token_id": ["opcua.security.tokenid", "opcua.TokenId"], "sequence_number": "opcua.security.seq",
    "request_id": "opcua.security.rqid", "type_id": "opcua.servicenodeid.numeric",
    "request_handle": "opcua.RequestHandle", "timeout_hint": "opcua.TimeoutHint",
    "service_result": "opcua.ServiceResult", "request_type": "opcua.SecurityTokenRequestType",
    "requested_lifetime": "opcua.RequestedLifetime", "revised_lifetime": "opcua.RevisedLifetime",
    "session_name": "opcua.SessionName", "user_name": "opcua.UserName",
    "attributes": "opcua.AttributeId",
    "subscription_ids": ["opcua.SubscriptionId", "opcua.SubscriptionIds"],
    "monitored_item_ids": "opcua.MonitoredItemId",
    "statuses": ["opcua.StatusCode", "opcua.Results"],
}
# Built-in types whose values (Variants: values read, written, called with,
# returned, reported in data changes) both list.
VALUE_TYPES = ["Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64",
               "Float", "Double", "String"]
VALUE_SERVICES = {("Read", "response"), ("Write", "request"), ("Call", "request"),
                  ("Call", "response"), ("Publish", "response")}
TEXT = {"msg_type", "endpoint_url", "reason", "security_policy_uri", "session_name", "user_name"}
ATTRIBUTES = ["", "NodeId", "NodeClass", "BrowseName", "DisplayName", "Description", "WriteMask",
              "UserWriteMask", "IsAbstract", "Symmetric", "InverseName", "ContainsNoLoops",
              "EventNotifier", "Value", "DataType", "ValueRank", "ArrayDimensions", "AccessLevel",
              "UserAccessLevel", "MinimumSamplingInterval", "Historizing", "Executable",
              "UserExecutable", "DataTypeDefinition", "RolePermissions", "UserRolePermissions",
              "AccessRestrictions", "AccessLevelEx"]
REQUEST_TYPES = ["Issue", "Renew"]


def value(key, v):
    return v if key in TEXT else int(v, 0)


def typed(t, v):
    """A value as tshark writes it, in the form our events give it."""
    if t == "String":
        return v
    if t in ("Float", "Double"):
        return float(v)
    if t == "Boolean":
        return v in ("1", "True", "true")
    return int(v, 0)


def variant_values(v, out):
    """Collects a value's scalars (arrays and nested Variants included) by type."""
    t = v.get("type")
    items = v["array"] if "array" in v else [v["value"]] if "value" in v else []
    for x in items:
        if isinstance(x, dict):
            variant_values(x, out)
        elif t in out:
            out[t].append(float(x) if t in ("Float", "Double") else x)


def tshark_frames(capture, port):
    args = ["tshark", "-r", capture, "-Y", "opcua", "-T", "json", "-e", "frame.number",
            "-e", "frame.time_epoch"]
    if port != 4840:
        args += ["-d", f"tcp.port=={port},opcua"]
    for f in FIELDS.values():
        for name in f if isinstance(f, list) else [f]:
            args += ["-e", name]
    for t in VALUE_TYPES:
        args += ["-e", f"opcua.{t}"]
    out = subprocess.run(args, capture_output=True, check=True, text=True).stdout
    frames = []
    for fr in json.loads(out):
        l = fr["_source"]["layers"]
        f = {"frame": int(l["frame.number"][0]), "ts": f"{float(l['frame.time_epoch'][0]):.6f}"}
        for k, names in FIELDS.items():
            f[k] = [value(k, v) for name in (names if isinstance(names, list) else [names])
                    for v in l.get(name, [])]
        f["values"] = {t: [typed(t, v) for v in l.get(f"opcua.{t}", [])] for t in VALUE_TYPES}
        frames.append(f)
    return frames


def epoch(ts):
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{t.replace(tzinfo=datetime.timezone.utc).timestamp():.6f}"


def collect(e, out):
    """What tshark would list for the message of one event, in its order."""
    for k in FIELDS:
        if k in e and not isinstance(e[k], list):
            v = e[k]
            if k == "request_type":
                v = REQUEST_TYPES.index(v) if v in REQUEST_TYPES else v
            out[k].append(v)
    # tshark reads the secure channel id in the header only; the
    # OpenSecureChannel response's token carries it again (ChannelId).
    if e.get("service") == "OpenSecureChannel" and e.get("pdu") == "response":
        out["channel_id"] = out["channel_id"][:-1] + [e["channel_id"]]
    for ep in e.get("endpoints", []):
        out["endpoint_url"].append(ep["endpoint_url"])
    for key in ("nodes", "items"):
        for op in e.get(key, []):
            a = op.get("attribute")
            if a is not None:
                out["attributes"].append(ATTRIBUTES.index(a) if isinstance(a, str) else a)
    if e.get("service") in ("CreateSubscription", "ModifySubscription", "Publish",
                            "DeleteMonitoredItems", "CreateMonitoredItems", "Republish"):
        if "subscription_id" in e:
            out["subscription_ids"].append(e["subscription_id"])
    for a in e.get("acknowledgements", []):
        out["subscription_ids"].append(a["subscription_id"])
    out["subscription_ids"] += e.get("subscription_ids", [])
    out["monitored_item_ids"] += e.get("monitored_item_ids", [])
    for r in e.get("results", []):
        if "monitored_item_id" in r:
            out["monitored_item_ids"].append(r["monitored_item_id"])
        if "status" in r and "type" not in r and "value" not in r:
            out["statuses"].append(r["status"])


def collect_values(e, out):
    """The values of an event whose service writes them, in message order."""
    for op in e.get("nodes", []):  # Write
        variant_values(op, out)
    for call in e.get("calls", []):
        for a in call.get("arguments", []):
            variant_values(a, out)
    for r in e.get("results", []):  # Read, Call
        variant_values(r, out)
        for o in r.get("outputs", []):
            variant_values(o, out)
    for n in e.get("notification", {}).get("notifications", []):  # Publish
        for item in n.get("items", []):
            variant_values(item, out)


def our_frames(events):
    frames = OrderedDict()
    with open(events) as f:
        for line in f:
            e = json.loads(line)
            out = frames.setdefault(epoch(e["ts"]), {k: [] for k in FIELDS})
            collect(e, out)
            values = out.setdefault("values", {t: [] for t in VALUE_TYPES})
            out.setdefault("value_frame", False)
            if (e.get("service"), e.get("pdu")) in VALUE_SERVICES:
                out["value_frame"] = True
                collect_values(e, values)
    return frames


def main():
    capture, events = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 4840
    ours = our_frames(events)
    last = next(reversed(ours)) if ours else "0"
    theirs = [t for t in tshark_frames(capture, port) if float(t["ts"]) <= float(last)]
    print(f"tshark: {len(theirs)} frames with OPC UA; ours: "
          f"{sum(len(o['msg_type']) for o in ours.values())} events in {len(ours)} frames")
    differences = 0
    values_compared = 0
    seen = set()
    for t in theirs:
        o = ours.get(t["ts"])
        seen.add(t["ts"])
        if o is None:
            print(f"frame {t['frame']}: no event ({t['msg_type']})")
            differences += 1
            continue
        for k in FIELDS:
            if t[k] != o[k]:
                print(f"frame {t['frame']}: {k}: tshark {t[k]} ours {o[k]}")
                differences += 1
        if o["value_frame"]:
            values_compared += sum(len(v) for v in t["values"].values())
            for vt in VALUE_TYPES:
                if t["values"][vt] != o["values"][vt]:
                    print(f"frame {t['frame']}: {vt} values: tshark {t['values'][vt]} "
                          f"ours {o['values'][vt]}")
                    differences += 1
    for ts in ours:
        if ts not in seen:
            print(f"events at {ts} with no tshark frame: {ours[ts]['msg_type']}")
            differences += 1
    compared = {k: sum(len(t[k]) for t in theirs) for k in FIELDS}
    print("values compared: " + ", ".join(f"{k} {n}" for k, n in compared.items()) +
          f"; Variant values (Read, Write, Call, Publish) {values_compared}")
    print(f"{differences} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
