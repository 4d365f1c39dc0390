#include "tenant/enterprise_registry.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"
#include "tenant/credit_code.h"
#include "tenant/field_error.h"
#include "tenant/industry.h"
#include "tenant/region.h"

namespace qilian::tenant {
namespace {

using ident::HandleError;
using ident::ResponseCode;

// Record format (docs/enterprises.md). A new layout gets a new version
// byte and the decoder learns both.
constexpr uint8_t kEnterpriseFormatVersion = 1;
constexpr size_t kMaxStoredStringBytes = 4096;

constexpr std::string_view kEnterpriseKeyPrefix = "ent/";
constexpr std::string_view kCreditKeyPrefix = "ucc/";
constexpr std::string_view kNextNumberKey = "meta/next_number";

// How many taken numbers (prefix handles created by hand) one registration
// steps over before giving up, so a misconfigured node fails instead of
// scanning forever.
constexpr int kMaxSkippedNumbers = 1000;

// Zero-padded so that keys sort by id.
std::string PaddedId(uint64_t id) {
  std::string digits = std::to_string(id);
  return std::string(20 - digits.size(), '0') + digits;
}

std::string IdKey(uint64_t id) { return absl::StrCat(std::string(kEnterpriseKeyPrefix), PaddedId(id)); }

absl::Status StorageError(std::string_view what, const absl::Status& s) {
  return HandleError(ResponseCode::kError,
                     absl::StrCat("storage ", std::string(what), " failed: ",
                                  std::string(s.message())));
}

absl::Status CheckText(std::string_view field, std::string_view text, size_t max_chars) {
  return CheckDisplayText(field, text, max_chars);
}

absl::Status CheckPhone(std::string_view phone) {
  if (IsBlankText(phone)) return FieldError(field::kContactPhone, "is required");
  size_t digits = 0;
  for (size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (!(c == ' ' || c == '-' || c == '(' || c == ')' || (c == '+' && i == 0))) {
      auto byte = static_cast<unsigned char>(c);
      std::string shown = byte >= 0x21 && byte <= 0x7e ? std::string(1, c)
                                                       : absl::StrCat("\\x", absl::Hex(byte, absl::kZeroPad2));
      return FieldError(field::kContactPhone,
                        absl::StrCat("character '", shown, "' at position ", i + 1,
                                     " is not allowed (digits, a leading '+', spaces, '-', '(', ')')"));
    }
  }
  if (digits < kMinPhoneDigits || digits > kMaxPhoneDigits) {
    return FieldError(field::kContactPhone, absl::StrCat("must have ", kMinPhoneDigits, " to ",
                                                         kMaxPhoneDigits, " digits, got ", digits));
  }
  return absl::OkStatus();
}

absl::Status CheckEmail(std::string_view email) {
  if (email.empty()) return absl::OkStatus();  // optional
  if (email.size() > kMaxEmailBytes) {
    return FieldError(field::kContactEmail,
                      absl::StrCat("is longer than ", kMaxEmailBytes, " bytes"));
  }
  auto bad = [&] {
    return FieldError(field::kContactEmail, absl::StrCat("'", Excerpt(email),
                                                         "' is not an email address (local@domain)"));
  };
  if (!ident::IsValidUtf8(email) || ident::HasControlCharacter(email)) return bad();
  size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
    return bad();
  }
  std::string_view domain = email.substr(at + 1);
  if (domain.empty() || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return bad();
  }
  if (email.find(' ') != std::string_view::npos) return bad();
  return absl::OkStatus();
}

std::string EncodeU64(uint64_t v) {
  ByteWriter out;
  out.WriteU64(v);
  return out.Release();
}

}  // namespace

std::string EncodeEnterprise(const Enterprise& e) {
  ByteWriter out;
  out.WriteU8(kEnterpriseFormatVersion);
  out.WriteU64(e.id);
  for (const std::string* s : {&e.name, &e.credit_code, &e.industry, &e.region, &e.contact.name,
                               &e.contact.phone, &e.contact.email, &e.prefix}) {
    out.WriteLengthPrefixed(*s);
  }
  out.WriteU64(static_cast<uint64_t>(absl::ToUnixSeconds(e.created_at)));
  return out.Release();
}

absl::StatusOr<Enterprise> DecodeEnterprise(std::string_view bytes) {
  ByteReader in(bytes);
  uint8_t version = in.ReadU8();
  if (!in.ok()) return absl::DataLossError("stored enterprise is empty");
  if (version != kEnterpriseFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("stored enterprise has unknown format version ", version));
  }
  Enterprise e;
  e.id = in.ReadU64();
  for (std::string* s : {&e.name, &e.credit_code, &e.industry, &e.region, &e.contact.name,
                         &e.contact.phone, &e.contact.email, &e.prefix}) {
    *s = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
  }
  e.created_at = absl::FromUnixSeconds(static_cast<int64_t>(in.ReadU64()));
  if (!in.ok()) return absl::DataLossError("stored enterprise is truncated");
  if (!in.at_end()) {
    return absl::DataLossError(
        absl::StrCat("stored enterprise has ", in.remaining(), " trailing bytes"));
  }
  return e;
}

