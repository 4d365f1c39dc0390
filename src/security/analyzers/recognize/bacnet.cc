// BACnet/IP (ASHRAE 135 Annex J): a BVLC header (type 0x81, function,
// length of the whole datagram) over UDP 47808, then an NPDU and, unless it
// is a network-layer message, an APDU whose type and service choice are
// noted.
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr uint8_t kBvlcType = 0x81;
constexpr uint8_t kMaxBvlcFunction = 0x0c;

const char* BvlcFunctionName(uint8_t f) {
  static constexpr const char* kNames[] = {
      "result",
      "write-broadcast-distribution-table",
      "read-broadcast-distribution-table",
      "read-broadcast-distribution-table-ack",
      "forwarded-npdu",
      "register-foreign-device",
      "read-foreign-device-table",
      "read-foreign-device-table-ack",
      "delete-foreign-device-table-entry",
      "distribute-broadcast-to-network",
      "original-unicast-npdu",
      "original-broadcast-npdu",
      "secure-bvll",
  };
  return f <= kMaxBvlcFunction ? kNames[f] : "unknown";
}

const char* ApduTypeName(uint8_t t) {
  static constexpr const char* kNames[] = {
      "confirmed-request", "unconfirmed-request", "simple-ack", "complex-ack",
      "segment-ack",       "error",               "reject",     "abort",
  };
  return t < 8 ? kNames[t] : "reserved";
}

std::string ConfirmedServiceName(uint8_t s) {
  static constexpr const char* kNames[] = {
      "acknowledgeAlarm",     "confirmedCOVNotification",
      "confirmedEventNotification", "getAlarmSummary",
      "getEnrollmentSummary", "subscribeCOV",
      "atomicReadFile",       "atomicWriteFile",
      "addListElement",       "removeListElement",
      "createObject",         "deleteObject",
      "readProperty",         "readPropertyConditional",
      "readPropertyMultiple", "writeProperty",
      "writePropertyMultiple", "deviceCommunicationControl",
      "confirmedPrivateTransfer", "confirmedTextMessage",
      "reinitializeDevice",   "vtOpen",
      "vtClose",              "vtData",
      "authenticate",         "requestKey",
      "readRange",            "lifeSafetyOperation",
      "subscribeCOVProperty", "getEventInformation",
  };
  return s < std::size(kNames) ? kNames[s] : std::to_string(s);
}

std::string UnconfirmedServiceName(uint8_t s) {
  static constexpr const char* kNames[] = {
      "i-Am",
      "i-Have",
      "unconfirmedCOVNotification",
      "unconfirmedEventNotification",
      "unconfirmedPrivateTransfer",
      "unconfirmedTextMessage",
      "timeSynchronization",
      "who-Has",
      "who-Is",
      "utcTimeSynchronization",
      "writeGroup",
  };
  return s < std::size(kNames) ? kNames[s] : std::to_string(s);
}

bool Signature(std::span<const uint8_t> b) {
  return b.size() >= 4 && b[0] == kBvlcType && b[1] <= kMaxBvlcFunction && Be16(b, 2) == b.size();
}

// The APDU after an NPDU (ASHRAE 135 clause 6.2), or false if the NPDU is
// cut short. Network-layer messages are noted by type.
bool Npdu(std::span<const uint8_t> n, FlowNotes* notes) {
  if (n.size() < 2 || n[0] != 0x01) return false;
  const uint8_t control = n[1];
  size_t at = 2;
  if (control & 0x20) {  // DNET, DLEN, DADR
    if (n.size() < at + 3) return false;
    at += 3 + n[at + 2];
  }
  if (control & 0x08) {  // SNET, SLEN, SADR
    if (n.size() < at + 3) return false;
    at += 3 + n[at + 2];
  }
  if (control & 0x20) ++at;  // hop count
  if (control & 0x80) {
    if (n.size() <= at) return false;
    notes->Count("network_messages", Hex(n[at], 2));
    return true;
  }
  if (n.size() <= at) return false;
  std::span<const uint8_t> apdu = n.subspan(at);
  const uint8_t type = apdu[0] >> 4;
  notes->Count("apdu_types", ApduTypeName(type));
  const bool segmented = apdu[0] & 0x08;
  size_t service_at = 0;
  switch (type) {
    case 0: service_at = segmented ? 5 : 3; break;  // confirmed request
    case 1: service_at = 1; break;                  // unconfirmed request
    case 2: case 5: service_at = 2; break;          // simple ack, error
    case 3: service_at = segmented ? 4 : 2; break;  // complex ack
    default: return true;                           // segment-ack, reject, abort
  }
  if (apdu.size() <= service_at) return false;
  const uint8_t service = apdu[service_at];
  notes->Count("services",
               type == 1 ? UnconfirmedServiceName(service) : ConfirmedServiceName(service));
  return true;
}

bool Inspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  if (!Signature(b)) return false;
  const uint8_t f = b[1];
  notes->Count("bvlc_functions", BvlcFunctionName(f));
  switch (f) {
    case 0x04: return b.size() >= 10 && Npdu(b.subspan(10), notes);  // after the origin B/IP address
    case 0x09: case 0x0a: case 0x0b: return Npdu(b.subspan(4), notes);
    default: return true;
  }
}

}  // namespace

const Recognizer& BacnetRecognizer() {
  static const Recognizer r{.name = "bacnet",
                            .udp_ports = {47808},
                            .signature = Signature,
                            .any_port = {Transport::kUdp},
                            .inspect = Inspect};
  return r;
}

}  // namespace qilian::security::recognize
