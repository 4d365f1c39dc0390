#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {

std::span<const Recognizer* const> AllRecognizers() {
  // The list: one line per recogniser. On a port two share (none today) the
  // first whose signature accepts wins.
  static const Recognizer* const kRecognizers[] = {
      &AdsRecognizer(),      &BacnetRecognizer(), &C37118Recognizer(),
      &FinsRecognizer(),     &GooseRecognizer(),  &HartIpRecognizer(),
      &LldpRecognizer(),     &MelsoftRecognizer(), &MmsRecognizer(),
      &ProfinetRecognizer(), &SlmpRecognizer(),   &SvRecognizer(),
  };
  return kRecognizers;
}

}  // namespace qilian::security::recognize
