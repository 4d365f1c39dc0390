// The AnalyzerHost of the analyzers' unit tests: records every event as a
// tree (EmitJson's members parsed, analyzer.h) and counts weirds; time 0;
// a flow whose endpoints a test may set (ports decide roles).
#ifndef QILIAN_SECURITY_ANALYZERS_TESTING_RECORDING_HOST_H_
#define QILIAN_SECURITY_ANALYZERS_TESTING_RECORDING_HOST_H_

#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "security/analyzers/analyzer.h"
#include "security/common/weird.h"

namespace qilian::security::analyzer_testing {

class RecordingHost : public AnalyzerHost {
 public:
  TimeNs now() const override { return 0; }
  const Flow& flow() const override { return flow_; }
  void Emit(nlohmann::ordered_json fields) override { events.push_back(std::move(fields)); }
  void Weird(std::string_view name) override { weirds.Add(name); }

  std::vector<nlohmann::ordered_json> events;
  WeirdCounter weirds;
  Flow flow_;
};

}  // namespace qilian::security::analyzer_testing

#endif  // QILIAN_SECURITY_ANALYZERS_TESTING_RECORDING_HOST_H_
