#include "cli/template_args.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/product_args.h"
#include "cli/rest_client.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

std::string Description(const json& object) {
  const json d = object.value("description", json::object());
  std::string zh = d.is_object() ? d.value("zh", "") : "";
  return !zh.empty() ? zh : (d.is_object() ? d.value("en", "") : "");
}

// "1..64", "≥0", "≤3650", "~[A-Z]+" joined by spaces.
std::string LimitsText(const json& field) {
  const json l = field.value("limits", json::object());
  std::vector<std::string> parts;
  auto num = [&](const char* key) { return MemberText(l, key); };
  if (l.contains("minLength") || l.contains("maxLength")) {
    parts.push_back(absl::StrCat("len ", l.contains("minLength") ? num("minLength") : "0", "..",
                                 l.contains("maxLength") ? num("maxLength") : ""));
  }
  if (l.contains("minimum")) parts.push_back(absl::StrCat(">=", num("minimum")));
  if (l.contains("maximum")) parts.push_back(absl::StrCat("<=", num("maximum")));
  if (l.contains("pattern")) parts.push_back(absl::StrCat("~", num("pattern")));
  if (field.contains("values") && field["values"].is_array()) {
    std::vector<std::string> values;
    for (const json& v : field["values"]) values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    parts.push_back(absl::StrCat("{", absl::StrJoin(values, "|"), "}"));
  }
  return absl::StrJoin(parts, " ");
}

}  // namespace

std::string TemplateTarget(std::string_view prefix, std::string_view name, bool versions,
                           std::optional<uint64_t> version) {
  std::string target =
      absl::StrCat("/api/prefixes/", EncodePathSegment(prefix), "/templates");
  if (!name.empty()) absl::StrAppend(&target, "/", EncodePathSegment(name));
  if (versions) absl::StrAppend(&target, "/versions");
  if (versions && version) absl::StrAppend(&target, "/", *version);
  return target;
}

std::string FormatTemplates(const json& templates) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "VERSION", "INDUSTRY", "FIELDS", "DESCRIPTION"}};
  if (templates.is_array()) {
    for (const json& t : templates) {
      rows.push_back({MemberText(t, "name"), MemberText(t, "version"), MemberText(t, "industry"),
                      std::to_string(t.value("fields", json::array()).size()), Description(t)});
    }
  }
  return TextTable(rows);
}

std::string FormatTemplate(const json& t) {
  std::string out = absl::StrCat(MemberText(t, "reference"), " industry ",
                                 MemberText(t, "industry"), " ", Description(t), "\n");
  std::vector<std::vector<std::string>> rows = {
      {"FIELD", "TYPE", "REQUIRED", "PUBLIC", "DETAILS"}};
  for (const json& f : t.value("fields", json::array())) {
    // Units, enum values and descriptions are often Chinese: they share the
    // last column, which TextTable does not pad.
    std::vector<std::string> details;
    if (!MemberText(f, "unit").empty()) details.push_back("unit " + MemberText(f, "unit"));
    if (std::string limits = LimitsText(f); !limits.empty()) details.push_back(limits);
    if (std::string d = Description(f); !d.empty()) details.push_back(d);
    rows.push_back({MemberText(f, "name"), MemberText(f, "type"),
                    f.value("required", false) ? "yes" : "no",
                    f.value("public", true) ? "yes" : "no", absl::StrJoin(details, "; ")});
  }
  return out + TextTable(rows);
}

StarterChoice ChooseStarters(const std::vector<std::string>& known,
                             const std::vector<std::string>& only) {
  StarterChoice choice;
  for (const std::string& name : only) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      choice.error = absl::StrCat("no starter template '", name, "'; the starters are ",
                                  absl::StrJoin(known, ", "));
      return choice;
    }
  }
  for (const std::string& name : known) {
    if (only.empty() || std::find(only.begin(), only.end(), name) != only.end()) {
      choice.names.push_back(name);
    }
  }
  return choice;
}

}  // namespace qilian::cli
