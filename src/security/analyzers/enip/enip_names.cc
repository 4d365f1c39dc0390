#include "security/analyzers/enip/enip_names.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace qilian::security::enip {
namespace {

template <typename K, size_t N>
std::string_view Lookup(const std::pair<K, std::string_view> (&table)[N], K key) {
  auto it = std::find_if(std::begin(table), std::end(table),
                         [key](const auto& e) { return e.first == key; });
  return it != std::end(table) ? it->second : std::string_view();
}

using U8 = std::pair<uint8_t, std::string_view>;
using U16 = std::pair<uint16_t, std::string_view>;
using U32 = std::pair<uint32_t, std::string_view>;

constexpr U16 kCommands[] = {
    {kNop, "NOP"},
    {kListServices, "ListServices"},
    {kListIdentity, "ListIdentity"},
    {kListInterfaces, "ListInterfaces"},
    {kRegisterSession, "RegisterSession"},
    {kUnRegisterSession, "UnRegisterSession"},
    {kSendRRData, "SendRRData"},
    {kSendUnitData, "SendUnitData"},
    {kIndicateStatus, "IndicateStatus"},
    {kCancel, "Cancel"},
};

constexpr U32 kEncapStatus[] = {
    {0x0000, "success"},
    {0x0001, "invalid_command"},
    {0x0002, "insufficient_memory"},
    {0x0003, "incorrect_data"},
    {0x0064, "invalid_session_handle"},
    {0x0065, "invalid_length"},
    {0x0069, "unsupported_protocol_revision"},
    {0x006a, "encapsulated_cip_service_not_allowed_on_this_port"},
};

constexpr U16 kItemTypes[] = {
    {kNullAddress, "null_address"},       {kListIdentityItem, "list_identity"},
    {0x0086, "cip_security_information"}, {kConnectedAddress, "connected_address"},
    {kConnectedData, "connected_data"},   {kUnconnectedData, "unconnected_data"},
    {kListServicesItem, "list_services"}, {kSockaddrOT, "sockaddr_o_t"},
    {kSockaddrTO, "sockaddr_t_o"},        {kSequencedAddress, "sequenced_address"},
};

// CIP Vol 1, Appendix A: services common to all objects.
constexpr U8 kCommonServices[] = {
    {0x01, "Get_Attributes_All"},
    {0x02, "Set_Attributes_All"},
    {0x03, "Get_Attribute_List"},
    {0x04, "Set_Attribute_List"},
    {0x05, "Reset"},
    {0x06, "Start"},
    {0x07, "Stop"},
    {0x08, "Create"},
    {0x09, "Delete"},
    {0x0a, "Multiple_Service_Packet"},
    {0x0d, "Apply_Attributes"},
    {0x0e, "Get_Attribute_Single"},
    {0x10, "Set_Attribute_Single"},
    {0x11, "Find_Next_Object_Instance"},
    {0x14, "Error_Response"},
    {0x15, "Restore"},
    {0x16, "Save"},
    {0x17, "No_Operation"},
    {0x18, "Get_Member"},
    {0x19, "Set_Member"},
    {0x1a, "Insert_Member"},
    {0x1b, "Remove_Member"},
    {0x1c, "Group_Sync"},
};

constexpr U8 kConnectionManagerServices[] = {
    {kForwardClose, "Forward_Close"},
    {kUnconnectedSend, "Unconnected_Send"},
    {kForwardOpen, "Forward_Open"},
    {0x56, "Get_Connection_Data"},
    {0x57, "Search_Connection_Data"},
    {0x5a, "Get_Connection_Owner"},
    {kLargeForwardOpen, "Large_Forward_Open"},
};

// Rockwell's Logix 5000 data access services (publication 1756-PM020).
constexpr U8 kLogixServices[] = {
    {kReadTag, "Read_Tag"},
    {kWriteTag, "Write_Tag"},
    {0x4e, "Read_Modify_Write_Tag"},
    {kReadTagFragmented, "Read_Tag_Fragmented"},
    {kWriteTagFragmented, "Write_Tag_Fragmented"},
    {0x55, "Get_Instance_Attribute_List"},
};

constexpr U32 kClasses[] = {
    {0x01, "identity"},
    {0x02, "message_router"},
    {0x03, "devicenet"},
    {0x04, "assembly"},
    {0x05, "connection"},
    {0x06, "connection_manager"},
    {0x07, "register"},
    {0x0f, "parameter"},
    {0x37, "file"},
    {0x47, "device_level_ring"},
    {0x48, "qos"},
    {0x67, "pccc"},
    {0x6b, "symbol"},
    {0x6c, "template"},
    {0x8e, "controller"},
    {0xf4, "port"},
    {0xf5, "tcpip_interface"},
    {0xf6, "ethernet_link"},
};

// CIP Vol 1, Appendix B.
constexpr std::string_view kGeneralStatus[] = {
    "success",
    "connection_failure",
    "resource_unavailable",
    "invalid_parameter_value",
    "path_segment_error",
    "path_destination_unknown",
    "partial_transfer",
    "connection_lost",
    "service_not_supported",
    "invalid_attribute_value",
    "attribute_list_error",
    "already_in_requested_mode",
    "object_state_conflict",
    "object_already_exists",
    "attribute_not_settable",
    "privilege_violation",
    "device_state_conflict",
    "reply_data_too_large",
    "fragmentation_of_a_primitive_value",
    "not_enough_data",
    "attribute_not_supported",
    "too_much_data",
    "object_does_not_exist",
    "service_fragmentation_sequence_not_in_progress",
    "no_stored_attribute_data",
    "store_operation_failure",
    "routing_failure_request_too_large",
    "routing_failure_response_too_large",
    "missing_attribute_list_entry_data",
    "invalid_attribute_value_list",
    "embedded_service_error",
    "vendor_specific_error",
    "invalid_parameter",
    "write_once_value_already_written",
    "invalid_reply_received",
    "buffer_overflow",
    "invalid_message_format",
    "key_failure_in_path",
    "path_size_invalid",
    "unexpected_attribute_in_list",
    "invalid_member_id",
    "member_not_settable",
    "group_2_only_server_general_failure",
    "unknown_modbus_error",
    "attribute_not_gettable",
};

// CIP Vol 1, table 3-5.29: Connection Manager extended status codes.
constexpr U16 kConnectionManagerStatus[] = {
    {0x0100, "connection_in_use_or_duplicate_forward_open"},
    {0x0103, "transport_class_and_trigger_combination_not_supported"},
    {0x0106, "ownership_conflict"},
    {0x0107, "target_connection_not_found"},
    {0x0108, "invalid_network_connection_parameter"},
    {0x0109, "invalid_connection_size"},
    {0x0110, "target_for_connection_not_configured"},
    {0x0111, "rpi_not_supported"},
    {0x0113, "out_of_connections"},
    {0x0114, "vendor_id_or_product_code_mismatch"},
    {0x0115, "device_type_mismatch"},
    {0x0116, "revision_mismatch"},
    {0x0117, "invalid_produced_or_consumed_application_path"},
    {0x0118, "invalid_or_inconsistent_configuration_application_path"},
    {0x0119, "non_listen_only_connection_not_opened"},
    {0x011a, "target_object_out_of_connections"},
    {0x011b, "rpi_smaller_than_production_inhibit_time"},
    {0x0203, "connection_timed_out"},
    {0x0204, "unconnected_request_timed_out"},
    {0x0205, "parameter_error_in_unconnected_request"},
    {0x0206, "message_too_large_for_unconnected_send"},
    {0x0207, "unconnected_acknowledge_without_reply"},
    {0x0301, "no_buffer_memory_available"},
    {0x0302, "network_bandwidth_not_available_for_data"},
    {0x0303, "no_consumed_connection_id_filter_available"},
    {0x0304, "not_configured_to_send_scheduled_priority_data"},
    {0x0305, "schedule_signature_mismatch"},
    {0x0306, "schedule_signature_validation_not_possible"},
    {0x0311, "port_not_available"},
    {0x0312, "link_address_not_valid"},
    {0x0315, "invalid_segment_in_connection_path"},
    {0x0316, "error_in_forward_close_service_connection_path"},
    {0x0317, "scheduling_not_specified"},
    {0x0318, "link_address_to_self_invalid"},
    {0x0319, "secondary_resources_unavailable"},
    {0x031a, "rack_connection_already_established"},
    {0x031b, "module_connection_already_established"},
    {0x031c, "miscellaneous"},
    {0x031d, "redundant_connection_mismatch"},
    {0x031e, "no_more_user_configurable_link_consumer_resources"},
    {0x031f, "no_user_configurable_link_consumer_resources_configured"},
    {0x0800, "network_link_offline"},
    {0x0810, "no_target_application_data_available"},
    {0x0811, "no_originator_application_data_available"},
    {0x0812, "node_address_changed_since_network_scheduled"},
    {0x0813, "not_configured_for_off_subnet_multicast"},
    {0x0814, "invalid_produce_consume_data_format"},
};

// CIP Vol 1, appendix C: elementary data types as Logix tag services
// report them.
constexpr U16 kDataTypes[] = {
    {0x00c1, "BOOL"},   {0x00c2, "SINT"},        {0x00c3, "INT"},
    {0x00c4, "DINT"},   {0x00c5, "LINT"},        {0x00c6, "USINT"},
    {0x00c7, "UINT"},   {0x00c8, "UDINT"},       {0x00c9, "ULINT"},
    {0x00ca, "REAL"},   {0x00cb, "LREAL"},       {0x00cc, "STIME"},
    {0x00cd, "DATE"},   {0x00ce, "TIME_OF_DAY"}, {0x00cf, "DATE_AND_TIME"},
    {0x00d0, "STRING"}, {0x00d1, "BYTE"},        {0x00d2, "WORD"},
    {0x00d3, "DWORD"},  {0x00d4, "LWORD"},       {0x00da, "SHORT_STRING"},
    {0x02a0, "STRUCT"},
};

// A few common vendors of the ODVA vendor list (the full list has over a
// thousand; these are the ones most plant networks show).
constexpr U16 kVendors[] = {
    {1, "Rockwell Automation/Allen-Bradley"},
    {5, "Rockwell Automation/Reliance Electric"},
    {26, "Festo Corporation"},
    {40, "WAGO Corporation"},
    {44, "Yaskawa Electric America"},
    {46, "ABB Industrial Systems"},
    {47, "Omron Corporation"},
    {48, "Turck"},
    {57, "Pepperl+Fuchs"},
    {68, "Eaton Electrical"},
    {82, "Mitsubishi Electric Automation"},
    {90, "HMS Industrial Networks"},
    {108, "Beckhoff Automation"},
    {145, "Siemens Energy & Automation"},
    {243, "Schneider Automation"},
    {283, "Hilscher"},
    {309, "ProSoft Technology"},
    {562, "Phoenix Contact"},
};

// CIP Vol 1, table 6-7.1 (device profiles).
constexpr U16 kDeviceTypes[] = {
    {0x00, "Generic Device (deprecated)"},
    {0x02, "AC Drive"},
    {0x03, "Motor Overload"},
    {0x04, "Limit Switch"},
    {0x05, "Inductive Proximity Switch"},
    {0x06, "Photoelectric Sensor"},
    {0x07, "General Purpose Discrete I/O"},
    {0x09, "Resolver"},
    {0x0c, "Communications Adapter"},
    {0x0e, "Programmable Logic Controller"},
    {0x10, "Position Controller"},
    {0x13, "DC Drive"},
    {0x15, "Contactor"},
    {0x16, "Motor Starter"},
    {0x17, "Soft Start"},
    {0x18, "Human-Machine Interface"},
    {0x1a, "Mass Flow Controller"},
    {0x1b, "Pneumatic Valve"},
    {0x1c, "Vacuum Pressure Gauge"},
    {0x1d, "Process Control Value"},
    {0x1e, "Residual Gas Analyzer"},
    {0x1f, "DC Power Generator"},
    {0x20, "RF Power Generator"},
    {0x21, "Turbomolecular Vacuum Pump"},
    {0x22, "Encoder"},
    {0x23, "Safety Discrete I/O Device"},
    {0x24, "Fluid Flow Controller"},
    {0x25, "CIP Motion Drive"},
    {0x26, "CompoNet Repeater"},
    {0x27, "Mass Flow Controller, Enhanced"},
    {0x28, "CIP Modbus Device"},
    {0x29, "CIP Modbus Translator"},
    {0x2a, "Safety Analog I/O Device"},
    {0x2b, "Generic Device (keyable)"},
    {0x2c, "Managed Ethernet Switch"},
    {0x2d, "CIP Motion Safety Drive Device"},
    {0x2e, "Safety Drive Device"},
    {0x2f, "CIP Motion Encoder"},
    {0x30, "CIP Motion Converter"},
    {0x31, "CIP Motion I/O"},
    {0x32, "ControlNet Physical Layer Component"},
    {0x33, "Circuit Breaker"},
    {0x34, "HART Device"},
    {0x35, "CIP-HART Translator"},
    {0xc8, "Embedded Component"},
};

}  // namespace

