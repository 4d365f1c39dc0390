#include "cli/product.h"

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/exit_code.h"
#include "cli/rest_client.h"
#include "cli/rest_exchange.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

constexpr char kEnterpriseHelp[] =
    "the enterprise whose product this is (operators and auditors; staff act on their own)";

std::string Dump(const json& value) {
  // Invalid UTF-8 in an argument would make dump() throw; replace keeps the
  // request well-formed and lets the server name the field.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

int Usage(const absl::Status& status) {
  std::cerr << "qilian: " << status.message() << "\n";
  return ToInt(ExitCode::kUsage);
}

void AddEnterprise(CLI::App* cmd, std::optional<uint64_t>* enterprise) {
  cmd->add_option("--enterprise", *enterprise, kEnterpriseHelp)
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{UINT64_MAX}).description(""));
}

// A subcommand acting on one product: its ID argument and --enterprise.
CLI::App* AddProductSubcommand(CLI::App* group, const char* name, const char* help,
                               std::string* id, std::optional<uint64_t>* enterprise) {
  CLI::App* cmd = group->add_subcommand(name, help);
  cmd->add_option("id", *id, "the product id")->required();
  AddEnterprise(cmd, enterprise);
  return cmd;
}

}  // namespace

ProductCommand::ProductCommand(CLI::App* app) {
  group_ = app->add_subcommand("product", "products and their versioned thing models");
  group_->require_subcommand(1);

  starters_ = group_->add_subcommand(
      "starters", "list the starter library: ID, PROPERTIES, EVENTS, SERVICES, NAME");
  starters_->footer("Exit codes: 0 listed, 5 permission, 6 server or network error.\n");

  list_ = group_->add_subcommand("list", "list products: ENTERPRISE, ID, VERSION, NAME");
  AddEnterprise(list_, &enterprise_);
  list_->add_option("--page", page_, "the page to print, counted from 0 (default 0)")
      ->type_name("N");
  list_->add_option("--page-size", page_size_, "products per page (default 100, at most 1000)")
      ->type_name("N");
  list_->footer(
      "Operators and auditors list every enterprise's products, or one with --enterprise.\n"
      "Exit codes: 0 listed, 1 enterprise not found, 4 bad paging, 5 permission,\n"
      "6 server or network error.\n");

  get_ = AddProductSubcommand(group_, "get", "print a product and the size of its latest model",
                              &id_, &enterprise_);
  get_->footer("Exit codes: 0 found, 1 not found, 4 bad id, 5 permission, 6 server error.\n");

  create_ = group_->add_subcommand("create", "create a product with version 1 of its model");
  create_->add_option("id", create_args_.id, "the product id: 1 to 64 of A-Z a-z 0-9 _ -")
      ->required();
  create_->add_option("--name-zh", create_args_.name_zh,
                      "the Chinese name (required; defaults to the starter's with --from-starter)");
  create_->add_option("--name-en", create_args_.name_en, "the English name");
  create_->add_option("--description", create_args_.description, "a description");
  create_->add_option("--model", create_args_.model_file, "a thing model in Qilian's format")
      ->type_name("FILE");
  create_->add_option("--import-alibaba", create_args_.alibaba_file,
                      "import an Alibaba Cloud IoT TSL document")
      ->type_name("FILE");
  create_->add_option("--import-jetlinks", create_args_.jetlinks_file,
                      "import a JetLinks metadata document")
      ->type_name("FILE");
  create_->add_option("--from-starter", create_args_.from_starter,
                      "copy a starter product's model (qilian product starters)")
      ->type_name("ID");
  AddEnterprise(create_, &enterprise_);
  create_->footer(
      "Exactly one of --model, --import-alibaba, --import-jetlinks, --from-starter.\n"
      "Prints \"created product ID (model version 1)\"; each import warning (a source\n"
      "field with no equivalent) goes to stderr as \"qilian: import warning: ...\".\n\n"
      "Examples:\n"
      "  qilian product create kiln-1 --from-starter rotary_kiln --enterprise 1\n"
      "  qilian product create oven --name-zh 烘箱 --import-alibaba tsl.json --enterprise 1\n\n"
      "Exit codes: 0 created, 2 usage (also an unreadable or non-JSON file), 3 exists,\n"
      "4 refused (the message names the field), 5 permission, 6 server or network error.\n");

  model_ = AddProductSubcommand(group_, "model",
                                "print a version of a product's thing model (JSON)", &id_,
                                &enterprise_);
  model_->add_option("--version", version_, "the model version (default the latest)")
      ->type_name("N");
  model_->footer("Exit codes: 0 printed, 1 product or version not found, 4 bad input,\n"
                 "5 permission, 6 server or network error.\n");

  set_model_ = AddProductSubcommand(
      group_, "set-model", "save a model: amend the latest version compatibly, or add the next",
      &id_, &enterprise_);
  set_model_->add_option("--model", model_file_, "the thing model; its version decides")
      ->type_name("FILE")
      ->required();
  set_model_->footer(
      "The model's \"version\" is the latest version (an amendment, which must break\n"
      "nothing) or the next (a new version). Prints \"saved product ID model version N\".\n"
      "An amendment with breaking changes is refused, each printed as \"path: reason\".\n\n"
      "Exit codes: 0 saved, 1 not found, 2 usage, 3 breaking changes, 4 refused,\n"
      "5 permission, 6 server or network error.\n");

  delete_ = AddProductSubcommand(group_, "delete", "delete a product with every model version",
                                 &id_, &enterprise_);
  delete_->footer("Exit codes: 0 deleted, 1 not found, 5 permission, 6 server error.\n");
}

