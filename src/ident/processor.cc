#include "ident/processor.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/referral.h"
#include "ident/stats/stats_recorder.h"

namespace qilian::ident {
namespace {

constexpr std::string_view kPrefixOfPrefixes = "0.NA";

// Response codes below this get a cached counter each; the rest (none are
// defined today) share one slot labelled "other".
constexpr size_t kCodeSlots = 1024;

// Counter slots per operation: the opcodes the enum names, plus "unknown".
constexpr std::array<OpCode, 15> kKnownOps = {
    OpCode::kReserved,          OpCode::kResolution,
    OpCode::kGetSiteInfo,       OpCode::kCreateHandle,
    OpCode::kDeleteHandle,      OpCode::kAddValue,
    OpCode::kRemoveValue,       OpCode::kModifyValue,
    OpCode::kListHandles,       OpCode::kListDerivedPrefixes,
    OpCode::kChallengeResponse, OpCode::kVerifyResponse,
    OpCode::kSessionSetup,      OpCode::kSessionTerminate,
    OpCode::kIdisLogin,
};
constexpr size_t kOpSlots = kKnownOps.size() + 1;
constexpr size_t kTransportSlots = 3;

size_t OpSlot(OpCode op) {
  for (size_t i = 0; i < kKnownOps.size(); ++i) {
    if (kKnownOps[i] == op) return i;
  }
  return kKnownOps.size();
}

bool IsWrite(OpCode op) {
  switch (op) {
    case OpCode::kCreateHandle:
    case OpCode::kDeleteHandle:
    case OpCode::kAddValue:
    case OpCode::kRemoveValue:
    case OpCode::kModifyValue:
      return true;
    default:
      return false;
  }
}

// Step 1: whether this node serves the operation at all. Authentication
// (challenge answers, sessions, IDIS login) lands in issue 5; until then
// those requests decode but are refused here, before anything else is
// looked at.
absl::Status CheckSupported(OpCode op) {
  switch (op) {
    case OpCode::kResolution:
    case OpCode::kGetSiteInfo:
    case OpCode::kCreateHandle:
    case OpCode::kDeleteHandle:
    case OpCode::kAddValue:
    case OpCode::kRemoveValue:
    case OpCode::kModifyValue:
    case OpCode::kListHandles:
      return absl::OkStatus();
    case OpCode::kSessionSetup:
    case OpCode::kSessionTerminate:
      // RFC 3652 2.2.2.3: "RC_SESSION_NO_SUPPORT: the server does not
      // support sessions".
      return HandleError(ResponseCode::kSessionNoSupport,
                         "sessions are not supported until authentication is configured");
    case OpCode::kChallengeResponse:
    case OpCode::kVerifyResponse:
    case OpCode::kIdisLogin:
      // No challenge is ever issued yet, so an answer to one (or a login)
      // is an operation this node does not perform.
      return HandleError(ResponseCode::kOperationNotSupported,
                         absl::StrCat("operation ", std::string(OpCodeName(op)),
                                      " is not supported until authentication is configured"));
    case OpCode::kListDerivedPrefixes:
    case OpCode::kReserved:
      break;
  }
  return HandleError(ResponseCode::kOperationNotSupported,
                     absl::StrCat("operation ", static_cast<uint32_t>(op), " is not supported"));
}

absl::Status NotResponsible(std::string_view served, bool recursion_asked,
                            bool recursion_possible = false) {
  // Same text as the registry's, so REST and native agree word for word
  // when the client did not ask for recursion.
  return HandleError(ResponseCode::kServerNotResponsible,
                     absl::StrCat("this node is not responsible for prefix '", std::string(served),
                                  "'", recursion_asked ? " and does not resolve recursively" : "",
                                  recursion_possible ? " (set REC to resolve recursively)" : ""));
}

absl::Status ListHandles(const Registry& registry, const ProcessorOptions& options,
                         const Request& request, const std::string& prefix, Response* response);

}  // namespace

struct Processor::Impl {
  MetricsRegistry* metrics = nullptr;
  std::unique_ptr<ReferralFinder> referrals;
  std::array<std::atomic<Counter*>, kOpSlots * kTransportSlots> request_counters{};
  std::array<std::atomic<Counter*>, kCodeSlots + 1> response_counters{};

