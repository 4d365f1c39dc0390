// Which template changes keep every record written under a version valid
// (docs/templates.md "Compatibility"). A change on the same version must be
// compatible; anything else needs a new version, so that a record's
// reference "<name>@<version>" always means what it meant when written.
//
// Breaking (each named in the result, in field order):
//   a field removed; its type changed; its unit changed; an optional field
//   made required; a new required field; minLength or minimum raised or
//   added; maxLength or maximum lowered or added; a pattern added or
//   changed; an enum value removed.
// Compatible: new optional fields, loosened or dropped limits, new enum
// values, descriptions, the public flag (it governs later writes), the
// industry class.
#ifndef QILIAN_IDENT_TEMPLATE_COMPATIBILITY_H_
#define QILIAN_IDENT_TEMPLATE_COMPATIBILITY_H_

#include <string>
#include <vector>

#include "ident/template/template.h"

namespace qilian::ident::templates {

// The changes from `current` to `next` that could invalidate a record valid
// under `current`, worded "field 'lot': type changes from string to
// integer"; empty when `next` is compatible.
std::vector<std::string> BreakingChanges(const Template& current, const Template& next);

}  // namespace qilian::ident::templates

#endif  // QILIAN_IDENT_TEMPLATE_COMPATIBILITY_H_
