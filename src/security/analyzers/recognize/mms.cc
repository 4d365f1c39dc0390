// IEC 61850 MMS (ISO 9506) over ISO-on-TCP, port 102, the port S7comm uses
// too. What tells them apart is above COTP: S7 data begins with 0x32 or 0x72,
// MMS data with an ISO 8327 session SPDU; and in the connection request
// S7's transport selectors are two bytes whose first names the connection
// type (1, 2, 3) or text (S7comm-plus), where MMS stacks use 0x0001 or
// 0x00000001. The MMS PDU type and, for confirmed requests and responses,
// the service are noted where the presentation layer takes its short form
// (one presentation context, fully encoded data).
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr size_t kTpktHeader = 4;
constexpr uint8_t kCotpCr = 0xe0;
constexpr uint8_t kCotpCc = 0xd0;
constexpr uint8_t kCotpDt = 0xf0;

size_t PduLength(std::span<const uint8_t> b) {
  if (b.size() < kTpktHeader) return kNeedMore;
  const uint16_t length = Be16(b, 2);
  if (b[0] != 3 || b[1] != 0 || length < kTpktHeader + 3) return kNotFramed;
  return length;
}

// Whether every transport selector in a CR or CC's parameters is MMS-like.
bool MmsSelectors(std::span<const uint8_t> cotp) {
  // li, type, dst ref (2), src ref (2), class; then parameters.
  const size_t end = std::min<size_t>(cotp.size(), 1 + cotp[0]);
  size_t at = 7;
  int selectors = 0;
  while (at + 2 <= end) {
    const uint8_t code = cotp[at];
    const uint8_t len = cotp[at + 1];
    if (at + 2 + len > end) return false;
    if (code == 0xc1 || code == 0xc2) {
      std::span<const uint8_t> tsap = cotp.subspan(at + 2, len);
      const bool two = len == 2 && tsap[0] == 0;
      const bool four = len == 4 && tsap[0] == 0 && tsap[1] == 0;
      if (!two && !four) return false;
      ++selectors;
    }
    at += 2 + len;
  }
  return selectors > 0;
}

bool IsSessionSpdu(uint8_t si) {
  // GIVE-TOKENS (1, before DATA TRANSFER), CONNECT 13, ACCEPT 14, FINISH 9,
  // DISCONNECT 10, REFUSE 12, ABORT 25.
  return si == 0x01 || si == 0x0d || si == 0x0e || si == 0x09 || si == 0x0a || si == 0x0c ||
         si == 0x19;
}

bool Signature(std::span<const uint8_t> b) {
  if (b.size() < kTpktHeader + 3 || PduLength(b) == kNotFramed) return false;
  std::span<const uint8_t> cotp = b.subspan(kTpktHeader);
  const uint8_t type = cotp[1] & 0xf0;
  if (type == kCotpCr || type == kCotpCc) return MmsSelectors(cotp);
  if (type == kCotpDt && cotp[0] == 2 && cotp.size() > 3) return IsSessionSpdu(cotp[3]);
  return false;
}

// A BER TLV with a definite length of up to 2 length bytes.
bool Tlv(std::span<const uint8_t> b, uint8_t* tag, std::span<const uint8_t>* value) {
  if (b.size() < 2) return false;
  size_t at = 2;
  size_t length = b[1];
  if (length == 0x81 || length == 0x82) {
    const size_t n = length & 0x7f;
    if (b.size() < 2 + n) return false;
    length = n == 1 ? b[2] : Be16(b, 2);
    at += n;
  } else if (length & 0x80) {
    return false;
  }
  if (b.size() - at < length) return false;
  *tag = b[0];
  *value = b.subspan(at, length);
  return true;
}

const char* MmsPduName(uint8_t tag) {
  // MMSpdu choices (ISO 9506-2): constructed, or primitive for the NULL and
  // Unsigned32 ones (cancel request and response, conclude request and
  // response).
  switch (tag) {
    case 0xa0: return "confirmed-request";
    case 0xa1: return "confirmed-response";
    case 0xa2: return "confirmed-error";
    case 0xa3: return "unconfirmed";
    case 0xa4: return "reject";
    case 0x85: return "cancel-request";
    case 0x86: return "cancel-response";
    case 0xa7: return "cancel-error";
    case 0xa8: return "initiate-request";
    case 0xa9: return "initiate-response";
    case 0xaa: return "initiate-error";
    case 0x8b: return "conclude-request";
    case 0x8c: return "conclude-response";
    case 0xad: return "conclude-error";
    default: return "other";
  }
}

