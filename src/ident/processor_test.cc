#include "ident/processor.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "ident/value_codec.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

HandleValue Value(uint32_t index, std::string type, std::string data,
                  uint8_t permissions = kPermDefault) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  v.permissions = permissions;
  return v;
}

std::vector<uint32_t> Indexes(const std::vector<HandleValue>& values) {
  std::vector<uint32_t> out;
  for (const auto& v : values) out.push_back(v.index);
  return out;
}

Peer Loopback(Transport t = Transport::kTcp) { return Peer{"127.0.0.1", true, t}; }
Peer Remote(Transport t = Transport::kTcp) { return Peer{"192.0.2.1", false, t}; }

class ProcessorTest : public ::testing::Test {
 protected:
  ProcessorTest()
      : store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        registry_(store_.get(), clock_, RegistryOptions{}) {
    SiteOptions site;
    site.description = "test node";
    options_.site = BuildSiteInfo(site);
    processor_ = std::make_unique<Processor>(&registry_, &metrics_, options_);
  }

  Response Run(Request request) { return processor_->Process(request); }

  Response Resolve(const std::string& handle, std::vector<uint32_t> indexes = {},
                   std::vector<std::string> types = {}, uint32_t flags = 0,
                   Peer peer = Peer{"192.0.2.1", false, Transport::kUdp}) {
    Request r;
    r.op = OpCode::kResolution;
    r.handle = handle;
    r.indexes = std::move(indexes);
    r.types = std::move(types);
    r.op_flags = flags;
    r.peer = peer;
    return Run(r);
  }

  Response Write(OpCode op, const std::string& handle, std::vector<HandleValue> values = {},
                 std::vector<uint32_t> indexes = {}, uint32_t flags = 0, Peer peer = Loopback()) {
    Request r;
    r.op = op;
    r.handle = handle;
    r.values = std::move(values);
    r.indexes = std::move(indexes);
    r.op_flags = flags;
    r.peer = peer;
    return Run(r);
  }

  Response List(const std::string& handle, size_t page_size = 0, std::string after = "") {
    Request r;
    r.op = OpCode::kListHandles;
    r.handle = handle;
    r.list_page_size = page_size;
    r.list_after = std::move(after);
    r.peer = Loopback();
    return Run(r);
  }

  void CreateSample(const std::string& handle = "88.999/abc") {
    Response r = Write(
        OpCode::kCreateHandle, handle,
        {Value(1, "URL", "https://example.org/p"), Value(2, "EMAIL", "ops@x"),
         Value(3, "URL.mirror", "https://mirror/p"),
         Value(100, "HS_ADMIN", EncodeAdminData(AdminRecord{admin_perm::kAll, "0.NA/88.999", 200}),
               kPermAdminRead | kPermAdminWrite)});
    ASSERT_TRUE(r.ok()) << r.message;
  }

  static void ExpectError(const Response& r, ResponseCode code, const std::string& message) {
    EXPECT_EQ(r.code, code) << r.message;
    EXPECT_EQ(r.message, message);
    EXPECT_TRUE(r.values.empty());
    EXPECT_TRUE(r.handles.empty());
  }