EnterpriseRegistry::EnterpriseRegistry(store::KvStore* store, ident::Registry* registry,
                                       const Clock& clock, EnterpriseRegistryOptions options)
    : store_(store), registry_(registry), clock_(clock), options_(std::move(options)) {
  if (options_.admin_handle.empty()) {
    options_.admin_handle = absl::StrCat("0.NA/", options_.parent_prefix);
  }
}

absl::Status EnterpriseRegistry::Validate(const EnterpriseInput& input) {
  QL_RETURN_IF_ERROR(CheckText(field::kName, input.name, kMaxNameChars));
  QL_RETURN_IF_ERROR(ValidateCreditCode(input.credit_code));
  QL_RETURN_IF_ERROR(ParseIndustry(input.industry).status());
  QL_RETURN_IF_ERROR(ValidateRegion(input.region));
  QL_RETURN_IF_ERROR(CheckText(field::kContactName, input.contact.name, kMaxContactNameChars));
  QL_RETURN_IF_ERROR(CheckPhone(input.contact.phone));
  return CheckEmail(input.contact.email);
}

absl::StatusOr<std::vector<ident::HandleValue>> EnterpriseRegistry::PrefixHandleValues() const {
  uint32_t now = static_cast<uint32_t>(
      std::clamp<int64_t>(absl::ToUnixSeconds(clock_.Now()), 0, UINT32_MAX));
  ident::HandleValue site;
  site.index = kPrefixSiteIndex;
  site.type = std::string(ident::kTypeSite);
  site.data = ident::EncodeSiteData(options_.site);
  site.timestamp = now;
  ident::HandleValue admin;
  admin.index = kPrefixAdminIndex;
  admin.type = std::string(ident::kTypeAdmin);
  admin.data = ident::EncodeAdminData(
      ident::AdminRecord{ident::admin_perm::kAll, options_.admin_handle, options_.admin_index});
  admin.timestamp = now;
  return std::vector<ident::HandleValue>{std::move(site), std::move(admin)};
}

absl::StatusOr<std::optional<Enterprise>> EnterpriseRegistry::OwnerOf(
    std::string_view prefix) const {
  // Allocated prefixes are <parent>.<id>: the segment after the parent
  // names the enterprise.
  const std::string parent = absl::StrCat(options_.parent_prefix, ".");
  if (prefix.size() <= parent.size() ||
      !ident::EqualsIgnoreCaseAscii(prefix.substr(0, parent.size()), parent)) {
    return std::optional<Enterprise>();
  }
  std::string_view rest = prefix.substr(parent.size());
  std::string_view number = rest.substr(0, rest.find('.'));
  uint64_t id = 0;
  if (!absl::SimpleAtoi(std::string(number), &id) || id == 0) return std::optional<Enterprise>();
  absl::StatusOr<Enterprise> e = Get(id);
  if (!e.ok()) {
    if (ident::ResponseCodeOf(e.status()) == ResponseCode::kHandleNotFound ||
        absl::IsNotFound(e.status())) {
      return std::optional<Enterprise>();
    }
    return e.status();
  }
  if (!ident::EqualsIgnoreCaseAscii(e->prefix, absl::StrCat(options_.parent_prefix, ".", std::string(number)))) {
    return std::optional<Enterprise>();
  }
  return std::optional<Enterprise>(*std::move(e));
}

