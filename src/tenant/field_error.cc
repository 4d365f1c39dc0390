#include "tenant/field_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "ident/handle_name.h"

namespace qilian::tenant {
namespace {

constexpr char kFieldPayload[] = "qilian.tenant/field";

}  // namespace

absl::Status FieldError(std::string_view field, std::string_view problem,
                        ident::ResponseCode code) {
  absl::Status status =
      ident::HandleError(code, absl::StrCat(std::string(field), ": ", std::string(problem)));
  status.SetPayload(kFieldPayload, absl::Cord(std::string(field)));
  return status;
}

std::string Excerpt(std::string_view text) {
  constexpr size_t kMax = 64;
  if (text.size() <= kMax) return std::string(text);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(std::string(text.substr(0, cut)), "...");
}

bool IsBlankText(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

absl::Status CheckDisplayText(std::string_view field, std::string_view text, size_t max_chars) {
  if (IsBlankText(text)) return FieldError(field, "is required");
  if (!ident::IsValidUtf8(text)) return FieldError(field, "is not valid UTF-8");
  if (ident::HasControlCharacter(text)) return FieldError(field, "contains a control character");
  size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars > max_chars) {
    return FieldError(field, absl::StrCat("is longer than ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

std::optional<std::string> FieldOf(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldPayload);
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

}  // namespace qilian::tenant