  void CountRequest(OpCode op, Transport transport) {
    if (metrics == nullptr) return;
    size_t slot = OpSlot(op) * kTransportSlots + static_cast<size_t>(transport) % kTransportSlots;
    Counter* c = request_counters[slot].load(std::memory_order_acquire);
    if (c == nullptr) {
      // GetCounter is idempotent, so two threads racing here store the
      // same pointer.
      c = &metrics->GetCounter("qilian_ident_requests_total",
                               "Identifier requests, by operation and transport",
                               {{"op", std::string(OpCodeName(op))},
                                {"transport", std::string(TransportName(transport))}});
      request_counters[slot].store(c, std::memory_order_release);
    }
    c->Inc();
  }

  void CountMintCollision() {
    if (metrics == nullptr) return;
    metrics
        ->GetCounter("qilian_ident_mint_collisions_total",
                     "Minted handles that already existed and were minted again")
        .Inc();
  }

  void CountResponse(ResponseCode code) {
    if (metrics == nullptr) return;
    uint32_t value = static_cast<uint32_t>(code);
    size_t slot = value < kCodeSlots ? value : kCodeSlots;
    Counter* c = response_counters[slot].load(std::memory_order_acquire);
    if (c == nullptr) {
      c = &metrics->GetCounter(
          "qilian_ident_responses_total", "Identifier responses, by Handle response code",
          {{"code", slot == kCodeSlots ? std::string("other") : absl::StrCat(value)}});
      response_counters[slot].store(c, std::memory_order_release);
    }
    c->Inc();
  }
};

Processor::Processor(Registry* registry, MetricsRegistry* metrics, ProcessorOptions options)
    : registry_(registry), options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  impl_->metrics = metrics;
  impl_->referrals = std::make_unique<ReferralFinder>(registry_, options_.site);
}

Processor::~Processor() = default;

std::string_view TransportName(Transport t) {
  switch (t) {
    case Transport::kHttp:
      return "http";
    case Transport::kUdp:
      return "udp";
    case Transport::kTcp:
      return "tcp";
  }
  return "http";
}

bool Processor::MayBlock(OpCode op) { return IsWrite(op); }

namespace {

// Values a reader without authorized read may see: those with public read.
void KeepPublic(std::vector<HandleValue>* values) {
  std::erase_if(*values,
                [](const HandleValue& v) { return (v.permissions & kPermPublicRead) == 0; });
}

// Values an authorized reader may see: public or admin read (a value with
// neither is returned to nobody).
void KeepReadable(std::vector<HandleValue>* values) {
  std::erase_if(*values, [](const HandleValue& v) {
    return (v.permissions & (kPermPublicRead | kPermAdminRead)) == 0;
  });
}

bool HasRestricted(const std::vector<HandleValue>& values) {
  return std::any_of(values.begin(), values.end(),
                     [](const HandleValue& v) { return (v.permissions & kPermPublicRead) == 0; });
}

}  // namespace

Response Processor::Process(const Request& request) {
  if (request.op == OpCode::kCreateHandle && (request.op_flags & op_flag::kMint) != 0 &&
      request.handle.find('/') != std::string::npos) {
    return Mint(request);
  }
  return ProcessOne(request);
}

Response Processor::Mint(const Request& request) {
  Request attempt = request;
  attempt.op_flags &= ~op_flag::kOverwrite;
  attempt.put_values_only = false;
  Response response;
  for (int i = 0; i < kMaxMintAttempts; ++i) {
    absl::StatusOr<std::string> suffix =
        options_.mint_suffix ? options_.mint_suffix() : RandomMintSuffix();
    if (!suffix.ok()) {
      impl_->CountRequest(request.op, request.peer.transport);
      response = Response{};
      response.handle = request.handle;
      response.code = ResponseCodeOf(suffix.status());
      response.message = std::string(suffix.status().message());
      impl_->CountResponse(response.code);
      return response;
    }
    attempt.handle = absl::StrCat(request.handle, *suffix);
    response = ProcessOne(attempt);
    if (response.ok()) response.op_flags |= op_flag::kMint;
    if (response.code != ResponseCode::kHandleAlreadyExists) return response;
    impl_->CountMintCollision();
  }
  response.code = ResponseCode::kError;
  response.message = absl::StrCat("no unused handle found under '", request.handle, "' in ",
                                  kMaxMintAttempts, " attempts");
  response.status = HandleError(response.code, response.message);
  response.handle = request.handle;
  return response;
}

