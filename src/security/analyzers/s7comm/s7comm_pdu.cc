#include "security/analyzers/s7comm/s7comm_pdu.h"

#include "security/analyzers/s7comm/s7comm_names.h"

namespace qilian::security::s7comm {

using Json = JsonWriter;

namespace internal {

std::optional<BlockName> ParseBlockName(std::string_view name) {
  // '_' (complete block) or '$' (header for upload), type "0A", 5 digits, file system.
  if (name.size() != 9 || name[1] != '0') return std::nullopt;
  uint32_t number = 0;
  for (char c : name.substr(3, 5)) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + static_cast<uint32_t>(c - '0');
  }
  return BlockName{
      .block_type = BlockTypeName(static_cast<uint8_t>(name[2])),
      .block_number = number,
      .filesystem = std::string(1, name[8] >= 0x20 && name[8] < 0x7f ? name[8] : '?'),
  };
}

void PutFileName(std::string_view name, CopiedFields* out) {
  out->filename = PrintableBytes(name);
  if (std::optional<BlockName> b = ParseBlockName(name)) {
    out->block_type = b->block_type;
    out->block_number = b->block_number;
    out->filesystem = std::move(b->filesystem);
  }
}

S7Item ItemSpec(ByteReader& r) {
  S7Item item;
  r.ReadU8();  // specification type, 0x12
  uint8_t len = r.ReadU8();
  if (len == 0) {
    r.Fail();
    return item;
  }
  uint8_t syntax = r.ReadU8();
  ByteReader body(r.ReadBytes(len - 1));
  if (!r.ok()) return item;
  item.syntax_name = SyntaxName(syntax);
  if (syntax == kS7Any && len == 10) {
    item.syntax = S7Item::Syntax::kAny;
    item.transport_size = TransportSizeName(body.ReadU8());
    item.length = body.ReadU16();
    item.db = body.ReadU16();
    uint8_t area = body.ReadU8();
    item.area = AreaName(area);
    item.address = uint32_t{body.ReadU8()} << 16 | body.ReadU16();
    // Timers and counters are numbered.
    item.numbered = area == 0x1c || area == 0x1d || area == 0x1e || area == 0x1f;
  } else if (syntax == kDbRead) {
    // Several byte ranges of data blocks in one item (seen on S7-400).
    item.syntax = S7Item::Syntax::kDbRead;
    uint8_t count = body.ReadU8();
    for (uint8_t i = 0; i < count && body.ok(); ++i) {
      S7Item::DbRange range;
      range.length = body.ReadU8();
      range.db = body.ReadU16();
      range.byte = body.ReadU16();
      if (body.ok()) item.ranges.push_back(range);
    }
  } else {
    item.spec = HexBytes(body.ReadBytes(body.remaining()));
  }
  return item;
}

void WriteItemSpec(const S7Item& item, JsonWriter& j) {
  j.Key("syntax").String(item.syntax_name);
  switch (item.syntax) {
    case S7Item::Syntax::kAny:
      j.Key("transport_size").String(item.transport_size);
      j.Key("length").Uint(item.length);
      j.Key("db").Uint(item.db);
      j.Key("area").String(item.area);
      if (item.numbered) {
        j.Key("number").Uint(item.address);
      } else {
        j.Key("byte").Uint(item.address >> 3);
        j.Key("bit").Uint(item.address & 7);
      }
      break;
    case S7Item::Syntax::kDbRead:
      j.Key("areas").BeginArray();
      for (const S7Item::DbRange& range : item.ranges) {
        j.BeginObject()
            .Key("length")
            .Uint(range.length)
            .Key("db")
            .Uint(range.db)
            .Key("byte")
            .Uint(range.byte)
            .EndObject();
      }
      j.EndArray();
      break;
    case S7Item::Syntax::kOther:
      j.Key("spec").String(item.spec);
      break;
  }
}

S7DataItem DataItem(ByteReader& r, bool last) {
  S7DataItem item;
  uint8_t rc = r.ReadU8();
  uint8_t size = r.ReadU8();
  uint16_t length = r.ReadU16();
  if (!r.ok()) return item;
  item.has_header = true;
  item.return_code = rc;
  size_t bytes = LengthInBits(size) ? (size_t{length} + 7) / 8 : length;
  if (size == 0 && bytes == 0 && rc != kReturnSuccess) {  // an error item
    item.error_item = true;
    return item;
  }
  item.data_type = DataTypeName(size);
  item.data_length = bytes;
  std::string_view data = r.ReadBytes(bytes);
  if (!r.ok()) return item;
  if (bytes <= kMaxDataBytes) item.data = HexBytes(data);
  if (!last && bytes % 2 == 1) r.Skip(1);
  return item;
}

void WriteDataItem(const S7DataItem& item, JsonWriter& j) {
  if (!item.has_header) return;
  j.Key("return_code").Uint(item.return_code);
  j.Key("result").String(ReturnCodeName(item.return_code));
  if (item.error_item) return;
  j.Key("data_type").String(item.data_type);
  j.Key("data_length").Uint(item.data_length);
  if (item.data) j.Key("data").String(*item.data);
}

}  // namespace internal

