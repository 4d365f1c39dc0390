#include "ident/authz/audit_log.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "store/fault_store.h"
#include "store/memory_store.h"

namespace qilian::ident::authz {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

AuditEvent Event(int64_t micros_after, std::string actor, std::string target,
                 std::string action = "add value") {
  AuditEvent e;
  e.time = kT0 + absl::Microseconds(micros_after);
  e.actor = std::move(actor);
  e.action = std::move(action);
  e.target = std::move(target);
  e.peer = "127.0.0.1:40512";
  e.transport = "tcp";
  e.result = 1;
  e.detail = "index 1";
  return e;
}

std::vector<std::string> Details(const AuditPage& page) {
  std::vector<std::string> out;
  for (const AuditEvent& e : page.events) out.push_back(e.detail);
  return out;
}

// Every key of the audit space, to show what a failure left behind.
std::vector<std::string> Keys(const store::KvStore& s) {
  std::vector<std::string> keys;
  EXPECT_TRUE(s.Scan(AuditLog::kSpace, "", "", [&](std::string_view k, std::string_view) {
                 keys.emplace_back(k);
                 return true;
               }).ok());
  return keys;
}

class AuditLogTest : public ::testing::Test {
 protected:
  AuditLogTest() : store_(store::NewMemoryStore({{std::string(AuditLog::kSpace)}})) {
    auto log = AuditLog::Open(store_.get());
    EXPECT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }

  void Add(AuditEvent e, std::string detail) {
    e.detail = std::move(detail);
    ASSERT_TRUE(log_->Append(std::move(e)).ok());
  }

  AuditPage Run(const AuditQuery& q) {
    auto page = log_->Query(q);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? *page : AuditPage{};
  }

  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, RoundTripsEveryFieldInTimeOrder) {
  AuditEvent late = Event(300, "300:88.999/ADMIN", "88.999.1/X", "delete handle");
  late.result = 401;
  late.transport = "https";
  late.peer = "[::1]:8443";
  auto seq = log_->Append(late);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 1u);
  Add(Event(100, "300:88.999/ADMIN", "88.999.1/Y"), "early");
  Add(Event(200, "", "88.999.2/Z", "authentication failed"), "middle");

  AuditPage page = Run({});
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(Details(page), (std::vector<std::string>{"early", "middle", "index 1"}));
  late.sequence = 1;
  EXPECT_EQ(page.events[2], late);
  EXPECT_EQ(page.events[0].sequence, 2u);
  EXPECT_EQ(page.events[1].actor, "");
  EXPECT_TRUE(page.next_cursor.empty());
}

TEST_F(AuditLogTest, TimeRangeIsHalfOpen) {
  for (int i = 0; i < 5; ++i) Add(Event(i * 10, "a", "88.999/X"), std::to_string(i));
  AuditQuery q;
  q.from = kT0 + absl::Microseconds(10);
  q.to = kT0 + absl::Microseconds(40);
  EXPECT_EQ(Details(Run(q)), (std::vector<std::string>{"1", "2", "3"}));
  q.from = kT0 - absl::Hours(1);
  q.to = kT0;
  EXPECT_TRUE(Run(q).events.empty());
}

TEST_F(AuditLogTest, EventsBeforeTheEpochSortFirst) {
  Add(Event(0, "a", "88.999/X"), "now");
  AuditEvent old = Event(0, "a", "88.999/X");
  old.time = absl::FromUnixSeconds(-5);
  Add(old, "1969");
  EXPECT_EQ(Details(Run({})), (std::vector<std::string>{"1969", "now"}));
}

