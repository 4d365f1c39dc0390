// absl::StrCat for std::string_view arguments too (internal to
// thing_model/): Debian builds Abseil with its own absl::string_view, which
// std::string_view does not convert to implicitly.
#ifndef QILIAN_PLATFORM_THING_MODEL_STR_CAT_H_
#define QILIAN_PLATFORM_THING_MODEL_STR_CAT_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace qilian::platform {

template <typename T>
decltype(auto) AbslArg(const T& value) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return absl::string_view(value.data(), value.size());
  } else {
    return (value);
  }
}

template <typename... T>
std::string Cat(const T&... values) {
  return absl::StrCat(AbslArg(values)...);
}

template <typename... T>
void Append(std::string* out, const T&... values) {
  absl::StrAppend(out, AbslArg(values)...);
}

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_THING_MODEL_STR_CAT_H_
