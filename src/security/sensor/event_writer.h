// Where the sensor's events go. A JSON-lines file now; the store-and-forward
// sender to a qiliand (issue 12, "Delivery") implements the same interface.
#ifndef QILIAN_SECURITY_SENSOR_EVENT_WRITER_H_
#define QILIAN_SECURITY_SENSOR_EVENT_WRITER_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace qilian::security {

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Write(const nlohmann::ordered_json& event) = 0;
};

// One JSON object per line, in the order events are written.
class JsonLinesFile : public EventSink {
 public:
  static absl::StatusOr<std::unique_ptr<JsonLinesFile>> Create(const std::string& path);
  ~JsonLinesFile() override;
  void Write(const nlohmann::ordered_json& event) override;
  // Flushes and closes; reports a write error (disk full) that Write could not.
  absl::Status Close();

 private:
  JsonLinesFile(std::string path, FILE* f) : path_(std::move(path)), file_(f) {}
  std::string path_;
  FILE* file_;
};

// Keeps events in memory (tests, small captures).
class EventVector : public EventSink {
 public:
  void Write(const nlohmann::ordered_json& event) override { events.push_back(event); }
  std::vector<nlohmann::ordered_json> events;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_SENSOR_EVENT_WRITER_H_
