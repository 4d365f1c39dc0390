#include "ident/registry.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

constexpr uint32_t kStart = 1'700'000'000;  // FakeClock's default start

HandleValue Value(uint32_t index, std::string type, std::string data) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  return v;
}

HandleValue Url(uint32_t index, std::string data = "https://example.org/") {
  return Value(index, "URL", std::move(data));
}

std::vector<uint32_t> Indexes(const HandleRecord& record) {
  std::vector<uint32_t> out;
  for (const auto& v : record.values) out.push_back(v.index);
  return out;
}

#define EXPECT_HANDLE_ERROR(expr, rc, msg)                       \
  do {                                                           \
    absl::Status ql_s_ = (expr);                                 \
    EXPECT_EQ(ResponseCodeOf(ql_s_), ResponseCode::rc) << ql_s_; \
    EXPECT_EQ(std::string(ql_s_.message()), msg);                \
  } while (0)

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest()
      : store_(store::NewMemoryStore({{"ident"}})),
        registry_(store_.get(), clock_, RegistryOptions{}) {}

  absl::Status GetStatus(std::string_view handle, const ValueFilter& filter = {}) {
    return registry_.Get(handle, filter).status();
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
};

TEST_F(RegistryTest, CreateThenGetReturnsSortedStampedValues) {
  ASSERT_TRUE(registry_.Create("88.999/Pump-1", {Url(3), Value(1, "EMAIL", "a@b.c")}).ok());
  auto record = registry_.Get("88.999/Pump-1", {});
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->handle, "88.999/Pump-1");
  EXPECT_EQ(Indexes(*record), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(record->values[0].type, "EMAIL");
  EXPECT_EQ(record->values[0].timestamp, kStart);
  EXPECT_EQ(record->values[1].timestamp, kStart);
  EXPECT_EQ(record->values[1].ttl, kDefaultTtl);
  EXPECT_EQ(record->values[1].permissions, kPermDefault);
}

TEST_F(RegistryTest, StoresUnderFoldedKeyInDocumentedFormat) {
  ASSERT_TRUE(registry_.Create("88.999/Pump-1", {Url(1, "u")}).ok());
  std::string bytes;
  ASSERT_TRUE(store_->Get("ident", "88.999/PUMP-1", &bytes).ok());
  HandleValue stamped = Url(1, "u");
  stamped.timestamp = kStart;
  EXPECT_EQ(bytes, EncodeRecord(HandleRecord{"88.999/Pump-1", {stamped}}));
}

TEST_F(RegistryTest, CaseInsensitiveByDefault) {
  ASSERT_TRUE(registry_.Create("88.999/ABC", {Url(1)}).ok());
  EXPECT_HANDLE_ERROR(registry_.Create("88.999/abc", {Url(1)}), kHandleAlreadyExists,
                      "handle '88.999/abc' already exists");
  auto record = registry_.Get("88.999/aBc", {});
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->handle, "88.999/ABC");  // spelling as created
}

TEST(RegistryCaseTest, CaseSensitiveSuffixOption) {
  FakeClock clock;
  auto store = store::NewMemoryStore({{"ident"}});
  RegistryOptions options;
  options.case_sensitive_suffix = true;
  Registry registry(store.get(), clock, options);
  ASSERT_TRUE(registry.Create("88.999/ABC", {Url(1, "upper")}).ok());
  ASSERT_TRUE(registry.Create("88.999/abc", {Url(1, "lower")}).ok());
  EXPECT_EQ(registry.Get("88.999/abc", {})->values[0].data, "lower");
  // The prefix still folds.
  EXPECT_EQ(registry.Get("88.999/ABC", {})->values[0].data, "upper");
  EXPECT_EQ(ResponseCodeOf(registry.Create("88.999/ABC", {Url(1)})),
            ResponseCode::kHandleAlreadyExists);
}

TEST_F(RegistryTest, GetMissingAndInvalid) {
  EXPECT_HANDLE_ERROR(GetStatus("88.999/nope"), kHandleNotFound, "handle '88.999/nope' not found");
  EXPECT_HANDLE_ERROR(GetStatus("88.999"), kInvalidHandle,
                      "handle has no '/' between prefix and suffix");
  EXPECT_HANDLE_ERROR(registry_.Create("88.999/\xff", {Url(1)}), kInvalidHandle,
                      "handle is not valid UTF-8");
}

