// S7comm PDU decoding (protocol id 0x32): the header (ROSCTR, PDU
// reference, parameter and data lengths, error class and code), then by
// ROSCTR and function the parameter and data parts, into an event's fields.
// Pure apart from the S7Session it matches requests and responses in.
// A malformed PDU fills in what it can and returns the weird's name.
#ifndef QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_PDU_H_
#define QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_PDU_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "nlohmann/json.hpp"
#include "security/analyzers/s7comm/s7comm_session.h"

namespace qilian::security::s7comm {

// Data values longer than this are given by length only.
constexpr size_t kMaxDataBytes = 64;

// Parses one S7comm PDU (starting at the protocol id) into `event`.
std::string_view ParseS7Pdu(std::span<const uint8_t> pdu, S7Session* session,
                            nlohmann::ordered_json* event);

// Parts shared by the files that decode the PDU (s7comm_*.cc).
namespace internal {

std::string Hex(std::string_view bytes);
// Printable ASCII kept, every other byte (and '\') written as \xNN, so the
// JSON stays valid UTF-8 and nothing is lost.
std::string Printable(std::string_view bytes);
// A block file name such as "_0A00001P" (attribute, block type, number,
// file system) into block_type, block_number, filesystem; the name as it is
// otherwise.
void PutFileName(std::string_view name, nlohmann::ordered_json* out);

// One variable specification of a read/write var request or a cyclic
// subscription (S7ANY and DBREAD decoded, other syntaxes as hex).
nlohmann::ordered_json ItemSpec(ByteReader& r);
// One data item (return code, transport size, length, value, and a fill
// byte after an odd length unless `last`), its fields added to `item`.
void DataItem(ByteReader& r, bool last, nlohmann::ordered_json* item);

// Job and ack_data parameters of the block transfer and PI functions
// (s7comm_blocks.cc). Return "" or a weird name.
std::string_view ParseBlockJob(uint8_t function, ByteReader& param, std::span<const uint8_t> data,
                               nlohmann::ordered_json* e, RequestContext* remember);
std::string_view ParseBlockResponse(uint8_t function, ByteReader& param,
                                    std::span<const uint8_t> data, nlohmann::ordered_json* e);

// A userdata PDU's parameter and data (s7comm_userdata.cc).
std::string_view ParseUserdata(uint16_t pdu_ref, std::span<const uint8_t> param,
                               std::span<const uint8_t> data, S7Session* session,
                               nlohmann::ordered_json* e);

}  // namespace internal
}  // namespace qilian::security::s7comm

#endif  // QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_PDU_H_
