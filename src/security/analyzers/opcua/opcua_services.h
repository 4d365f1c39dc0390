// The body of a readable (unencrypted) OPC UA service message: the
// ExtensionObject type NodeId of the request or response (OPC 10000-6 §5.2.2
// with the binary encoding ids of OPC 10000-4's services), its RequestHeader
// or ResponseHeader, and per service the fields that matter for security
// monitoring: the nodes read, written, browsed and monitored, the methods
// called, the session's client and identity, the results' status codes.
// docs/security/opcua.md lists every field.
//
// A request leaves a PendingRequest behind: per operation the fields that
// name its target (node and attribute, object and method), which the
// response's results (which carry no names) get in front of their own.
#ifndef QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_SERVICES_H_
#define QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_SERVICES_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace qilian::security::opcua {

// Identity token ExtensionObjects (binary encoding ids).
constexpr uint32_t kAnonymousIdentityToken = 321;
constexpr uint32_t kUserNameIdentityToken = 324;
constexpr uint32_t kX509IdentityToken = 327;
constexpr uint32_t kIssuedIdentityToken = 940;
// Notification data in Publish and Republish responses.
constexpr uint32_t kDataChangeNotification = 811;
constexpr uint32_t kStatusChangeNotification = 820;
constexpr uint32_t kEventNotificationList = 916;

struct PendingRequest {
  std::string_view service;
  // Per operation (at most kMaxEventArray), what names its target.
  std::vector<nlohmann::ordered_json> operations;
};

struct ServiceResult {
  bool known = false;     // the type NodeId names a service
  bool response = false;  // ... its response (or ServiceFault)
  std::string_view service;
  // The first weird met, or empty. Bytes after the message are
  // `opcua_trailing_bytes` only when `exact` (policy None: nothing follows).
  std::string_view weird;
};

// Decodes `body` into `event`'s fields. A request fills `pending` (when
// given); a response's results take the matching `request`'s operations
// (may be nullptr).
ServiceResult DecodeService(std::span<const uint8_t> body, bool exact,
                            nlohmann::ordered_json* event, PendingRequest* pending,
                            const PendingRequest* request);

// Whether `body` starts with the type NodeId of a known service (a four-byte
// or numeric NodeId in namespace 0): how a body of a channel whose security
// mode is not known (policy other than None: Sign leaves bodies readable,
// SignAndEncrypt does not) is told to be plaintext.
bool StartsWithServiceType(std::span<const uint8_t> body);

}  // namespace qilian::security::opcua

#endif  // QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_SERVICES_H_
