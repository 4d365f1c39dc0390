// Fuzz target: a child node's daily report (ident/stats/node_report.h).
// Any body gives a report or a Handle error (code 4 or 202), never a crash;
// an accepted report written back as JSON must parse to the same report,
// and writing that one must give the same text (one canonical form).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ident/response_code.h"
#include "ident/stats/node_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::ident;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto report = stats::ParseNodeReport(body);
  if (!report.ok()) {
    auto code = ResponseCodeOf(report.status());
    if (code != ResponseCode::kProtocolError && code != ResponseCode::kInvalidValue) std::abort();
    return 0;
  }
  if (report->prefixes.size() > stats::kMaxReportPrefixes) std::abort();
  std::string json = stats::NodeReportJson(*report);
  auto again = stats::ParseNodeReport(json);
  if (!again.ok() || !(*again == *report) || stats::NodeReportJson(*again) != json) std::abort();
  return 0;
}
