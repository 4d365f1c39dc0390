#include "security/analyzers/opcua/opcua_names.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_format.h"

namespace qilian::security::opcua {
namespace {

struct Service {
  std::string_view name;
  uint32_t request;   // binary encoding id of the request
  uint32_t response;  // ... and of the response
};

// OPC 10000-4's services with their DefaultBinary encoding ids (NodeIds.csv).
constexpr Service kServices[] = {
    {"FindServers", 422, 425},
    {"FindServersOnNetwork", 12208, 12209},
    {"GetEndpoints", 428, 431},
    {"RegisterServer", 437, 440},
    {"RegisterServer2", 12211, 12212},
    {"OpenSecureChannel", 446, 449},
    {"CloseSecureChannel", 452, 455},
    {"CreateSession", 461, 464},
    {"ActivateSession", 467, 470},
    {"CloseSession", 473, 476},
    {"Cancel", 479, 482},
    {"AddNodes", 488, 491},
    {"AddReferences", 494, 497},
    {"DeleteNodes", 500, 503},
    {"DeleteReferences", 506, 509},
    {"Browse", 527, 530},
    {"BrowseNext", 533, 536},
    {"TranslateBrowsePathsToNodeIds", 554, 557},
    {"RegisterNodes", 560, 563},
    {"UnregisterNodes", 566, 569},
    {"QueryFirst", 615, 618},
    {"QueryNext", 621, 624},
    {"Read", 631, 634},
    {"HistoryRead", 664, 667},
    {"Write", 673, 676},
    {"HistoryUpdate", 700, 703},
    {"Call", 712, 715},
    {"CreateMonitoredItems", 751, 754},
    {"ModifyMonitoredItems", 763, 766},
    {"SetMonitoringMode", 769, 772},
    {"SetTriggering", 775, 778},
    {"DeleteMonitoredItems", 781, 784},
    {"CreateSubscription", 787, 790},
    {"ModifySubscription", 793, 796},
    {"SetPublishingMode", 799, 802},
    {"Publish", 826, 829},
    {"Republish", 832, 835},
    {"TransferSubscriptions", 841, 844},
    {"DeleteSubscriptions", 847, 850},
};

// Every service request and response, plus ServiceFault (397), which
// answers any request.
struct ServiceTable {
  ServiceInfo infos[2 * std::size(kServices) + 1];
  uint32_t ids[2 * std::size(kServices) + 1];
  constexpr ServiceTable() : infos(), ids() {
    size_t n = 0;
    for (const Service& s : kServices) {
      infos[n] = {s.name, false};
      ids[n++] = s.request;
      infos[n] = {s.name, true};
      ids[n++] = s.response;
    }
    infos[n] = {"ServiceFault", true};
    ids[n] = 397;
  }
};
constexpr ServiceTable kServiceTable;

struct Code {
  uint32_t code;
  std::string_view name;
};

// StatusCode.csv, by the code's upper 16 bits.
constexpr Code kStatusCodes[] = {
    {0x00000000, "Good"},
    {0x40000000, "Uncertain"},
    {0x80000000, "Bad"},
    {0x80010000, "BadUnexpectedError"},
    {0x80020000, "BadInternalError"},
    {0x80030000, "BadOutOfMemory"},
    {0x80040000, "BadResourceUnavailable"},
    {0x80050000, "BadCommunicationError"},
    {0x80060000, "BadEncodingError"},
    {0x80070000, "BadDecodingError"},
    {0x80080000, "BadEncodingLimitsExceeded"},
    {0x80090000, "BadUnknownResponse"},
    {0x800A0000, "BadTimeout"},
    {0x800B0000, "BadServiceUnsupported"},
    {0x800C0000, "BadShutdown"},
    {0x800D0000, "BadServerNotConnected"},
    {0x800E0000, "BadServerHalted"},
    {0x800F0000, "BadNothingToDo"},
    {0x80100000, "BadTooManyOperations"},
    {0x80110000, "BadDataTypeIdUnknown"},
    {0x80120000, "BadCertificateInvalid"},
    {0x80130000, "BadSecurityChecksFailed"},
    {0x80140000, "BadCertificateTimeInvalid"},
    {0x80150000, "BadCertificateIssuerTimeInvalid"},
    {0x80160000, "BadCertificateHostNameInvalid"},
    {0x80170000, "BadCertificateUriInvalid"},
    {0x80180000, "BadCertificateUseNotAllowed"},
    {0x80190000, "BadCertificateIssuerUseNotAllowed"},
    {0x801A0000, "BadCertificateUntrusted"},
    {0x801B0000, "BadCertificateRevocationUnknown"},
    {0x801C0000, "BadCertificateIssuerRevocationUnknown"},
    {0x801D0000, "BadCertificateRevoked"},
    {0x801E0000, "BadCertificateIssuerRevoked"},
    {0x801F0000, "BadUserAccessDenied"},
    {0x80200000, "BadIdentityTokenInvalid"},
    {0x80210000, "BadIdentityTokenRejected"},
    {0x80220000, "BadSecureChannelIdInvalid"},
    {0x80230000, "BadInvalidTimestamp"},
    {0x80240000, "BadNonceInvalid"},
    {0x80250000, "BadSessionIdInvalid"},
    {0x80260000, "BadSessionClosed"},
    {0x80270000, "BadSessionNotActivated"},
    {0x80280000, "BadSubscriptionIdInvalid"},
    {0x802A0000, "BadRequestHeaderInvalid"},
    {0x802B0000, "BadTimestampsToReturnInvalid"},
    {0x802C0000, "BadRequestCancelledByClient"},
    {0x002D0000, "GoodSubscriptionTransferred"},
    {0x002E0000, "GoodCompletesAsynchronously"},
    {0x002F0000, "GoodOverload"},
    {0x00300000, "GoodClamped"},
    {0x80310000, "BadNoCommunication"},
    {0x80320000, "BadWaitingForInitialData"},
    {0x80330000, "BadNodeIdInvalid"},
    {0x80340000, "BadNodeIdUnknown"},
    {0x80350000, "BadAttributeIdInvalid"},
    {0x80360000, "BadIndexRangeInvalid"},
    {0x80370000, "BadIndexRangeNoData"},
    {0x80380000, "BadDataEncodingInvalid"},
    {0x80390000, "BadDataEncodingUnsupported"},
    {0x803A0000, "BadNotReadable"},
    {0x803B0000, "BadNotWritable"},
    {0x803C0000, "BadOutOfRange"},
    {0x803D0000, "BadNotSupported"},
    {0x803E0000, "BadNotFound"},
    {0x803F0000, "BadObjectDeleted"},
    {0x80400000, "BadNotImplemented"},
    {0x80410000, "BadMonitoringModeInvalid"},
    {0x80420000, "BadMonitoredItemIdInvalid"},
    {0x80430000, "BadMonitoredItemFilterInvalid"},
    {0x80440000, "BadMonitoredItemFilterUnsupported"},
    {0x80450000, "BadFilterNotAllowed"},
    {0x80460000, "BadStructureMissing"},
    {0x80470000, "BadEventFilterInvalid"},
    {0x80480000, "BadContentFilterInvalid"},
    {0x804A0000, "BadContinuationPointInvalid"},
    {0x804B0000, "BadNoContinuationPoints"},
    {0x804C0000, "BadReferenceTypeIdInvalid"},
    {0x804D0000, "BadBrowseDirectionInvalid"},
    {0x804E0000, "BadNodeNotInView"},
    {0x804F0000, "BadServerUriInvalid"},
    {0x80500000, "BadServerNameMissing"},
    {0x80510000, "BadDiscoveryUrlMissing"},
    {0x80520000, "BadSempahoreFileMissing"},
    {0x80530000, "BadRequestTypeInvalid"},
    {0x80540000, "BadSecurityModeRejected"},
    {0x80550000, "BadSecurityPolicyRejected"},
    {0x80560000, "BadTooManySessions"},
    {0x80570000, "BadUserSignatureInvalid"},
    {0x80580000, "BadApplicationSignatureInvalid"},
    {0x80590000, "BadNoValidCertificates"},
    {0x805A0000, "BadRequestCancelledByRequest"},
    {0x805B0000, "BadParentNodeIdInvalid"},
    {0x805C0000, "BadReferenceNotAllowed"},
    {0x805D0000, "BadNodeIdRejected"},
    {0x805E0000, "BadNodeIdExists"},
    {0x805F0000, "BadNodeClassInvalid"},
    {0x80600000, "BadBrowseNameInvalid"},
    {0x80610000, "BadBrowseNameDuplicated"},
    {0x80620000, "BadNodeAttributesInvalid"},
    {0x80630000, "BadTypeDefinitionInvalid"},
    {0x80640000, "BadSourceNodeIdInvalid"},
    {0x80650000, "BadTargetNodeIdInvalid"},
    {0x80660000, "BadDuplicateReferenceNotAllowed"},
    {0x80670000, "BadInvalidSelfReference"},
    {0x80680000, "BadReferenceLocalOnly"},
    {0x80690000, "BadNoDeleteRights"},
    {0x806A0000, "BadServerIndexInvalid"},
    {0x806B0000, "BadViewIdUnknown"},
    {0x806D0000, "BadTooManyMatches"},
    {0x806E0000, "BadQueryTooComplex"},
    {0x806F0000, "BadNoMatch"},
    {0x80700000, "BadMaxAgeInvalid"},
    {0x80710000, "BadHistoryOperationInvalid"},
    {0x80720000, "BadHistoryOperationUnsupported"},
    {0x80730000, "BadWriteNotSupported"},
    {0x80740000, "BadTypeMismatch"},
    {0x80750000, "BadMethodInvalid"},
    {0x80760000, "BadArgumentsMissing"},
    {0x80770000, "BadTooManySubscriptions"},
    {0x80780000, "BadTooManyPublishRequests"},
    {0x80790000, "BadNoSubscription"},
    {0x807A0000, "BadSequenceNumberUnknown"},
    {0x807B0000, "BadMessageNotAvailable"},
    {0x807C0000, "BadInsufficientClientProfile"},
    {0x807D0000, "BadTcpServerTooBusy"},
    {0x807E0000, "BadTcpMessageTypeInvalid"},
    {0x807F0000, "BadTcpSecureChannelUnknown"},
    {0x80800000, "BadTcpMessageTooLarge"},
    {0x80810000, "BadTcpNotEnoughResources"},
    {0x80820000, "BadTcpInternalError"},
    {0x80830000, "BadTcpEndpointUrlInvalid"},
    {0x80840000, "BadRequestInterrupted"},
    {0x80850000, "BadRequestTimeout"},
    {0x80860000, "BadSecureChannelClosed"},
    {0x80870000, "BadSecureChannelTokenUnknown"},
    {0x80880000, "BadSequenceNumberInvalid"},
    {0x80890000, "BadConfigurationError"},
    {0x808A0000, "BadNotConnected"},
    {0x808B0000, "BadDeviceFailure"},
    {0x808C0000, "BadSensorFailure"},
    {0x808D0000, "BadOutOfService"},
    {0x808E0000, "BadDeadbandFilterInvalid"},
    {0x80AB0000, "BadInvalidArgument"},
    {0x80AC0000, "BadConnectionRejected"},
    {0x80AD0000, "BadDisconnect"},
    {0x80AE0000, "BadConnectionClosed"},
    {0x80AF0000, "BadInvalidState"},
    {0x80B00000, "BadEndOfStream"},
    {0x80B10000, "BadNoDataAvailable"},
    {0x80B20000, "BadWaitingForResponse"},
    {0x80B30000, "BadOperationAbandoned"},
    {0x80B40000, "BadExpectedStreamToBlock"},
    {0x80B50000, "BadWouldBlock"},
    {0x80B60000, "BadSyntaxError"},
    {0x80B70000, "BadMaxConnectionsReached"},
    {0x80B80000, "BadRequestTooLarge"},
    {0x80B90000, "BadResponseTooLarge"},
    {0x80BE0000, "BadProtocolVersionUnsupported"},
};

constexpr std::string_view kAttributes[] = {
    "",
    "NodeId",
    "NodeClass",
    "BrowseName",
    "DisplayName",
    "Description",
    "WriteMask",
    "UserWriteMask",
    "IsAbstract",
    "Symmetric",
    "InverseName",
    "ContainsNoLoops",
    "EventNotifier",
    "Value",
    "DataType",
    "ValueRank",
    "ArrayDimensions",
    "AccessLevel",
    "UserAccessLevel",
    "MinimumSamplingInterval",
    "Historizing",
    "Executable",
    "UserExecutable",
    "DataTypeDefinition",
    "RolePermissions",
    "UserRolePermissions",
    "AccessRestrictions",
    "AccessLevelEx",
};

constexpr std::string_view kBuiltinTypes[] = {
    "",
    "Boolean",
    "SByte",
    "Byte",
    "Int16",
    "UInt16",
    "Int32",
    "UInt32",
    "Int64",
    "UInt64",
    "Float",
    "Double",
    "String",
    "DateTime",
    "Guid",
    "ByteString",
    "XmlElement",
    "NodeId",
    "ExpandedNodeId",
    "StatusCode",
    "QualifiedName",
    "LocalizedText",
    "ExtensionObject",
    "DataValue",
    "Variant",
    "DiagnosticInfo",
};

template <size_t N>
std::string_view At(const std::string_view (&names)[N], uint32_t i) {
  return i < N ? names[i] : std::string_view();
}

}  // namespace

const ServiceInfo* ServiceByEncodingId(uint32_t id) {
  const uint32_t* end = std::end(kServiceTable.ids);
  const uint32_t* it = std::find(std::begin(kServiceTable.ids), end, id);
  return it == end ? nullptr : &kServiceTable.infos[it - std::begin(kServiceTable.ids)];
}

std::string StatusCodeName(uint32_t code) {
  uint32_t key = code & 0xffff0000;
  auto it = std::find_if(std::begin(kStatusCodes), std::end(kStatusCodes),
                         [key](const Code& c) { return c.code == key; });
  if (it != std::end(kStatusCodes)) return std::string(it->name);
  return absl::StrFormat("0x%08X", code);
}

std::string_view AttributeName(uint32_t id) { return At(kAttributes, id); }

std::string_view BuiltinTypeName(uint8_t type) { return At(kBuiltinTypes, type); }

std::string_view SecurityModeName(uint32_t mode) {
  constexpr std::string_view kNames[] = {"Invalid", "None", "Sign", "SignAndEncrypt"};
  return At(kNames, mode);
}

std::string_view RequestTypeName(uint32_t type) {
  constexpr std::string_view kNames[] = {"Issue", "Renew"};
  return At(kNames, type);
}

std::string_view UserTokenTypeName(uint32_t type) {
  constexpr std::string_view kNames[] = {"Anonymous", "UserName", "Certificate", "IssuedToken"};
  return At(kNames, type);
}

std::string_view TimestampsName(uint32_t value) {
  constexpr std::string_view kNames[] = {"Source", "Server", "Both", "Neither", "Invalid"};
  return At(kNames, value);
}

std::string_view BrowseDirectionName(uint32_t value) {
  constexpr std::string_view kNames[] = {"Forward", "Inverse", "Both", "Invalid"};
  return At(kNames, value);
}

std::string_view MonitoringModeName(uint32_t value) {
  constexpr std::string_view kNames[] = {"Disabled", "Sampling", "Reporting"};
  return At(kNames, value);
}

std::string_view NodeClassName(uint32_t value) {
  switch (value) {
    case 0:
      return "Unspecified";
    case 1:
      return "Object";
    case 2:
      return "Variable";
    case 4:
      return "Method";
    case 8:
      return "ObjectType";
    case 16:
      return "VariableType";
    case 32:
      return "ReferenceType";
    case 64:
      return "DataType";
    case 128:
      return "View";
    default:
      return "";
  }
}

std::string_view ApplicationTypeName(uint32_t value) {
  constexpr std::string_view kNames[] = {"Server", "Client", "ClientAndServer", "DiscoveryServer"};
  return At(kNames, value);
}

std::string_view SecurityPolicyName(std::string_view uri) {
  size_t hash = uri.rfind('#');
  return hash == std::string_view::npos ? uri : uri.substr(hash + 1);
}

}  // namespace qilian::security::opcua