std::string ServiceName(uint8_t tag) {
  // ConfirmedServiceRequest / Response choices ([n] tags, ISO 9506-2).
  static constexpr const char* kNames[] = {
      "status", "getNameList", "identify", "rename", "read", "write",
      "getVariableAccessAttributes", "defineNamedVariable", "defineScatteredAccess",
      "getScatteredAccessAttributes", "deleteVariableAccess", "defineNamedVariableList",
      "getNamedVariableListAttributes", "deleteNamedVariableList", "defineNamedType",
      "getNamedTypeAttributes", "deleteNamedType", "input", "output", "takeControl",
      "relinquishControl", "defineSemaphore", "deleteSemaphore", "reportSemaphoreStatus",
      "reportPoolSemaphoreStatus", "reportSemaphoreEntryStatus", "initiateDownloadSequence",
      "downloadSegment", "terminateDownloadSequence", "initiateUploadSequence",
      "uploadSegment", "terminateUploadSequence", "requestDomainDownload",
      "requestDomainUpload", "loadDomainContent", "storeDomainContent", "deleteDomain",
      "getDomainAttributes", "createProgramInvocation", "deleteProgramInvocation", "start",
      "stop", "resume", "reset", "kill", "getProgramInvocationAttributes", "obtainFile",
      "defineEventCondition", "deleteEventCondition", "getEventConditionAttributes",
      "reportEventConditionStatus", "alterEventConditionMonitoring", "triggerEvent",
      "defineEventAction", "deleteEventAction", "getEventActionAttributes",
      "reportEventActionStatus", "defineEventEnrollment", "deleteEventEnrollment",
      "alterEventEnrollment", "reportEventEnrollmentStatus", "getEventEnrollmentAttributes",
      "acknowledgeEventNotification", "getAlarmSummary", "getAlarmEnrollmentSummary",
      "readJournal", "writeJournal", "initializeJournal", "reportJournalStatus",
      "createJournal", "deleteJournal", "getCapabilityList", "fileOpen", "fileRead",
      "fileClose", "fileRename", "fileDelete", "fileDirectory",
  };
  const uint8_t n = tag & 0x1f;
  if (n == 0x1f) return "extended";
  return n < std::size(kNames) ? kNames[n] : std::to_string(n);
}

// The MMS PDU in a session DATA TRANSFER with the short presentation form:
// 01 00 01 00, then 61 (user data) { 30 (PDV list) { 02 01 id, a0 { PDU }}}.
void Mms(std::span<const uint8_t> s, FlowNotes* notes) {
  if (s.size() < 4 || s[0] != 0x01 || s[1] != 0x00 || s[2] != 0x01 || s[3] != 0x00) return;
  uint8_t tag;
  std::span<const uint8_t> v;
  if (!Tlv(s.subspan(4), &tag, &v) || tag != 0x61) return;
  if (!Tlv(v, &tag, &v) || tag != 0x30) return;
  std::span<const uint8_t> id;
  if (!Tlv(v, &tag, &id) || tag != 0x02) return;
  v = v.subspan(2 + id.size());
  if (!Tlv(v, &tag, &v) || tag != 0xa0) return;
  std::span<const uint8_t> pdu;
  if (!Tlv(v, &tag, &pdu)) return;
  notes->Count("pdu_types", MmsPduName(tag));
  if (tag != 0xa0 && tag != 0xa1) return;
  // invokeID, then the service.
  uint8_t t;
  std::span<const uint8_t> invoke;
  if (!Tlv(pdu, &t, &invoke) || t != 0x02) return;
  std::span<const uint8_t> rest = pdu.subspan(2 + invoke.size());
  if (!rest.empty()) notes->Count("services", ServiceName(rest[0]));
}

const char* SpduName(uint8_t si) {
  switch (si) {
    case 0x01: return "data";
    case 0x0d: return "connect";
    case 0x0e: return "accept";
    case 0x09: return "finish";
    case 0x0a: return "disconnect";
    case 0x0c: return "refuse";
    case 0x19: return "abort";
    default: return "other";
  }
}

bool Inspect(Direction dir, std::span<const uint8_t> b, FlowNotes* notes) {
  if (b.size() < kTpktHeader + 3) return false;
  std::span<const uint8_t> cotp = b.subspan(kTpktHeader);
  if (cotp[0] + 1u > cotp.size()) return false;
  const uint8_t type = cotp[1] & 0xf0;
  if (type != kCotpDt) {
    notes->Count("cotp", type == kCotpCr ? "CR" : type == kCotpCc ? "CC" : Hex(type, 2));
    return true;
  }
  // A TSDU may span DT TPDUs; only the first holds the session header.
  uint64_t& continued = notes->state(dir);
  const bool first = continued == 0;
  continued = (cotp[2] & 0x80) ? 0 : 1;  // end of TSDU?
  std::span<const uint8_t> session = cotp.subspan(cotp[0] + 1);
  if (!first || session.empty()) return true;
  notes->Count("spdus", SpduName(session[0]));
  Mms(session, notes);
  return true;
}

}  // namespace

const Recognizer& MmsRecognizer() {
  static const Recognizer r{.name = "mms",
                            .tcp_ports = {102},
                            .signature = Signature,
                            .pdu_length = PduLength,
                            .inspect = Inspect};
  return r;
}

}  // namespace qilian::security::recognize
