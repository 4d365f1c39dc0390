#include "security/analyzers/s7comm/s7comm_pdu.h"

#include "security/analyzers/s7comm/s7comm_names.h"

namespace qilian::security::s7comm {

using nlohmann::ordered_json;

namespace internal {

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Printable(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('\\');
      out.push_back('x');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

void PutFileName(std::string_view name, ordered_json* out) {
  (*out)["filename"] = Printable(name);
  // '_' (complete block) or '$' (header for upload), type "0A", 5 digits, file system.
  if (name.size() != 9 || name[1] != '0') return;
  uint32_t number = 0;
  for (char c : name.substr(3, 5)) {
    if (c < '0' || c > '9') return;
    number = number * 10 + static_cast<uint32_t>(c - '0');
  }
  (*out)["block_type"] = BlockTypeName(static_cast<uint8_t>(name[2]));
  (*out)["block_number"] = number;
  (*out)["filesystem"] = std::string(1, name[8] >= 0x20 && name[8] < 0x7f ? name[8] : '?');
}

ordered_json ItemSpec(ByteReader& r) {
  ordered_json item;
  r.ReadU8();  // specification type, 0x12
  uint8_t len = r.ReadU8();
  if (len == 0) {
    r.Fail();
    return item;
  }
  uint8_t syntax = r.ReadU8();
  ByteReader body(r.ReadBytes(len - 1));
  if (!r.ok()) return item;
  item["syntax"] = SyntaxName(syntax);
  if (syntax == kS7Any && len == 10) {
    uint8_t size = body.ReadU8();
    item["transport_size"] = TransportSizeName(size);
    item["length"] = body.ReadU16();
    item["db"] = body.ReadU16();
    uint8_t area = body.ReadU8();
    item["area"] = AreaName(area);
    uint32_t address = uint32_t{body.ReadU8()} << 16 | body.ReadU16();
    if (area == 0x1c || area == 0x1d || area == 0x1e || area == 0x1f) {
      item["number"] = address;  // timers and counters are numbered
    } else {
      item["byte"] = address >> 3;
      item["bit"] = address & 7;
    }
  } else if (syntax == kDbRead) {
    // Several byte ranges of data blocks in one item (seen on S7-400).
    uint8_t count = body.ReadU8();
    ordered_json areas = ordered_json::array();
    for (uint8_t i = 0; i < count && body.ok(); ++i) {
      ordered_json area;
      area["length"] = body.ReadU8();
      area["db"] = body.ReadU16();
      area["byte"] = body.ReadU16();
      if (body.ok()) areas.push_back(std::move(area));
    }
    item["areas"] = std::move(areas);
  } else {
    item["spec"] = Hex(body.ReadBytes(body.remaining()));
  }
  return item;
}

void DataItem(ByteReader& r, bool last, ordered_json* item) {
  uint8_t rc = r.ReadU8();
  uint8_t size = r.ReadU8();
  uint16_t length = r.ReadU16();
  if (!r.ok()) return;
  (*item)["return_code"] = rc;
  (*item)["result"] = ReturnCodeName(rc);
  size_t bytes = LengthInBits(size) ? (size_t{length} + 7) / 8 : length;
  if (size == 0 && bytes == 0 && rc != kReturnSuccess) return;  // an error item
  (*item)["data_type"] = DataTypeName(size);
  (*item)["data_length"] = bytes;
  std::string_view data = r.ReadBytes(bytes);
  if (!r.ok()) return;
  if (bytes <= kMaxDataBytes) (*item)["data"] = Hex(data);
  if (!last && bytes % 2 == 1) r.Skip(1);
}

}  // namespace internal

namespace {

using internal::DataItem;
using internal::Hex;
using internal::ItemSpec;

constexpr std::string_view kTruncated = "s7comm_pdu_truncated";
constexpr std::string_view kTrailing = "s7comm_pdu_trailing_bytes";
constexpr std::string_view kItemCount = "s7comm_item_count_mismatch";

std::string_view Finish(const ByteReader& r, std::string_view weird) {
  if (!r.ok()) return kTruncated;
  if (!r.at_end()) return kTrailing;
  return weird;
}

std::string_view VarJob(uint8_t function, ByteReader& p, std::span<const uint8_t> data,
                        ordered_json* e, RequestContext* remember) {
  uint8_t count = p.ReadU8();
  ordered_json items = ordered_json::array();
  for (uint8_t i = 0; i < count && p.ok(); ++i) {
    ordered_json item = ItemSpec(p);
    if (!p.ok()) break;
    remember->items.push_back(item);
    items.push_back(std::move(item));
  }
  std::string_view weird = p.ok() ? "" : kTruncated;
  if (function == kWriteVar) {
    ByteReader d(data);
    for (size_t i = 0; i < items.size() && d.ok(); ++i) {
      DataItem(d, i + 1 == items.size(), &items[i]);
    }
    if (weird.empty()) weird = Finish(d, "");
  } else if (weird.empty() && !data.empty()) {
    weird = kTrailing;
  }
  (*e)["item_count"] = count;
  (*e)["items"] = std::move(items);
  if (weird.empty() && !p.at_end()) weird = kTrailing;
  return weird;
}

std::string_view VarResponse(uint8_t function, ByteReader& p, std::span<const uint8_t> data,
                             const RequestContext* request, ordered_json* e) {
  uint8_t count = p.ReadU8();
  if (!p.ok()) return kTruncated;
  (*e)["item_count"] = count;
  ordered_json items = ordered_json::array();
  ByteReader d(data);
  for (uint8_t i = 0; i < count && d.ok() && !d.at_end(); ++i) {
    ordered_json item = ordered_json::object();
    if (request != nullptr && i < request->items.size()) item = request->items[i];
    if (function == kReadVar) {
      DataItem(d, i + 1 == count, &item);
    } else {
      uint8_t rc = d.ReadU8();
      item["return_code"] = rc;
      item["result"] = ReturnCodeName(rc);
    }
    if (d.ok()) items.push_back(std::move(item));
  }
  (*e)["items"] = std::move(items);
  if (!d.ok()) return kTruncated;
  if (!d.at_end()) return kTrailing;
  if ((*e)["items"].size() != count) return kItemCount;
  return "";
}

std::string_view Setup(ByteReader& p, ordered_json* e) {
  p.ReadU8();  // reserved
  (*e)["max_amq_calling"] = p.ReadU16();
  (*e)["max_amq_called"] = p.ReadU16();
  (*e)["pdu_size"] = p.ReadU16();
  return Finish(p, "");
}

std::string_view Job(uint16_t pdu_ref, std::span<const uint8_t> param,
                     std::span<const uint8_t> data, S7Session* session, ordered_json* e) {
  ByteReader p(param);
  uint8_t function = p.ReadU8();
  if (!p.ok()) return kTruncated;
  (*e)["function"] = function;
  (*e)["function_name"] = FunctionName(function);
  RequestContext remember;
  remember.rosctr = kJob;
  remember.function = function;
  std::string_view weird;
  switch (function) {
    case kSetupCommunication:
      weird = Setup(p, e);
      break;
    case kReadVar:
    case kWriteVar:
      weird = VarJob(function, p, data, e, &remember);
      break;
    case kRequestDownload:
    case kDownloadBlock:
    case kDownloadEnded:
    case kStartUpload:
    case kUpload:
    case kEndUpload:
    case kPiService:
    case kPlcStop:
      weird = internal::ParseBlockJob(function, p, data, e, &remember);
      break;
    default:
      weird = "s7comm_unknown_function";
      if (!data.empty()) (*e)["data_length"] = data.size();
  }
  session->Remember(pdu_ref, std::move(remember));
  return weird;
}

std::string_view AckData(uint16_t pdu_ref, uint8_t error_class, std::span<const uint8_t> param,
                         std::span<const uint8_t> data, S7Session* session, ordered_json* e) {
  const RequestContext* request = session->Find(pdu_ref);
  if (request != nullptr && request->rosctr != kJob) request = nullptr;
  ByteReader p(param);
  std::string_view weird;
  if (param.empty()) {
    // Errors come back without parameters; name the function of the job.
    if (request != nullptr) {
      (*e)["function"] = request->function;
      (*e)["function_name"] = FunctionName(request->function);
      for (auto& [k, v] : request->copied.items()) (*e)[k] = v;
    }
    if (error_class == 0) weird = kTruncated;
  } else {
    uint8_t function = p.ReadU8();
    (*e)["function"] = function;
    (*e)["function_name"] = FunctionName(function);
    if (request != nullptr && request->function != function) request = nullptr;
    if (request != nullptr) {
      for (auto& [k, v] : request->copied.items()) (*e)[k] = v;
    }
    switch (function) {
      case kSetupCommunication:
        weird = Setup(p, e);
        break;
      case kReadVar:
      case kWriteVar:
        weird = VarResponse(function, p, data, request, e);
        break;
      case kRequestDownload:
      case kDownloadBlock:
      case kDownloadEnded:
      case kStartUpload:
      case kUpload:
      case kEndUpload:
      case kPiService:
      case kPlcStop:
        weird = internal::ParseBlockResponse(function, p, data, e);
        break;
      default:
        weird = "s7comm_unknown_function";
        if (!data.empty()) (*e)["data_length"] = data.size();
    }
  }
  session->Forget(pdu_ref);
  return weird;
}

}  // namespace

std::string_view ParseS7Pdu(std::span<const uint8_t> pdu, S7Session* session, ordered_json* e) {
  ByteReader r(pdu);
  r.ReadU8();  // protocol id, checked by the caller
  uint8_t rosctr = r.ReadU8();
  r.ReadU16();  // redundancy identification, reserved
  uint16_t pdu_ref = r.ReadU16();
  uint16_t param_length = r.ReadU16();
  uint16_t data_length = r.ReadU16();
  (*e)["pdu"] = RosctrName(rosctr);
  if (!r.ok()) return "s7comm_bad_header";
  (*e)["pdu_ref"] = pdu_ref;
  uint8_t error_class = 0;
  if (rosctr == kAck || rosctr == kAckData) {
    error_class = r.ReadU8();
    uint8_t error_code = r.ReadU8();
    if (!r.ok()) return "s7comm_bad_header";
    (*e)["error_class"] = error_class;
    (*e)["error_code"] = error_code;
    if (error_class != 0) (*e)["error_name"] = ErrorClassName(error_class);
  }
  // The lengths must account for the rest of the PDU exactly.
  if (size_t{param_length} + data_length != r.remaining()) {
    (*e)["param_length"] = param_length;
    (*e)["data_length"] = data_length;
    return "s7comm_bad_header";
  }
  std::span<const uint8_t> param = pdu.subspan(r.position(), param_length);
  std::span<const uint8_t> data = pdu.subspan(r.position() + param_length, data_length);
  switch (rosctr) {
    case kJob:
      return Job(pdu_ref, param, data, session, e);
    case kAck:
      session->Forget(pdu_ref);
      return param.empty() && data.empty() ? "" : kTrailing;
    case kAckData:
      return AckData(pdu_ref, error_class, param, data, session, e);
    case kUserdata:
      return internal::ParseUserdata(pdu_ref, param, data, session, e);
    default:
      return "s7comm_unknown_rosctr";
  }
}

}  // namespace qilian::security::s7comm