TEST_F(RegistryTest, Authority) {
  EXPECT_HANDLE_ERROR(registry_.Create("99.1/x", {Url(1)}), kServerNotResponsible,
                      "this node is not responsible for prefix '99.1'");
  EXPECT_HANDLE_ERROR(registry_.Create("88.9991/x", {Url(1)}), kServerNotResponsible,
                      "this node is not responsible for prefix '88.9991'");
  EXPECT_HANDLE_ERROR(GetStatus("99.1/x"), kServerNotResponsible,
                      "this node is not responsible for prefix '99.1'");
  EXPECT_HANDLE_ERROR(registry_.Create("0.NA/99", {Url(1)}), kServerNotResponsible,
                      "this node is not responsible for prefix '99'");
  EXPECT_TRUE(registry_.Create("88.999.7/x", {Url(1)}).ok());
  EXPECT_TRUE(registry_.Create("0.na/88.999", {Url(1)}).ok());
  EXPECT_TRUE(registry_.Create("0.NA/88.999.7", {Url(1)}).ok());
  EXPECT_TRUE(registry_.IsAuthoritativeFor("88.999"));
  EXPECT_TRUE(registry_.IsAuthoritativeFor("88.999.1"));
  EXPECT_FALSE(registry_.IsAuthoritativeFor("88.99"));
  EXPECT_HANDLE_ERROR(GetStatus("99.1/x"), kServerNotResponsible,
                      "this node is not responsible for prefix '99.1'");
}

TEST_F(RegistryTest, ValueValidationMessages) {
  const std::string h = "88.999/v";
  EXPECT_HANDLE_ERROR(registry_.Create(h, {}), kInvalidValue, "a handle needs at least one value");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Url(0)}), kInvalidValue,
                      "value index 0 is out of range 1..2147483647");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Url(0x80000000u)}), kInvalidValue,
                      "value index 2147483648 is out of range 1..2147483647");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Url(5), Url(6), Url(5)}), kInvalidValue,
                      "value index 5 appears more than once");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(3, "", "x")}), kInvalidValue,
                      "value at index 3 has an empty type");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(3, std::string(256, 'T'), "x")}), kInvalidValue,
                      "value at index 3 has a type longer than 255 bytes");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(3, "U\xffL", "x")}), kInvalidValue,
                      "value at index 3 has a type that is not printable UTF-8");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(3, "U\nL", "x")}), kInvalidValue,
                      "value at index 3 has a type that is not printable UTF-8");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(3, "X", std::string((1 << 20) + 1, 'd'))}),
                      kInvalidValue, "value at index 3 has data longer than 1048576 bytes");
  HandleValue bad_ttl = Url(4);
  bad_ttl.ttl_type = static_cast<TtlType>(7);
  EXPECT_HANDLE_ERROR(registry_.Create(h, {bad_ttl}), kInvalidValue,
                      "value at index 4 has an invalid TTL type");
  HandleValue many_refs = Url(4);
  many_refs.references.assign(65, ValueReference{"88.999/r", 1});
  EXPECT_HANDLE_ERROR(registry_.Create(h, {many_refs}), kInvalidValue,
                      "value at index 4 has more than 64 references");
  HandleValue long_ref = Url(4);
  long_ref.references = {{std::string(1025, 'r'), 1}};
  EXPECT_HANDLE_ERROR(registry_.Create(h, {long_ref}), kInvalidValue,
                      "value at index 4 has a reference longer than 1024 bytes");
  std::vector<HandleValue> too_many;
  for (uint32_t i = 1; i <= 1025; ++i) too_many.push_back(Url(i));
  EXPECT_HANDLE_ERROR(registry_.Create(h, too_many), kInvalidValue,
                      "a handle can have at most 1024 values, not 1025");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(100, "HS_ADMIN", "\x0f\xff")}), kInvalidValue,
                      "HS_ADMIN value at index 100 is not a valid admin record");
  // Trailing bytes after a well-formed admin record are not an admin record either.
  EXPECT_HANDLE_ERROR(
      registry_.Create(h, {Value(100, "HS_ADMIN", EncodeAdminData({0x0fff, "88.999/A", 300}) + "!")}),
      kInvalidValue, "HS_ADMIN value at index 100 is not a valid admin record");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(7, "HS_VLIST", "\0\0\0\x09")}), kInvalidValue,
                      "HS_VLIST value at index 7 is not a valid value list");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(8, "HS_SITE", "site")}), kInvalidValue,
                      "HS_SITE value at index 8 is not a valid site record");
  EXPECT_HANDLE_ERROR(registry_.Create(h, {Value(8, "hs_site", "site")}), kInvalidValue,
                      "hs_site value at index 8 is not a valid site record");
  // Nothing of any rejected request was stored.
  EXPECT_EQ(ResponseCodeOf(GetStatus(h)), ResponseCode::kHandleNotFound);

  std::vector<HandleValue> max;
  for (uint32_t i = 1; i <= 1024; ++i) max.push_back(Url(i));
  max[0] = Value(1, "HS_ADMIN", EncodeAdminData({0x0fff, "88.999/A", 300}));
  max[1] = Value(2, "HS_VLIST", EncodeVListData({{"88.999/A", 300}}));
  max[2] = Value(3, "HS_SITE", EncodeSiteData(SiteInfo{}));
  max[3] = Url(kMaxValueIndex);
  EXPECT_TRUE(registry_.Create(h, max).ok());
}