Response Processor::ProcessOne(const Request& request) {
  impl_->CountRequest(request.op, request.peer.transport);
  Response response;
  response.handle = request.handle;

  // A successful write's audit event, stored atomically with the change.
  store::WriteBatch staged_audit;
  const store::WriteBatch* also = nullptr;
  auto run = [&]() -> absl::Status {
    // 1. Operation.
    QL_RETURN_IF_ERROR(CheckSupported(request.op));

    // 2. Flags. REC is honoured below: a non-recursive node answers for
    // its own data (authoritatively) and refuses the rest with 301. PO
    // needs no check: every reader is anonymous until issue 5, so only
    // public values are ever returned. CT/ENC (signed or encrypted
    // replies) are the native front end's concern and need issue 5's keys.
    const bool recursion_asked = (request.op_flags & op_flag::kRecursive) != 0;
    if (request.op_flags & op_flag::kPublicOnly) response.op_flags |= op_flag::kPublicOnly;
    // REST has no REC flag: a recursive node's REST API resolves
    // recursively whenever the handle is not homed here.
    const bool recurse = request.op == OpCode::kResolution && options_.recursive &&
                         options_.resolve_recursively &&
                         (recursion_asked || request.peer.transport == Transport::kHttp);
    auto resolve_recursively = [&]() -> absl::Status {
      // Not authoritative (no AT): the answer comes from another site or
      // the cache.
      response.op_flags |= op_flag::kRecursive;
      ValueFilter filter;
      filter.indexes = request.indexes;
      filter.types = request.types;
      QL_ASSIGN_OR_RETURN(std::vector<HandleValue> values,
                          options_.resolve_recursively(request.handle, filter));
      KeepPublic(&values);
      if (values.empty() && !filter.empty()) {
        return HandleError(ResponseCode::kValuesNotFound, "no values match the filter");
      }
      response.values = std::move(values);
      return absl::OkStatus();
    };

    // 3. Who may write. Administration over UDP is refused as deployed
    // servers do (RC 4): a spoofed source address could otherwise write,
    // and replies could not be authenticated.
    if (IsWrite(request.op)) {
      if (request.peer.transport == Transport::kUdp) {
        return HandleError(ResponseCode::kProtocolError,
                           "administration requests are accepted only over TCP or HTTP");
      }
    }

    // Get site info names no handle (CNRI clients send "/"): it is about
    // this node, which is always authoritative for its own site.
    if (request.op == OpCode::kGetSiteInfo) {
      response.op_flags |= op_flag::kAuthoritative;
      response.site = options_.site;
      return absl::OkStatus();
    }

    // 4. Handle syntax, and 5. authority.
    QL_ASSIGN_OR_RETURN(HandleName name, ParseHandle(request.handle));
    const bool is_prefix_handle = EqualsIgnoreCaseAscii(name.prefix, kPrefixOfPrefixes);
    std::string list_prefix;
    if (request.op == OpCode::kListHandles) {
      if (!is_prefix_handle) {
        return HandleError(ResponseCode::kInvalidHandle,
                           absl::StrCat("list handles needs a prefix handle 0.NA/<prefix>, got '",
                                        request.handle, "'"));
      }
      QL_RETURN_IF_ERROR(ValidatePrefix(name.suffix));
      // "0.NA" itself lists the prefix handles this node holds.
      if (!registry_->IsAuthoritativeFor(name.suffix) &&
          !EqualsIgnoreCaseAscii(name.suffix, kPrefixOfPrefixes)) {
        return NotResponsible(name.suffix, recursion_asked && !options_.recursive);
      }
      list_prefix = name.suffix;
    } else if (!registry_->IsAuthoritativeFor(name.prefix) &&
               !(is_prefix_handle && registry_->IsAuthoritativeFor(name.suffix))) {
      if (recurse) return resolve_recursively();
      return NotResponsible(is_prefix_handle ? name.suffix : name.prefix,
                            recursion_asked && !options_.recursive,
                            options_.recursive && request.op == OpCode::kResolution);
    }
    // 6. Referral: under our authority, but perhaps homed on another site.
    QL_ASSIGN_OR_RETURN(std::optional<Referral> referral,
                        impl_->referrals->Find(name, request.op == OpCode::kListHandles));
    if (referral.has_value()) {
      if (recurse) return resolve_recursively();
      std::string homed = referral->prefix_handle.substr(kPrefixOfPrefixes.size() + 1);
      response.referral_handle = std::move(referral->prefix_handle);
      response.referral_values = std::move(referral->values);
      return HandleError(ResponseCode::kPrefixReferral,
                         absl::StrCat("prefix '", homed, "' is served by another site (see ",
                                      response.referral_handle, ")"));
    }
    response.op_flags |= op_flag::kAuthoritative;
    if (options_.recursive) response.op_flags |= op_flag::kRecursive;

    // 7. Authorization of writes and listings.
    const bool overwrite = (request.op_flags & op_flag::kOverwrite) != 0;
    if (options_.access != nullptr && (IsWrite(request.op) || request.op == OpCode::kListHandles)) {
      std::vector<HandleValue> current;
      // A plain create is governed by the prefix handles alone (the
      // registry answers 101 if the handle exists); every other write is
      // judged against the values it changes.
      const bool plain_create =
          request.op == OpCode::kCreateHandle && !overwrite && !request.put_values_only;
      // (A listing is judged by the prefix handle's own HS_ADMIN values.)
      if (!plain_create) {
        absl::StatusOr<HandleRecord> record = registry_->Get(request.handle, ValueFilter{});
        if (record.ok()) {
          current = std::move(record->values);
        } else if (ResponseCodeOf(record.status()) == ResponseCode::kError) {
          return record.status();
        }
      }
      QL_RETURN_IF_ERROR(options_.access->Authorize(request, current));
      if (IsWrite(request.op)) {
        options_.access->StageAudit(request, &staged_audit);
        also = &staged_audit;
      }
    }

    // 8. Dispatch: one handler per operation.
    switch (request.op) {
      case OpCode::kResolution: {
        ValueFilter filter;
        filter.indexes = request.indexes;
        filter.types = request.types;
        QL_ASSIGN_OR_RETURN(HandleRecord record, registry_->Get(request.handle, filter));
        QL_RETURN_IF_ERROR(FilterReadable(request, &record.values));
        if (record.values.empty() && !filter.empty()) {
          // The same answer as a filter that matches nothing, so a reader
          // cannot tell that non-public values exist.
          return HandleError(ResponseCode::kValuesNotFound, "no values match the filter");
        }
        response.values = std::move(record.values);
        return absl::OkStatus();
      }
      case OpCode::kCreateHandle: {
        if (request.put_values_only) {
          QL_ASSIGN_OR_RETURN(response.outcome,
                              registry_->PutValues(request.handle, request.values, overwrite, also));
        } else if (overwrite) {
          QL_ASSIGN_OR_RETURN(response.outcome,
                              registry_->Replace(request.handle, request.values, true, also));
        } else {
          QL_RETURN_IF_ERROR(registry_->Create(request.handle, request.values, also));
          response.outcome = WriteOutcome::kCreated;
        }
        return absl::OkStatus();
      }
      case OpCode::kDeleteHandle:
        return registry_->Delete(request.handle, also);
      case OpCode::kAddValue:
        return registry_->AddValues(request.handle, request.values, also);
      case OpCode::kRemoveValue:
        return registry_->RemoveValues(request.handle, request.indexes, also);
      case OpCode::kModifyValue:
        return registry_->ModifyValues(request.handle, request.values, also);
      case OpCode::kListHandles:
        return ListHandles(*registry_, options_, request, list_prefix, &response);
      case OpCode::kGetSiteInfo:  // answered above, before handle syntax
      case OpCode::kReserved:
      case OpCode::kListDerivedPrefixes:
      case OpCode::kChallengeResponse:
      case OpCode::kVerifyResponse:
      case OpCode::kSessionSetup:
      case OpCode::kSessionTerminate:
      case OpCode::kIdisLogin:
        break;
    }
    return HandleError(ResponseCode::kError, "unreachable operation");
  };

  absl::Status status = run();
  // A write that succeeded was audited with its change (staged above).
  const bool audited =
      options_.access != nullptr &&
      ((IsWrite(request.op) && !status.ok() &&
        (!request.caller.anonymous() ||
         ResponseCodeOf(status) != ResponseCode::kAuthenticationNeeded)) ||
       (request.op == OpCode::kListHandles && !request.caller.anonymous()));
  if (!status.ok()) {
    response.code = ResponseCodeOf(status);
    response.message = std::string(status.message());
    response.status = status;
    response.values.clear();
    response.handles.clear();
    response.more = false;
    response.site = SiteInfo{};
    if (response.code != ResponseCode::kPrefixReferral) {
      response.referral_handle.clear();
      response.referral_values.clear();
    }
  }
  impl_->CountResponse(response.code);
  if (options_.stats != nullptr) options_.stats->Observe(request, response);
  if (audited) options_.access->Audit(request, response);
  return response;
}