TEST_F(AuditLogTest, ActorAndPrefixIndexes) {
  Add(Event(1, "300:88.999.1/ADMIN", "88.999.1/A"), "a1");
  Add(Event(2, "300:88.999.2/ADMIN", "88.999.2/B"), "b1");
  Add(Event(3, "300:88.999.1/ADMIN", "0.NA/88.999.1.7"), "a-derived-prefix");
  Add(Event(4, "300:88.999.1/ADMIN", "88.999.10/C"), "a-sibling");
  Add(Event(5, "", "88.999.1/A", "authentication failed"), "anon");

  AuditQuery by_actor;
  by_actor.actor = "300:88.999.1/ADMIN";
  EXPECT_EQ(Details(Run(by_actor)),
            (std::vector<std::string>{"a1", "a-derived-prefix", "a-sibling"}));

  AuditQuery anonymous;
  anonymous.actor = "";
  EXPECT_EQ(Details(Run(anonymous)), (std::vector<std::string>{"anon"}));

  AuditQuery by_prefix;
  by_prefix.prefix = "88.999.1";  // derived prefixes, not the sibling 88.999.10
  EXPECT_EQ(Details(Run(by_prefix)), (std::vector<std::string>{"a1", "a-derived-prefix", "anon"}));
  by_prefix.prefix = "88.999";
  EXPECT_EQ(Run(by_prefix).events.size(), 5u);
  by_prefix.prefix = "88.999.2";
  EXPECT_EQ(Details(Run(by_prefix)), (std::vector<std::string>{"b1"}));

  AuditQuery both;
  both.actor = "300:88.999.1/ADMIN";
  both.prefix = "88.999.1";
  EXPECT_EQ(Details(Run(both)), (std::vector<std::string>{"a1", "a-derived-prefix"}));
  both.from = kT0 + absl::Microseconds(2);
  EXPECT_EQ(Details(Run(both)), (std::vector<std::string>{"a-derived-prefix"}));
}

TEST_F(AuditLogTest, PrefixQueryFoldsCase) {
  Add(Event(1, "x", "88.abc/X"), "folded");
  AuditQuery q;
  q.prefix = "88.ABC";
  EXPECT_EQ(Details(Run(q)), (std::vector<std::string>{"folded"}));
}

TEST_F(AuditLogTest, PagesWithCursorIncludingEqualTimes) {
  // Five events in the same microsecond keep append order.
  for (int i = 0; i < 5; ++i) Add(Event(7, "a", "88.999/X"), std::to_string(i));
  AuditQuery q;
  q.limit = 2;
  std::vector<std::string> seen;
  int pages = 0;
  do {
    AuditPage page = Run(q);
    ++pages;
    for (auto& d : Details(page)) seen.push_back(d);
    q.cursor = page.next_cursor;
    ASSERT_LE(pages, 5);
  } while (!q.cursor.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3", "4"}));

  // Through an index too.
  AuditQuery by_actor;
  by_actor.actor = "a";
  by_actor.limit = 4;
  AuditPage first = Run(by_actor);
  EXPECT_EQ(first.events.size(), 4u);
  ASSERT_FALSE(first.next_cursor.empty());
  by_actor.cursor = first.next_cursor;
  EXPECT_EQ(Details(Run(by_actor)), (std::vector<std::string>{"4"}));
}

TEST_F(AuditLogTest, BadQueries) {
  AuditQuery q;
  q.cursor = "zz";
  EXPECT_EQ(log_->Query(q).status(), absl::InvalidArgumentError("invalid audit cursor"));
  q.cursor = "00";
  EXPECT_EQ(log_->Query(q).status(), absl::InvalidArgumentError("invalid audit cursor"));
  q.cursor.clear();
  q.from = kT0;
  q.to = kT0 - absl::Seconds(1);
  EXPECT_EQ(log_->Query(q).status(),
            absl::InvalidArgumentError("audit query ends before it starts"));
  AuditEvent huge = Event(1, "a", "88.999/X");
  huge.detail = std::string(70000, 'x');
  EXPECT_EQ(log_->Append(huge).status(),
            absl::InvalidArgumentError("audit event field is longer than 65536 bytes"));
  EXPECT_TRUE(Keys(*store_).empty());
}

TEST_F(AuditLogTest, LimitIsCapped) {
  for (int i = 0; i < 3; ++i) Add(Event(i, "a", "88.999/X"), std::to_string(i));
  AuditQuery q;
  q.limit = 0;  // the default, 100
  EXPECT_EQ(Run(q).events.size(), 3u);
  q.limit = 1;
  EXPECT_EQ(Run(q).events.size(), 1u);
}

TEST_F(AuditLogTest, ReopenContinuesTheSequence) {
  Add(Event(5, "a", "88.999/X"), "before");
  log_.reset();
  auto reopened = AuditLog::Open(store_.get());
  ASSERT_TRUE(reopened.ok());
  auto seq = (*reopened)->Append(Event(5, "a", "88.999/X"));  // same microsecond
  ASSERT_TRUE(seq.ok());
  // Above the whole block reserved before the first append: no number that
  // may have been used is used again.
  EXPECT_EQ(*seq, 1 + AuditLog::kSequenceBlock);
  auto page = (*reopened)->Query({});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), 2u);
}

