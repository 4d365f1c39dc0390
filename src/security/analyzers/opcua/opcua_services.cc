#include "security/analyzers/opcua/opcua_services.h"

#include <string>

#include "security/analyzers/opcua/opcua_decoder.h"
#include "security/analyzers/opcua/opcua_names.h"

namespace qilian::security::opcua {
namespace {

using json = nlohmann::ordered_json;

// A name where the table has one, else the number.
json Named(std::string_view name, uint32_t value) {
  return name.empty() ? json(value) : json(name);
}

void Status(uint32_t code, json* out, const char* key = "status") {
  (*out)[key] = code;
  (*out)[std::string(key) + "_name"] = StatusCodeName(code);
}

// An array of `min_size`-byte-or-more elements, each read by `item(i)`;
// those the decoder lets keep (Decoder::Keep) go into `event[key]`, and the
// count, when more, into `<key>_total`.
template <typename F>
void List(Decoder& d, size_t min_size, json* event, const std::string& key, F item) {
  size_t n = d.ArrayCount(min_size);
  json items = json::array();
  for (size_t i = 0; i < n && d.ok(); ++i) {
    json x = item(i);
    if (d.Keep(i)) items.push_back(std::move(x));
  }
  size_t kept = items.size();
  (*event)[key] = std::move(items);
  if (n > kept) (*event)[key + "_total"] = n;
}

// A response result, beginning with what the request's operation `i` named.
json Paired(const PendingRequest* request, size_t i) {
  if (request == nullptr || i >= request->operations.size()) return json::object();
  return request->operations[i];
}

void Remember(PendingRequest* pending, const json& event, const char* key) {
  if (pending == nullptr || !event.contains(key)) return;
  for (const json& op : event[key]) {
    json target = json::object();
    for (const char* k : {"node_id", "attribute", "object_id", "method_id", "start"}) {
      if (op.contains(k)) target[k] = op[k];
    }
    pending->operations.push_back(std::move(target));
  }
}

void StatusResults(Decoder& d, json* e, const PendingRequest* request) {
  List(d, 4, e, "results", [&](size_t i) {
    json r = Paired(request, i);
    Status(d.U32(), &r);
    return r;
  });
  d.SkipDiagnosticInfos();
}

// A String written only when not empty.
void NonEmpty(Decoder& d, json* out, const char* key) {
  std::string value = d.String();
  if (!value.empty()) (*out)[key] = std::move(value);
}

// The node, attribute and index range that Read, Write and
// CreateMonitoredItems operations start with.
json NodeAttribute(Decoder& d) {
  json op;
  op["node_id"] = d.ReadNodeId().text;
  uint32_t attribute = d.U32();
  op["attribute"] = Named(AttributeName(attribute), attribute);
  NonEmpty(d, &op, "index_range");
  return op;
}

json ReadValueId(Decoder& d) {
  json op = NodeAttribute(d);
  d.QualifiedName();  // data encoding
  return op;
}

void RequestHeader(Decoder& d, json* e) {
  d.ReadNodeId();  // authentication token: a session secret, not written
  json ts = d.DateTime();
  (*e)["request_handle"] = d.U32();
  if (!ts.is_null()) (*e)["timestamp"] = ts;
  d.U32();  // return diagnostics
  std::string audit = d.String();
  (*e)["timeout_hint"] = d.U32();
  if (!audit.empty()) (*e)["audit_entry_id"] = audit;
  d.ExtensionObject();  // additional header
}

void ResponseHeader(Decoder& d, json* e) {
  json ts = d.DateTime();
  (*e)["request_handle"] = d.U32();
  if (!ts.is_null()) (*e)["timestamp"] = ts;
  Status(d.U32(), e, "service_result");
  d.SkipDiagnosticInfo();
  size_t strings = d.ArrayCount(4);
  for (size_t i = 0; i < strings && d.ok(); ++i) d.Bytes();
  d.ExtensionObject();  // additional header
}

json ApplicationDescription(Decoder& d) {
  json a;
  a["application_uri"] = d.String();
  a["product_uri"] = d.String();
  a["application_name"] = d.LocalizedText();
  uint32_t type = d.U32();
  a["application_type"] = Named(ApplicationTypeName(type), type);
  d.String();  // gateway server URI
  d.String();  // discovery profile URI
  List(d, 4, &a, "discovery_urls", [&](size_t) { return json(d.String()); });
  return a;
}

json EndpointDescription(Decoder& d) {
  json ep;
  ep["endpoint_url"] = d.String();
  ep["server"] = ApplicationDescription(d)["application_uri"];
  std::optional<std::span<const uint8_t>> cert = d.Bytes();
  ep["server_certificate_length"] = cert ? cert->size() : 0;
  uint32_t mode = d.U32();
  ep["security_mode"] = Named(SecurityModeName(mode), mode);
  ep["security_policy_uri"] = d.String();
  List(d, 20, &ep, "user_tokens", [&](size_t) {
    d.String();  // policy id
    uint32_t type = d.U32();
    d.String();  // issued token type
    d.String();  // issuer endpoint URL
    d.String();  // security policy URI
    return Named(UserTokenTypeName(type), type);
  });
  d.String();  // transport profile URI
  ep["security_level"] = d.U8();
  return ep;
}

void SignatureData(Decoder& d) {
  d.String();  // algorithm
  d.Bytes();   // signature
}

// ActivateSession's user identity: which kind, and the user name.
void IdentityToken(Decoder& d, json* e) {
  NodeId type;
  std::span<const uint8_t> body;
  json token = d.ExtensionObject(&type, &body);
  if (!d.ok()) return;
  Decoder t(body);
  std::string policy = type.numeric ? t.String() : std::string();
  switch (type.ns == 0 && type.numeric ? *type.numeric : 0) {
    case kAnonymousIdentityToken:
      (*e)["identity_token"] = "anonymous";
      break;
    case kUserNameIdentityToken: {
      (*e)["identity_token"] = "username";
      (*e)["user_name"] = t.String();
      std::optional<std::span<const uint8_t>> password = t.Bytes();
      (*e)["password_length"] = password ? password->size() : 0;
      std::string algorithm = t.String();
      // No algorithm: the password travels in the clear.
      (*e)["password_encrypted"] = !algorithm.empty();
      break;
    }
    case kX509IdentityToken: {
      (*e)["identity_token"] = "x509";
      std::optional<std::span<const uint8_t>> cert = t.Bytes();
      (*e)["certificate_length"] = cert ? cert->size() : 0;
      break;
    }
    case kIssuedIdentityToken: {
      (*e)["identity_token"] = "issued";
      std::optional<std::span<const uint8_t>> data = t.Bytes();
      (*e)["token_length"] = data ? data->size() : 0;
      (*e)["token_encrypted"] = !t.String().empty();
      break;
    }
    default:
      (*e)["identity_token"] = token["type_id"];
      return;
  }
  (*e)["identity_policy_id"] = policy;
  if (!t.ok()) d.Fail(t.weird());
}

json NotificationMessage(Decoder& d) {
  json n;
  n["sequence_number"] = d.U32();
  json publish_time = d.DateTime();
  if (!publish_time.is_null()) n["publish_time"] = publish_time;
  List(d, 3, &n, "notifications", [&](size_t) {
    NodeId type;
    std::span<const uint8_t> body;
    json x = d.ExtensionObject(&type, &body);
    Decoder b(body);
    uint32_t id = type.ns == 0 && type.numeric ? *type.numeric : 0;
    if (id == kDataChangeNotification) {
      x = json{{"type", "DataChange"}};
      List(b, 5, &x, "items", [&](size_t) {
        json item;
        item["client_handle"] = b.U32();
        item.update(b.DataValue());
        return item;
      });
      b.SkipDiagnosticInfos();
    } else if (id == kEventNotificationList) {
      x = json{{"type", "EventList"}, {"events", b.ArrayCount(4)}};
    } else if (id == kStatusChangeNotification) {
      x = json{{"type", "StatusChange"}};
      Status(b.U32(), &x);
    }
    if (!b.ok()) d.Fail(b.weird());
    return x;
  });
  return n;
}

void UInt32List(Decoder& d, json* e, const char* key) {
  List(d, 4, e, key, [&](size_t) { return json(d.U32()); });
}

void Request(std::string_view service, Decoder& d, json* e) {
  if (service == "OpenSecureChannel") {
    (*e)["client_protocol_version"] = d.U32();
    uint32_t type = d.U32();
    (*e)["request_type"] = Named(RequestTypeName(type), type);
    uint32_t mode = d.U32();
    (*e)["security_mode"] = Named(SecurityModeName(mode), mode);
    std::optional<std::span<const uint8_t>> nonce = d.Bytes();
    (*e)["client_nonce_length"] = nonce ? nonce->size() : 0;
    (*e)["requested_lifetime"] = d.U32();
  } else if (service == "CreateSession") {
    json client = ApplicationDescription(d);
    for (auto& [k, v] : client.items()) (*e)["client_" + k] = v;
    (*e)["server_uri"] = d.String();
    (*e)["endpoint_url"] = d.String();
    (*e)["session_name"] = d.String();
    d.Bytes();  // client nonce
    std::optional<std::span<const uint8_t>> cert = d.Bytes();
    (*e)["client_certificate_length"] = cert ? cert->size() : 0;
    (*e)["requested_session_timeout"] = d.Double();
    (*e)["max_response_message_size"] = d.U32();
  } else if (service == "ActivateSession") {
    SignatureData(d);
    size_t certs = d.ArrayCount(8);
    for (size_t i = 0; i < certs && d.ok(); ++i) {
      d.Bytes();
      d.Bytes();
    }
    List(d, 4, e, "locale_ids", [&](size_t) { return json(d.String()); });
    IdentityToken(d, e);
    SignatureData(d);
  } else if (service == "CloseSession") {
    (*e)["delete_subscriptions"] = d.Bool();
  } else if (service == "GetEndpoints" || service == "FindServers") {
    (*e)["endpoint_url"] = d.String();
    List(d, 4, e, "locale_ids", [&](size_t) { return json(d.String()); });
    List(d, 4, e, service == "GetEndpoints" ? "profile_uris" : "server_uris",
         [&](size_t) { return json(d.String()); });
  } else if (service == "Browse") {
    json view = d.ReadNodeId().text;
    if (view != "i=0") (*e)["view_id"] = view;
    d.DateTime();
    d.U32();  // view version
    (*e)["max_references_per_node"] = d.U32();
    List(d, 17, e, "nodes", [&](size_t) {
      json op;
      op["node_id"] = d.ReadNodeId().text;
      uint32_t direction = d.U32();
      op["direction"] = Named(BrowseDirectionName(direction), direction);
      op["reference_type_id"] = d.ReadNodeId().text;
      op["include_subtypes"] = d.Bool();
      op["node_class_mask"] = d.U32();
      op["result_mask"] = d.U32();
      return op;
    });
  } else if (service == "BrowseNext") {
    (*e)["release_continuation_points"] = d.Bool();
    (*e)["continuation_points"] = d.ArrayCount(4);
  } else if (service == "TranslateBrowsePathsToNodeIds") {
    List(d, 5, e, "paths", [&](size_t) {
      json op;
      op["start"] = d.ReadNodeId().text;
      std::string path;
      size_t n = d.ArrayCount(8);
      for (size_t i = 0; i < n && d.ok(); ++i) {
        d.ReadNodeId();  // reference type
        bool inverse = d.Bool();
        d.Bool();  // include subtypes
        std::string name = d.QualifiedName();
        if (path.size() < kMaxEventString) path += (inverse ? "<" : "/") + name;
      }
      op["path"] = path;
      return op;
    });
  } else if (service == "Read") {
    (*e)["max_age"] = d.Double();
    uint32_t ts = d.U32();
    (*e)["timestamps_to_return"] = Named(TimestampsName(ts), ts);
    List(d, 13, e, "nodes", [&](size_t) { return ReadValueId(d); });
  } else if (service == "Write") {
    List(d, 10, e, "nodes", [&](size_t) {
      json op = NodeAttribute(d);
      op.update(d.DataValue());
      return op;
    });
  } else if (service == "Call") {
    List(d, 6, e, "calls", [&](size_t) {
      json op;
      op["object_id"] = d.ReadNodeId().text;
      op["method_id"] = d.ReadNodeId().text;
      List(d, 1, &op, "arguments", [&](size_t) { return d.Variant(); });
      return op;
    });
  } else if (service == "CreateSubscription" || service == "ModifySubscription") {
    if (service == "ModifySubscription") (*e)["subscription_id"] = d.U32();
    (*e)["publishing_interval"] = d.Double();
    (*e)["lifetime_count"] = d.U32();
    (*e)["max_keep_alive_count"] = d.U32();
    (*e)["max_notifications_per_publish"] = d.U32();
    if (service == "CreateSubscription") (*e)["publishing_enabled"] = d.Bool();
    (*e)["priority"] = d.U8();
  } else if (service == "SetPublishingMode") {
    (*e)["publishing_enabled"] = d.Bool();
    UInt32List(d, e, "subscription_ids");
  } else if (service == "DeleteSubscriptions") {
    UInt32List(d, e, "subscription_ids");
  } else if (service == "CreateMonitoredItems") {
    (*e)["subscription_id"] = d.U32();
    uint32_t ts = d.U32();
    (*e)["timestamps_to_return"] = Named(TimestampsName(ts), ts);
    List(d, 40, e, "items", [&](size_t) {
      json op = ReadValueId(d);
      uint32_t mode = d.U32();
      op["monitoring_mode"] = Named(MonitoringModeName(mode), mode);
      op["client_handle"] = d.U32();
      op["sampling_interval"] = d.Double();
      NodeId filter;
      d.ExtensionObject(&filter);
      if (filter.text != "i=0") op["filter"] = filter.text;
      op["queue_size"] = d.U32();
      op["discard_oldest"] = d.Bool();
      return op;
    });
  } else if (service == "DeleteMonitoredItems") {
    (*e)["subscription_id"] = d.U32();
    UInt32List(d, e, "monitored_item_ids");
  } else if (service == "Publish") {
    List(d, 8, e, "acknowledgements", [&](size_t) {
      json a;
      a["subscription_id"] = d.U32();
      a["sequence_number"] = d.U32();
      return a;
    });
  } else if (service == "Republish") {
    (*e)["subscription_id"] = d.U32();
    (*e)["retransmit_sequence_number"] = d.U32();
  } else if (service == "RegisterNodes" || service == "UnregisterNodes") {
    List(d, 2, e, "nodes", [&](size_t) { return json{{"node_id", d.ReadNodeId().text}}; });
  } else if (service == "HistoryRead") {
    NodeId details;
    d.ExtensionObject(&details);
    (*e)["details_type_id"] = details.text;
    uint32_t ts = d.U32();
    (*e)["timestamps_to_return"] = Named(TimestampsName(ts), ts);
    (*e)["release_continuation_points"] = d.Bool();
    List(d, 13, e, "nodes", [&](size_t) {
      json op;
      op["node_id"] = d.ReadNodeId().text;
      NonEmpty(d, &op, "index_range");
      d.QualifiedName();
      d.Bytes();  // continuation point
      return op;
    });
  } else if (service == "AddNodes") {
    List(d, 18, e, "nodes", [&](size_t) {
      json op;
      op["parent_node_id"] = d.ReadExpandedNodeId().text;
      op["reference_type_id"] = d.ReadNodeId().text;
      op["node_id"] = d.ReadExpandedNodeId().text;
      op["browse_name"] = d.QualifiedName();
      uint32_t cls = d.U32();
      op["node_class"] = Named(NodeClassName(cls), cls);
      d.ExtensionObject();  // attributes
      op["type_definition"] = d.ReadExpandedNodeId().text;
      return op;
    });
  } else if (service == "DeleteNodes") {
    List(d, 3, e, "nodes", [&](size_t) {
      json op;
      op["node_id"] = d.ReadNodeId().text;
      op["delete_target_references"] = d.Bool();
      return op;
    });
  } else {
    return;  // other services: the header only
  }
}

void Response(std::string_view service, Decoder& d, json* e, const PendingRequest* request) {
  if (service == "OpenSecureChannel") {
    (*e)["server_protocol_version"] = d.U32();
    (*e)["channel_id"] = d.U32();
    (*e)["token_id"] = d.U32();
    json created = d.DateTime();
    if (!created.is_null()) (*e)["token_created_at"] = created;
    (*e)["revised_lifetime"] = d.U32();
    std::optional<std::span<const uint8_t>> nonce = d.Bytes();
    (*e)["server_nonce_length"] = nonce ? nonce->size() : 0;
  } else if (service == "CreateSession") {
    (*e)["session_id"] = d.ReadNodeId().text;
    d.ReadNodeId();  // authentication token: a session secret
    (*e)["revised_session_timeout"] = d.Double();
    d.Bytes();  // server nonce
    std::optional<std::span<const uint8_t>> cert = d.Bytes();
    (*e)["server_certificate_length"] = cert ? cert->size() : 0;
    List(d, 30, e, "endpoints", [&](size_t) { return EndpointDescription(d); });
    size_t certs = d.ArrayCount(8);
    for (size_t i = 0; i < certs && d.ok(); ++i) {
      d.Bytes();
      d.Bytes();
    }
    SignatureData(d);
    (*e)["max_request_message_size"] = d.U32();
  } else if (service == "ActivateSession") {
    d.Bytes();  // server nonce
    StatusResults(d, e, nullptr);
  } else if (service == "GetEndpoints") {
    List(d, 30, e, "endpoints", [&](size_t) { return EndpointDescription(d); });
  } else if (service == "FindServers") {
    List(d, 22, e, "servers", [&](size_t) { return ApplicationDescription(d); });
  } else if (service == "Browse" || service == "BrowseNext") {
    List(d, 12, e, "results", [&](size_t i) {
      json r = Paired(request, i);
      Status(d.U32(), &r);
      std::optional<std::span<const uint8_t>> cp = d.Bytes();
      if (cp && !cp->empty()) r["continuation_point"] = true;
      List(d, 14, &r, "references", [&](size_t) {
        json ref;
        d.ReadNodeId();  // reference type
        d.Bool();        // forward
        ref["node_id"] = d.ReadExpandedNodeId().text;
        ref["browse_name"] = d.QualifiedName();
        d.LocalizedText();  // display name
        uint32_t cls = d.U32();
        ref["node_class"] = Named(NodeClassName(cls), cls);
        d.ReadExpandedNodeId();  // type definition
        return ref;
      });
      return r;
    });
    d.SkipDiagnosticInfos();
  } else if (service == "TranslateBrowsePathsToNodeIds") {
    List(d, 8, e, "results", [&](size_t i) {
      json r = Paired(request, i);
      Status(d.U32(), &r);
      List(d, 5, &r, "targets", [&](size_t) {
        std::string target = d.ReadExpandedNodeId().text;
        d.U32();  // remaining path index
        return json(target);
      });
      return r;
    });
    d.SkipDiagnosticInfos();
  } else if (service == "Read") {
    List(d, 1, e, "results", [&](size_t i) {
      json r = Paired(request, i);
      r.update(d.DataValue());
      return r;
    });
    d.SkipDiagnosticInfos();
  } else if (service == "Call") {
    List(d, 16, e, "results", [&](size_t i) {
      json r = Paired(request, i);
      Status(d.U32(), &r);
      List(d, 4, &r, "argument_results", [&](size_t) { return json(d.U32()); });
      d.SkipDiagnosticInfos();
      List(d, 1, &r, "outputs", [&](size_t) { return d.Variant(); });
      return r;
    });
    d.SkipDiagnosticInfos();
  } else if (service == "CreateSubscription" || service == "ModifySubscription") {
    if (service == "CreateSubscription") (*e)["subscription_id"] = d.U32();
    (*e)["publishing_interval"] = d.Double();
    (*e)["lifetime_count"] = d.U32();
    (*e)["max_keep_alive_count"] = d.U32();
  } else if (service == "CreateMonitoredItems") {
    List(d, 23, e, "results", [&](size_t i) {
      json r = Paired(request, i);
      Status(d.U32(), &r);
      r["monitored_item_id"] = d.U32();
      r["sampling_interval"] = d.Double();
      r["queue_size"] = d.U32();
      d.ExtensionObject();  // filter result
      return r;
    });
    d.SkipDiagnosticInfos();
  } else if (service == "Publish" || service == "Republish") {
    if (service == "Publish") {
      (*e)["subscription_id"] = d.U32();
      UInt32List(d, e, "available_sequence_numbers");
      (*e)["more_notifications"] = d.Bool();
    }
    (*e)["notification"] = NotificationMessage(d);
    if (service == "Publish") StatusResults(d, e, nullptr);
  } else if (service == "RegisterNodes") {
    List(d, 2, e, "nodes", [&](size_t) { return json(d.ReadNodeId().text); });
  } else if (service == "HistoryRead") {
    List(d, 11, e, "results", [&](size_t i) {
      json r = Paired(request, i);
      Status(d.U32(), &r);
      d.Bytes();  // continuation point
      NodeId type;
      d.ExtensionObject(&type);
      r["history_data_type_id"] = type.text;
      return r;
    });
    d.SkipDiagnosticInfos();
  } else if (service == "AddNodes") {
    List(d, 6, e, "results", [&](size_t i) {
      json r = Paired(request, i);
      Status(d.U32(), &r);
      r["added_node_id"] = d.ReadNodeId().text;
      return r;
    });
    d.SkipDiagnosticInfos();
  } else if (service == "Write" || service == "DeleteNodes" || service == "DeleteSubscriptions" ||
             service == "DeleteMonitoredItems" || service == "SetPublishingMode" ||
             service == "AddReferences" || service == "DeleteReferences" ||
             service == "SetMonitoringMode" || service == "TransferSubscriptions") {
    if (service == "TransferSubscriptions") return;  // results carry more than a status
    StatusResults(d, e, request);
  } else {
    return;  // other services: the header only
  }
}

}  // namespace

bool StartsWithServiceType(std::span<const uint8_t> body) {
  Decoder d(body);
  NodeId type = d.ReadNodeId();
  return d.ok() && type.ns == 0 && type.numeric && ServiceByEncodingId(*type.numeric) != nullptr;
}

ServiceResult DecodeService(std::span<const uint8_t> body, bool exact, json* event,
                            PendingRequest* pending, const PendingRequest* request) {
  ServiceResult r;
  Decoder d(body);
  NodeId type = d.ReadNodeId();
  const ServiceInfo* info =
      d.ok() && type.ns == 0 && type.numeric ? ServiceByEncodingId(*type.numeric) : nullptr;
  if (info == nullptr) {
    if (d.ok()) (*event)["type_id"] = type.text;
    r.weird = d.ok() ? "opcua_unknown_service" : d.weird();
    return r;
  }
  r.known = true;
  r.response = info->response;
  r.service = info->name;
  (*event)["service"] = info->name;
  (*event)["type_id"] = *type.numeric;
  if (info->response) {
    ResponseHeader(d, event);
    if (info->name != "ServiceFault") Response(info->name, d, event, request);
  } else {
    RequestHeader(d, event);
    Request(info->name, d, event);
    if (pending != nullptr) {
      pending->service = info->name;
      for (const char* key : {"nodes", "calls", "items", "paths"}) Remember(pending, *event, key);
    }
  }
  if (!d.ok()) {
    r.weird = d.weird();
  } else if (exact && d.remaining() > 0) {
    r.weird = "opcua_trailing_bytes";
  }
  return r;
}

}  // namespace qilian::security::opcua
