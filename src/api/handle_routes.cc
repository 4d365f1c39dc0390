// /api/handles/{handle} (GET, PUT, POST, DELETE) and /api/handles (GET,
// list). POST, and PUT with Handle.Net's mintNewSuffix=true, mint: the path
// is a stem the node appends a suffix to (ident/mint.h).
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "api/value_json.h"
#include "core/json_text.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/processor.h"
#include "ident/response_code.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using nlohmann::json;

namespace {

constexpr uint64_t kMaxPage = 0x7fffffff;
// Skipping to page N walks the listing in chunks of this many handles.
constexpr size_t kSkipChunk = 10000;

struct Params {
  std::vector<uint32_t> indexes;
  std::vector<std::string> types;
  bool overwrite = true;
  bool mint = false;  // mintNewSuffix
  std::optional<std::string> prefix;
  std::optional<std::string> after;
  std::optional<uint64_t> page;
  std::optional<uint64_t> page_size;
};



absl::StatusOr<Params> ParseParams(const ApiContext& ctx, Call* call,
                                   std::initializer_list<std::string_view> allowed) {
  auto parsed = ParseQuery(call->query);
  if (!parsed) return BadParam(call, "query has an invalid percent-escape");
  Params params;
  std::set<std::string> single_seen;
  for (const QueryParam& p : *parsed) {
    if (std::find(allowed.begin(), allowed.end(), p.name) == allowed.end()) {
      return call->Reject("unknown_param",
                          HandleError(ResponseCode::kProtocolError,
                                      absl::StrCat("unknown query parameter '", p.name, "'")));
    }
    if (p.name != "index" && p.name != "type" && !single_seen.insert(p.name).second) {
      return BadParam(call, absl::StrCat(p.name, " is given more than once"));
    }
    if (p.name == "index") {
      auto v = ParseDecimal(p.value, ident::kMinValueIndex, ident::kMaxValueIndex);
      if (!v) {
        return BadParam(call, absl::StrCat("index must be an integer in 1..2147483647, got '",
                                           p.value, "'"));
      }
      uint32_t index = static_cast<uint32_t>(*v);
      if (std::find(params.indexes.begin(), params.indexes.end(), index) !=
          params.indexes.end()) {
        return BadParam(call, absl::StrCat("index ", index, " is given more than once"));
      }
      params.indexes.push_back(index);
    } else if (p.name == "type") {
      if (p.value.empty()) return BadParam(call, "type must not be empty");
      params.types.push_back(p.value);
    } else if (p.name == "overwrite" || p.name == "mintNewSuffix") {
      if (p.value != "true" && p.value != "false") {
        return BadParam(call, absl::StrCat(p.name, " must be 'true' or 'false', got '", p.value,
                                           "'"));
      }
      (p.name == "overwrite" ? params.overwrite : params.mint) = p.value == "true";
    } else if (p.name == "prefix") {
      params.prefix = p.value;
    } else if (p.name == "after") {
      params.after = p.value;
    } else if (p.name == "page") {
      params.page = ParseDecimal(p.value, 0, kMaxPage);
      if (!params.page) {
        return BadParam(call,
                        absl::StrCat("page must be an integer in 0..", kMaxPage, ", got '",
                                     p.value, "'"));
      }
    } else if (p.name == "pageSize") {
      const uint64_t max = ctx.options->max_page_size;
      params.page_size = ParseDecimal(p.value, 1, max);
      if (!params.page_size) {
        return BadParam(call, absl::StrCat("pageSize must be an integer in 1..", max, ", got '",
                                           p.value, "'"));
      }
    }
  }
  return params;
}

// The handle in the path: percent-decoded exactly once ('+' stays '+'),
// then refused if it has "." or ".." segments, which a proxy or a later
// path join could resolve into a different handle, then validated as a
// handle. A `stem` to mint under ("88.999/") is not a handle yet: the
// processor validates the handle minted from it.
absl::StatusOr<std::string> HandleFromPath(Call* call, std::string_view raw, bool stem = false) {
  auto decoded = PercentDecode(raw, /*plus_is_space=*/false);
  if (!decoded) {
    return call->Reject("bad_handle", HandleError(ResponseCode::kInvalidHandle,
                                                  "handle has an invalid percent-escape"));
  }
  std::string_view rest = *decoded;
  while (true) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment == "." || segment == "..") {
      return call->Reject(
          "bad_handle", HandleError(ResponseCode::kInvalidHandle,
                                    "handle must not contain '.' or '..' path segments"));
    }
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (stem) return std::move(*decoded);
  auto name = ident::ParseHandle(*decoded);
  if (!name.ok()) return call->Reject("bad_handle", name.status());
  return std::move(*decoded);
}

