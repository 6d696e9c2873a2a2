// SPDX-License-Identifier: Apache-2.0
// What the detector's files (detector.cc, detector_aggregation.cc, detector_suppression.cc,
// detector_replay.cc) share besides the class itself. Internal to rpcmon_detect.
#pragma once

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <string_view>
#include <cctype>
#include <string>

#include "core/types.h"

namespace rpcmon::detect {

inline constexpr TimeNs kSec = 1000000000ull;

// Appends v in decimal (lookup keys built without temporaries).
inline void appendNumber(std::string& out, uint64_t v) {
    char b[20];
    out.append(b, std::to_chars(b, b + sizeof b, v).ptr);
}

// "sid|part|part..." into `out` (cleared first; its capacity is kept for the next key).
inline void buildKey(std::string& out, uint32_t sid, std::initializer_list<std::string_view> parts) {
    out.clear();
    appendNumber(out, sid);
    for (std::string_view p : parts) {
        out += '|';
        out += p;
    }
}

inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

}  // namespace rpcmon::detect