absl::Status Processor::FilterReadable(const Request& request,
                                       std::vector<HandleValue>* values) const {
  const bool public_only = (request.op_flags & op_flag::kPublicOnly) != 0;
  if (options_.access == nullptr || public_only || !HasRestricted(*values)) {
    KeepPublic(values);
    return absl::OkStatus();
  }
  if (request.caller.anonymous()) {
    // The client did not ask for public values only: deployed servers
    // challenge here, so that an administrator can read the rest.
    return HandleError(ResponseCode::kAuthenticationNeeded,
                       "authentication required to read values without public read permission");
  }
  // The handle's own HS_ADMIN values decide, whatever the filter kept.
  QL_ASSIGN_OR_RETURN(HandleRecord whole, registry_->Get(request.handle, ValueFilter{}));
  QL_ASSIGN_OR_RETURN(bool authorized, options_.access->MayReadRestricted(request, whole.values));
  if (authorized) {
    KeepReadable(values);
  } else {
    KeepPublic(values);
  }
  return absl::OkStatus();
}

namespace {

absl::Status ListHandles(const Registry& registry, const ProcessorOptions& options,
                         const Request& request, const std::string& prefix, Response* response) {
  const size_t max = options.max_page_size == 0 ? 1 : options.max_page_size;
  if (request.list_page_size != 0) {
    // One page: REST's pagination.
    size_t page_size = std::min(request.list_page_size, max);
    QL_ASSIGN_OR_RETURN(ListPage page, registry.List(prefix, request.list_after, page_size));
    response->handles = std::move(page.handles);
    response->more = page.more;
    return absl::OkStatus();
  }
  // The whole listing: the native request has no cursor, so a client could
  // never fetch a second page. Walked in pages of max_page_size, capped at
  // kMaxListedHandles (more = true past it); the native front end splits a
  // long answer into continuous (CN) messages.
  std::string cursor = request.list_after;
  while (true) {
    size_t want = std::min(max, kMaxListedHandles - response->handles.size());
    QL_ASSIGN_OR_RETURN(ListPage page, registry.List(prefix, cursor, want));
    for (auto& h : page.handles) response->handles.push_back(std::move(h));
    if (!page.more) return absl::OkStatus();
    if (response->handles.size() >= kMaxListedHandles) {
      response->more = true;
      return absl::OkStatus();
    }
    cursor = response->handles.back();
  }
}

}  // namespace

}  // namespace qilian::ident