TEST(AuditLogFaultTest, FailedAppendLeavesNothingHalfStored) {
  auto base = store::NewMemoryStore({{std::string(AuditLog::kSpace)}});
  store::FaultInjectingStore faulty(base.get());
  auto log = AuditLog::Open(&faulty);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(Event(1, "a", "88.999.1/X")).ok());
  const std::vector<std::string> before = Keys(*base);
  // e, a, p for 88.999.1, 88.999 and 88, and the counter.
  EXPECT_EQ(before.size(), 6u);

  faulty.FailNthWrite(1, absl::UnavailableError("disk gone"));
  auto failed = (*log)->Append(Event(2, "b", "88.999.2/Y"));
  EXPECT_EQ(failed.status(), absl::UnavailableError("disk gone"));
  EXPECT_EQ(Keys(*base), before);

  auto ok = (*log)->Append(Event(3, "c", "88.999.3/Z"));
  ASSERT_TRUE(ok.ok());
  auto page = (*log)->Query({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].actor, "a");
  EXPECT_EQ(page->events[1].actor, "c");
  AuditQuery by_actor;
  by_actor.actor = "b";
  EXPECT_TRUE((*log)->Query(by_actor)->events.empty());
}

TEST(AuditLogFaultTest, ReadFailuresAreReported) {
  auto base = store::NewMemoryStore({{std::string(AuditLog::kSpace)}});
  store::FaultInjectingStore faulty(base.get());
  auto log = AuditLog::Open(&faulty);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(Event(1, "a", "88.999.1/X")).ok());
  faulty.FailReads(absl::InternalError("read error"));
  EXPECT_EQ((*log)->Query({}).status(), absl::InternalError("read error"));
  AuditQuery by_actor;
  by_actor.actor = "a";
  EXPECT_EQ((*log)->Query(by_actor).status(), absl::InternalError("read error"));
  EXPECT_EQ(AuditLog::Open(&faulty).status(), absl::InternalError("read error"));
}

TEST(AuditCodecTest, RejectsTruncatedAndTrailingBytes) {
  AuditEvent e = Event(1, "a", "88.999/X");
  std::string bytes = EncodeAuditEvent(e);
  AuditEvent out;
  ASSERT_TRUE(DecodeAuditEvent(bytes, &out));
  EXPECT_EQ(out, e);
  EXPECT_FALSE(DecodeAuditEvent(bytes.substr(0, bytes.size() - 1), &out));
  EXPECT_FALSE(DecodeAuditEvent(bytes + "x", &out));
  EXPECT_FALSE(DecodeAuditEvent("", &out));
  EXPECT_EQ(AuditPrefixOf("0.na/88.999.1"), "88.999.1");
  EXPECT_EQ(AuditPrefixOf("88.abc/X/Y"), "88.ABC");
  EXPECT_EQ(AuditPrefixOf(""), "");
}

}  // namespace
}  // namespace qilian::ident::authz
