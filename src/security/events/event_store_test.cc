#include "security/events/event_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "store/fault_store.h"
#include "store/memory_store.h"

namespace qilian::security::events {
namespace {

constexpr int64_t kT0 = 1'796'659'200'000'000'000;  // 2026-12-07T16:00:00Z
constexpr int64_t kSecond = 1'000'000'000;

std::string Line(const std::string& id, int64_t ts, const std::string& proto,
                 const std::string& orig_h = "10.0.0.1") {
  return absl::StrCat(R"({"ts":")", FormatRfc3339Utc(ts), R"(","flow":1,"proto":")", proto,
                      R"(","orig_h":")", orig_h,
                      R"(","orig_p":50000,"resp_h":"10.0.0.2","resp_p":502,"id":")", id, "\"}");
}

class EventStoreTest : public ::testing::Test {
 protected:
  EventStoreTest()
      : store_(store::NewMemoryStore({{std::string(kSecuritySpace)}})),
        faulty_(store_.get()),
        sensors_(&faulty_, clock_),
        events_(&faulty_, &sensors_, clock_, Options()) {
    a_ = sensors_.Create(1, {"a", ""})->sensor.id;
    b_ = sensors_.Create(1, {"b", ""})->sensor.id;
    c_ = sensors_.Create(2, {"c", ""})->sensor.id;
  }

  static EventStoreOptions Options() {
    EventStoreOptions o;
    o.max_scanned_per_query = 50;
    return o;
  }

  // Delivers `lines` (joined) for `sensor` of `enterprise`.
  absl::StatusOr<DeliveryResult> Deliver(uint64_t enterprise, const std::string& sensor,
                                         const std::vector<std::string>& lines) {
    body_ = "";
    for (const std::string& l : lines) body_ += l + "\n";
    ParsedBatch batch = ParseEventBatch(body_);
    EXPECT_FALSE(batch.error.has_value()) << batch.error->message;
    return events_.Deliver(enterprise, sensor, batch.events);
  }

  std::vector<std::string> Ids(const EventQuery& q) {
    auto page = events_.Query(q);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& e : page->events) out.push_back(e["id"].get<std::string>());
    }
    return out;
  }

  FakeClock clock_{absl::FromUnixNanos(kT0 + 3600 * kSecond)};
  std::unique_ptr<store::KvStore> store_;
  store::FaultInjectingStore faulty_;
  SensorRegistry sensors_;
  EventStore events_;
  std::string a_, b_, c_, body_;
};

TEST_F(EventStoreTest, ReplayStoresNothingTwice) {
  std::vector<std::string> lines = {Line("1", kT0, "modbus"), Line("2", kT0 + 1, "dnp3"),
                                    Line("2", kT0 + 2, "dnp3")};
  auto first = Deliver(1, a_, lines);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->accepted, 2u);
  EXPECT_EQ(first->duplicates, 1u);  // "2" twice in one request
  auto again = Deliver(1, a_, lines);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->accepted, 0u);
  EXPECT_EQ(again->duplicates, 3u);
  // The same ids from another sensor are other events.
  auto other = Deliver(1, b_, {Line("1", kT0, "modbus")});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->accepted, 1u);
  EXPECT_EQ(Ids({.enterprise = 1}), (std::vector<std::string>{"2", "1", "1"}));
  Sensor s = *sensors_.Get(1, a_);
  EXPECT_EQ(s.events_received, 2u);
  EXPECT_EQ(s.last_event_ts_ns, kT0 + 1);
  EXPECT_EQ(s.last_seen, clock_.Now());
}

TEST_F(EventStoreTest, AStorageFailureStoresNothing) {
  faulty_.FailNthWrite(1, absl::UnavailableError("disk gone"));
  auto r = Deliver(1, a_, {Line("1", kT0, "modbus"), Line("2", kT0, "modbus")});
  EXPECT_EQ(r.status(),
            ident::HandleError(ident::ResponseCode::kError, "security events: disk gone"));
  EXPECT_TRUE(Ids({.enterprise = 1}).empty());
  EXPECT_EQ(sensors_.Get(1, a_)->events_received, 0u);
  // The retry is not a duplicate.
  EXPECT_EQ(Deliver(1, a_, {Line("1", kT0, "modbus")})->accepted, 1u);
}

TEST_F(EventStoreTest, AnswersNewestFirstWithServerFields) {
  ASSERT_TRUE(
      Deliver(1, a_, {Line("x1", kT0, "modbus"), Line("x2", kT0 + kSecond, "s7comm")}).ok());
  auto page = events_.Query({.enterprise = 1});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(
      page->events[0].dump(),
      absl::StrCat(
          R"({"id":"x2","sensor":")", a_,
          R"(","enterprise":1,"received":"2026-12-07T17:00:00Z","ts":"2026-12-07T16:00:01Z","flow":1,"proto":"s7comm","orig_h":"10.0.0.1","orig_p":50000,"resp_h":"10.0.0.2","resp_p":502})"));
  EXPECT_FALSE(page->next_cursor.has_value());
}

