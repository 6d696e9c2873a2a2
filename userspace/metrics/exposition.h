// SPDX-License-Identifier: Apache-2.0
// The agent's counters in the Prometheus text exposition format (version 0.0.4), made from the
// same JSON object the `stats` line carries, so a counter added there is exported here without
// a second list. The walk turns each numeric leaf into one sample:
//   name    rpcmon_ + the key path joined by '_' (capture.flows... -> rpcmon_capture_flows_...),
//           counters end in _total, "_kb" values are exported in bytes (_bytes);
//   labels  objects whose keys are values (hooks, interfaces, anomaly names, signature ids...)
//           become a label instead of a name part: capture.kernel.xdp.packets_seen ->
//           rpcmon_capture_kernel_packets_seen_total{hook="xdp"};
//   type    counter, except the keys listed as current values (gauges) and booleans (0/1);
//   text    the string values of an object become labels of one <name>_info gauge (value 1):
//           rpcmon_capture_interface_state_info{interface="eth0",state="up",xdp_mode="native"}.
// Arrays and nulls are skipped (lists of names that appear as labels elsewhere).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "output/record.h"

namespace rpcmon::metrics {

// An object of the stats line whose keys are label values. `path` is the dotted key path with
// '*' standing for the key of an enclosing dimension.
struct Dimension {
    std::string_view path;
    std::string_view label;
};
const std::vector<Dimension>& dimensions();

// Stats-line keys that hold a current value (a Prometheus gauge), same path syntax, '*' also
// matching any key; every other number is a cumulative counter.
const std::vector<std::string_view>& gaugePaths();

struct ExpositionOptions {
    std::string prefix = "rpcmon";
    size_t max_label_value = 256;  // longer text values are cut (bounded output for free text)
    // Where each top-level key's values come from, for the HELP lines ("Stats line key
    // capture.kernel.<hook>.packets_seen"); keys not listed: `default_origin`.
    std::map<std::string, std::string, std::less<>> origins;
    std::string default_origin = "Stats line key";
};

struct Exposition {
    std::string text;
    size_t families = 0, samples = 0;
    // Samples left out because their name was already taken by another type or their label
    // set repeated (two key paths that sanitize to the same name).
    size_t conflicts = 0;
};

// The exposition of `stats` (an object: {"capture": {...}, "pipeline": {...}, ...}); every
// family gets # HELP (the stats-line key it mirrors) and # TYPE lines.
Exposition renderExposition(const Json& stats, const ExpositionOptions& opts = {});

// Prometheus text format escaping: label values (\ " newline), HELP text (\ newline). Invalid
// UTF-8 bytes become '?' (the format is UTF-8).
std::string escapeLabelValue(std::string_view v);
std::string escapeHelp(std::string_view v);
// A name part from a JSON key: every byte outside [a-zA-Z0-9_] becomes '_'.
std::string sanitizeName(std::string_view key);
bool validMetricName(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool validLabelName(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*, not starting with __

}  // namespace rpcmon::metrics
