// The recognisers, one function per protocol file (recognizer.h says what a
// Recognizer is). kRecognizers in recognizers.cc lists them.
#ifndef QILIAN_SECURITY_ANALYZERS_RECOGNIZE_RECOGNIZERS_H_
#define QILIAN_SECURITY_ANALYZERS_RECOGNIZE_RECOGNIZERS_H_

#include "security/analyzers/recognize/recognizer.h"

namespace qilian::security::recognize {

const Recognizer& AdsRecognizer();        // ads.cc
const Recognizer& BacnetRecognizer();     // bacnet.cc
const Recognizer& C37118Recognizer();     // c37118.cc
const Recognizer& FinsRecognizer();       // fins.cc
const Recognizer& GooseRecognizer();      // iec61850.cc
const Recognizer& HartIpRecognizer();     // hart_ip.cc
const Recognizer& LldpRecognizer();       // lldp.cc
const Recognizer& MelsoftRecognizer();    // melsec.cc
const Recognizer& MmsRecognizer();        // mms.cc
const Recognizer& ProfinetRecognizer();   // profinet.cc
const Recognizer& SlmpRecognizer();       // melsec.cc
const Recognizer& SvRecognizer();         // iec61850.cc

}  // namespace qilian::security::recognize

#endif  // QILIAN_SECURITY_ANALYZERS_RECOGNIZE_RECOGNIZERS_H_
