// Block transfer (request download, download block, download ended, start
// upload, upload, end upload) and program invocation (PI service, PLC stop)
// parameters: the functions that change or copy a PLC's program, so the
// block's type and number are pulled out of its file name.
#include <charconv>

#include "security/analyzers/s7comm/s7comm_names.h"
#include "security/analyzers/s7comm/s7comm_pdu.h"

namespace qilian::security::s7comm::internal {

using Json = JsonWriter;

namespace {

constexpr std::string_view kTruncated = "s7comm_pdu_truncated";

std::string_view Finish(const ByteReader& r) { return r.ok() ? "" : kTruncated; }

// An ASCII decimal length ("000210"); -1 when it is not one.
int64_t AsciiNumber(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() ? v : -1;
}

// The file name's fields, into the event and the fields its response repeats.
void FileName(ByteReader& p, Json& e, CopiedFields* copied) {
  uint8_t len = p.ReadU8();
  std::string_view name = p.ReadBytes(len);
  if (!p.ok()) return;
  PutFileName(name, copied);
  copied->Write(e);
}

// A block list such as _INSE's and _DELE's: a count, a reserved byte, then
// 8 characters per block (type, number, file system).
bool PiBlocks(std::string_view block, Json& e) {
  if (block.size() < 2) return false;
  size_t count = static_cast<uint8_t>(block[0]);
  if (count == 0 || block.size() != 2 + 8 * count) return false;
  std::vector<BlockName> blocks;
  for (size_t i = 0; i < count; ++i) {
    std::string name(1, '_');  // (operator+ trips a GCC 12 -Wrestrict false positive)
    name.append(block.substr(2 + 8 * i, 8));
    std::optional<BlockName> b = ParseBlockName(name);
    if (!b) return false;
    blocks.push_back(std::move(*b));
  }
  e.Key("blocks").BeginArray();
  for (const BlockName& b : blocks) {
    e.BeginObject()
        .Key("block_type")
        .String(b.block_type)
        .Key("block_number")
        .Uint(b.block_number)
        .Key("filesystem")
        .String(b.filesystem)
        .EndObject();
  }
  e.EndArray();
  return true;
}

}  // namespace

std::string_view ParseBlockJob(uint8_t function, ByteReader& p, std::span<const uint8_t> data,
                               Json& e, RequestContext* remember) {
  switch (function) {
    case kRequestDownload:
    case kDownloadBlock:
    case kDownloadEnded:
    case kStartUpload: {
      e.Key("status").Uint(p.ReadU8());
      uint16_t error_code = p.ReadU16();
      if (function == kDownloadEnded && error_code != 0) e.Key("param_error").Uint(error_code);
      uint32_t id = p.ReadU32();
      if (function == kStartUpload) e.Key("upload_id").Uint(id);
      FileName(p, e, &remember->copied);
      if (function == kRequestDownload && p.ok() && !p.at_end()) {
        uint8_t len = p.ReadU8();
        std::string_view part2 = p.ReadBytes(len);
        if (p.ok() && part2.size() == 13) {
          if (int64_t v = AsciiNumber(part2.substr(1, 6)); v >= 0) e.Key("load_memory_length").Int(v);
          if (int64_t v = AsciiNumber(part2.substr(7, 6)); v >= 0) e.Key("mc7_length").Int(v);
        }
      }
      break;
    }
    case kUpload:
    case kEndUpload: {
      e.Key("status").Uint(p.ReadU8());
      uint16_t error_code = p.ReadU16();
      if (function == kEndUpload && error_code != 0) e.Key("param_error").Uint(error_code);
      e.Key("upload_id").Uint(p.ReadU32());
      break;
    }
    case kPiService: {
      p.Skip(7);  // unknown, ends 0xfd
      uint16_t block_length = p.ReadU16();
      std::string_view block = p.ReadBytes(block_length);
      uint8_t name_length = p.ReadU8();
      std::string_view name = p.ReadBytes(name_length);
      if (!p.ok()) return kTruncated;
      remember->copied.pi_service = PrintableBytes(name);
      e.Key("pi_service").String(*remember->copied.pi_service);
      if (!PiBlocks(block, e) && !block.empty()) e.Key("pi_params").String(PrintableBytes(block));
      break;
    }
    case kPlcStop: {
      p.Skip(5);  // unknown
      uint8_t name_length = p.ReadU8();
      std::string_view name = p.ReadBytes(name_length);
      if (!p.ok()) return kTruncated;
      remember->copied.pi_service = PrintableBytes(name);
      e.Key("pi_service").String(*remember->copied.pi_service);
      break;
    }
    default:
      break;
  }
  if (!data.empty()) e.Key("data_length").Uint(data.size());
  // remember->copied: the response names the block only through the
  // upload id; carried over.
  return Finish(p);
}

std::string_view ParseBlockResponse(uint8_t function, ByteReader& p, std::span<const uint8_t> data,
                                    Json& e) {
  switch (function) {
    case kStartUpload: {
      e.Key("status").Uint(p.ReadU8());
      p.ReadU16();
      e.Key("upload_id").Uint(p.ReadU32());
      uint8_t len = p.ReadU8();
      std::string_view length = p.ReadBytes(len);
      if (p.ok()) {
        if (int64_t v = AsciiNumber(length); v >= 0) e.Key("block_length").Int(v);
      }
      break;
    }
    case kUpload:
    case kDownloadBlock: {
      uint8_t status = p.ReadU8();
      e.Key("status").Uint(status);
      e.Key("more_data").Bool((status & 0x01) != 0);
      ByteReader d(data);
      uint16_t length = d.ReadU16();
      d.ReadU16();  // unknown, 0x00fb
      if (d.ok()) e.Key("data_length").Uint(length);
      break;
    }
    default:
      // Download ended, end upload, PI service and PLC stop answer with
      // the function code alone (sometimes one more byte).
      if (!data.empty()) e.Key("data_length").Uint(data.size());
      break;
  }
  return Finish(p);
}

}  // namespace qilian::security::s7comm::internal
