// Names of OPC UA codes, as the specification spells them (OPC 10000-4,
// -6 and the NodeIds.csv/StatusCode.csv of the standard nodeset): services
// by the numeric NodeId of their binary encoding, status codes, attributes,
// built-in types and enumerations. docs/security/opcua.md lists them.
#ifndef QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_NAMES_H_
#define QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_NAMES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace qilian::security::opcua {

struct ServiceInfo {
  std::string_view name;  // "Read", "CreateSession", "ServiceFault"
  bool response = false;
};

// The service whose request or response has binary encoding id `id`
// (namespace 0): 631 is ReadRequest; nullptr for others.
const ServiceInfo* ServiceByEncodingId(uint32_t id);

// "Good", "BadNodeIdUnknown", ... by the code's upper 16 bits; else "0x%08X".
std::string StatusCodeName(uint32_t code);

// "NodeId" (1) ... "AccessLevelEx" (27); else "" .
std::string_view AttributeName(uint32_t id);
// "Boolean" (1) ... "DiagnosticInfo" (25); else "".
std::string_view BuiltinTypeName(uint8_t type);
// MessageSecurityMode: "Invalid", "None", "Sign", "SignAndEncrypt"; else "".
std::string_view SecurityModeName(uint32_t mode);
// SecurityTokenRequestType: "Issue", "Renew"; else "".
std::string_view RequestTypeName(uint32_t type);
// UserTokenType: "Anonymous", "UserName", "Certificate", "IssuedToken"; else "".
std::string_view UserTokenTypeName(uint32_t type);
// TimestampsToReturn: "Source", "Server", "Both", "Neither", "Invalid"; else "".
std::string_view TimestampsName(uint32_t value);
// BrowseDirection: "Forward", "Inverse", "Both", "Invalid"; else "".
std::string_view BrowseDirectionName(uint32_t value);
// MonitoringMode: "Disabled", "Sampling", "Reporting"; else "".
std::string_view MonitoringModeName(uint32_t value);
// NodeClass (a bit each): "Object", "Variable", ...; else "".
std::string_view NodeClassName(uint32_t value);
// ApplicationType: "Server", "Client", "ClientAndServer", "DiscoveryServer"; else "".
std::string_view ApplicationTypeName(uint32_t value);
// The part of a security policy URI after '#' ("None", "Basic256Sha256").
std::string_view SecurityPolicyName(std::string_view uri);

}  // namespace qilian::security::opcua

#endif  // QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_NAMES_H_
