// The starter set of identifier data templates for the plan's industries
// (docs/templates.md "Starter set"): the fields every product record has
// (kCommonFields) and each industry's own. StarterTemplateBody joins them
// into a request body for POST /api/prefixes/{prefix}/templates.
#include "ident/template/starter_templates.h"

#include "nlohmann/json.hpp"

namespace qilian::ident::templates {
namespace {

// Product, model, batch, production date and line, inspection, standard, maker.
constexpr std::string_view kCommonFields = R"json([
 {"name": "productName", "type": "string", "required": true, "limits": {"minLength": 1, "maxLength": 64}, "description": {"zh": "产品名称", "en": "Product name"}},
 {"name": "model", "type": "string", "limits": {"maxLength": 64}, "description": {"zh": "规格型号", "en": "Model / specification"}},
 {"name": "batchNo", "type": "string", "required": true, "limits": {"pattern": "[A-Z0-9-]{4,32}"}, "description": {"zh": "生产批号", "en": "Batch number"}},
 {"name": "productionDate", "type": "date-time", "required": true, "description": {"zh": "生产日期", "en": "Production date (RFC 3339)"}},
 {"name": "productionLine", "type": "string", "limits": {"maxLength": 64}, "description": {"zh": "生产线", "en": "Production line"}},
 {"name": "inspectionResult", "type": "enum", "values": ["合格", "不合格", "待检"], "description": {"zh": "检验结果", "en": "Inspection result"}},
 {"name": "standard", "type": "string", "limits": {"pattern": "GB(/T)? [0-9]+(\\.[0-9]+)?-[0-9]{4}"}, "description": {"zh": "执行标准（国家标准编号）", "en": "Standard applied (GB number, e.g. GB/T 1234-2020)"}},
 {"name": "manufacturerCreditCode", "type": "string", "required": true, "limits": {"pattern": "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"}, "description": {"zh": "生产企业统一社会信用代码", "en": "Manufacturer's unified social credit code"}}
])json";

}  // namespace