  uint64_t Requests(const std::string& op, const std::string& transport) {
    return metrics_
        .GetCounter("qilian_ident_requests_total", "", {{"op", op}, {"transport", transport}})
        .value();
  }
  uint64_t Responses(const std::string& code) {
    return metrics_.GetCounter("qilian_ident_responses_total", "", {{"code", code}}).value();
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
  MetricsRegistry metrics_;
  ProcessorOptions options_;
  std::unique_ptr<Processor> processor_;
};

TEST_F(ProcessorTest, ResolvesPublicValuesAuthoritatively) {
  CreateSample();
  Response r = Resolve("88.999/abc");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.handle, "88.999/abc");
  EXPECT_TRUE(r.message.empty());
  // Index 100 has no public read: never returned to an anonymous reader.
  EXPECT_EQ(Indexes(r.values), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(r.values[0].data, "https://example.org/p");
  EXPECT_EQ(r.values[0].timestamp, 1'700'000'000u);
  EXPECT_EQ(r.op_flags, op_flag::kAuthoritative);
}

TEST_F(ProcessorTest, FiltersByIndexAndType) {
  CreateSample();
  EXPECT_EQ(Indexes(Resolve("88.999/abc", {2}).values), (std::vector<uint32_t>{2}));
  // TYPE.subtype rule: URL matches URL.mirror too.
  EXPECT_EQ(Indexes(Resolve("88.999/abc", {}, {"URL"}).values), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(Indexes(Resolve("88.999/abc", {2}, {"URL"}).values), (std::vector<uint32_t>{1, 2, 3}));
  ExpectError(Resolve("88.999/abc", {}, {"NOPE"}), ResponseCode::kValuesNotFound,
              "no values match the filter");
  ExpectError(Resolve("88.999/abc", {7}), ResponseCode::kValuesNotFound,
              "no values match the filter");
}

TEST_F(ProcessorTest, NonPublicValuesAreNeverReturned) {
  CreateSample();
  // Asking for the hidden value gets the same answer as asking for a
  // missing one, with or without PO.
  for (uint32_t flags : {0u, op_flag::kPublicOnly}) {
    SCOPED_TRACE(flags);
    ExpectError(Resolve("88.999/abc", {100}, {}, flags), ResponseCode::kValuesNotFound,
                "no values match the filter");
    ExpectError(Resolve("88.999/abc", {}, {"HS_ADMIN"}, flags), ResponseCode::kValuesNotFound,
                "no values match the filter");
    EXPECT_EQ(Indexes(Resolve("88.999/abc", {1, 100}, {}, flags).values),
              (std::vector<uint32_t>{1}));
  }
  // PO is echoed on the reply.
  EXPECT_EQ(Resolve("88.999/abc", {}, {}, op_flag::kPublicOnly).op_flags,
            op_flag::kAuthoritative | op_flag::kPublicOnly);
  // A handle whose values are all private resolves to no values (it exists).
  ASSERT_TRUE(Write(OpCode::kCreateHandle, "88.999/private",
                    {Value(1, "URL", "u", kPermAdminRead | kPermAdminWrite)})
                  .ok());
  Response r = Resolve("88.999/private");
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(r.values.empty());
}

TEST_F(ProcessorTest, NotFoundInvalidAndNotResponsible) {
  ExpectError(Resolve("88.999/none"), ResponseCode::kHandleNotFound,
              "handle '88.999/none' not found");
  ExpectError(Resolve("88.999"), ResponseCode::kInvalidHandle,
              "handle has no '/' between prefix and suffix");
  ExpectError(Resolve("88.999/a\x01"), ResponseCode::kInvalidHandle,
              "handle contains a control character");
  Response r = Resolve("10.1234/x");
  ExpectError(r, ResponseCode::kServerNotResponsible,
              "this node is not responsible for prefix '10.1234'");
  EXPECT_EQ(r.op_flags & op_flag::kAuthoritative, 0u);
  // Not-found is an authoritative answer.
  EXPECT_EQ(Resolve("88.999/none").op_flags, op_flag::kAuthoritative);
}

TEST_F(ProcessorTest, RecursionOnANonRecursiveNode) {
  CreateSample();
  // Local data: answered authoritatively, REC not echoed (we did not recurse).
  Response local = Resolve("88.999/abc", {}, {}, op_flag::kRecursive);
  ASSERT_TRUE(local.ok()) << local.message;
  EXPECT_EQ(local.op_flags, op_flag::kAuthoritative);
  EXPECT_EQ(local.values.size(), 3u);
  // Elsewhere: refused with 301, saying why.
  ExpectError(Resolve("10.1234/x", {}, {}, op_flag::kRecursive),
              ResponseCode::kServerNotResponsible,
              "this node is not responsible for prefix '10.1234' and does not resolve "
              "recursively");
}

TEST_F(ProcessorTest, PrefixHandleIsServedForOwnPrefix) {
  ASSERT_TRUE(Write(OpCode::kCreateHandle, "0.NA/88.999", {Value(1, "URL", "u")}).ok());
  EXPECT_TRUE(Resolve("0.NA/88.999").ok());
  EXPECT_TRUE(Resolve("0.na/88.999").ok());
  ExpectError(Resolve("0.NA/10.1234"), ResponseCode::kServerNotResponsible,
              "this node is not responsible for prefix '10.1234'");
}

TEST_F(ProcessorTest, UnsupportedOperationsAreRefusedFirst) {
  struct Case {
    uint32_t op;
    ResponseCode code;
    std::string message;
  };
  const Case cases[] = {
      {0, ResponseCode::kOperationNotSupported, "operation 0 is not supported"},
      {106, ResponseCode::kOperationNotSupported, "operation 106 is not supported"},
      {999, ResponseCode::kOperationNotSupported, "operation 999 is not supported"},
      {200, ResponseCode::kOperationNotSupported,
       "operation challenge_response is not supported until authentication is configured"},
      {201, ResponseCode::kOperationNotSupported,
       "operation verify_response is not supported until authentication is configured"},
      {2001, ResponseCode::kOperationNotSupported,
       "operation idis_login is not supported until authentication is configured"},
      {400, ResponseCode::kSessionNoSupport,
       "sessions are not supported until authentication is configured"},
      {401, ResponseCode::kSessionNoSupport,
       "sessions are not supported until authentication is configured"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    Request r;
    r.op = static_cast<OpCode>(c.op);
    r.handle = "not a handle";  // the operation is checked before the handle
    r.peer = Remote(Transport::kUdp);
    ExpectError(Run(r), c.code, c.message);
  }
  EXPECT_EQ(Requests("unknown", "udp"), 1u);
  EXPECT_EQ(Requests("idis_login", "udp"), 1u);
  EXPECT_EQ(Responses("5"), 6u);
  EXPECT_EQ(Responses("503"), 2u);
}

TEST_F(ProcessorTest, CreateReplaceAndPutValues) {
  const std::vector<HandleValue> one = {Value(1, "URL", "a")};
  Response created = Write(OpCode::kCreateHandle, "88.999/c", one);
  ASSERT_TRUE(created.ok()) << created.message;
  EXPECT_EQ(created.outcome, WriteOutcome::kCreated);
  EXPECT_EQ(created.op_flags, op_flag::kAuthoritative);

  ExpectError(Write(OpCode::kCreateHandle, "88.999/c", one), ResponseCode::kHandleAlreadyExists,
              "handle '88.999/c' already exists");

  // The overwrite flag replaces the whole handle.
  Response replaced =
      Write(OpCode::kCreateHandle, "88.999/c", {Value(5, "URL", "b")}, {}, op_flag::kOverwrite);
  ASSERT_TRUE(replaced.ok()) << replaced.message;
  EXPECT_EQ(replaced.outcome, WriteOutcome::kUpdated);
  EXPECT_EQ(Indexes(Resolve("88.999/c").values), (std::vector<uint32_t>{5}));
  Response fresh = Write(OpCode::kCreateHandle, "88.999/d", one, {}, op_flag::kOverwrite);
  EXPECT_EQ(fresh.outcome, WriteOutcome::kCreated);

  // REST's PUT with index=: just these values.
  Request put;
  put.op = OpCode::kCreateHandle;
  put.handle = "88.999/c";
  put.values = {Value(6, "EMAIL", "e")};
  put.put_values_only = true;
  put.peer = Loopback(Transport::kHttp);
  Response r = Run(put);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.outcome, WriteOutcome::kUpdated);
  EXPECT_EQ(Indexes(Resolve("88.999/c").values), (std::vector<uint32_t>{5, 6}));
  ExpectError(Run(put), ResponseCode::kValueAlreadyExists, "value index 6 already exists");
  put.op_flags = op_flag::kOverwrite;
  EXPECT_TRUE(Run(put).ok());

  ExpectError(Write(OpCode::kCreateHandle, "88.999/e", {}), ResponseCode::kInvalidValue,
              "a handle needs at least one value");
  ExpectError(Write(OpCode::kCreateHandle, "10.1234/e", one), ResponseCode::kServerNotResponsible,
              "this node is not responsible for prefix '10.1234'");
  ExpectError(Write(OpCode::kCreateHandle, "88.999/", one), ResponseCode::kInvalidHandle,
              "suffix is empty");
}

TEST_F(ProcessorTest, ValueOperationsAndDelete) {
  CreateSample();
  ASSERT_TRUE(Write(OpCode::kAddValue, "88.999/abc", {Value(4, "DESC", "pump")}).ok());
  ExpectError(Write(OpCode::kAddValue, "88.999/abc", {Value(4, "DESC", "x")}),
              ResponseCode::kValueAlreadyExists, "value index 4 already exists");
  ASSERT_TRUE(Write(OpCode::kModifyValue, "88.999/abc", {Value(4, "DESC", "valve")}).ok());
  EXPECT_EQ(Resolve("88.999/abc", {4}).values[0].data, "valve");
  ExpectError(Write(OpCode::kModifyValue, "88.999/abc", {Value(9, "DESC", "x")}),
              ResponseCode::kValuesNotFound, "value index 9 does not exist");
  ASSERT_TRUE(Write(OpCode::kRemoveValue, "88.999/abc", {}, {4, 2}).ok());
  EXPECT_EQ(Indexes(Resolve("88.999/abc").values), (std::vector<uint32_t>{1, 3}));
  ExpectError(Write(OpCode::kRemoveValue, "88.999/abc", {}, {2}), ResponseCode::kValuesNotFound,
              "value index 2 does not exist");
  ExpectError(Write(OpCode::kAddValue, "88.999/none", {Value(4, "DESC", "x")}),
              ResponseCode::kHandleNotFound, "handle '88.999/none' not found");

  ASSERT_TRUE(Write(OpCode::kDeleteHandle, "88.999/abc").ok());
  ExpectError(Resolve("88.999/abc"), ResponseCode::kHandleNotFound,
              "handle '88.999/abc' not found");
  ExpectError(Write(OpCode::kDeleteHandle, "88.999/abc"), ResponseCode::kHandleNotFound,
              "handle '88.999/abc' not found");
}

TEST_F(ProcessorTest, WritesNotOverUdp) {
  const std::vector<HandleValue> one = {Value(1, "URL", "a")};
  for (OpCode op : {OpCode::kCreateHandle, OpCode::kDeleteHandle, OpCode::kAddValue,
                    OpCode::kRemoveValue, OpCode::kModifyValue}) {
    SCOPED_TRACE(OpCodeName(op));
    ExpectError(Write(op, "88.999/w", one, {1}, 0, Loopback(Transport::kUdp)),
                ResponseCode::kProtocolError,
                "administration requests are accepted only over TCP or HTTP");
    ExpectError(Write(op, "88.999/w", one, {1}, 0, Remote(Transport::kUdp)),
                ResponseCode::kProtocolError,
                "administration requests are accepted only over TCP or HTTP");
  }
  EXPECT_EQ(Responses("4"), 10u);
  ExpectError(Resolve("88.999/w"), ResponseCode::kHandleNotFound, "handle '88.999/w' not found");
}

// An access policy that answers as told and records what it was asked.
class RecordingPolicy : public AccessPolicy {
 public:
  absl::Status Authorize(const Request& request,
                         const std::vector<HandleValue>& current) const override {
    authorized.push_back(request.handle);
    current_sizes.push_back(current.size());
    if (request.caller.anonymous()) {
      return HandleError(ResponseCode::kAuthenticationNeeded, "authentication required");
    }
    return verdict;
  }
  absl::StatusOr<bool> MayReadRestricted(const Request&,
                                         const std::vector<HandleValue>&) const override {
    return may_read;
  }
  // Stages a marker the test can find in the store (the registry's space,
  // under a key no handle has): it is there only if the change was written.
  void StageAudit(const Request& request, store::WriteBatch* batch) const override {
    batch->Put(Registry::kSpace, absl::StrCat("!staged ", staged++),
               absl::StrCat(request.caller.actor, " ", request.handle));
  }
  void Audit(const Request& request, const Response& response) const override {
    audited.push_back(absl::StrCat(request.caller.actor, " ", request.handle, " ",
                                   static_cast<int>(response.code)));
  }
  absl::Status verdict = absl::OkStatus();
  bool may_read = false;
  mutable std::vector<std::string> authorized;
  mutable std::vector<size_t> current_sizes;
  mutable std::vector<std::string> audited;
  mutable int staged = 0;
};

TEST_F(ProcessorTest, AccessPolicyDecidesWritesAndAuditsThem) {
  RecordingPolicy policy;
  ProcessorOptions options = options_;
  options.access = &policy;
  Processor processor(&registry_, &metrics_, options);
  auto write = [&](OpCode op, const std::string& handle, const std::string& actor) {
    Request r;
    r.op = op;
    r.handle = handle;
    r.values = {Value(1, "URL", "a")};
    r.indexes = {1};
    r.peer = Remote(Transport::kTcp);
    if (!actor.empty()) {
      r.caller.actor = actor;
      r.caller.identity = AdminIdentity{"88.999/ADMIN", 300};
    }
    return processor.Process(r);
  };
  // Anonymous: 402, not audited (the native front end challenges).
  ExpectError(write(OpCode::kCreateHandle, "88.999/p", ""), ResponseCode::kAuthenticationNeeded,
              "authentication required");
  EXPECT_TRUE(policy.audited.empty());
  // Authority comes first: a foreign prefix never reaches the policy.
  ExpectError(write(OpCode::kCreateHandle, "77.1/p", "300:88.999/ADMIN"),
              ResponseCode::kServerNotResponsible, "this node is not responsible for prefix '77.1'");
  EXPECT_EQ(policy.authorized, std::vector<std::string>{"88.999/p"});
  // Authenticated: allowed, audited with the result code.
  ASSERT_TRUE(write(OpCode::kCreateHandle, "88.999/p", "300:88.999/ADMIN").ok());
  // A plain create is judged without the target's values; a modify with them.
  ASSERT_TRUE(write(OpCode::kModifyValue, "88.999/p", "300:88.999/ADMIN").ok());
  EXPECT_EQ(policy.current_sizes, (std::vector<size_t>{0, 0, 1}));
  policy.verdict = HandleError(ResponseCode::kInsufficientPermissions, "no");
  ExpectError(write(OpCode::kDeleteHandle, "88.999/p", "300:88.999/ADMIN"),
              ResponseCode::kInsufficientPermissions, "no");
  // Refusals are audited on their own; the two successful writes stored
  // their staged events with the change.
  EXPECT_EQ(policy.audited, (std::vector<std::string>{"300:88.999/ADMIN 77.1/p 301",
                                                      "300:88.999/ADMIN 88.999/p 401"}));
  EXPECT_EQ(policy.staged, 2);
  for (const char* key : {"!staged 0", "!staged 1"}) {
    std::string value;
    ASSERT_TRUE(store_->Get(Registry::kSpace, key, &value).ok()) << key;
    EXPECT_EQ(value, "300:88.999/ADMIN 88.999/p");
  }
  EXPECT_TRUE(Resolve("88.999/p").ok());  // the refused delete did nothing
}

// Minting (mint_test.cc has the rest): every attempt is authorized, and
// audited, as the plain create of the handle it would make.
TEST_F(ProcessorTest, AMintedHandleIsAuthorizedAndAuditedLikeAnyCreate) {
  RecordingPolicy policy;
  ProcessorOptions options = options_;
  options.access = &policy;
  std::vector<std::string> suffixes = {"a1", "a2", "a3"};
  options.mint_suffix = [&suffixes]() -> absl::StatusOr<std::string> {
    std::string s = suffixes.front();
    suffixes.erase(suffixes.begin());
    return s;
  };
  Processor processor(&registry_, &metrics_, options);
  Request request;
  request.op = OpCode::kCreateHandle;
  request.op_flags = op_flag::kMint;
  request.handle = "88.999/";
  request.values = {Value(1, "URL", "a")};
  request.peer = Remote(Transport::kTcp);
  // Anonymous: 402 (the native front end challenges, and mints afresh
  // once answered); nothing stored, nothing audited.
  Response r = processor.Process(request);
  ExpectError(r, ResponseCode::kAuthenticationNeeded, "authentication required");
  EXPECT_EQ(r.handle, "88.999/a1");
  // Authenticated but refused: audited under the handle it would have made.
  request.caller.actor = "300:88.999/ADMIN";
  request.caller.identity = AdminIdentity{"88.999/ADMIN", 300};
  policy.verdict = HandleError(ResponseCode::kInsufficientPermissions, "no");
  ExpectError(processor.Process(request), ResponseCode::kInsufficientPermissions, "no");
  // Allowed: the event stored with the change names the minted handle.
  policy.verdict = absl::OkStatus();
  r = processor.Process(request);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.handle, "88.999/a3");
  EXPECT_EQ(policy.authorized,
            (std::vector<std::string>{"88.999/a1", "88.999/a2", "88.999/a3"}));
  EXPECT_EQ(policy.audited, std::vector<std::string>{"300:88.999/ADMIN 88.999/a2 401"});
  std::string staged;
  ASSERT_TRUE(store_->Get(Registry::kSpace, "!staged 0", &staged).ok());
  EXPECT_EQ(staged, "300:88.999/ADMIN 88.999/a3");
  ExpectError(Resolve("88.999/a1"), ResponseCode::kHandleNotFound, "handle '88.999/a1' not found");
  EXPECT_TRUE(Resolve("88.999/a3").ok());
}

TEST_F(ProcessorTest, RestrictedValuesNeedAnAuthorizedReader) {
  HandleValue secret = Value(300, "HS_SECKEY", "s");
  secret.permissions = kPermAdminRead | kPermAdminWrite;
  HandleValue hidden = Value(301, "NOTE", "n");
  hidden.permissions = kPermAdminWrite;  // readable by nobody
  ASSERT_TRUE(Write(OpCode::kCreateHandle, "88.999/r", {Value(1, "URL", "a"), secret, hidden}).ok());
  RecordingPolicy policy;
  ProcessorOptions options = options_;
  options.access = &policy;
  Processor processor(&registry_, &metrics_, options);
  auto read = [&](uint32_t flags, bool authenticated) {
    Request r;
    r.op = OpCode::kResolution;
    r.handle = "88.999/r";
    r.op_flags = flags;
    r.peer = Remote(Transport::kUdp);
    if (authenticated) {
      r.caller.actor = "300:88.999/ADMIN";
      r.caller.identity = AdminIdentity{"88.999/ADMIN", 300};
    }
    return processor.Process(r);
  };
  auto indexes = [](const Response& response) {
    std::vector<uint32_t> out;
    for (const auto& v : response.values) out.push_back(v.index);
    return out;
  };
  ExpectError(read(0, false), ResponseCode::kAuthenticationNeeded,
              "authentication required to read values without public read permission");
  EXPECT_EQ(indexes(read(op_flag::kPublicOnly, false)), std::vector<uint32_t>{1});
  EXPECT_EQ(indexes(read(0, true)), std::vector<uint32_t>{1});
  policy.may_read = true;
  EXPECT_EQ(indexes(read(0, true)), (std::vector<uint32_t>{1, 300}));
  EXPECT_EQ(indexes(read(op_flag::kPublicOnly, true)), std::vector<uint32_t>{1});
  // Reads are not audited.
  EXPECT_TRUE(policy.audited.empty());
}

TEST_F(ProcessorTest, ListHandles) {
  for (const char* s : {"e", "a", "c", "b", "d"}) {
    ASSERT_TRUE(
        Write(OpCode::kCreateHandle, std::string("88.999/") + s, {Value(1, "URL", "u")}).ok());
  }
  ASSERT_TRUE(Write(OpCode::kCreateHandle, "88.999.1/z", {Value(1, "URL", "u")}).ok());

  Response all = List("0.NA/88.999");
  ASSERT_TRUE(all.ok()) << all.message;
  EXPECT_EQ(all.handles,
            (std::vector<std::string>{"88.999/a", "88.999/b", "88.999/c", "88.999/d", "88.999/e"}));
  EXPECT_FALSE(all.more);
  EXPECT_EQ(all.op_flags, op_flag::kAuthoritative);

  Response page = List("0.NA/88.999", 2);
  EXPECT_EQ(page.handles, (std::vector<std::string>{"88.999/a", "88.999/b"}));
  EXPECT_TRUE(page.more);
  Response next = List("0.NA/88.999", 2, "88.999/b");
  EXPECT_EQ(next.handles, (std::vector<std::string>{"88.999/c", "88.999/d"}));
  EXPECT_TRUE(next.more);
  Response last = List("0.NA/88.999", 2, "88.999/d");
  EXPECT_EQ(last.handles, (std::vector<std::string>{"88.999/e"}));
  EXPECT_FALSE(last.more);

  ExpectError(List("88.999/a"), ResponseCode::kInvalidHandle,
              "list handles needs a prefix handle 0.NA/<prefix>, got '88.999/a'");
  ExpectError(List("0.NA/10.1234"), ResponseCode::kServerNotResponsible,
              "this node is not responsible for prefix '10.1234'");
  ExpectError(List("0.NA/88..999"), ResponseCode::kInvalidHandle, "prefix has an empty segment");
  ExpectError(List("0.NA/88.999", 2, "88.998/x"), ResponseCode::kInvalidHandle,
              "'after' handle '88.998/x' is not under prefix '88.999'");
}

TEST_F(ProcessorTest, WholeListingWalksPagesOfMaxPageSize) {
  ProcessorOptions small = options_;
  small.max_page_size = 2;
  Processor p(&registry_, &metrics_, small);
  for (const char* s : {"e", "a", "c", "b", "d"}) {
    ASSERT_TRUE(
        Write(OpCode::kCreateHandle, std::string("88.999/") + s, {Value(1, "URL", "u")}).ok());
  }
  Request r;
  r.op = OpCode::kListHandles;
  r.handle = "0.NA/88.999";
  r.peer = Loopback();
  Response all = p.Process(r);
  EXPECT_EQ(all.handles.size(), 5u);
  EXPECT_FALSE(all.more);
  // An explicit page larger than the maximum is clamped to it.
  r.list_page_size = 50;
  Response clamped = p.Process(r);
  EXPECT_EQ(clamped.handles.size(), 2u);
  EXPECT_TRUE(clamped.more);
}

TEST_F(ProcessorTest, GetSiteInfo) {
  Request r;
  r.op = OpCode::kGetSiteInfo;
  r.handle = "/";  // what CNRI clients send
  r.peer = Remote(Transport::kUdp);
  Response response = Run(r);
  ASSERT_TRUE(response.ok()) << response.message;
  EXPECT_EQ(response.site, options_.site);
  EXPECT_EQ(response.site.attributes.at(0).second, "test node");
  EXPECT_EQ(response.op_flags, op_flag::kAuthoritative);
  EXPECT_EQ(Requests("get_site_info", "udp"), 1u);
}

TEST_F(ProcessorTest, CountsPerOperationTransportAndCode) {
  CreateSample();
  Resolve("88.999/abc");
  Resolve("88.999/none");
  Resolve("88.999/abc", {}, {}, 0, Loopback(Transport::kTcp));
  EXPECT_EQ(Requests("resolution", "udp"), 2u);
  EXPECT_EQ(Requests("resolution", "tcp"), 1u);
  EXPECT_EQ(Requests("create_handle", "tcp"), 1u);
  EXPECT_EQ(Responses("1"), 3u);
  EXPECT_EQ(Responses("100"), 1u);
  std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("qilian_ident_requests_total{op=\"resolution\",transport=\"udp\"} 2"),
            std::string::npos)
      << text;
}

TEST_F(ProcessorTest, WorksWithoutMetrics) {
  Processor p(&registry_, nullptr, options_);
  Request r;
  r.handle = "88.999/none";
  EXPECT_EQ(p.Process(r).code, ResponseCode::kHandleNotFound);
}

TEST(ProcessorStaticTest, MayBlockOnWritesOnly) {
  for (OpCode op : {OpCode::kCreateHandle, OpCode::kDeleteHandle, OpCode::kAddValue,
                    OpCode::kRemoveValue, OpCode::kModifyValue}) {
    EXPECT_TRUE(Processor::MayBlock(op)) << OpCodeName(op);
  }
  for (OpCode op : {OpCode::kResolution, OpCode::kGetSiteInfo, OpCode::kListHandles,
                    OpCode::kSessionSetup, static_cast<OpCode>(999)}) {
    EXPECT_FALSE(Processor::MayBlock(op)) << OpCodeName(op);
  }
}

TEST(OperationTest, Names) {
  EXPECT_EQ(OpCodeName(OpCode::kResolution), "resolution");
  EXPECT_EQ(OpCodeName(OpCode::kGetSiteInfo), "get_site_info");
  EXPECT_EQ(OpCodeName(OpCode::kListHandles), "list_handles");
  EXPECT_EQ(OpCodeName(OpCode::kIdisLogin), "idis_login");
  EXPECT_EQ(OpCodeName(static_cast<OpCode>(999)), "unknown");
}

}  // namespace
}  // namespace qilian::ident
