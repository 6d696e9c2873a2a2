// SPDX-License-Identifier: Apache-2.0
// What the built-in table covers, for people: `rpcmon signatures` (sid, name, technique,
// severity, trigger) and `rpcmon signatures --attack-layer` (a MITRE ATT&CK Navigator layer).
#pragma once

#include <string>

#include "output/record.h"

namespace rpcmon::detect {

// One line per built-in signature, tab-separated with a header: sid, name, techniques,
// severity, trigger, message.
std::string signatureListing();

// ATT&CK Navigator layer (layer format 4.5, domain enterprise-attack): one entry per technique
// the table maps, scored by the highest severity that raises it, the signatures in the comment.
Json attackLayer();

}  // namespace rpcmon::detect
