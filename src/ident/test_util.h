// Tests only: the value and status helpers the identifier tests share.
#ifndef QILIAN_IDENT_TEST_UTIL_H_
#define QILIAN_IDENT_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "ident/handle_value.h"
#include "ident/response_code.h"

namespace qilian::ident::test {

// A value with the deployed default permissions (admin read and write,
// public read) unless told otherwise.
inline HandleValue Value(uint32_t index, std::string type, std::string data,
                         uint8_t permissions = kPermDefault) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  v.permissions = permissions;
  return v;
}

// The exact Handle code and message of `status`.
inline void ExpectCode(const absl::Status& status, ResponseCode code, std::string_view message) {
  EXPECT_EQ(ResponseCodeOf(status), code) << status;
  EXPECT_EQ(std::string(status.message()), std::string(message));
}

}  // namespace qilian::ident::test

#endif  // QILIAN_IDENT_TEST_UTIL_H_