class FilterTest : public RegistryTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_
                    .Create("88.999/f", {Url(1), Value(2, "URL.mirror", "m"), Value(3, "URLX", "x"),
                                         Value(4, "EMAIL", "e"), Value(5, "url", "lower")})
                    .ok());
  }
  std::vector<uint32_t> Select(ValueFilter filter) {
    auto record = registry_.Get("88.999/f", filter);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? Indexes(*record) : std::vector<uint32_t>{};
  }
};

TEST_F(FilterTest, ByIndexTypeAndSubtype) {
  EXPECT_EQ(Select({}), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(Select({{4, 1, 99}, {}}), (std::vector<uint32_t>{1, 4}));
  EXPECT_EQ(Select({{}, {"URL"}}), (std::vector<uint32_t>{1, 2, 5}));
  EXPECT_EQ(Select({{}, {"url"}}), (std::vector<uint32_t>{1, 2, 5}));
  EXPECT_EQ(Select({{}, {"URL."}}), (std::vector<uint32_t>{1, 2, 5}));
  EXPECT_EQ(Select({{}, {"URL.mirror"}}), (std::vector<uint32_t>{2}));
  EXPECT_EQ(Select({{}, {"URLX", "EMAIL"}}), (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(Select({{4}, {"URL.MIRROR"}}), (std::vector<uint32_t>{2, 4}));  // OR
}

TEST_F(FilterTest, NoMatchIs200) {
  EXPECT_HANDLE_ERROR(GetStatus("88.999/f", {{}, {"NO-SUCH-TYPE"}}), kValuesNotFound,
                      "no values match the filter");
  EXPECT_HANDLE_ERROR(GetStatus("88.999/f", {{42}, {}}), kValuesNotFound,
                      "no values match the filter");
  EXPECT_HANDLE_ERROR(GetStatus("88.999/f", {{}, {"UR"}}), kValuesNotFound,
                      "no values match the filter");
  EXPECT_HANDLE_ERROR(GetStatus("88.999/g", {{42}, {}}), kHandleNotFound,
                      "handle '88.999/g' not found");
}

TEST_F(RegistryTest, Replace) {
  auto created = registry_.Replace("88.999/R", {Url(1, "a"), Url(2, "b")}, false);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(*created, WriteOutcome::kCreated);
  auto refused = registry_.Replace("88.999/r", {Url(9)}, false);
  EXPECT_HANDLE_ERROR(refused.status(), kHandleAlreadyExists, "handle '88.999/r' already exists");
  clock_.Advance(absl::Seconds(10));
  auto replaced = registry_.Replace("88.999/r", {Url(9, "z")}, true);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(*replaced, WriteOutcome::kUpdated);
  auto record = registry_.Get("88.999/R", {});
  EXPECT_EQ(record->handle, "88.999/R");
  EXPECT_EQ(Indexes(*record), (std::vector<uint32_t>{9}));
  EXPECT_EQ(record->values[0].timestamp, kStart + 10);
  EXPECT_HANDLE_ERROR(registry_.Replace("88.999/R", {}, true).status(), kInvalidValue,
                      "a handle needs at least one value");
}

TEST_F(RegistryTest, PutValues) {
  auto created = registry_.PutValues("88.999/p", {Url(2, "b")}, false);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(*created, WriteOutcome::kCreated);
  clock_.Advance(absl::Seconds(5));
  auto updated = registry_.PutValues("88.999/p", {Url(1, "a"), Url(2, "B")}, true);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(*updated, WriteOutcome::kUpdated);
  auto record = registry_.Get("88.999/p", {});
  EXPECT_EQ(Indexes(*record), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(record->values[1].data, "B");
  EXPECT_EQ(record->values[1].timestamp, kStart + 5);
  EXPECT_HANDLE_ERROR(registry_.PutValues("88.999/p", {Url(3), Url(2, "no")}, false).status(),
                      kValueAlreadyExists, "value index 2 already exists");
  EXPECT_EQ(Indexes(*registry_.Get("88.999/p", {})), (std::vector<uint32_t>{1, 2}));
  EXPECT_HANDLE_ERROR(registry_.PutValues("88.999/p", {}, true).status(), kInvalidValue,
                      "the request has no values");
  std::vector<HandleValue> fill;
  for (uint32_t i = 3; i <= 1025; ++i) fill.push_back(Url(i));
  EXPECT_HANDLE_ERROR(registry_.PutValues("88.999/p", fill, true).status(), kInvalidValue,
                      "a handle can have at most 1024 values, not 1025");
}

TEST_F(RegistryTest, AddModifyRemove) {
  const std::string h = "88.999/amr";
  EXPECT_HANDLE_ERROR(registry_.AddValues(h, {Url(2)}), kHandleNotFound,
                      "handle '88.999/amr' not found");
  ASSERT_TRUE(registry_.Create(h, {Url(1, "one")}).ok());
  clock_.Advance(absl::Seconds(7));
  ASSERT_TRUE(registry_.AddValues(h, {Url(3, "three"), Url(2, "two")}).ok());
  auto record = registry_.Get(h, {});
  EXPECT_EQ(Indexes(*record), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(record->values[0].timestamp, kStart);
  EXPECT_EQ(record->values[1].timestamp, kStart + 7);
  EXPECT_HANDLE_ERROR(registry_.AddValues(h, {Url(4), Url(1)}), kValueAlreadyExists,
                      "value index 1 already exists");
  EXPECT_HANDLE_ERROR(registry_.AddValues(h, {}), kInvalidValue, "the request has no values");

  EXPECT_HANDLE_ERROR(registry_.ModifyValues(h, {Url(9)}), kValuesNotFound,
                      "value index 9 does not exist");
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(registry_.ModifyValues(h, {Value(2, "EMAIL", "x@y")}).ok());
  record = registry_.Get(h, {});
  EXPECT_EQ(record->values[1].type, "EMAIL");
  EXPECT_EQ(record->values[1].timestamp, kStart + 8);
  EXPECT_EQ(record->values[2].timestamp, kStart + 7);

  EXPECT_HANDLE_ERROR(registry_.RemoveValues(h, {9}), kValuesNotFound,
                      "value index 9 does not exist");
  EXPECT_HANDLE_ERROR(registry_.RemoveValues(h, {2, 2}), kInvalidValue,
                      "value index 2 appears more than once");
  EXPECT_HANDLE_ERROR(registry_.RemoveValues(h, {}), kInvalidValue, "the request names no values");
  EXPECT_HANDLE_ERROR(registry_.RemoveValues(h, {1, 2, 3}), kInvalidValue,
                      "removing every value would leave the handle empty; delete it instead");
  ASSERT_TRUE(registry_.RemoveValues(h, {3, 1}).ok());
  EXPECT_EQ(Indexes(*registry_.Get(h, {})), (std::vector<uint32_t>{2}));
  EXPECT_HANDLE_ERROR(registry_.RemoveValues("88.999/none", {1}), kHandleNotFound,
                      "handle '88.999/none' not found");
}

TEST_F(RegistryTest, Delete) {
  EXPECT_HANDLE_ERROR(registry_.Delete("88.999/d"), kHandleNotFound, "handle '88.999/d' not found");
  ASSERT_TRUE(registry_.Create("88.999/d", {Url(1)}).ok());
  ASSERT_TRUE(registry_.Delete("88.999/D").ok());
  EXPECT_EQ(ResponseCodeOf(GetStatus("88.999/d")), ResponseCode::kHandleNotFound);
  EXPECT_TRUE(registry_.Create("88.999/d", {Url(1)}).ok());
}

TEST_F(RegistryTest, ListPagesInStableOrderWithoutDerivedPrefixes) {
  for (std::string s : {"e", "B", "a", "d", "c"}) {
    ASSERT_TRUE(registry_.Create("88.999/" + s, {Url(1)}).ok());
  }
  ASSERT_TRUE(registry_.Create("88.999.1/x", {Url(1)}).ok());
  ASSERT_TRUE(registry_.Create("0.NA/88.999", {Url(1)}).ok());

  auto p1 = registry_.List("88.999", "", 2);
  ASSERT_TRUE(p1.ok()) << p1.status();
  EXPECT_EQ(p1->handles, (std::vector<std::string>{"88.999/a", "88.999/B"}));
  EXPECT_TRUE(p1->more);
  auto p2 = registry_.List("88.999", p1->handles.back(), 2);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->handles, (std::vector<std::string>{"88.999/c", "88.999/d"}));
  EXPECT_TRUE(p2->more);
  auto p3 = registry_.List("88.999", "88.999/D", 2);  // `after` folds like any handle
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->handles, (std::vector<std::string>{"88.999/e"}));
  EXPECT_FALSE(p3->more);
  auto exact = registry_.List("88.999", "", 5);
  EXPECT_EQ(exact->handles.size(), 5u);
  EXPECT_FALSE(exact->more);
  auto zero = registry_.List("88.999", "", 0);
  EXPECT_TRUE(zero->handles.empty());
  EXPECT_TRUE(zero->more);

  auto derived = registry_.List("88.999.1", "", 10);
  EXPECT_EQ(derived->handles, (std::vector<std::string>{"88.999.1/x"}));
  auto prefixes = registry_.List("0.na", "", 10);
  EXPECT_EQ(prefixes->handles, (std::vector<std::string>{"0.NA/88.999"}));
  auto empty = registry_.List("88.999.2", "", 10);
  EXPECT_TRUE(empty->handles.empty());
  EXPECT_FALSE(empty->more);

  EXPECT_HANDLE_ERROR(registry_.List("88..999", "", 10).status(), kInvalidHandle,
                      "prefix has an empty segment");
  EXPECT_HANDLE_ERROR(registry_.List("99", "", 10).status(), kServerNotResponsible,
                      "this node is not responsible for prefix '99'");
  EXPECT_HANDLE_ERROR(registry_.List("88.999", "88.999.1/x", 10).status(), kInvalidHandle,
                      "'after' handle '88.999.1/x' is not under prefix '88.999'");
}

TEST_F(RegistryTest, CorruptStoredRecordIsAnError) {
  ASSERT_TRUE(store_->Put("ident", "88.999/BAD", std::string("\x09junk", 5)).ok());
  EXPECT_HANDLE_ERROR(GetStatus("88.999/bad"), kError,
                      "stored record '88.999/BAD' is corrupt: stored record has unknown format "
                      "version 9");
  EXPECT_EQ(ResponseCodeOf(registry_.AddValues("88.999/bad", {Url(1)})), ResponseCode::kError);
  EXPECT_HANDLE_ERROR(registry_.List("88.999", "", 10).status(), kError,
                      "stored record has an unreadable header");
}

TEST_F(RegistryTest, ConcurrentAddValuesAllLand) {
  ASSERT_TRUE(registry_.Create("88.999/busy", {Url(1)}).ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        uint32_t index = 2 + t * kPerThread + i;
        if (!registry_.AddValues("88.999/busy", {Url(index)}).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto record = registry_.Get("88.999/busy", {});
  ASSERT_TRUE(record.ok());
  ASSERT_EQ(record->values.size(), 1u + kThreads * kPerThread);
  for (size_t i = 0; i < record->values.size(); ++i) {
    EXPECT_EQ(record->values[i].index, i + 1);
  }
}

// --- Record format ---

HandleRecord SampleRecord() {
  HandleValue a = Url(1, "https://example.org/vec");
  a.timestamp = 0x6b0b1760;
  HandleValue b = Value(100, "HS_ADMIN", EncodeAdminData({0x0fff, "88.999/ADMIN", 300}));
  b.references = {{"88.999/x", 2}};
  return HandleRecord{"88.999/VEC", {a, b}};
}

TEST(RecordFormatTest, GoldenBytes) {
  HandleValue v = Url(1, "u");
  v.timestamp = 0x01020304;
  std::string expected = std::string("\x01", 1) +                      // version
                         std::string("\0\0\0\x08", 4) + "88.999/a" +  // handle
                         std::string("\0\0\0\x01", 4) +               // value count
                         std::string("\0\0\0\x01\x01\x02\x03\x04\x00\x00\x01\x51\x80\x0e", 14) +
                         std::string("\0\0\0\x03", 4) + "URL" + std::string("\0\0\0\x01", 4) +
                         "u" + std::string("\0\0\0\0", 4);
  EXPECT_EQ(EncodeRecord(HandleRecord{"88.999/a", {v}}), expected);
}

TEST(RecordFormatTest, RoundTrip) {
  HandleRecord record = SampleRecord();
  std::string bytes = EncodeRecord(record);
  auto back = DecodeRecord(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->handle, record.handle);
  EXPECT_EQ(back->values, record.values);
  EXPECT_EQ(EncodeRecord(*back), bytes);
  auto empty = DecodeRecord(EncodeRecord(HandleRecord{"88.999/e", {}}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->values.empty());
}

void ExpectDataLoss(std::string_view bytes, std::string_view message) {
  auto r = DecodeRecord(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(std::string(r.status().message()), std::string(message));
}

TEST(RecordFormatTest, Corruptions) {
  std::string bytes = EncodeRecord(SampleRecord());
  // Every truncation fails, whichever field it cuts.
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeRecord(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
  ExpectDataLoss("", "stored record is empty");
  std::string v2 = bytes;
  v2[0] = 2;
  ExpectDataLoss(v2, "stored record has unknown format version 2");
  ExpectDataLoss(bytes.substr(0, 9), "stored record header is truncated");
  ExpectDataLoss(bytes.substr(0, bytes.size() - 1), "stored record value 2 of 2 is truncated or malformed");
  ExpectDataLoss(bytes + "xy", "stored record has 2 trailing bytes");

  // Header: version, handle "88.999/VEC" (4 + 10 bytes), then the count at 15.
  std::string count = bytes;
  count[15] = 0, count[16] = 0, count[17] = 0x04, count[18] = 0x01;  // 1025
  ExpectDataLoss(count, "stored record has 1025 values, more than 1024");
  count[17] = 0x04, count[18] = 0x00;  // 1024: allowed, but the bytes are not there
  ExpectDataLoss(count, "stored record declares 1024 values but is too short to hold them");
  std::string handle_len = bytes;
  handle_len[1] = 0x7f;  // handle length far beyond the record
  ExpectDataLoss(handle_len, "stored record header is truncated");

  HandleRecord unordered = SampleRecord();
  std::swap(unordered.values[0], unordered.values[1]);
  ExpectDataLoss(EncodeRecord(unordered), "stored record values are not in ascending index order");
  HandleRecord dup = SampleRecord();
  dup.values[1].index = 1;
  ExpectDataLoss(EncodeRecord(dup), "stored record values are not in ascending index order");
  HandleRecord bad_ttl = SampleRecord();
  bad_ttl.values[0].ttl_type = static_cast<TtlType>(3);
  ExpectDataLoss(EncodeRecord(bad_ttl), "stored record value 1 of 2 is truncated or malformed");
}

}  // namespace
}  // namespace qilian::ident