TEST_F(EventStoreTest, FiltersByIndexAndRecord) {
  ASSERT_TRUE(Deliver(1, a_,
                      {Line("1", kT0, "modbus"), Line("2", kT0 + 1 * kSecond, "dnp3"),
                       Line("3", kT0 + 2 * kSecond, "modbus", "10.9.9.9")})
                  .ok());
  ASSERT_TRUE(Deliver(1, b_, {Line("4", kT0 + 3 * kSecond, "modbus")}).ok());
  ASSERT_TRUE(Deliver(2, c_, {Line("5", kT0 + 4 * kSecond, "modbus")}).ok());
  using V = std::vector<std::string>;
  EXPECT_EQ(Ids({.enterprise = 1, .protocol = "modbus"}), (V{"4", "3", "1"}));
  EXPECT_EQ(Ids({.enterprise = 1, .sensor = a_}), (V{"3", "2", "1"}));
  EXPECT_EQ(Ids({.enterprise = 1, .sensor = a_, .protocol = "modbus"}), (V{"3", "1"}));
  EXPECT_EQ(Ids({.enterprise = 1, .sensor = c_}), V{});  // another enterprise's sensor
  EXPECT_EQ(Ids({.sensor = c_}), V{"5"});                // its own, found by the sensor
  EXPECT_EQ(Ids({.enterprise = 1, .from_ns = kT0 + kSecond, .to_ns = kT0 + 3 * kSecond}),
            (V{"3", "2"}));
  EXPECT_EQ(Ids({.enterprise = 1, .orig_h = "10.9.9.9"}), V{"3"});
  EXPECT_EQ(Ids({.enterprise = 1, .resp_h = "10.0.0.3"}), V{});
  EXPECT_EQ(Ids({}), (V{"5", "4", "3", "2", "1"}));  // every enterprise
  EXPECT_EQ(Ids({.protocol = "dnp3"}), V{"2"});
}

TEST_F(EventStoreTest, CursorPagesAreStableUnderInserts) {
  std::vector<std::string> lines;
  for (int i = 0; i < 25; ++i)
    lines.push_back(Line(absl::StrCat("e", i), kT0 + i * kSecond, "modbus"));
  ASSERT_TRUE(Deliver(1, a_, lines).ok());
  EventQuery q{.enterprise = 1, .limit = 10};
  auto p1 = events_.Query(q);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->events.size(), 10u);
  EXPECT_EQ(p1->events.front()["id"], "e24");
  ASSERT_TRUE(p1->next_cursor.has_value());
  // Newer events and one among the rest arrive between pages.
  ASSERT_TRUE(Deliver(1, b_, {Line("new", kT0 + 99 * kSecond, "modbus")}).ok());
  q.cursor = *p1->next_cursor;
  auto p2 = events_.Query(q);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->events.size(), 10u);
  EXPECT_EQ(p2->events.front()["id"], "e14");
  EXPECT_EQ(p2->events.back()["id"], "e5");
  q.cursor = *p2->next_cursor;
  auto p3 = events_.Query(q);
  ASSERT_TRUE(p3.ok());
  ASSERT_EQ(p3->events.size(), 5u);
  EXPECT_EQ(p3->events.back()["id"], "e0");
  EXPECT_FALSE(p3->next_cursor.has_value());
  q.cursor = "not-a-cursor";
  EXPECT_EQ(events_.Query(q).status(), ident::HandleError(ident::ResponseCode::kProtocolError,
                                                          "cursor is not one this node gave"));
}

TEST_F(EventStoreTest, QueryReadingTooMuchIsRefused) {
  std::vector<std::string> lines;
  for (int i = 0; i < 60; ++i) lines.push_back(Line(absl::StrCat("e", i), kT0 + i, "modbus"));
  ASSERT_TRUE(Deliver(1, a_, lines).ok());
  EXPECT_EQ(events_.Query({.enterprise = 1, .orig_h = "10.1.1.1"}).status(),
            absl::ResourceExhaustedError(
                "the query reads more than 50 events, over the limit of 50 ([security] "
                "max_events_scanned_per_query): narrow it with enterprise, sensor, protocol, from "
                "or to"));
  EXPECT_EQ(Ids({.enterprise = 1, .limit = 3}).size(), 3u);  // a page reads little
}

TEST_F(EventStoreTest, RetentionDeletesOldEventsAndTheirIndexes) {
  ASSERT_TRUE(Deliver(1, a_,
                      {Line("old", kT0, "modbus"), Line("edge", kT0 + kSecond, "dnp3"),
                       Line("new", kT0 + 2 * kSecond, "modbus")})
                  .ok());
  auto deleted = events_.DeleteOlderThan(absl::FromUnixNanos(kT0 + kSecond));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1u);
  using V = std::vector<std::string>;
  EXPECT_EQ(Ids({.enterprise = 1}), (V{"new", "edge"}));
  EXPECT_EQ(Ids({.enterprise = 1, .protocol = "modbus"}), V{"new"});
  EXPECT_EQ(Ids({.enterprise = 1, .sensor = a_}), (V{"new", "edge"}));
  EXPECT_EQ(Ids({}), (V{"new", "edge"}));
  // Nothing of it is left in the space but the others' keys.
  size_t keys = 0;
  ASSERT_TRUE(store_
                  ->Scan(kSecuritySpace, "", "",
                         [&](std::string_view k, std::string_view) {
                           EXPECT_EQ(k.find("old"), std::string_view::npos);
                           ++keys;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(keys, 3u + 1u + 2u * 5u);  // 3 sensors, a's statistics, 2 events x 5 keys
  // Once forgotten, the id may be stored again.
  EXPECT_EQ(Deliver(1, a_, {Line("old", kT0, "modbus")})->accepted, 1u);
}

}  // namespace
}  // namespace qilian::security::events