json OkBody(std::string_view handle) {
  return {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
          {"handle", std::string(handle)}};
}

// Whether the query may ask PUT to mint (mintNewSuffix other than
// "false"), decided before the path is read, so that the path is read as a
// stem; ParseParams then refuses a malformed query or value.
bool MintRequested(std::string_view query) {
  auto parsed = ParseQuery(query);
  if (!parsed) return false;
  return std::any_of(parsed->begin(), parsed->end(), [](const QueryParam& p) {
    return p.name == "mintNewSuffix" && p.value != "false";
  });
}

// The values of a PUT or POST body; a refused body sets the error reason.
absl::StatusOr<std::vector<ident::HandleValue>> BodyValues(Call* call) {
  auto values = ValuesFromBody(call->request->body);
  if (!values.ok()) {
    bool syntax = ident::ResponseCodeOf(values.status()) == ResponseCode::kProtocolError;
    call->SetReason(syntax ? "malformed_json" : "bad_value");
  }
  return values;
}

// Creates a handle under `stem` with a suffix the node chooses: 201 and the
// minted handle, or the processor's error about the stem.
net::HttpResponse MintUnder(const ApiContext& ctx, Call* call, const std::string& stem,
                            std::vector<ident::HandleValue> values) {
  ident::Request request;
  request.op = ident::OpCode::kCreateHandle;
  request.op_flags = ident::op_flag::kMint;
  request.handle = stem;
  request.values = std::move(values);
  AttributeRequest(*call, &request);
  ident::Response response = ctx.processor->Process(request);
  if (!response.ok()) return ProcessorErrorResponse(call, response, stem);
  return JsonResponse(201, OkBody(response.handle));
}

}  // namespace

net::HttpResponse GetHandle(const ApiContext& ctx, Call* call, std::string_view raw_handle) {
  auto handle = HandleFromPath(call, raw_handle);
  if (!handle.ok()) return ErrorResponse(call, handle.status(), "");
  auto params = ParseParams(ctx, call, {"index", "type"});
  if (!params.ok()) return ErrorResponse(call, params.status(), *handle);
  ident::Request request;
  request.op = ident::OpCode::kResolution;
  request.handle = *handle;
  request.indexes = std::move(params->indexes);
  request.types = std::move(params->types);
  AttributeRequest(*call, &request);
  ident::Response record = ctx.processor->Process(request);
  if (!record.ok()) return ProcessorErrorResponse(call, record, *handle);
  // Written directly (json_text.h): the same bytes as dumping a DOM of
  // OkBody plus "values", at a fraction of the cost.
  net::HttpResponse response;
  response.body = R"({"handle":)";
  AppendJsonString(*handle, &response.body);
  response.body += R"(,"responseCode":1,"values":[)";
  for (size_t i = 0; i < record.values.size(); ++i) {
    if (i > 0) response.body.push_back(',');
    AppendValueJson(record.values[i], &response.body);
  }
  response.body += "]}";
  return response;
}

net::HttpResponse PutHandle(const ApiContext& ctx, Call* call, std::string_view raw_handle) {
  auto handle = HandleFromPath(call, raw_handle, MintRequested(call->query));
  if (!handle.ok()) return ErrorResponse(call, handle.status(), "");
  auto params = ParseParams(ctx, call, {"index", "overwrite", "mintNewSuffix"});
  if (!params.ok()) return ErrorResponse(call, params.status(), *handle);
  if (params->mint && !params->indexes.empty()) {
    // Handle.Net would send an add-value request, which cannot mint.
    return ErrorResponse(call, BadParam(call, "mintNewSuffix cannot be combined with index"),
                         *handle);
  }
  auto values = BodyValues(call);
  if (!values.ok()) return ErrorResponse(call, values.status(), *handle);
  // A minted handle is always new: overwrite does not apply.
  if (params->mint) return MintUnder(ctx, call, *handle, *std::move(values));
  ident::Request request;
  request.op = ident::OpCode::kCreateHandle;
  request.handle = *handle;
  request.op_flags = params->overwrite ? ident::op_flag::kOverwrite : 0;
  request.put_values_only = !params->indexes.empty();
  AttributeRequest(*call, &request);
  if (!params->indexes.empty()) {
    // With index= the body must hold exactly the listed values: a value at
    // another index would otherwise be silently dropped or silently added.
    const auto& listed = params->indexes;
    for (const auto& value : *values) {
      if (std::find(listed.begin(), listed.end(), value.index) == listed.end()) {
        return ErrorResponse(
            call,
            call->Reject("bad_value",
                         HandleError(ResponseCode::kInvalidValue,
                                     absl::StrCat("value index ", value.index,
                                                  " is not among the index parameters"))),
            *handle);
      }
    }
    for (uint32_t index : listed) {
      bool present = std::any_of(values->begin(), values->end(),
                                 [index](const auto& v) { return v.index == index; });
      if (!present) {
        return ErrorResponse(
            call,
            call->Reject("bad_value",
                         HandleError(ResponseCode::kInvalidValue,
                                     absl::StrCat("index ", index,
                                                  " is listed but the body has no value with it"))),
            *handle);
      }
    }
  }
  request.values = std::move(*values);
  ident::Response response = ctx.processor->Process(request);
  if (!response.ok()) return ProcessorErrorResponse(call, response, *handle);
  return JsonResponse(response.outcome == ident::WriteOutcome::kCreated ? 201 : 200,
                      OkBody(*handle));
}

