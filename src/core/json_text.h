// Writing JSON text directly into a string: for the REST resolution hot
// path, where building an nlohmann DOM per value costs more than the
// lookup, and for JSON log lines. The
// output is byte-for-byte what nlohmann's dump() gives for the same data
// (value_json_test.cc checks that), so clients see one format whichever way
// a response was built.
#ifndef QILIAN_CORE_JSON_TEXT_H_
#define QILIAN_CORE_JSON_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace qilian {

// Appends `text` as a quoted JSON string. `text` must be valid UTF-8; it is
// written as is apart from the escapes JSON requires (as nlohmann escapes
// them: \" \\ \b \f \n \r \t, other C0 controls as \u00xx).
void AppendJsonString(std::string_view text, std::string* out);

// "2026-11-28T18:00:00Z" for seconds since the epoch (UTC), without the
// time-zone machinery of a general formatter.
void AppendTimestamp(uint32_t seconds, std::string* out);

}  // namespace qilian

#endif  // QILIAN_CORE_JSON_TEXT_H_
