#include "cli/product_args.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

#include "cli/rest_client.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

std::string Text(const json& object, const char* key) { return MemberText(object, key); }

size_t CountOf(const json& model, const char* key) {
  if (!model.is_object()) return 0;
  auto it = model.find(key);
  return it != model.end() && it->is_array() ? it->size() : 0;
}

std::string Table(const std::vector<std::vector<std::string>>& rows) { return TextTable(rows); }

}  // namespace

absl::StatusOr<json> ReadJsonFile(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError("cannot read " + std::string(flag) + " file '" + path +
                                      "': " + std::strerror(errno));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::InvalidArgumentError("cannot read " + std::string(flag) + " file '" + path +
                                      "': " + std::strerror(errno));
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(std::string(flag) + " file '" + path +
                                      "' is not JSON (at byte " + std::to_string(e.byte) + ")");
  }
}

absl::StatusOr<json> BuildCreateBody(const ProductCreateArgs& args) {
  int sources = !args.model_file.empty() + !args.alibaba_file.empty() +
                !args.jetlinks_file.empty() + !args.from_starter.empty();
  if (sources != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --model, --import-alibaba, --import-jetlinks and --from-starter");
  }
  if (args.name_zh.empty() && args.from_starter.empty()) {
    return absl::InvalidArgumentError("--name-zh is required (except with --from-starter)");
  }
  json body = {{"id", args.id}};
  if (!args.name_zh.empty() || !args.name_en.empty()) {
    json name = json::object();
    if (!args.name_zh.empty()) name["zh"] = args.name_zh;
    if (!args.name_en.empty()) name["en"] = args.name_en;
    body["name"] = std::move(name);
  }
  if (!args.description.empty()) body["description"] = args.description;
  if (!args.model_file.empty()) {
    auto model = ReadJsonFile(args.model_file, "--model");
    if (!model.ok()) return model.status();
    body["thingModel"] = *std::move(model);
  } else if (!args.from_starter.empty()) {
    body["fromStarter"] = args.from_starter;
  } else {
    bool alibaba = !args.alibaba_file.empty();
    auto source = alibaba ? ReadJsonFile(args.alibaba_file, "--import-alibaba")
                          : ReadJsonFile(args.jetlinks_file, "--import-jetlinks");
    if (!source.ok()) return source.status();
    body["import"] = {{"format", alibaba ? "alibaba" : "jetlinks"}, {"source", *std::move(source)}};
  }
  return body;
}

std::string MemberText(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string TextTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += "\n";
  }
  return out;
}

std::string CollectionTarget(std::string_view base, std::string_view id, std::string_view suffix,
                             std::optional<uint64_t> enterprise,
                             std::vector<std::pair<std::string, std::string>> query) {
  std::string target(base);
  if (!id.empty()) {
    target += '/';
    target += EncodeQueryComponent(id);
  }
  target += suffix;
  if (enterprise) query.insert(query.begin(), {"enterprise", std::to_string(*enterprise)});
  return target + BuildQuery(query);
}

std::string ProductTarget(std::string_view id, std::string_view suffix,
                          std::optional<uint64_t> enterprise,
                          std::vector<std::pair<std::string, std::string>> query) {
  return CollectionTarget("/api/products", id, suffix, enterprise, std::move(query));
}

std::string ProductName(const json& name) {
  std::string zh = Text(name, "zh");
  std::string en = Text(name, "en");
  return en.empty() ? zh : zh + " (" + en + ")";
}

std::string FormatStarters(const json& products) {
  std::vector<std::vector<std::string>> rows = {{"ID", "PROPERTIES", "EVENTS", "SERVICES", "NAME"}};
  if (products.is_array()) {
    for (const json& p : products) {
      const json model = p.is_object() && p.contains("thingModel") ? p["thingModel"] : json();
      rows.push_back({Text(p, "id"), std::to_string(CountOf(model, "properties")),
                      std::to_string(CountOf(model, "events")),
                      std::to_string(CountOf(model, "services")),
                      ProductName(p.is_object() && p.contains("name") ? p["name"] : json())});
    }
  }
  return Table(rows);
}

std::string FormatProducts(const json& products) {
  std::vector<std::vector<std::string>> rows = {{"ENTERPRISE", "ID", "VERSION", "NAME"}};
  if (products.is_array()) {
    for (const json& p : products) {
      rows.push_back({Text(p, "enterprise"), Text(p, "id"), Text(p, "latestVersion"),
                      ProductName(p.is_object() && p.contains("name") ? p["name"] : json())});
    }
  }
  return Table(rows);
}

std::string FormatProduct(const json& product, const json& model) {
  std::ostringstream out;
  out << "id: " << Text(product, "id") << "\n"
      << "enterprise: " << Text(product, "enterprise") << "\n"
      << "name: "
      << ProductName(product.is_object() && product.contains("name") ? product["name"] : json())
      << "\n";
  if (std::string d = Text(product, "description"); !d.empty()) {
    out << "description: " << d << "\n";
  }
  out << "latestVersion: " << Text(product, "latestVersion") << "\n"
      << "model: " << CountOf(model, "properties") << " properties, " << CountOf(model, "events")
      << " events, " << CountOf(model, "services") << " services\n"
      << "createdAt: " << Text(product, "createdAt") << "\n"
      << "updatedAt: " << Text(product, "updatedAt") << "\n";
  return out.str();
}

std::string FormatBreakingChanges(const json& changes) {
  std::string out;
  if (!changes.is_array()) return out;
  for (const json& c : changes) out += Text(c, "path") + ": " + Text(c, "reason") + "\n";
  return out;
}

std::string FormatImportWarnings(const json& warnings) {
  std::string out;
  if (!warnings.is_array()) return out;
  for (const json& w : warnings) {
    out += "qilian: import warning: " +
           (w.is_string() ? w.get<std::string>()
                          : w.dump(-1, ' ', false, json::error_handler_t::replace)) +
           "\n";
  }
  return out;
}

}  // namespace qilian::cli
