// Where the sensor's events go: a JSON-lines file, memory (tests), or the
// store-and-forward sender to a qiliand (issue 12, "Delivery"). Events reach
// a sink already serialized, once, so every sink writes the same bytes and
// none pays for building a JSON tree.
#ifndef QILIAN_SECURITY_SENSOR_EVENT_WRITER_H_
#define QILIAN_SECURITY_SENSOR_EVENT_WRITER_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "security/common/address.h"

namespace qilian::security {

// One event as the sensor wrote it (docs/security/sensor.md, "Events").
struct EventLine {
  TimeNs ts = 0;           // the `ts` field, as nanoseconds
  std::string_view proto;  // the `proto` field
  std::string_view json;   // the whole event: one JSON object, no newline
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // `event`'s views are valid only during the call.
  virtual void Write(const EventLine& event) = 0;
};

// One JSON object per line, in the order events are written.
class JsonLinesFile : public EventSink {
 public:
  static absl::StatusOr<std::unique_ptr<JsonLinesFile>> Create(const std::string& path);
  ~JsonLinesFile() override;
  void Write(const EventLine& event) override;
  // Flushes and closes; reports a write error (disk full) that Write could not.
  absl::Status Close();

 private:
  JsonLinesFile(std::string path, FILE* f) : path_(std::move(path)), file_(f) {}
  std::string path_;
  FILE* file_;
};

// Keeps events in memory (tests, small captures): the lines, and each
// parsed back, so a test can look at fields.
class EventVector : public EventSink {
 public:
  void Write(const EventLine& event) override {
    lines.emplace_back(event.json);
    events.push_back(nlohmann::ordered_json::parse(event.json));
  }
  std::vector<std::string> lines;
  std::vector<nlohmann::ordered_json> events;
};

// Hands every event to two sinks (a file and delivery); either may be null.
class EventTee : public EventSink {
 public:
  EventTee(EventSink* first, EventSink* second) : first_(first), second_(second) {}
  void Write(const EventLine& event) override {
    if (first_ != nullptr) first_->Write(event);
    if (second_ != nullptr) second_->Write(event);
  }

 private:
  EventSink* first_;
  EventSink* second_;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_SENSOR_EVENT_WRITER_H_
