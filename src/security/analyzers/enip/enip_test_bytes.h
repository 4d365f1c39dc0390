// Shared test bytes: encapsulation messages from the public captures in
// ../shared/data/pcaps/iti/EthernetIP ("ICS-Security-Tools" by ITI and
// contributors, CC BY 4.0), as hex.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_TEST_BYTES_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_TEST_BYTES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qilian::security::enip::testing {

inline std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> b;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    b.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return b;
}

// enip_test.pcap frame 6: List Identity request.
constexpr std::string_view kListIdentityRequest =
    "63000000000000000000000000000000c1debed100000000";
// enip_test.pcap frame 7: its response, a 1756-ENBT/A.
constexpr std::string_view kListIdentityResponse =
    "63003300000000000000000000000000c1debed10000000001000c002d0001000002af120a0101a40000000000"
    "00000001000c003a00040330008e4d52000b313735362d454e42542f4103";
// EthernetIP-CIP.pcap frames 29 and 31: SendRRData with an Unconnected_Send
// and its reply.
constexpr std::string_view kSendRRDataRequest =
    "6f00260000050213000000006ac0be000000000000000000000000001400020000000000b20016005202200624"
    "0107e90800010220ac2401010001000100";
constexpr std::string_view kSendRRDataResponse =
    "6f00340000050213000000006ac0be000000000000000000000000001400020000000000b20024008100000"
    "0e8000100e302b2a4c1d1afa40000e803020000009453d33d01000100e2fc2030";

}  // namespace qilian::security::enip::testing

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_TEST_BYTES_H_
