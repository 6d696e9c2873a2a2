// SPDX-License-Identifier: Apache-2.0
// The one strict YAML reader of rpcmon's configuration files (the rules file, detect/config.cc,
// and the agent file, cli/agent_config.cc): typed scalar reads and mapping walks that raise
// detect::ConfigError "FILE:LINE: key 'dotted.key': message" for unknown or repeated keys and
// for bad values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "detect/config.h"

namespace rpcmon::config {

class YamlReader {
public:
    explicit YamlReader(std::string file) : file_(std::move(file)) {}
    const std::string& file() const { return file_; }

    static int lineOf(const YAML::Node& n) { return n.IsDefined() ? int(n.Mark().line) + 1 : 0; }

    [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& msg) const {
        throw detect::ConfigError(file_, lineOf(n), key, msg);
    }
    [[noreturn]] void failAt(const YAML::Mark& m, const std::string& key, const std::string& msg) const {
        throw detect::ConfigError(file_, int(m.line) + 1, key, msg);
    }

    // Iterates a mapping, rejecting keys outside `allowed` (empty: any) and keys given twice
    // (YAML leaves that to the reader; the second one would silently win);
    // calls fn(key, dotted path, key node, value).
    template <class Fn>
    void forEach(const YAML::Node& map, const std::string& path, const std::set<std::string>& allowed,
                 Fn fn) const {
        if (map.IsNull()) return;
        if (!map.IsMap()) fail(map, path, "expected a mapping");
        std::map<std::string, int> seen;
        for (auto it = map.begin(); it != map.end(); ++it) {
            std::string k = it->first.as<std::string>();
            std::string full = path.empty() ? k : path + "." + k;
            if (!allowed.empty() && !allowed.count(k)) failAt(it->first.Mark(), full, "unknown key");
            auto [prev, fresh] = seen.emplace(k, int(it->first.Mark().line) + 1);
            if (!fresh)
                failAt(it->first.Mark(), full, "set twice (first at line " + std::to_string(prev->second) + ")");
            fn(k, full, it->first, it->second);
        }
    }

    std::string str(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar()) fail(n, key, "expected a string");
        return n.as<std::string>();
    }
    bool boolean(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar()) fail(n, key, "expected true or false");
        std::string s = n.as<std::string>();
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        if (s == "true" || s == "yes" || s == "on") return true;
        if (s == "false" || s == "no" || s == "off") return false;
        fail(n, key, "expected true or false, got '" + n.as<std::string>() + "'");
    }
    int64_t integer(const YAML::Node& n, const std::string& key, int64_t lo, int64_t hi) const {
        if (!n.IsScalar()) fail(n, key, "expected an integer");
        std::string s = n.as<std::string>();
        size_t pos = 0;
        long long v = 0;
        try {
            v = std::stoll(s, &pos, 0);
        } catch (...) {
            pos = 0;
        }
        if (pos == 0 || pos != s.size()) fail(n, key, "expected an integer, got '" + s + "'");
        if (v < lo || v > hi)
            fail(n, key, "value " + s + " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return v;
    }
    double real(const YAML::Node& n, const std::string& key, double lo, double hi) const {
        if (!n.IsScalar()) fail(n, key, "expected a number");
        std::string s = n.as<std::string>();
        size_t pos = 0;
        double v = 0;
        try {
            v = std::stod(s, &pos);
        } catch (...) {
            pos = 0;
        }
        if (pos == 0 || pos != s.size()) fail(n, key, "expected a number, got '" + s + "'");
        if (v < lo || v > hi) fail(n, key, "value " + s + " out of range");
        return v;
    }
    std::vector<std::string> strings(const YAML::Node& n, const std::string& key) const {
        std::vector<std::string> out;
        if (n.IsNull()) return out;
        if (!n.IsSequence()) fail(n, key, "expected a list");
        for (const auto& e : n) out.push_back(str(e, key));
        return out;
    }

    // Parses text (YAML syntax errors become ConfigError with the line).
    YAML::Node load(const std::string& text) const {
        try {
            return YAML::Load(text);
        } catch (const YAML::ParserException& e) {
            throw detect::ConfigError(file_, int(e.mark.line) + 1, "", "YAML syntax error: " + e.msg);
        }
    }

private:
    std::string file_;
};

// Reads a whole file; an unreadable file is ConfigError at line 0.
inline std::string readConfigFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw detect::ConfigError(path, 0, "", "cannot open file");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace rpcmon::config
