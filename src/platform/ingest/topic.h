// The device topics of docs/mqtt.md ("Topics"), parsed without allocating:
// every part of a ParsedTopic is a view into the topic string.
//
//   /{pk}/{dev}/properties/report              kReport
//   /{pk}/{dev}/properties/report/batch        kBatch
//   /{pk}/{dev}/event/{eventId}                kEvent
//   /{pk}/{dev}/properties/read/reply          kReadReply
//   /{pk}/{dev}/properties/write/reply         kWriteReply
//   /{pk}/{dev}/function/invoke/reply          kInvokeReply
//   /{pk}/{dev}/child/{sub}/<any of the above> the same kind, with child set
//
// Anything else under /{pk}/{dev}/ is kUnknown (product key, device id and
// child are still filled in when the root is well formed, so a refusal can
// be addressed); a topic without that root is kMalformed.
#ifndef QILIAN_PLATFORM_INGEST_TOPIC_H_
#define QILIAN_PLATFORM_INGEST_TOPIC_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace qilian::platform {

// Device-to-platform message kinds; the order is the dispatch order and the
// index of per-kind counters.
enum class TopicKind : uint8_t {
  kReport,
  kBatch,
  kEvent,
  kReadReply,
  kWriteReply,
  kInvokeReply,
  kUnknown,    // a well-formed root, a suffix not in the table
  kMalformed,  // not /{pk}/{dev}/...
};
inline constexpr size_t kTopicKinds = 6;  // the known kinds, kReport..kInvokeReply

// "report", "batch", "event", "read_reply", "write_reply", "invoke_reply"
// (the kind label of qilian_mqtt_messages_total); "unknown", "malformed".
std::string_view TopicKindName(TopicKind kind);

struct ParsedTopic {
  TopicKind kind = TopicKind::kMalformed;
  std::string_view product_key;
  std::string_view device_id;
  std::string_view child;     // the sub-device of child/{sub}/...; empty if none
  std::string_view event_id;  // kEvent
  // The part after /{pk}/{dev}/ (after child/{sub}/ for a child), e.g.
  // "properties/report": replies go to /{pk}/{dev}/[child/{sub}/]{suffix}/reply.
  std::string_view suffix;
};

ParsedTopic ParseTopic(std::string_view topic);

// Platform-to-device topics: "/" pk "/" dev ["/child/" sub] "/" suffix.
std::string DeviceTopic(std::string_view product_key, std::string_view device_id,
                        std::string_view child, std::string_view suffix);

// The topic filters (without the $share/<group>/ prefix) that match every
// device-to-platform topic of the table and none of the platform's own
// publishes: one per kind, direct and child/+/.
inline constexpr std::string_view kDeviceTopicFilters[] = {
    "/+/+/properties/report",
    "/+/+/properties/report/batch",
    "/+/+/event/+",
    "/+/+/properties/read/reply",
    "/+/+/properties/write/reply",
    "/+/+/function/invoke/reply",
    "/+/+/child/+/properties/report",
    "/+/+/child/+/properties/report/batch",
    "/+/+/child/+/event/+",
    "/+/+/child/+/properties/read/reply",
    "/+/+/child/+/properties/write/reply",
    "/+/+/child/+/function/invoke/reply",
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_INGEST_TOPIC_H_