std::span<const StarterTemplate> StarterTemplates() {
  static constexpr StarterTemplate kStarters[] = {
      {"petrochemical-product", "石化", "petrochemical",
       R"json({"name": "petrochemical-product", "industry": "C2511", "description": {"zh": "石化产品（原油加工及石油制品）", "en": "Petrochemical product (crude oil processing and petroleum products)"}, "fields": [
 {"name": "hazardClass", "type": "enum", "required": true, "values": ["1 爆炸品", "2 气体", "3 易燃液体", "4 易燃固体", "5 氧化性物质和有机过氧化物", "6 毒性物质和感染性物质", "7 放射性物质", "8 腐蚀性物质", "9 杂项危险物质和物品", "非危险品"], "description": {"zh": "危险货物类别（GB 6944）", "en": "Dangerous goods class (GB 6944)"}},
 {"name": "unNumber", "type": "string", "limits": {"pattern": "UN[0-9]{4}"}, "description": {"zh": "联合国编号", "en": "UN number"}},
 {"name": "flashPoint", "type": "decimal", "unit": "℃", "limits": {"minimum": -100, "maximum": 400}, "description": {"zh": "闪点", "en": "Flash point"}},
 {"name": "density", "type": "decimal", "unit": "kg/m³", "limits": {"minimum": 0}, "description": {"zh": "密度（20℃）", "en": "Density at 20 ℃"}},
 {"name": "netQuantity", "type": "decimal", "unit": "t", "limits": {"minimum": 0}, "description": {"zh": "净重", "en": "Net quantity"}},
 {"name": "storageConditions", "type": "string", "limits": {"maxLength": 200}, "description": {"zh": "储存条件", "en": "Storage conditions"}},
 {"name": "msdsUrl", "type": "url", "description": {"zh": "安全技术说明书", "en": "Safety data sheet (SDS) URL"}}]})json"},
      {"nonferrous-ingot", "有色金属", "nonferrous metals",
       R"json({"name": "nonferrous-ingot", "industry": "C3216", "description": {"zh": "有色金属锭（铝冶炼）", "en": "Nonferrous metal ingot (aluminium smelting)"}, "fields": [
 {"name": "alloyGrade", "type": "string", "required": true, "limits": {"pattern": "[0-9A-Z][0-9A-Za-z.-]{1,15}"}, "description": {"zh": "牌号（如 Al99.70、6063、H62）", "en": "Alloy grade (e.g. Al99.70, 6063, H62)"}},
 {"name": "heatNo", "type": "string", "limits": {"maxLength": 32}, "description": {"zh": "炉号", "en": "Heat (melt) number"}},
 {"name": "purity", "type": "decimal", "unit": "%", "limits": {"minimum": 0, "maximum": 100}, "description": {"zh": "主成分含量", "en": "Main element content"}},
 {"name": "chemicalComposition", "type": "string", "limits": {"maxLength": 500}, "description": {"zh": "化学成分", "en": "Chemical composition"}},
 {"name": "pieceWeight", "type": "decimal", "unit": "kg", "limits": {"minimum": 0}, "description": {"zh": "单锭重量", "en": "Weight per ingot"}},
 {"name": "bundleCount", "type": "integer", "unit": "块", "limits": {"minimum": 1}, "description": {"zh": "每捆块数", "en": "Ingots per bundle"}},
 {"name": "smelter", "type": "string", "limits": {"maxLength": 100}, "description": {"zh": "冶炼厂", "en": "Smelter"}}]})json"},
      {"equipment-unit", "装备制造", "equipment manufacturing",
       R"json({"name": "equipment-unit", "industry": "C3441", "description": {"zh": "装备产品（泵及真空设备）", "en": "Manufactured equipment unit (pumps and vacuum equipment)"}, "fields": [
 {"name": "serialNumber", "type": "string", "required": true, "limits": {"pattern": "[A-Za-z0-9-]{4,40}"}, "description": {"zh": "出厂编号", "en": "Serial number"}},
 {"name": "ratedPower", "type": "decimal", "unit": "kW", "limits": {"minimum": 0}, "description": {"zh": "额定功率", "en": "Rated power"}},
 {"name": "ratedPressure", "type": "decimal", "unit": "MPa", "limits": {"minimum": 0}, "description": {"zh": "额定压力", "en": "Rated pressure"}},
 {"name": "ratedFlow", "type": "decimal", "unit": "m³/h", "limits": {"minimum": 0}, "description": {"zh": "额定流量", "en": "Rated flow"}},
 {"name": "warrantyMonths", "type": "integer", "unit": "月", "limits": {"minimum": 0, "maximum": 240}, "description": {"zh": "质保期", "en": "Warranty"}},
 {"name": "componentOf", "type": "handle", "description": {"zh": "所属整机标识", "en": "Identifier of the assembly it is part of"}},
 {"name": "manualUrl", "type": "url", "description": {"zh": "使用说明书", "en": "Operating manual URL"}},
 {"name": "installationSite", "type": "geo-point", "public": false, "description": {"zh": "安装位置（纬度,经度）", "en": "Installation site (lat,lon)"}}]})json"},
      {"pharma-lot", "医药", "pharmaceuticals",
       R"json({"name": "pharma-lot", "industry": "C2720", "description": {"zh": "药品批次（化学药品制剂）", "en": "Medicine lot (chemical drug preparations)"}, "fields": [
 {"name": "approvalNo", "type": "string", "required": true, "limits": {"pattern": "国药准字[HZSJBF][0-9]{8}"}, "description": {"zh": "批准文号（国药准字）", "en": "Drug approval number (Guoyao Zhunzi)"}},
 {"name": "udiDi", "type": "string", "limits": {"pattern": "[0-9]{14}"}, "description": {"zh": "产品标识（UDI-DI，GTIN-14）", "en": "Device/product identifier (UDI-DI, GTIN-14)"}},
 {"name": "drugTraceCode", "type": "string", "limits": {"pattern": "[0-9]{20}"}, "description": {"zh": "药品追溯码", "en": "Drug traceability code (20 digits)"}},
 {"name": "dosageForm", "type": "enum", "values": ["片剂", "胶囊剂", "注射剂", "颗粒剂", "口服溶液剂", "软膏剂", "其他"], "description": {"zh": "剂型", "en": "Dosage form"}},
 {"name": "strength", "type": "string", "limits": {"maxLength": 64}, "description": {"zh": "规格（如 0.25g×24片）", "en": "Strength and pack (e.g. 0.25 g × 24 tablets)"}},
 {"name": "expiryDate", "type": "date-time", "required": true, "description": {"zh": "有效期至", "en": "Expiry date"}},
 {"name": "storageConditions", "type": "string", "limits": {"maxLength": 200}, "description": {"zh": "贮藏条件", "en": "Storage conditions"}},
 {"name": "marketingAuthorizationHolder", "type": "string", "limits": {"maxLength": 100}, "description": {"zh": "上市许可持有人", "en": "Marketing authorization holder"}}]})json"},
      {"food-batch", "食品", "food",
       R"json({"name": "food-batch", "industry": "C1431", "description": {"zh": "食品批次（米、面制品）", "en": "Food batch (rice and flour products)"}, "fields": [
 {"name": "productionLicenseNo", "type": "string", "required": true, "limits": {"pattern": "SC[0-9]{14}"}, "description": {"zh": "食品生产许可证编号", "en": "Food production licence number (SC + 14 digits)"}},
 {"name": "netContent", "type": "decimal", "unit": "g", "limits": {"minimum": 0}, "description": {"zh": "净含量", "en": "Net content"}},
 {"name": "shelfLife", "type": "integer", "unit": "d", "required": true, "limits": {"minimum": 1, "maximum": 3650}, "description": {"zh": "保质期", "en": "Shelf life"}},
 {"name": "storageConditions", "type": "string", "limits": {"maxLength": 200}, "description": {"zh": "贮存条件", "en": "Storage conditions"}},
 {"name": "ingredients", "type": "string", "limits": {"maxLength": 500}, "description": {"zh": "配料表", "en": "Ingredients"}},
 {"name": "allergens", "type": "string", "limits": {"maxLength": 200}, "description": {"zh": "致敏物质提示", "en": "Allergen information"}},
 {"name": "origin", "type": "string", "limits": {"maxLength": 100}, "description": {"zh": "产地", "en": "Place of origin"}},
 {"name": "coldChain", "type": "boolean", "description": {"zh": "是否冷链", "en": "Needs the cold chain"}}]})json"},
  };
  return kStarters;
}

std::string StarterTemplateBody(const StarterTemplate& starter) {
  nlohmann::ordered_json body = nlohmann::ordered_json::parse(starter.own_json);
  nlohmann::ordered_json fields = nlohmann::ordered_json::parse(kCommonFields);
  for (auto& f : body["fields"]) fields.push_back(std::move(f));
  body["fields"] = std::move(fields);
  return body.dump();
}

const StarterTemplate* FindStarterTemplate(std::string_view name) {
  for (const StarterTemplate& s : StarterTemplates()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace qilian::ident::templates
