#include "platform/tsdb/query/query_answer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "nlohmann/json.hpp"

namespace qilian::platform::tsdb {
namespace {

// The answer is written straight into one reserved string: a day of 1m
// windows over a hundred groups is ~140,000 rows, and a JSON tree of them
// would cost an allocation per value. The output is what nlohmann's dump
// gives (compact, UTF-8 as is, invalid UTF-8 replaced), numbers included.
class Writer {
 public:
  explicit Writer(size_t reserve) { out_.reserve(reserve); }

  void Raw(char c) { out_.push_back(c); }
  void Raw(std::string_view s) { out_.append(s); }

  template <typename Int>
  void Integer(Int i) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), i);
    out_.append(buf, end);
  }

  // As nlohmann's to_chars: the shortest digits that read back as d, in
  // fixed notation for decimal exponents -4 < n <= 15 (with ".0" when
  // integral), else d.ddde±XX; NaN and ±Inf are null.
  void Double(double d) {
    if (!std::isfinite(d)) {
      out_.append("null");
      return;
    }
    char sci[32];
    auto [sci_end, ec] = std::to_chars(sci, sci + sizeof(sci), d, std::chars_format::scientific);
    const char* p = sci;
    char buf[40];
    char* o = buf;
    if (*p == '-') *o++ = *p++;
    // sci: D[.DDD]e±XX
    char digits[20];
    int k = 0;
    for (; *p != 'e'; ++p) {
      if (*p != '.') digits[k++] = *p;
    }
    ++p;  // 'e'
    int exponent = 0;
    std::from_chars(*p == '+' ? p + 1 : p, sci_end, exponent);
    if (k == 1 && digits[0] == '0') {
      o = std::copy_n("0.0", 3, o);
      out_.append(buf, o);
      return;
    }
    const int n = exponent + 1;  // the decimal point's place after the first digit
    constexpr int kMinExp = -4, kMaxExp = 15;
    if (k <= n && n <= kMaxExp) {
      o = std::copy_n(digits, k, o);
      o = std::fill_n(o, n - k, '0');
      o = std::copy_n(".0", 2, o);
    } else if (0 < n && n <= kMaxExp) {
      o = std::copy_n(digits, n, o);
      *o++ = '.';
      o = std::copy_n(digits + n, k - n, o);
    } else if (kMinExp < n && n <= 0) {
      o = std::copy_n("0.", 2, o);
      o = std::fill_n(o, -n, '0');
      o = std::copy_n(digits, k, o);
    } else {
      *o++ = digits[0];
      if (k > 1) {
        *o++ = '.';
        o = std::copy_n(digits + 1, k - 1, o);
      }
      *o++ = 'e';
      int e = n - 1;
      *o++ = e < 0 ? '-' : '+';
      if (e < 0) e = -e;
      if (e < 10) *o++ = '0';
      o = std::to_chars(o, buf + sizeof(buf), e).ptr;
    }
    out_.append(buf, o);
  }

  void String(std::string_view s) {
    bool plain = true;
    for (char c : s) {
      auto b = static_cast<unsigned char>(c);
      if (b < 0x20 || b >= 0x80 || c == '"' || c == '\\') {
        plain = false;
        break;
      }
    }
    if (plain) {
      out_.push_back('"');
      out_.append(s);
      out_.push_back('"');
      return;
    }
    // Escapes, UTF-8 and its replacement as nlohmann writes them: rare.
    out_.append(nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                     nlohmann::json::error_handler_t::replace));
  }

  void WriteCell(const Cell& cell) {
    switch (cell.index()) {
      case 0:
        out_.append("null");
        break;
      case 1:
        Double(std::get<double>(cell));
        break;
      case 2:
        Integer(std::get<int64_t>(cell));
        break;
      case 3:
        out_.append(std::get<bool>(cell) ? "true" : "false");
        break;
      default:
        String(std::get<std::string>(cell));
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

void WriteSeries(const AnswerSeries& s, Writer* w) {
  if (s.grouped) {
    w->Raw("{\"group\":{");
    for (size_t i = 0; i < s.group.size(); ++i) {
      if (i > 0) w->Raw(',');
      w->String(s.group[i].first);
      w->Raw(':');
      if (s.group[i].second) {
        w->String(*s.group[i].second);
      } else {
        w->Raw("null");
      }
    }
    w->Raw("},\"members\":");
    w->Integer(s.members);
  } else {
    w->Raw("{\"id\":");
    w->Integer(s.id);
    w->Raw(",\"device\":");
    w->String(s.device);
    w->Raw(",\"property\":");
    w->String(s.property);
    w->Raw(",\"labels\":{");
    for (size_t i = 0; i < s.labels.size(); ++i) {
      if (i > 0) w->Raw(',');
      w->String(s.labels[i].key);
      w->Raw(':');
      w->String(s.labels[i].value);
    }
    w->Raw('}');
  }
  w->Raw(",\"columns\":[\"time\"");
  for (const std::string& c : s.columns) {
    w->Raw(',');
    w->String(c);
  }
  w->Raw("],\"values\":[");
  for (size_t r = 0; r < s.rows.size(); ++r) {
    const AnswerRow& row = s.rows[r];
    w->Raw(r == 0 ? "[" : ",[");
    w->Integer(row.time_ms);
    for (const Cell& c : row.cells) {
      w->Raw(',');
      w->WriteCell(c);
    }
    w->Raw(']');
  }
  w->Raw("]}");
}

}  // namespace

std::string QueryAnswerJson(const QueryAnswer& answer) {
  // About 24 bytes per value and 16 per row: one allocation for most answers.
  size_t reserve = 128;
  for (const AnswerSeries& s : answer.series) {
    reserve += 256 + s.rows.size() * (16 + 24 * s.columns.size());
  }
  Writer w(reserve);
  w.Raw("{\"series\":[");
  for (size_t i = 0; i < answer.series.size(); ++i) {
    if (i > 0) w.Raw(',');
    WriteSeries(answer.series[i], &w);
  }
  w.Raw("],\"stats\":{\"series\":");
  w.Integer(answer.stats.series);
  w.Raw(",\"points_read\":");
  w.Integer(answer.stats.points_read);
  w.Raw(",\"buckets_read\":");
  w.Integer(answer.stats.buckets_read);
  w.Raw(",\"rollup\":");
  if (!answer.stats.rollup) {
    w.Raw("null");
  } else {
    w.Raw(*answer.stats.rollup == Resolution::k1m ? "\"1m\"" : "\"1h\"");
  }
  w.Raw("}}");
  return w.Take();
}

}  // namespace qilian::platform::tsdb