bool ProductCommand::parsed() const { return group_->parsed(); }

int ProductCommand::Run(RestClient& client, bool raw) const {
  if (starters_->parsed()) {
    return Exchange(client, raw, "GET", "/api/starter-products", "", [](const json& reply) {
      std::cout << FormatStarters(reply.value("products", json::array()));
    });
  }
  if (list_->parsed()) {
    std::vector<std::pair<std::string, std::string>> query;
    if (page_) query.emplace_back("page", std::to_string(*page_));
    if (page_size_) query.emplace_back("pageSize", std::to_string(*page_size_));
    return Exchange(client, raw, "GET", ProductTarget("", "", enterprise_, query), "",
                    [](const json& reply) {
                      std::cout << FormatProducts(reply.value("products", json::array()));
                    });
  }
  if (get_->parsed()) {
    return Exchange(client, raw, "GET", ProductTarget(id_, "", enterprise_), "",
                    [](const json& reply) {
                      std::cout << FormatProduct(reply.value("product", json::object()),
                                                 reply.value("thingModel", json::object()));
                    });
  }
  if (create_->parsed()) {
    absl::StatusOr<json> body = BuildCreateBody(create_args_);
    if (!body.ok()) return Usage(body.status());
    return Exchange(client, raw, "POST", ProductTarget("", "", enterprise_), Dump(*body),
                    [this](const json& reply) {
                      std::cout << "created product " << create_args_.id
                                << " (model version 1)\n";
                      std::cerr << FormatImportWarnings(
                          reply.value("importWarnings", json::array()));
                    });
  }
  if (model_->parsed()) {
    std::vector<std::pair<std::string, std::string>> query;
    if (version_) query.emplace_back("version", std::to_string(*version_));
    return Exchange(client, raw, "GET", ProductTarget(id_, "/model", enterprise_, query), "",
                    [](const json& reply) {
                      std::cout << reply.value("thingModel", json::object())
                                       .dump(2, ' ', false, json::error_handler_t::replace)
                                << "\n";
                    });
  }
  if (set_model_->parsed()) {
    absl::StatusOr<json> model = ReadJsonFile(model_file_, "--model");
    if (!model.ok()) return Usage(model.status());
    json body = {{"thingModel", *std::move(model)}};
    return Exchange(
        client, raw, "PUT", ProductTarget(id_, "/model", enterprise_), Dump(body),
        [this](const json& reply) {
          std::cout << "saved product " << id_ << " model version "
                    << reply.value("version", json()).dump() << "\n";
        },
        [this](int http_status, const json& reply) -> std::optional<int> {
          auto changes = reply.find("breakingChanges");
          if (http_status != 409 || changes == reply.end() || !changes->is_array()) {
            return std::nullopt;
          }
          std::cerr << "qilian: the model breaks data valid under the saved version of product "
                    << id_ << "; nothing saved (give it the next version to add one):\n"
                    << FormatBreakingChanges(*changes);
          return ToInt(ExitCode::kConflict);
        });
  }
  return Exchange(client, raw, "DELETE", ProductTarget(id_, "", enterprise_), "",
                  [this](const json&) { std::cout << "deleted product " << id_ << "\n"; });
}

}  // namespace qilian::cli