std::string_view CommandName(uint16_t command) { return Lookup(kCommands, command); }
std::string_view EncapStatusName(uint32_t status) { return Lookup(kEncapStatus, status); }
std::string_view ItemTypeName(uint16_t type) { return Lookup(kItemTypes, type); }

std::string_view ServiceName(uint8_t service, std::optional<uint32_t> cls) {
  service &= ~kResponseBit;
  if (service < 0x4b) return Lookup(kCommonServices, service);
  if (cls == kConnectionManagerClass) return Lookup(kConnectionManagerServices, service);
  if (cls == kPcccClass) return service == kExecutePccc ? "Execute_PCCC" : "";
  return Lookup(kLogixServices, service);
}

std::string_view ClassName(uint32_t cls) { return Lookup(kClasses, cls); }

std::string_view GeneralStatusName(uint8_t status) {
  return status < std::size(kGeneralStatus) ? kGeneralStatus[status] : "";
}

std::string_view ExtendedStatusName(uint8_t general, uint16_t extended) {
  return general == 0x01 ? Lookup(kConnectionManagerStatus, extended) : "";
}

std::string_view DataTypeName(uint16_t type) { return Lookup(kDataTypes, type); }
std::string_view VendorName(uint16_t vendor) { return Lookup(kVendors, vendor); }
std::string_view DeviceTypeName(uint16_t device_type) { return Lookup(kDeviceTypes, device_type); }

}  // namespace qilian::security::enip
