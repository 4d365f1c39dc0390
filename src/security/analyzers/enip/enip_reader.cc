#include "security/analyzers/enip/enip_reader.h"

namespace qilian::security::enip {
namespace {

}  // namespace

}  // namespace qilian::security::enip
