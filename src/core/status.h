// Status conventions for Qilian.
//
// Every fallible function returns absl::Status or absl::StatusOr<T>; no
// exceptions cross a module boundary on the request path. Errors are mapped
// once at each edge (Handle response codes on the native protocol, HTTP
// status on REST), so code in between only propagates.
#ifndef QILIAN_CORE_STATUS_H_
#define QILIAN_CORE_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define QL_STATUS_CONCAT_INNER_(a, b) a##b
#define QL_STATUS_CONCAT_(a, b) QL_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (an absl::Status) is not OK.
#define QL_RETURN_IF_ERROR(expr)                          \
  do {                                                    \
    ::absl::Status ql_status_ = (expr);                   \
    if (!ql_status_.ok()) return ql_status_;              \
  } while (0)

// `QL_ASSIGN_OR_RETURN(auto x, Compute());` declares or assigns `x` from a
// StatusOr, returning its status from the current function on error.
#define QL_ASSIGN_OR_RETURN(lhs, expr) \
  QL_ASSIGN_OR_RETURN_IMPL_(QL_STATUS_CONCAT_(ql_statusor_, __LINE__), lhs, expr)

#define QL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()

#endif  // QILIAN_CORE_STATUS_H_
