// S7comm PDU decoding (protocol id 0x32): the header (ROSCTR, PDU
// reference, parameter and data lengths, error class and code), then by
// ROSCTR and function the parameter and data parts, written as an event's
// fields.
// Pure apart from the S7Session it matches requests and responses in.
// A malformed PDU fills in what it can and returns the weird's name.
#ifndef QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_PDU_H_
#define QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_PDU_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "security/analyzers/json_writer.h"
#include "security/analyzers/s7comm/s7comm_session.h"
#include "security/common/wire_text.h"

namespace qilian::security::s7comm {

// Data values longer than this are given by length only.
constexpr size_t kMaxDataBytes = 64;

// Parses one S7comm PDU (starting at the protocol id), its fields written
// to `event` as members.
std::string_view ParseS7Pdu(std::span<const uint8_t> pdu, S7Session* session, JsonWriter& event);

// Parts shared by the files that decode the PDU (s7comm_*.cc).
namespace internal {

// A block file name such as "_0A00001P" (attribute, block type, number,
// file system): block_type, block_number, filesystem when it has that
// form.
struct BlockName {
  std::string_view block_type;
  uint32_t block_number = 0;
  std::string filesystem;
};
std::optional<BlockName> ParseBlockName(std::string_view name);
// The name as filename, and its block's fields.
void PutFileName(std::string_view name, CopiedFields* out);

// One variable specification of a read/write var request or a cyclic
// subscription (S7ANY and DBREAD decoded, other syntaxes as hex); what it
// holds is good only if `r` is still ok.
S7Item ItemSpec(ByteReader& r);
// Its fields as members: syntax, then the syntax's.
void WriteItemSpec(const S7Item& item, JsonWriter& j);

// One data item (return code, transport size, length, value, and a fill
// byte after an odd length unless `last`): what could be read of it.
struct S7DataItem {
  bool has_header = false;  // return code (and the rest, but for an error item)
  uint8_t return_code = 0;
  bool error_item = false;  // no type, no data
  std::string_view data_type;
  size_t data_length = 0;
  std::optional<std::string> data;  // hex, up to kMaxDataBytes
};
S7DataItem DataItem(ByteReader& r, bool last);
// Its fields as members: return_code, result, data_type, data_length, data.
void WriteDataItem(const S7DataItem& item, JsonWriter& j);

// Job and ack_data parameters of the block transfer and PI functions
// (s7comm_blocks.cc). Return "" or a weird name.
std::string_view ParseBlockJob(uint8_t function, ByteReader& param, std::span<const uint8_t> data,
                               JsonWriter& e, RequestContext* remember);
std::string_view ParseBlockResponse(uint8_t function, ByteReader& param,
                                    std::span<const uint8_t> data, JsonWriter& e);

// A userdata PDU's parameter and data (s7comm_userdata.cc).
std::string_view ParseUserdata(uint16_t pdu_ref, std::span<const uint8_t> param,
                               std::span<const uint8_t> data, S7Session* session, JsonWriter& e);

}  // namespace internal
}  // namespace qilian::security::s7comm

#endif  // QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_PDU_H_
