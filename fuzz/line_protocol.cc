// Fuzz target: a line-protocol body through ParseLines (docs/line-protocol.md).
// The first byte picks the precision and whether tight limits apply; the
// rest is the body. Every line must become a point or an error with an
// ASCII reason; points keep the format's invariants (at least one field,
// tags sorted and unique, the sub-millisecond part in range); line numbers
// never go back; a point AppendLine writes parses back to the same point.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "platform/tsdb/line_protocol/encoder.h"
#include "platform/tsdb/line_protocol/line_protocol.h"

using namespace qilian::platform::lp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ParseOptions o;
  o.precision = static_cast<Precision>(data[0] % 6);
  o.now_ms = 1765094400123;
  if (data[0] & 0x80) o.limits = Limits{40, 2, 3, 8, 8, 8, 5};
  ParsedBody b;
  ParseLines(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), o, &b);
  size_t last = 0;
  for (const Point& p : b.points) {
    if (p.fields.empty() || p.line < last || p.time_sub_ms_ns < 0 || p.time_sub_ms_ns > 999'999) std::abort();
    for (size_t i = 1; i < p.tags.size(); ++i)
      if (!(p.tags[i - 1].key < p.tags[i].key)) std::abort();
    last = p.line;
    std::string written;
    if (!AppendLine(p, &written).ok()) continue;  // a name the grammar cannot carry
    ParsedBody again;
    ParseLines(written, ParseOptions{}, &again);
    if (again.points.size() != 1 || !again.errors.empty()) std::abort();
    const Point& q = again.points[0];
    if (q.measurement != p.measurement || q.tags.size() != p.tags.size() || q.fields.size() != p.fields.size() ||
        q.time_ms != p.time_ms || q.time_sub_ms_ns != p.time_sub_ms_ns)
      std::abort();
    for (size_t i = 0; i < p.tags.size(); ++i)
      if (q.tags[i].key != p.tags[i].key || q.tags[i].value != p.tags[i].value) std::abort();
    for (size_t i = 0; i < p.fields.size(); ++i) {
      const FieldValue &a = p.fields[i].value, &b = q.fields[i].value;
      if (q.fields[i].key != p.fields[i].key || a.type != b.type || a.s != b.s ||
          (a.type != FieldType::kString && std::memcmp(&a.u, &b.u, sizeof a.u) != 0))
        std::abort();
    }
  }
  for (const LineError& e : b.errors) {
    if (e.line == 0 || e.column == 0 || e.reason.empty()) std::abort();
    if (std::any_of(e.reason.begin(), e.reason.end(), [](char c) { return c < 0x20 || c > 0x7e; })) std::abort();
  }
  return 0;
}
