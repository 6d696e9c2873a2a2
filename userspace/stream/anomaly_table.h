// SPDX-License-Identifier: Apache-2.0
// Anomaly counter names as data. Each layer declares an enum of what it counts and ONE table
// naming each value (Suricata's app-layer event tables), so the list users read (README,
// `rpcmon_anomaly_names`) is the list the code counts. Call sites pass the enum, never a name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace rpcmon {

// Anomaly: input that was malformed, cut, lost or dropped by a bound. Volume: how much of
// something normal went by (bytes, messages); reported under stats.pipeline.volumes as well,
// its copy under `anomalies` is kept for existing consumers (add-only schema) but deprecated.
enum class CounterKind : uint8_t { Anomaly, Volume };

struct AnomalyInfo {
    size_t id;          // the enum value this row names (checked: row i names value i)
    const char* name;   // the stats key, "<layer>.<what>"
    CounterKind kind = CounterKind::Anomaly;
};

template <typename E>
constexpr AnomalyInfo anomaly(E id, const char* name, CounterKind kind = CounterKind::Anomaly) {
    return {static_cast<size_t>(id), name, kind};
}
template <typename E>
constexpr AnomalyInfo volume(E id, const char* name) {
    return {static_cast<size_t>(id), name, CounterKind::Volume};
}

// True when `table` has one row per value of E, in enum order: used in a static_assert next to
// every table so an added enum value without its name (or a reordered row) does not compile.
template <typename E, size_t N>
constexpr bool namesEveryValue(const AnomalyInfo (&table)[N]) {
    if (N != static_cast<size_t>(E::kCount)) return false;
    for (size_t i = 0; i < N; i++) {
        if (table[i].id != i || !table[i].name || !table[i].name[0]) return false;
    }
    return true;
}

// The stats key of an anomaly enum value; each layer's header provides anomalyInfo(E) next to
// its table (found by argument-dependent lookup).
template <typename E>
constexpr const char* counterName(E e) {
    return anomalyInfo(e).name;
}

// One layer's table, for listings and the README check.
struct AnomalyTable {
    const char* layer;  // for people: "TCP reassembly", "SMB"
    std::span<const AnomalyInfo> rows;
};

}  // namespace rpcmon