absl::StatusOr<Enterprise> EnterpriseRegistry::Register(const EnterpriseInput& input) {
  QL_RETURN_IF_ERROR(Validate(input));
  QL_ASSIGN_OR_RETURN(IndustryClass industry, ParseIndustry(input.industry));
  if (!registry_->IsAuthoritativeFor(options_.parent_prefix)) {
    return HandleError(ResponseCode::kServerNotResponsible,
                       absl::StrCat("this node is not responsible for prefix '",
                                    options_.parent_prefix,
                                    "', so it cannot allocate prefixes under it"));
  }

  std::lock_guard lock(register_mu_);
  std::string existing;
  absl::Status s =
      store_->Get(kSpace, absl::StrCat(std::string(kCreditKeyPrefix), input.credit_code), &existing);
  if (s.ok()) {
    return FieldError(field::kCreditCode,
                      absl::StrCat("an enterprise with credit code ", input.credit_code,
                                   " is already registered"),
                      ResponseCode::kHandleAlreadyExists);
  }
  if (!absl::IsNotFound(s)) return StorageError("read", s);

  uint64_t number = 1;
  std::string counter;
  s = store_->Get(kSpace, kNextNumberKey, &counter);
  if (s.ok()) {
    ByteReader in(counter);
    number = in.ReadU64();
    if (!in.ok() || !in.at_end() || number == 0) {
      return HandleError(ResponseCode::kError, "stored prefix counter is corrupt");
    }
  } else if (!absl::IsNotFound(s)) {
    return StorageError("read", s);
  }

  // The first number whose prefix handle is free. Such a handle made by
  // hand belongs to someone else; its number is skipped for good.
  std::string prefix, prefix_handle, handle_key;
  for (int skipped = 0;; ++skipped, ++number) {
    if (skipped > kMaxSkippedNumbers) {
      return HandleError(ResponseCode::kError,
                         absl::StrCat("no free prefix under ", options_.parent_prefix, " after ",
                                      kMaxSkippedNumbers, " taken numbers"));
    }
    prefix = absl::StrCat(options_.parent_prefix, ".", number);
    prefix_handle = absl::StrCat("0.NA/", prefix);
    QL_ASSIGN_OR_RETURN(ident::HandleName name, ident::ParseHandle(prefix_handle));
    handle_key = ident::StorageKey(name, registry_->options().case_sensitive_suffix);
    std::string ignored;
    s = store_->Get(ident::Registry::kSpace, handle_key, &ignored);
    if (absl::IsNotFound(s)) break;
    if (!s.ok()) return StorageError("read", s);
  }

  Enterprise e;
  e.id = number;
  e.name = input.name;
  e.credit_code = input.credit_code;
  e.industry = industry.code;
  e.region = input.region;
  e.contact = input.contact;
  e.prefix = prefix;
  e.created_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));

  QL_ASSIGN_OR_RETURN(std::vector<ident::HandleValue> values, PrefixHandleValues());
  store::WriteBatch batch;
  batch.Put(kSpace, IdKey(e.id), EncodeEnterprise(e));
  batch.Put(kSpace, absl::StrCat(std::string(kCreditKeyPrefix), e.credit_code), PaddedId(e.id));
  batch.Put(kSpace, kNextNumberKey, EncodeU64(number + 1));
  batch.Put(ident::Registry::kSpace, handle_key,
            ident::EncodeRecord(ident::HandleRecord{prefix_handle, std::move(values)}));
  s = store_->Write(batch);
  if (!s.ok()) return StorageError("write", s);
  return e;
}

absl::StatusOr<Enterprise> EnterpriseRegistry::Get(uint64_t id) const {
  std::string bytes;
  absl::Status s = store_->Get(kSpace, IdKey(id), &bytes);
  if (absl::IsNotFound(s)) {
    return HandleError(ResponseCode::kHandleNotFound, absl::StrCat("enterprise ", id, " not found"));
  }
  if (!s.ok()) return StorageError("read", s);
  auto e = DecodeEnterprise(bytes);
  if (!e.ok()) {
    return HandleError(ResponseCode::kError,
                       absl::StrCat("stored enterprise ", id,
                                    " is corrupt: ", std::string(e.status().message())));
  }
  return e;
}

absl::StatusOr<Enterprise> EnterpriseRegistry::GetByCreditCode(std::string_view credit_code) const {
  std::string id_text;
  absl::Status s = store_->Get(
      kSpace, absl::StrCat(std::string(kCreditKeyPrefix), std::string(credit_code)), &id_text);
  if (absl::IsNotFound(s)) {
    return HandleError(ResponseCode::kHandleNotFound,
                       absl::StrCat("no enterprise with credit code ", Excerpt(credit_code)));
  }
  if (!s.ok()) return StorageError("read", s);
  uint64_t id = 0;
  for (char c : id_text) {
    if (c < '0' || c > '9') {
      return HandleError(ResponseCode::kError, "stored credit-code index entry is corrupt");
    }
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  return Get(id);
}

absl::StatusOr<EnterprisePage> EnterpriseRegistry::List(size_t page, size_t page_size) const {
  if (page_size == 0 || page_size > kMaxPageSize) {
    return HandleError(ResponseCode::kProtocolError,
                       absl::StrCat("page size must be in 1..", kMaxPageSize));
  }
  // Enterprises number in the thousands: walking past earlier pages costs
  // less than keeping a cursor format in the API.
  const size_t skip = page * page_size;
  size_t seen = 0;
  EnterprisePage result;
  absl::Status decode_error;
  absl::Status s = store_->Scan(kSpace, kEnterpriseKeyPrefix, "",
                                [&](std::string_view key, std::string_view value) {
                                  if (seen++ < skip) return true;
                                  if (result.enterprises.size() == page_size) {
                                    result.more = true;
                                    return false;
                                  }
                                  auto e = DecodeEnterprise(value);
                                  if (!e.ok()) {
                                    decode_error = HandleError(
                                        ResponseCode::kError,
                                        absl::StrCat("stored enterprise '", std::string(key),
                                                     "' is corrupt: ",
                                                     std::string(e.status().message())));
                                    return false;
                                  }
                                  result.enterprises.push_back(*std::move(e));
                                  return true;
                                });
  if (!s.ok()) return StorageError("read", s);
  QL_RETURN_IF_ERROR(decode_error);
  return result;
}

}  // namespace qilian::tenant
