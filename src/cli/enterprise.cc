#include "cli/enterprise.h"

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

std::string Text(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

void PrintEnterprise(const json& e) {
  std::cout << "id: " << Text(e, "id") << "\n"
            << "name: " << Text(e, "name") << "\n"
            << "creditCode: " << Text(e, "creditCode") << "\n"
            << "industry: " << Text(e, "industry");
  if (e.contains("industrySection")) {
    std::cout << " (" << Text(e, "industrySection") << " " << Text(e, "industrySectionName")
              << ")";
  }
  std::cout << "\n"
            << "region: " << Text(e, "region") << "\n";
  if (auto c = e.find("contact"); c != e.end() && c->is_object()) {
    std::cout << "contact: " << Text(*c, "name") << ", " << Text(*c, "phone");
    if (c->contains("email")) std::cout << ", " << Text(*c, "email");
    std::cout << "\n";
  }
  std::cout << "prefix: " << Text(e, "prefix") << "\n"
            << "createdAt: " << Text(e, "createdAt") << "\n";
}

}  // namespace

EnterpriseCommand::EnterpriseCommand(CLI::App* app) {
  group_ = app->add_subcommand("enterprise", "register enterprises and allocate their prefixes");
  group_->require_subcommand(1);

  register_ = group_->add_subcommand(
      "register", "register an enterprise; prints the prefix allocated to it");
  register_->add_option("--name", name_, "the enterprise's registered name")->required();
  register_->add_option("--credit-code", credit_code_,
                        "unified social credit code (统一社会信用代码, 18 characters)")
      ->required();
  register_->add_option("--industry", industry_,
                        "GB/T 4754-2017 industry: section letter or 2-4 digit code, e.g. C3441")
      ->required();
  register_->add_option("--region", region_, "GB/T 2260 administrative division code, e.g. 620100")
      ->required();
  register_->add_option("--contact-name", contact_name_, "contact person")->required();
  register_->add_option("--contact-phone", contact_phone_, "contact phone")->required();
  register_->add_option("--contact-email", contact_email_, "contact email (optional)");
  register_->footer(
      "Prints the allocated prefix (e.g. 88.999.7); its prefix handle 0.NA/88.999.7 is\n"
      "created at the same time. --json prints the server's reply.\n\n"
      "Example:\n"
      "  qilian enterprise register --name 兰州泵业有限公司 --credit-code 916201007100000135 \\\n"
      "      --industry C3441 --region 620100 --contact-name 张工 --contact-phone 13800000000\n\n"
      "Exit codes: 0 registered, 2 usage, 3 credit code already registered,\n"
      "4 a field refused (the message names it), 5 permission, 6 server or network error.\n");

  get_ = group_->add_subcommand("get", "print an enterprise, by id or credit code");
  get_->add_option("enterprise", key_, "the enterprise id or its credit code")->required();
  get_->footer("Exit codes: 0 found, 1 not found, 4 bad id, 6 server or network error.\n");

  list_ = group_->add_subcommand("list", "list enterprises: ID, PREFIX, CREDIT CODE, NAME");
  list_->add_option("--page", page_, "the page to print, counted from 0 (default 0)")
      ->type_name("N");
  list_->add_option("--page-size", page_size_, "enterprises per page (default 100, at most 1000)")
      ->type_name("N");
  list_->footer("Prints one tab-separated line per enterprise; --json prints the reply.\n");
}

bool EnterpriseCommand::parsed() const { return group_->parsed(); }

int EnterpriseCommand::Run(RestClient& client, bool raw) const {
  if (register_->parsed()) {
    json contact = {{"name", contact_name_}, {"phone", contact_phone_}};
    if (!contact_email_.empty()) contact["email"] = contact_email_;
    json body = {{"name", name_},
                 {"creditCode", credit_code_},
                 {"industry", industry_},
                 {"region", region_},
                 {"contact", std::move(contact)}};
    // dump() throws on invalid UTF-8 in an argument; replace keeps the
    // request well-formed and the server names the field.
    std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return Exchange(client, raw, "POST", "/api/enterprises", text, [](const json& reply) {
      std::cout << Text(reply["enterprise"], "prefix") << "\n";
    });
  }
  if (get_->parsed()) {
    return Exchange(client, raw, "GET", "/api/enterprises/" + EncodePathSegment(key_), "",
                    [](const json& reply) { PrintEnterprise(reply["enterprise"]); });
  }
  std::vector<std::pair<std::string, std::string>> query;
  if (page_) query.emplace_back("page", std::to_string(*page_));
  if (page_size_) query.emplace_back("pageSize", std::to_string(*page_size_));
  return Exchange(client, raw, "GET", "/api/enterprises" + BuildQuery(query), "",
                  [](const json& reply) {
                    for (const json& e : reply["enterprises"]) {
                      std::cout << Text(e, "id") << "\t" << Text(e, "prefix") << "\t"
                                << Text(e, "creditCode") << "\t" << Text(e, "name") << "\n";
                    }
                  });
}

}  // namespace qilian::cli
