// SPDX-License-Identifier: Apache-2.0
// The JSON value type shared by every layer (records, stats, configuration). Kept in core so a
// core header can speak JSON without reaching up into output/.
#pragma once

#include <nlohmann/json.hpp>

namespace rpcmon {

using Json = nlohmann::ordered_json;

}  // namespace rpcmon
