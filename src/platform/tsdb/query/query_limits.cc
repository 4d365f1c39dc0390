#include "platform/tsdb/query/query_limits.h"

#include "absl/strings/str_cat.h"

namespace qilian::platform::tsdb {

absl::Status OverLimit(const std::string& what, uint64_t limit, const char* key) {
  return absl::ResourceExhaustedError(
      absl::StrCat("the query ", what, ", over the limit of ", limit, " ([tsdb] ", key, ")"));
}

}  // namespace qilian::platform::tsdb
