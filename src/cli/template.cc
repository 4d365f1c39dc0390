#include "cli/template.h"

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/exit_code.h"
#include "cli/product_args.h"
#include "cli/rest_client.h"
#include "cli/rest_exchange.h"
#include "cli/template_args.h"
#include "ident/template/starter_templates.h"

namespace qilian::cli {
namespace {

using nlohmann::json;
namespace tpl = ident::templates;

int Usage(std::string_view message) {
  std::cerr << "qilian: " << message << "\n";
  return ToInt(ExitCode::kUsage);
}

void AddPrefix(CLI::App* cmd, std::string* prefix) {
  cmd->add_option("--prefix", *prefix, "the prefix the templates are defined under")
      ->type_name("PREFIX")
      ->required();
}

CLI::App* AddNamed(CLI::App* group, const char* name, const char* help, std::string* prefix,
                   std::string* template_name) {
  CLI::App* cmd = group->add_subcommand(name, help);
  cmd->add_option("name", *template_name, "the template name")->required();
  AddPrefix(cmd, prefix);
  return cmd;
}

std::vector<std::string> StarterNames() {
  std::vector<std::string> names;
  for (const tpl::StarterTemplate& s : tpl::StarterTemplates()) names.emplace_back(s.name);
  return names;
}

}  // namespace

TemplateCommand::TemplateCommand(CLI::App* app) {
  group_ = app->add_subcommand("template", "identifier data templates (标识数据模板) of a prefix");
  group_->require_subcommand(1);

  list_ = group_->add_subcommand("list", "the latest version of each template: NAME, VERSION, "
                                         "INDUSTRY, FIELDS, DESCRIPTION");
  AddPrefix(list_, &prefix_);
  list_->footer("Exit codes: 0 listed, 4 bad prefix, 5 permission, 6 server or network error.\n");

  get_ = AddNamed(group_, "get", "print a template's fields (--json: the template)", &prefix_,
                  &name_);
  get_->add_option("--version", version_, "the version (default the latest)")->type_name("N");
  get_->footer("Exit codes: 0 found, 1 not found, 4 bad input, 5 permission, 6 server error.\n");

  versions_ = AddNamed(group_, "versions", "list every version of a template", &prefix_, &name_);
  versions_->footer("Exit codes: 0 listed, 1 not found, 5 permission, 6 server error.\n");

  create_ = group_->add_subcommand("create", "define a template (version 1) from a JSON file");
  AddPrefix(create_, &prefix_);
  create_->add_option("--file", file_, "the template (docs/templates.md \"Model\")")
      ->type_name("FILE")
      ->required();
  create_->footer(
      "Prints \"created template NAME@1\".\n"
      "Exit codes: 0 created, 2 usage (also an unreadable or non-JSON file), 3 exists,\n"
      "4 refused (the message names the field), 5 permission, 6 server or network error.\n");

  add_version_ = AddNamed(group_, "add-version",
                          "publish the next version of a template (any change)", &prefix_, &name_);
  add_version_->add_option("--file", file_, "the new version")->type_name("FILE")->required();
  add_version_->footer("Prints \"created template NAME@N\".\n"
                       "Exit codes: 0 created, 1 not found, 2 usage, 4 refused, 5 permission,\n"
                       "6 server or network error.\n");

  update_ = AddNamed(group_, "update", "change a version in place, compatibly only", &prefix_,
                     &name_);
  update_->add_option("--version", version_, "the version to change")->type_name("N")->required();
  update_->add_option("--file", file_, "the changed template")->type_name("FILE")->required();
  update_->footer(
      "A change that could invalidate records written under the version (a field\n"
      "removed or made required, a type or unit changed, limits tightened, an enum\n"
      "value removed) is refused with each reason; publish it with add-version.\n"
      "Exit codes: 0 updated, 1 not found, 2 usage, 3 breaking change, 4 refused,\n"
      "5 permission, 6 server or network error.\n");

  starters_ = group_->add_subcommand(
      "starters", "list the starter templates this client can install (no server needed)");

  install_ = group_->add_subcommand(
      "install-starter", "define the starter templates (石化, 有色金属, 装备制造, 医药, 食品) under a prefix");
  AddPrefix(install_, &prefix_);
  install_->add_option("--only", only_, "install only this starter (repeatable)")
      ->type_name("NAME");
  install_->footer(
      "Prints \"installed NAME@1\" per template, or \"NAME already defined, left as it is\".\n"
      "Exit codes: 0 all installed or present, 2 usage, 4 refused, 5 permission,\n"
      "6 server or network error (the first failure stops the installation).\n");
}

bool TemplateCommand::parsed() const { return group_->parsed(); }

int TemplateCommand::InstallStarters(RestClient& client, bool raw) const {
  StarterChoice choice = ChooseStarters(StarterNames(), only_);
  if (!choice.error.empty()) return Usage(choice.error);
  for (const std::string& name : choice.names) {
    const tpl::StarterTemplate* starter = tpl::FindStarterTemplate(name);
    int code = Exchange(
        client, raw, "POST", TemplateTarget(prefix_), tpl::StarterTemplateBody(*starter),
        [&name](const json&) { std::cout << "installed " << name << "@1\n"; },
        [&name](int http_status, const json&) -> std::optional<int> {
          if (http_status != 409) return std::nullopt;
          std::cout << name << " already defined, left as it is\n";
          return ToInt(ExitCode::kOk);
        });
    if (code != ToInt(ExitCode::kOk)) return code;
  }
  return ToInt(ExitCode::kOk);
}

int TemplateCommand::Run(RestClient& client, bool raw) const {
  if (starters_->parsed()) {
    std::vector<std::vector<std::string>> rows = {{"NAME", "INDUSTRY"}};
    for (const tpl::StarterTemplate& s : tpl::StarterTemplates()) {
      rows.push_back({std::string(s.name),
                      std::string(s.industry_zh) + " (" + std::string(s.industry_en) + ")"});
    }
    std::cout << TextTable(rows);
    return ToInt(ExitCode::kOk);
  }
  if (install_->parsed()) return InstallStarters(client, raw);
  if (list_->parsed()) {
    return Exchange(client, raw, "GET", TemplateTarget(prefix_), "", [](const json& reply) {
      std::cout << FormatTemplates(reply.value("templates", json::array()));
    });
  }
  if (get_->parsed()) {
    const std::string target =
        version_ ? TemplateTarget(prefix_, name_, true, version_) : TemplateTarget(prefix_, name_);
    return Exchange(client, raw, "GET", target, "", [](const json& reply) {
      std::cout << FormatTemplate(reply.value("template", json::object()));
    });
  }
  if (versions_->parsed()) {
    return Exchange(client, raw, "GET", TemplateTarget(prefix_, name_, true), "",
                    [](const json& reply) {
                      std::cout << FormatTemplates(reply.value("versions", json::array()));
                    });
  }
  absl::StatusOr<json> body = ReadJsonFile(file_, "--file");
  if (!body.ok()) return Usage(std::string(body.status().message()));
  const std::string text = body->dump(-1, ' ', false, json::error_handler_t::replace);
  auto created = [](const json& reply) {
    std::cout << "created template " << reply["template"].value("reference", "") << "\n";
  };
  if (create_->parsed()) {
    return Exchange(client, raw, "POST", TemplateTarget(prefix_), text, created);
  }
  if (add_version_->parsed()) {
    return Exchange(client, raw, "POST", TemplateTarget(prefix_, name_, true), text, created);
  }
  return Exchange(
      client, raw, "PUT", TemplateTarget(prefix_, name_, true, version_), text,
      [](const json& reply) {
        std::cout << "updated template " << reply["template"].value("reference", "") << "\n";
      },
      [](int http_status, const json& reply) -> std::optional<int> {
        if (http_status != 409) return std::nullopt;
        std::cerr << "qilian: " << reply.value("message", "") << "\n";
        return ToInt(ExitCode::kConflict);
      });
}

}  // namespace qilian::cli