net::HttpResponse PostHandle(const ApiContext& ctx, Call* call, std::string_view raw_stem) {
  auto stem = HandleFromPath(call, raw_stem, /*stem=*/true);
  if (!stem.ok()) return ErrorResponse(call, stem.status(), "");
  if (absl::Status none = RequireNoQuery(call); !none.ok()) {
    return ErrorResponse(call, none, *stem);
  }
  auto values = BodyValues(call);
  if (!values.ok()) return ErrorResponse(call, values.status(), *stem);
  return MintUnder(ctx, call, *stem, *std::move(values));
}

net::HttpResponse DeleteHandle(const ApiContext& ctx, Call* call, std::string_view raw_handle) {
  auto handle = HandleFromPath(call, raw_handle);
  if (!handle.ok()) return ErrorResponse(call, handle.status(), "");
  auto params = ParseParams(ctx, call, {"index"});
  if (!params.ok()) return ErrorResponse(call, params.status(), *handle);
  ident::Request request;
  request.op = params->indexes.empty() ? ident::OpCode::kDeleteHandle : ident::OpCode::kRemoveValue;
  request.handle = *handle;
  request.indexes = std::move(params->indexes);
  AttributeRequest(*call, &request);
  ident::Response response = ctx.processor->Process(request);
  if (!response.ok()) return ProcessorErrorResponse(call, response, *handle);
  return JsonResponse(200, OkBody(*handle));
}

net::HttpResponse ListHandles(const ApiContext& ctx, Call* call) {
  auto params = ParseParams(ctx, call, {"prefix", "page", "pageSize", "after"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  if (!params->prefix) {
    return ErrorResponse(call, BadParam(call, "prefix is required"), "");
  }
  if (params->page && params->after) {
    return ErrorResponse(call, BadParam(call, "page and after cannot be combined"), "");
  }
  const std::string& prefix = *params->prefix;
  absl::Status valid = ident::ValidatePrefix(prefix);
  if (!valid.ok()) return ErrorResponse(call, call->Reject("bad_handle", valid), "");

  const uint64_t page = params->page.value_or(0);
  const size_t page_size = params->page_size.value_or(ctx.options->default_page_size);
  std::string cursor = params->after.value_or("");
  // Page N is found by walking the N * pageSize handles before it; `after`
  // (the last handle of the previous page) gets there in one step.
  // The processor lists the prefix handle 0.NA/<prefix>, as the native
  // protocol names it.
  auto list = [&](const std::string& after, size_t size) {
    ident::Request request;
    request.op = ident::OpCode::kListHandles;
    request.handle = absl::StrCat("0.NA/", prefix);
    request.list_after = after;
    request.list_page_size = size;
    AttributeRequest(*call, &request);
    return ctx.processor->Process(request);
  };
  uint64_t skip = page * page_size;
  bool exhausted = false;
  while (skip > 0) {
    ident::Response chunk = list(cursor, std::min<uint64_t>(skip, kSkipChunk));
    if (!chunk.ok()) return ProcessorErrorResponse(call, chunk, "");
    skip -= std::min<uint64_t>(skip, chunk.handles.size());
    if (chunk.handles.empty() || !chunk.more) {
      // The listing ends before the requested page starts.
      exhausted = true;
      break;
    }
    cursor = chunk.handles.back();
  }
  ident::Response result;
  if (!exhausted) {
    result = list(cursor, page_size);
    if (!result.ok()) return ProcessorErrorResponse(call, result, "");
  }
  json body = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)}, {"prefix", prefix}};
  if (params->after) {
    body["after"] = *params->after;
  } else {
    body["page"] = page;
  }
  body["pageSize"] = page_size;
  body["handles"] = result.handles;
  body["more"] = result.more;
  return JsonResponse(200, body);
}

}  // namespace qilian::api
