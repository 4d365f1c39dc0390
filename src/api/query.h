// Request-target parsing for the REST API: splitting path and query,
// percent-decoding, and the query-string grammar. The rules are strict on
// purpose (docs/api.md "Handles in the path"): a path is decoded exactly
// once and '+' stays literal there; in the query '+' is a space.
#ifndef QILIAN_API_QUERY_H_
#define QILIAN_API_QUERY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qilian::api {

// "/a/b?x=1" -> {"/a/b", "x=1"}; the query is empty when there is no '?'.
// A fragment ('#') is not sent by clients and is left in place.
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

// Decodes %XX escapes (either case). Returns nullopt for a '%' not followed
// by two hex digits. With `plus_is_space`, '+' decodes to ' '.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

struct QueryParam {
  std::string name;
  std::string value;  // empty when the parameter has no '='
};

// "a=1&b=x+y&a=2" -> [{a,1},{b,"x y"},{a,2}]; empty segments ("a=1&&b=2")
// are skipped. nullopt if any name or value has a bad escape.
std::optional<std::vector<QueryParam>> ParseQuery(std::string_view query);

// A plain decimal in min..max: no sign, no spaces, no exponent, at most 19
// digits; nullopt otherwise.
std::optional<uint64_t> ParseDecimal(std::string_view text, uint64_t min, uint64_t max);

}  // namespace qilian::api

#endif  // QILIAN_API_QUERY_H_
