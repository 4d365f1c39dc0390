#include "platform/ingest/topic.h"

#include "gtest/gtest.h"

namespace qilian::platform {
namespace {

TEST(Topic, DeviceToPlatformKinds) {
  struct Case {
    std::string_view topic;
    TopicKind kind;
    std::string_view suffix;
  } cases[] = {
      {"/a1B2c3D4e5F/pump-1/properties/report", TopicKind::kReport, "properties/report"},
      {"/a1B2c3D4e5F/pump-1/properties/report/batch", TopicKind::kBatch, "properties/report/batch"},
      {"/a1B2c3D4e5F/pump-1/properties/read/reply", TopicKind::kReadReply, "properties/read/reply"},
      {"/a1B2c3D4e5F/pump-1/properties/write/reply", TopicKind::kWriteReply,
       "properties/write/reply"},
      {"/a1B2c3D4e5F/pump-1/function/invoke/reply", TopicKind::kInvokeReply,
       "function/invoke/reply"},
  };
  for (const Case& c : cases) {
    ParsedTopic t = ParseTopic(c.topic);
    EXPECT_EQ(t.kind, c.kind) << c.topic;
    EXPECT_EQ(t.product_key, "a1B2c3D4e5F");
    EXPECT_EQ(t.device_id, "pump-1");
    EXPECT_EQ(t.child, "");
    EXPECT_EQ(t.suffix, c.suffix);
    // The views point into the topic itself.
    EXPECT_EQ(t.product_key.data(), c.topic.data() + 1);
  }
}

TEST(Topic, Event) {
  ParsedTopic t = ParseTopic("/pk/dev/event/overheat");
  EXPECT_EQ(t.kind, TopicKind::kEvent);
  EXPECT_EQ(t.event_id, "overheat");
  EXPECT_EQ(t.suffix, "event/overheat");
  EXPECT_EQ(ParseTopic("/pk/dev/event/").kind, TopicKind::kUnknown);
  EXPECT_EQ(ParseTopic("/pk/dev/event/a/b").kind, TopicKind::kUnknown);
  EXPECT_EQ(ParseTopic("/pk/dev/event/overheat/reply").kind, TopicKind::kUnknown);
}

TEST(Topic, Child) {
  ParsedTopic t = ParseTopic("/pk/gw-1/child/meter-7/properties/report/batch");
  EXPECT_EQ(t.kind, TopicKind::kBatch);
  EXPECT_EQ(t.device_id, "gw-1");
  EXPECT_EQ(t.child, "meter-7");
  EXPECT_EQ(t.suffix, "properties/report/batch");
  t = ParseTopic("/pk/gw-1/child/meter-7/event/alarm");
  EXPECT_EQ(t.kind, TopicKind::kEvent);
  EXPECT_EQ(t.event_id, "alarm");
  EXPECT_EQ(t.child, "meter-7");
  t = ParseTopic("/pk/gw-1/child/meter-7/whatever");
  EXPECT_EQ(t.kind, TopicKind::kUnknown);
  EXPECT_EQ(t.child, "meter-7");
  // A child of a child is not in the table.
  EXPECT_EQ(ParseTopic("/pk/gw/child/a/child/b/properties/report").kind, TopicKind::kUnknown);
  EXPECT_EQ(ParseTopic("/pk/gw/child//properties/report").kind, TopicKind::kUnknown);
}

TEST(Topic, UnknownUnderAWellFormedRoot) {
  for (std::string_view topic :
       {"/pk/dev/properties/report/reply", "/pk/dev/properties/write", "/pk/dev/properties",
        "/pk/dev/", "/pk/dev", "/pk/dev/function/invoke", "/pk/dev/properties/report/batch/x",
        "/pk/dev/Properties/report"}) {
    ParsedTopic t = ParseTopic(topic);
    EXPECT_EQ(t.kind, TopicKind::kUnknown) << topic;
    EXPECT_EQ(t.product_key, "pk") << topic;
    EXPECT_EQ(t.device_id, "dev") << topic;
  }
}

TEST(Topic, Malformed) {
  for (std::string_view topic :
       {"", "/", "//dev/properties/report", "/pk//properties/report", "pk/dev/properties/report",
        "/pk", "$SYS/broker/uptime", "/p+k/dev/properties/report", "/pk/d#/properties/report"}) {
    EXPECT_EQ(ParseTopic(topic).kind, TopicKind::kMalformed) << topic;
  }
}

TEST(Topic, DeviceTopic) {
  EXPECT_EQ(DeviceTopic("pk", "dev", "", "properties/write"), "/pk/dev/properties/write");
  EXPECT_EQ(DeviceTopic("pk", "gw", "m1", "properties/report/reply"),
            "/pk/gw/child/m1/properties/report/reply");
}

// The subscription filters take every kind in and leave the platform's own
// publishes (requests and /reply) out.
bool Matches(std::string_view filter, std::string_view topic) {
  while (true) {
    size_t fs = filter.find('/'), ts = topic.find('/');
    std::string_view f = filter.substr(0, fs), t = topic.substr(0, ts);
    if (f != "+" && f != t) return false;
    if (fs == std::string_view::npos || ts == std::string_view::npos) {
      return fs == std::string_view::npos && ts == std::string_view::npos;
    }
    filter.remove_prefix(fs + 1);
    topic.remove_prefix(ts + 1);
  }
}

bool AnyFilterMatches(std::string_view topic) {
  for (std::string_view f : kDeviceTopicFilters) {
    if (Matches(f, topic)) return true;
  }
  return false;
}

TEST(Topic, FiltersMatchDeviceTopicsOnly) {
  for (std::string_view in :
       {"/pk/d/properties/report", "/pk/d/properties/report/batch", "/pk/d/event/e",
        "/pk/d/properties/read/reply", "/pk/d/properties/write/reply",
        "/pk/d/function/invoke/reply", "/pk/g/child/s/properties/report",
        "/pk/g/child/s/properties/report/batch", "/pk/g/child/s/event/e",
        "/pk/g/child/s/properties/read/reply", "/pk/g/child/s/properties/write/reply",
        "/pk/g/child/s/function/invoke/reply"}) {
    EXPECT_TRUE(AnyFilterMatches(in)) << in;
    EXPECT_NE(ParseTopic(in).kind, TopicKind::kUnknown) << in;
  }
  for (std::string_view out :
       {"/pk/d/properties/read", "/pk/d/properties/write", "/pk/d/function/invoke",
        "/pk/d/properties/report/reply", "/pk/d/properties/report/batch/reply",
        "/pk/d/event/e/reply", "/pk/g/child/s/properties/write",
        "/pk/g/child/s/properties/report/reply", "/pk/g/child/s/event/e/reply"}) {
    EXPECT_FALSE(AnyFilterMatches(out)) << out;
  }
}

}  // namespace
}  // namespace qilian::platform
