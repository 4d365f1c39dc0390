#include "ident/template/compatibility.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"

namespace qilian::ident::templates {
namespace {

template <typename T>
std::string Text(const std::optional<T>& v) {
  return v ? absl::StrCat(*v) : std::string("none");
}

// `next` is tighter than `current` for a lower bound: added, or raised.
template <typename T>
bool LowerTightened(const std::optional<T>& current, const std::optional<T>& next) {
  return next && (!current || *next > *current);
}
template <typename T>
bool UpperTightened(const std::optional<T>& current, const std::optional<T>& next) {
  return next && (!current || *next < *current);
}

void CompareField(const Field& a, const Field& b, std::vector<std::string>* out) {
  const std::string f = absl::StrCat("field '", a.name, "': ");
  if (a.type != b.type) {
    out->push_back(absl::StrCat(f, "type changes from ", std::string(FieldTypeName(a.type)),
                                " to ", std::string(FieldTypeName(b.type))));
    return;  // the limits of different types do not compare
  }
  if (a.unit != b.unit) {
    out->push_back(absl::StrCat(f, "unit changes from '", a.unit, "' to '", b.unit, "'"));
  }
  if (!a.required && b.required) out->push_back(absl::StrCat(f, "becomes required"));
  const Limits& x = a.limits;
  const Limits& y = b.limits;
  if (LowerTightened(x.min_length, y.min_length)) {
    out->push_back(absl::StrCat(f, "minLength tightens from ", Text(x.min_length), " to ",
                                Text(y.min_length)));
  }
  if (UpperTightened(x.max_length, y.max_length)) {
    out->push_back(absl::StrCat(f, "maxLength tightens from ", Text(x.max_length), " to ",
                                Text(y.max_length)));
  }
  if (LowerTightened(x.minimum, y.minimum)) {
    out->push_back(
        absl::StrCat(f, "minimum tightens from ", Text(x.minimum), " to ", Text(y.minimum)));
  }
  if (UpperTightened(x.maximum, y.maximum)) {
    out->push_back(
        absl::StrCat(f, "maximum tightens from ", Text(x.maximum), " to ", Text(y.maximum)));
  }
  if (!y.pattern.empty() && y.pattern != x.pattern) {
    // Whether one regular language contains another is not decided here.
    out->push_back(absl::StrCat(f, "pattern changes from '", x.pattern, "' to '", y.pattern, "'"));
  }
  for (const std::string& v : a.enum_values) {
    if (std::find(b.enum_values.begin(), b.enum_values.end(), v) == b.enum_values.end()) {
      out->push_back(absl::StrCat(f, "enum value '", v, "' removed"));
    }
  }
}

}  // namespace

std::vector<std::string> BreakingChanges(const Template& current, const Template& next) {
  std::vector<std::string> out;
  for (const Field& a : current.fields) {
    const Field* b = next.FindField(a.name);
    if (b == nullptr) {
      out.push_back(absl::StrCat("field '", a.name, "': removed"));
    } else {
      CompareField(a, *b, &out);
    }
  }
  for (const Field& b : next.fields) {
    if (b.required && current.FindField(b.name) == nullptr) {
      out.push_back(absl::StrCat("field '", b.name, "': new and required"));
    }
  }
  return out;
}

}  // namespace qilian::ident::templates