namespace {

using internal::DataItem;
using internal::ItemSpec;
using internal::S7DataItem;
using internal::WriteDataItem;
using internal::WriteItemSpec;

constexpr std::string_view kTruncated = "s7comm_pdu_truncated";
constexpr std::string_view kTrailing = "s7comm_pdu_trailing_bytes";
constexpr std::string_view kItemCount = "s7comm_item_count_mismatch";

std::string_view Finish(const ByteReader& r, std::string_view weird) {
  if (!r.ok()) return kTruncated;
  if (!r.at_end()) return kTrailing;
  return weird;
}

std::string_view VarJob(uint8_t function, ByteReader& p, std::span<const uint8_t> data, Json& e,
                        RequestContext* remember) {
  uint8_t count = p.ReadU8();
  std::vector<S7Item>& items = remember->items;
  for (uint8_t i = 0; i < count && p.ok(); ++i) {
    S7Item item = ItemSpec(p);
    if (!p.ok()) break;
    items.push_back(std::move(item));
  }
  std::string_view weird = p.ok() ? "" : kTruncated;
  std::vector<S7DataItem> values;
  if (function == kWriteVar) {
    ByteReader d(data);
    for (size_t i = 0; i < items.size() && d.ok(); ++i) {
      values.push_back(DataItem(d, i + 1 == items.size()));
    }
    if (weird.empty()) weird = Finish(d, "");
  } else if (weird.empty() && !data.empty()) {
    weird = kTrailing;
  }
  e.Key("item_count").Uint(count);
  e.Key("items").BeginArray();
  for (size_t i = 0; i < items.size(); ++i) {
    e.BeginObject();
    WriteItemSpec(items[i], e);
    if (i < values.size()) WriteDataItem(values[i], e);
    e.EndObject();
  }
  e.EndArray();
  if (weird.empty() && !p.at_end()) weird = kTrailing;
  return weird;
}

std::string_view VarResponse(uint8_t function, ByteReader& p, std::span<const uint8_t> data,
                             const RequestContext* request, Json& e) {
  uint8_t count = p.ReadU8();
  if (!p.ok()) return kTruncated;
  e.Key("item_count").Uint(count);
  e.Key("items").BeginArray();
  size_t written = 0;
  ByteReader d(data);
  for (uint8_t i = 0; i < count && d.ok() && !d.at_end(); ++i) {
    S7DataItem value;
    if (function == kReadVar) {
      value = DataItem(d, i + 1 == count);
    } else {
      value.return_code = d.ReadU8();
      value.has_header = true;
      value.error_item = true;  // a write's result: the return code alone
    }
    if (!d.ok()) continue;
    e.BeginObject();
    if (request != nullptr && i < request->items.size()) WriteItemSpec(request->items[i], e);
    WriteDataItem(value, e);
    e.EndObject();
    ++written;
  }
  e.EndArray();
  if (!d.ok()) return kTruncated;
  if (!d.at_end()) return kTrailing;
  if (written != count) return kItemCount;
  return "";
}

std::string_view Setup(ByteReader& p, Json& e) {
  p.ReadU8();  // reserved
  e.Key("max_amq_calling").Uint(p.ReadU16());
  e.Key("max_amq_called").Uint(p.ReadU16());
  e.Key("pdu_size").Uint(p.ReadU16());
  return Finish(p, "");
}

std::string_view Job(uint16_t pdu_ref, std::span<const uint8_t> param,
                     std::span<const uint8_t> data, S7Session* session, Json& e) {
  ByteReader p(param);
  uint8_t function = p.ReadU8();
  if (!p.ok()) return kTruncated;
  e.Key("function").Uint(function);
  e.Key("function_name").String(FunctionName(function));
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
      if (!data.empty()) e.Key("data_length").Uint(data.size());
  }
  session->Remember(pdu_ref, std::move(remember));
  return weird;
}

std::string_view AckData(uint16_t pdu_ref, uint8_t error_class, std::span<const uint8_t> param,
                         std::span<const uint8_t> data, S7Session* session, Json& e) {
  const RequestContext* request = session->Find(pdu_ref);
  if (request != nullptr && request->rosctr != kJob) request = nullptr;
  ByteReader p(param);
  std::string_view weird;
  if (param.empty()) {
    // Errors come back without parameters; name the function of the job.
    if (request != nullptr) {
      e.Key("function").Uint(request->function);
      e.Key("function_name").String(FunctionName(request->function));
      request->copied.Write(e);
    }
    if (error_class == 0) weird = kTruncated;
  } else {
    uint8_t function = p.ReadU8();
    e.Key("function").Uint(function);
    e.Key("function_name").String(FunctionName(function));
    if (request != nullptr && request->function != function) request = nullptr;
    if (request != nullptr) request->copied.Write(e);
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
        if (!data.empty()) e.Key("data_length").Uint(data.size());
    }
  }
  session->Forget(pdu_ref);
  return weird;
}

}  // namespace

std::string_view ParseS7Pdu(std::span<const uint8_t> pdu, S7Session* session, Json& e) {
  ByteReader r(pdu);
  r.ReadU8();  // protocol id, checked by the caller
  uint8_t rosctr = r.ReadU8();
  r.ReadU16();  // redundancy identification, reserved
  uint16_t pdu_ref = r.ReadU16();
  uint16_t param_length = r.ReadU16();
  uint16_t data_length = r.ReadU16();
  e.Key("pdu").String(RosctrName(rosctr));
  if (!r.ok()) return "s7comm_bad_header";
  e.Key("pdu_ref").Uint(pdu_ref);
  uint8_t error_class = 0;
  if (rosctr == kAck || rosctr == kAckData) {
    error_class = r.ReadU8();
    uint8_t error_code = r.ReadU8();
    if (!r.ok()) return "s7comm_bad_header";
    e.Key("error_class").Uint(error_class);
    e.Key("error_code").Uint(error_code);
    if (error_class != 0) e.Key("error_name").String(ErrorClassName(error_class));
  }
  // The lengths must account for the rest of the PDU exactly.
  if (size_t{param_length} + data_length != r.remaining()) {
    e.Key("param_length").Uint(param_length);
    e.Key("data_length").Uint(data_length);
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
