#include "ident/handle_name.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "ident/response_code.h"

namespace qilian::ident {
namespace {

char UpperAscii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string FoldAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = UpperAscii(c);
  return out;
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (UpperAscii(a[i]) != UpperAscii(b[i])) return false;
  }
  return true;
}

absl::Status Invalid(std::string_view message) {
  return HandleError(ResponseCode::kInvalidHandle, message);
}

// The dotted-segment syntax shared by ParseHandle and ValidatePrefix.
absl::Status CheckPrefixSyntax(std::string_view prefix) {
  if (prefix.empty()) return Invalid("prefix is empty");
  if (prefix.size() > kMaxPrefixBytes) return Invalid("prefix is longer than 255 bytes");
  size_t start = 0;
  while (true) {
    size_t dot = prefix.find('.', start);
    size_t end = dot == std::string_view::npos ? prefix.size() : dot;
    if (end == start) return Invalid("prefix has an empty segment");
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return absl::OkStatus();
}

// `what` ("handle" or "prefix") names the input in the message.
absl::Status CheckEncoding(std::string_view text, const std::string& what) {
  if (!IsValidUtf8(text)) return Invalid(what + " is not valid UTF-8");
  if (HasControlCharacter(text)) return Invalid(what + " contains a control character");
  return absl::OkStatus();
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2, cp = b & 0x1f, min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      len = 3, cp = b & 0x0f, min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4, cp = b & 0x07, min = 0x10000;
    } else {
      return false;  // continuation byte, 0xc0/0xc1 (always overlong), or > 0xf4
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      uint8_t c = p[i + k];
      if ((c & 0xc0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

bool HasControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto b = static_cast<uint8_t>(text[i]);
    if (b < 0x20 || b == 0x7f) return true;
    // C1 controls U+0080..U+009F are encoded as 0xC2 0x80..0x9F.
    if (b == 0xc2 && i + 1 < text.size()) {
      auto next = static_cast<uint8_t>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return true;
    }
  }
  return false;
}

absl::StatusOr<HandleName> ParseHandle(std::string_view text) {
  // Size first, so nothing below scans more than the limit.
  if (text.size() > kMaxHandleBytes) return Invalid("handle is longer than 1024 bytes");
  if (absl::Status s = CheckEncoding(text, "handle"); !s.ok()) return s;
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return Invalid("handle has no '/' between prefix and suffix");
  std::string_view prefix = text.substr(0, slash);
  std::string_view suffix = text.substr(slash + 1);
  if (prefix.empty()) return Invalid("prefix is empty");
  if (suffix.empty()) return Invalid("suffix is empty");
  if (absl::Status s = CheckPrefixSyntax(prefix); !s.ok()) return s;
  return HandleName{std::string(prefix), std::string(suffix)};
}

absl::Status ValidatePrefix(std::string_view prefix) {
  if (prefix.size() > kMaxPrefixBytes) return Invalid("prefix is longer than 255 bytes");
  if (absl::Status s = CheckEncoding(prefix, "prefix"); !s.ok()) return s;
  if (prefix.find('/') != std::string_view::npos) return Invalid("prefix contains '/'");
  return CheckPrefixSyntax(prefix);
}

std::string FoldPrefix(std::string_view prefix) { return FoldAscii(prefix); }

std::string StorageKey(const HandleName& name, bool case_sensitive_suffix) {
  std::string key = FoldAscii(name.prefix);
  key.push_back('/');
  if (case_sensitive_suffix) {
    key.append(name.suffix);
  } else {
    key.append(FoldAscii(name.suffix));
  }
  return key;
}

bool PrefixIsUnder(std::string_view prefix, std::string_view authority) {
  if (authority.empty() || prefix.size() < authority.size()) return false;
  if (!EqualsIgnoreAsciiCase(prefix.substr(0, authority.size()), authority)) return false;
  return prefix.size() == authority.size() || prefix[authority.size()] == '.';
}

bool EqualsIgnoreCaseAscii(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                absl::string_view(b.data(), b.size()));
}

}  // namespace qilian::ident
