// SPDX-License-Identifier: Apache-2.0
#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <set>
#include <unordered_map>

namespace rpcmon::metrics {

const std::vector<Dimension>& dimensions() {
    static const std::vector<Dimension> d = {
        {"capture.kernel", "hook"},                  // xdp, socket: one BPF hook each
        {"capture.interface_state", "interface"},    // per monitored interface
        {"capture.anomalies", "anomaly"},            // offline only: checksum verdicts
        {"pipeline.packets_by_app", "app"},
        {"pipeline.anomalies", "anomaly"},           // every named drop/cut of bad input
        {"pipeline.volumes", "volume"},              // bytes/messages of normal traffic (tables' Volume rows)
        {"pipeline.host_pipes.handshake_levels", "level"},
        {"detect.by_signature", "sid"},
        {"output.by_type", "event_type"},
    };
    return d;
}

const std::vector<std::string_view>& gaugePaths() {
    static const std::vector<std::string_view> g = {
        "capture.watched_endpoints",
        "capture.interface_state.*.ifindex",
        "pipeline.flows.active",
        "pipeline.flows.reassembly_buffered_bytes",
        "pipeline.defrag.*",                 // held now, and the configured bound
        "pipeline.memory.*",                 // RSS now, peak, the configured limit
        "pipeline.host_pipes.pipes_active",
        "pipeline.host_pipes.buffered_bytes",
        "pipeline.processes.known",
        "detect.tracked.aggregates",
        "detect.tracked.enumerations",
        "detect.tracked.suppressions",
        "detect.tracked.replay_calls",
        "detect.baseline.clients",
        "detect.baseline.servers",
        "detect.baseline.items",
        "detect.config.*",                   // how many signatures/rules are loaded
        "detect.syslog.pending",
    };
    return g;
}

namespace {

bool isNameChar(char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

// Copies valid UTF-8 sequences, '?' for each byte that does not start one.
std::string validUtf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        for (size_t k = 1; ok && k < n; k++) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        // Overlong forms and surrogates are invalid too.
        if (ok && n == 2) ok = c >= 0xc2;
        if (ok && n == 3) {
            unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
            ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
        }
        if (ok && n == 4) {
            unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
            ok = c <= 0xf4 && !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
        }
        if (!ok) {
            out += '?';
            i++;
            continue;
        }
        out.append(s.substr(i, n));
        i += n;
    }
    return out;
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence.
std::string_view cut(std::string_view s, size_t max) {
    if (s.size() <= max) return s;
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) n--;
    return s.substr(0, n);
}

std::string formatNumber(const Json& v, double scale) {
    if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
    if (scale == 1 && v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
    if (scale == 1 && v.is_number_integer()) return std::to_string(v.get<int64_t>());
    double d = v.get<double>() * scale;
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
    if (d == std::floor(d) && std::fabs(d) < 9.007199254740992e15) return std::to_string(int64_t(d));
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

bool endsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Dotted path match, '*' matching any one key.
bool pathMatches(std::string_view pattern, std::string_view path) {
    while (true) {
        size_t pd = pattern.find('.'), qd = path.find('.');
        std::string_view ps = pattern.substr(0, pd), qs = path.substr(0, qd);
        if (ps != "*" && ps != qs) return false;
        if (pd == std::string_view::npos || qd == std::string_view::npos) return pd == qd;
        pattern.remove_prefix(pd + 1);
        path.remove_prefix(qd + 1);
    }
}

using Labels = std::vector<std::pair<std::string, std::string>>;

class Builder {
public:
    explicit Builder(const ExpositionOptions& o) : opts_(o) {}

    void walk(const Json& obj, const std::string& path, const std::string& help_path, const std::string& name,
              const Labels& labels) {
        if (const Dimension* d = dimension(path)) {
            for (const auto& [key, v] : obj.items()) {
                Labels l = labels;
                l.emplace_back(std::string(d->label), key);
                std::string child = path + ".*", child_help = help_path + ".<" + std::string(d->label) + ">";
                if (v.is_object()) walk(v, child, child_help, name, l);
                else leaf(v, child, child_help, name, l);
            }
            return;
        }
        // Text values: one info sample for the object.
        Labels info = labels;
        for (const auto& [key, v] : obj.items()) {
            if (!v.is_string()) continue;
            std::string ln = sanitizeName(key);
            if (!validLabelName(ln)) ln = "key_" + ln;
            bool taken = false;
            for (const auto& [k, _] : info) taken |= k == ln;
            if (!taken) info.emplace_back(ln, v.get<std::string>());
        }
        if (info.size() > labels.size())
            add(name + "_info", "gauge", origin(help_path) + " " + help_path + ": its text values as labels (value 1)", info, "1");
        for (const auto& [key, v] : obj.items()) {
            std::string child = path.empty() ? key : path + "." + key;
            std::string child_help = help_path.empty() ? key : help_path + "." + key;
            std::string child_name = name + "_" + sanitizeName(key);
            if (v.is_object()) walk(v, child, child_help, child_name, labels);
            else leaf(v, child, child_help, child_name, labels);
        }
    }

    Exposition finish() {
        Exposition e;
        e.conflicts = conflicts_;
        for (const Family& f : families_) {
            e.families++;
            e.text += "# HELP " + f.name + " " + escapeHelp(f.help) + "\n";
            e.text += "# TYPE " + f.name + " " + f.type + "\n";
            for (const auto& [labels, value] : f.samples) {
                e.samples++;
                e.text += f.name + labels + " " + value + "\n";
            }
        }
        return e;
    }

private:
    struct Family {
        std::string name, type, help;
        std::vector<std::pair<std::string, std::string>> samples;  // rendered labels, value
    };

    const std::string& origin(const std::string& path) const {
        auto it = opts_.origins.find(std::string_view(path).substr(0, path.find('.')));
        return it == opts_.origins.end() ? opts_.default_origin : it->second;
    }

    const Dimension* dimension(const std::string& path) const {
        for (const auto& d : dimensions())
            if (pathMatches(d.path, path)) return &d;
        return nullptr;
    }

    void leaf(const Json& v, const std::string& path, const std::string& help_path, std::string name,
              const Labels& labels) {
        if (!v.is_number() && !v.is_boolean()) return;  // strings: in _info; arrays, null: skipped
        std::string help = origin(help_path) + " " + help_path;
        std::string type;
        double scale = 1;
        if (v.is_boolean()) {
            type = "gauge";
            help += " (1 true, 0 false)";
        } else {
            bool gauge = false;
            for (auto g : gaugePaths()) gauge |= pathMatches(g, path);
            type = gauge ? "gauge" : "counter";
            // Prometheus wants base units: kB in the stats line, bytes here.
            if (endsWith(name, "_kb")) {
                name = name.substr(0, name.size() - 3) + "_bytes";
                scale = 1024;
                help += " (kB there, bytes here)";
            }
            if (!gauge && !endsWith(name, "_total")) name += "_total";
        }
        add(name, type, help, labels, formatNumber(v, scale));
    }

    void add(const std::string& name, const std::string& type, const std::string& help, const Labels& labels,
             const std::string& value) {
        std::string ls;
        for (const auto& [k, v] : labels)
            ls += (ls.empty() ? "{" : ",") + k + "=\"" + escapeLabelValue(cut(v, opts_.max_label_value)) + "\"";
        if (!ls.empty()) ls += "}";
        std::string full = opts_.prefix + name;
        auto [it, fresh] = index_.try_emplace(full, families_.size());
        if (fresh) families_.push_back({full, type, help, {}});
        Family& f = families_[it->second];
        if (f.type != type || !seen_.insert(full + ls).second) {
            conflicts_++;
            return;
        }
        f.samples.emplace_back(std::move(ls), value);
    }

    const ExpositionOptions& opts_;
    std::vector<Family> families_;
    std::unordered_map<std::string, size_t> index_;
    std::set<std::string> seen_;
    size_t conflicts_ = 0;
};

}  // namespace

std::string escapeLabelValue(std::string_view v) {
    std::string out;
    for (char c : validUtf8(v)) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string escapeHelp(std::string_view v) {
    std::string out;
    for (char c : validUtf8(v)) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string sanitizeName(std::string_view key) {
    std::string s(key);
    for (auto& c : s)
        if (!isNameChar(c, false)) c = '_';
    return s;
}

bool validMetricName(std::string_view n) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); i++)
        if (!isNameChar(n[i], i == 0) && n[i] != ':') return false;
    return true;
}

bool validLabelName(std::string_view n) {
    if (n.empty() || n.substr(0, 2) == "__") return false;
    for (size_t i = 0; i < n.size(); i++)
        if (!isNameChar(n[i], i == 0)) return false;
    return true;
}

Exposition renderExposition(const Json& stats, const ExpositionOptions& opts) {
    Builder b(opts);
    if (stats.is_object()) b.walk(stats, "", "", "", {});
    return b.finish();
}

}  // namespace rpcmon::metrics
