#include "platform/ingest/topic.h"

namespace qilian::platform {

namespace {

// Splits off the next level of `rest` (up to '/' or the end).
std::string_view NextLevel(std::string_view* rest) {
  size_t slash = rest->find('/');
  std::string_view level = rest->substr(0, slash);
  rest->remove_prefix(slash == std::string_view::npos ? rest->size() : slash + 1);
  return level;
}

bool ValidLevel(std::string_view level) {
  return !level.empty() && level.find_first_of("+#") == std::string_view::npos;
}

TopicKind KindOfSuffix(std::string_view suffix, std::string_view* event_id) {
  if (suffix == "properties/report") return TopicKind::kReport;
  if (suffix == "properties/report/batch") return TopicKind::kBatch;
  if (suffix == "properties/read/reply") return TopicKind::kReadReply;
  if (suffix == "properties/write/reply") return TopicKind::kWriteReply;
  if (suffix == "function/invoke/reply") return TopicKind::kInvokeReply;
  constexpr std::string_view kEvent = "event/";
  if (suffix.starts_with(kEvent)) {
    std::string_view id = suffix.substr(kEvent.size());
    if (ValidLevel(id) && id.find('/') == std::string_view::npos) {
      *event_id = id;
      return TopicKind::kEvent;
    }
  }
  return TopicKind::kUnknown;
}

}  // namespace

std::string_view TopicKindName(TopicKind kind) {
  switch (kind) {
    case TopicKind::kReport:
      return "report";
    case TopicKind::kBatch:
      return "batch";
    case TopicKind::kEvent:
      return "event";
    case TopicKind::kReadReply:
      return "read_reply";
    case TopicKind::kWriteReply:
      return "write_reply";
    case TopicKind::kInvokeReply:
      return "invoke_reply";
    case TopicKind::kUnknown:
      return "unknown";
    case TopicKind::kMalformed:
      break;
  }
  return "malformed";
}

ParsedTopic ParseTopic(std::string_view topic) {
  ParsedTopic t;
  if (!topic.starts_with('/')) return t;
  std::string_view rest = topic.substr(1);
  std::string_view pk = NextLevel(&rest);
  std::string_view dev = NextLevel(&rest);
  if (!ValidLevel(pk) || !ValidLevel(dev)) return t;
  t.product_key = pk;
  t.device_id = dev;
  t.kind = TopicKind::kUnknown;
  constexpr std::string_view kChild = "child/";
  if (rest.starts_with(kChild)) {
    std::string_view after = rest.substr(kChild.size());
    std::string_view sub = NextLevel(&after);
    if (!ValidLevel(sub)) return t;
    t.child = sub;
    rest = after;
  }
  t.suffix = rest;
  t.kind = KindOfSuffix(rest, &t.event_id);
  return t;
}

std::string DeviceTopic(std::string_view product_key, std::string_view device_id,
                        std::string_view child, std::string_view suffix) {
  std::string topic;
  topic.reserve(product_key.size() + device_id.size() + child.size() + suffix.size() + 10);
  topic.push_back('/');
  topic.append(product_key);
  topic.push_back('/');
  topic.append(device_id);
  if (!child.empty()) {
    topic.append("/child/");
    topic.append(child);
  }
  topic.push_back('/');
  topic.append(suffix);
  return topic;
}

}  // namespace qilian::platform
