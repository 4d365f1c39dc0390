// Block transfer (request download, download block, download ended, start
// upload, upload, end upload) and program invocation (PI service, PLC stop)
// parameters: the functions that change or copy a PLC's program, so the
// block's type and number are pulled out of its file name.
#include <charconv>

#include "security/analyzers/s7comm/s7comm_names.h"
#include "security/analyzers/s7comm/s7comm_pdu.h"

namespace qilian::security::s7comm::internal {

using nlohmann::ordered_json;

namespace {

constexpr std::string_view kTruncated = "s7comm_pdu_truncated";

std::string_view Finish(const ByteReader& r) { return r.ok() ? "" : kTruncated; }

// An ASCII decimal length ("000210"); -1 when it is not one.
int64_t AsciiNumber(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() ? v : -1;
}

void FileName(ByteReader& p, ordered_json* e) {
  uint8_t len = p.ReadU8();
  std::string_view name = p.ReadBytes(len);
  if (p.ok()) PutFileName(name, e);
}

// A block list such as _INSE's and _DELE's: a count, a reserved byte, then
// 8 characters per block (type, number, file system).
bool PiBlocks(std::string_view block, ordered_json* e) {
  if (block.size() < 2) return false;
  size_t count = static_cast<uint8_t>(block[0]);
  if (count == 0 || block.size() != 2 + 8 * count) return false;
  ordered_json blocks = ordered_json::array();
  for (size_t i = 0; i < count; ++i) {
    std::string name(1, '_');  // (operator+ trips a GCC 12 -Wrestrict false positive)
    name.append(block.substr(2 + 8 * i, 8));
    ordered_json b;
    PutFileName(name, &b);
    if (!b.contains("block_type")) return false;
    b.erase("filename");
    blocks.push_back(std::move(b));
  }
  (*e)["blocks"] = std::move(blocks);
  return true;
}

}  // namespace

std::string_view ParseBlockJob(uint8_t function, ByteReader& p, std::span<const uint8_t> data,
                               ordered_json* e, RequestContext* remember) {
  switch (function) {
    case kRequestDownload:
    case kDownloadBlock:
    case kDownloadEnded:
    case kStartUpload: {
      (*e)["status"] = p.ReadU8();
      uint16_t error_code = p.ReadU16();
      if (function == kDownloadEnded && error_code != 0) (*e)["param_error"] = error_code;
      uint32_t id = p.ReadU32();
      if (function == kStartUpload) (*e)["upload_id"] = id;
      FileName(p, e);
      if (function == kRequestDownload && p.ok() && !p.at_end()) {
        uint8_t len = p.ReadU8();
        std::string_view part2 = p.ReadBytes(len);
        if (p.ok() && part2.size() == 13) {
          if (int64_t v = AsciiNumber(part2.substr(1, 6)); v >= 0) (*e)["load_memory_length"] = v;
          if (int64_t v = AsciiNumber(part2.substr(7, 6)); v >= 0) (*e)["mc7_length"] = v;
        }
      }
      break;
    }
    case kUpload:
    case kEndUpload: {
      (*e)["status"] = p.ReadU8();
      uint16_t error_code = p.ReadU16();
      if (function == kEndUpload && error_code != 0) (*e)["param_error"] = error_code;
      (*e)["upload_id"] = p.ReadU32();
      break;
    }
    case kPiService: {
      p.Skip(7);  // unknown, ends 0xfd
      uint16_t block_length = p.ReadU16();
      std::string_view block = p.ReadBytes(block_length);
      uint8_t name_length = p.ReadU8();
      std::string_view name = p.ReadBytes(name_length);
      if (!p.ok()) return kTruncated;
      (*e)["pi_service"] = Printable(name);
      if (!PiBlocks(block, e) && !block.empty()) (*e)["pi_params"] = Printable(block);
      break;
    }
    case kPlcStop: {
      p.Skip(5);  // unknown
      uint8_t name_length = p.ReadU8();
      std::string_view name = p.ReadBytes(name_length);
      if (!p.ok()) return kTruncated;
      (*e)["pi_service"] = Printable(name);
      break;
    }
    default:
      break;
  }
  if (!data.empty()) (*e)["data_length"] = data.size();
  // The response names the block only through the upload id; carry it over.
  for (const char* key : {"filename", "block_type", "block_number", "filesystem", "pi_service"}) {
    if (e->contains(key)) remember->copied[key] = (*e)[key];
  }
  return Finish(p);
}

std::string_view ParseBlockResponse(uint8_t function, ByteReader& p, std::span<const uint8_t> data,
                                    ordered_json* e) {
  switch (function) {
    case kStartUpload: {
      (*e)["status"] = p.ReadU8();
      p.ReadU16();
      (*e)["upload_id"] = p.ReadU32();
      uint8_t len = p.ReadU8();
      std::string_view length = p.ReadBytes(len);
      if (p.ok()) {
        if (int64_t v = AsciiNumber(length); v >= 0) (*e)["block_length"] = v;
      }
      break;
    }
    case kUpload:
    case kDownloadBlock: {
      uint8_t status = p.ReadU8();
      (*e)["status"] = status;
      (*e)["more_data"] = (status & 0x01) != 0;
      ByteReader d(data);
      uint16_t length = d.ReadU16();
      d.ReadU16();  // unknown, 0x00fb
      if (d.ok()) (*e)["data_length"] = length;
      break;
    }
    default:
      // Download ended, end upload, PI service and PLC stop answer with
      // the function code alone (sometimes one more byte).
      if (!data.empty()) (*e)["data_length"] = data.size();
      break;
  }
  return Finish(p);
}

}  // namespace qilian::security::s7comm::internal
