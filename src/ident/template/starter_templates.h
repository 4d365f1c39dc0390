// The starter set of identifier data templates for the industries of the
// Gansu plan: petrochemical (石化), nonferrous metals (有色金属), equipment
// manufacturing (装备制造), pharmaceuticals (医药) and food (食品)
// (docs/templates.md "Starter set"). `qilian template install-starter`
// defines them under a prefix through the REST API.
#ifndef QILIAN_IDENT_TEMPLATE_STARTER_TEMPLATES_H_
#define QILIAN_IDENT_TEMPLATE_STARTER_TEMPLATES_H_

#include <span>
#include <string>
#include <string_view>

namespace qilian::ident::templates {

struct StarterTemplate {
  std::string_view name;      // the template's name, e.g. "food-batch"
  std::string_view industry_zh;
  std::string_view industry_en;
  std::string_view own_json;  // the template without the common fields
};

std::span<const StarterTemplate> StarterTemplates();

// The whole request body: the common product fields (name, model, batch,
// production date and line, inspection result, standard, manufacturer's
// credit code) followed by the industry's own.
std::string StarterTemplateBody(const StarterTemplate& starter);

// nullptr when no starter has that name.
const StarterTemplate* FindStarterTemplate(std::string_view name);

}  // namespace qilian::ident::templates

#endif  // QILIAN_IDENT_TEMPLATE_STARTER_TEMPLATES_H_
