// SPDX-License-Identifier: Apache-2.0
#include "cli/agent_config.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "config/yaml_reader.h"

namespace rpcmon::cli {

const std::vector<AgentKey>& agentKeys() {
    // One row per key: adding an agent option to the file is adding its row here and its
    // documented line to config/rpcmon.yaml (tests/cli/config_test.sh checks both ways).
    static const std::vector<AgentKey> keys = {
        {"interfaces", "--interface"},
        {"xdp_mode", "--xdp-mode"},
        {"snaplen", "--snaplen"},
        {"bulk_skip", "--bulk-skip"},
        {"host_hooks", "--host-hooks"},
        {"stats_interval", "--stats-interval"},
        {"outputs.eve.path", "--eve"},
        {"outputs.eve.packets", "--packets"},
        {"outputs.syslog.url", "--syslog"},
        {"outputs.syslog.ca", "--syslog-ca"},
        {"outputs.syslog.cert", "--syslog-cert"},
        {"outputs.syslog.key", "--syslog-key"},
        {"outputs.syslog.name", "--syslog-name"},
        {"detect.enabled", "--detect"},
        {"detect.rules", "--rules"},
        {"detect.state", "--state"},
        {"control.socket", "--control-socket"},
        {"control.group", "--control-group"},
        {"metrics.listen", "--metrics-listen"},
    };
    return keys;
}

namespace {

CLI::Option* optionOf(CLI::App& agent, const AgentKey& k) {
    try {
        return agent.get_option(k.option);
    } catch (const CLI::OptionNotFound&) {
        throw std::logic_error(std::string("agent file key ") + k.key + ": rpcmon agent has no option " + k.option);
    }
}

bool isFlag(const CLI::Option* o) { return o->get_expected_max() == 0; }  // add_flag: expected(0)

// Defaults as the options held them before parsing (bindAgentKeys), for effectiveSettings.
std::map<std::string, std::string>& defaults() {
    static std::map<std::string, std::string> d;
    return d;
}

const AgentKey* rowOf(const std::string& path) {
    for (const auto& k : agentKeys())
        if (path == k.key) return &k;
    return nullptr;
}
bool isGroup(const std::string& path) {
    for (const auto& k : agentKeys())
        if (std::string(k.key).rfind(path + ".", 0) == 0) return true;
    return false;
}

class AgentReader : public config::YamlReader {
public:
    AgentReader(const std::string& file, CLI::App& agent, AgentFile& out)
        : YamlReader(file), agent_(agent), out_(out) {}

    void section(const YAML::Node& n, const std::string& prefix) {
        forEach(n, prefix, {}, [&](const std::string&, const std::string& p, const YAML::Node& keynode,
                                   const YAML::Node& v) {
            if (p == "version") {
                integer(v, p, 1, 1);
            } else if (p == "limits") {
                if (!v.IsNull() && !v.IsMap()) fail(v, p, "expected a mapping");
                out_.limits = v;  // read with the rules file (resolveDetectConfig)
            } else if (const AgentKey* row = rowOf(p)) {
                apply(*row, keynode, v);
            } else if (isGroup(p)) {
                section(v, p);
            } else {
                failAt(keynode.Mark(), p, "unknown key");
            }
        });
    }

private:
    void apply(const AgentKey& row, const YAML::Node& keynode, const YAML::Node& v) {
        CLI::Option* o = optionOf(agent_, row);
        if (o->count() > 0) return;  // the command line gave it: it wins
        std::vector<std::string> values;
        if (isFlag(o)) {
            values.push_back(boolean(v, row.key) ? "true" : "false");
        } else if (v.IsSequence()) {
            if (o->get_items_expected_max() <= 1) fail(v, row.key, "expected a single value, not a list");
            values = strings(v, row.key);
        } else if (v.IsNull()) {
            fail(v.IsDefined() ? keynode : v, row.key, "no value");
        } else {
            values.push_back(str(v, row.key));
        }
        try {
            for (auto& s : values) o->add_result(s);
            if (!values.empty()) o->run_callback();  // [] keeps the default (as not giving it)
        } catch (const CLI::Error& e) {
            fail(v, row.key, e.what());
        }
        out_.line[row.key] = lineOf(keynode);
    }

    CLI::App& agent_;
    AgentFile& out_;
};

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

}  // namespace

void bindAgentKeys(CLI::App& agent) {
    for (const auto& k : agentKeys()) {
        CLI::Option* o = optionOf(agent, k);
        o->capture_default_str();
        defaults()[k.key] = o->get_default_str();
    }
}

AgentFile applyAgentFile(const std::string& path, CLI::App& agent) {
    AgentFile af;
    af.path = path;
    AgentReader r(path, agent, af);
    YAML::Node root = r.load(config::readConfigFile(path));
    if (!root.IsNull()) r.section(root, "");
    return af;
}

std::shared_ptr<const detect::DetectConfig> resolveDetectConfig(const std::string& rules_file, const AgentFile* af) {
    bool file_limits = af && af->limits.IsDefined() && !af->limits.IsNull();
    if (rules_file.empty() && !file_limits) return nullptr;  // built-in defaults
    auto cfg = std::make_shared<detect::DetectConfig>();
    if (!rules_file.empty()) {
        // A rules file named by the agent file that cannot be read is that line's error.
        auto named = af ? af->line.find("detect.rules") : std::map<std::string, int>::const_iterator();
        if (af && named != af->line.end() && access(rules_file.c_str(), R_OK) != 0)
            throw detect::ConfigError(af->path, named->second, "detect.rules",
                                      "cannot read the rules file " + rules_file + ": " + std::strerror(errno));
        *cfg = detect::loadConfig(rules_file);
    } else {
        cfg->sensitive_files = detect::defaultSensitiveFiles();
    }
    if (file_limits) detect::mergeLimits(af->limits, af->path, *cfg);
    return cfg;
}

std::string effectiveSettings(CLI::App& agent, const AgentFile* af, const detect::DetectConfig* cfg) {
    std::string out;
    auto line = [&](const std::string& key, const std::string& value, const std::string& source) {
        std::string l = key + ": " + value;
        if (l.size() < 48) l.resize(48, ' ');
        out += l + "  # " + source + "\n";
    };
    for (const auto& k : agentKeys()) {
        CLI::Option* o = optionOf(agent, k);
        std::string value = defaults()[k.key], source = "default";
        if (o->count() > 0) {
            value = isFlag(o) ? (o->as<bool>() ? "true" : "false") : joined(o->results());
            source = "command line";
        }
        if (af && af->line.count(k.key)) source = af->path + ":" + std::to_string(af->line.at(k.key));
        if (o->get_items_expected_max() > 1) value = "[" + (value == "[]" ? "" : value) + "]";
        line(k.key, value, source);
    }
    for (const auto& key : detect::limitKeys()) {
        auto s = cfg ? cfg->limit_sources.find(key) : decltype(cfg->limit_sources)::const_iterator();
        if (cfg && s != cfg->limit_sources.end())
            line(key, std::to_string(s->second.value), s->second.file + ":" + std::to_string(s->second.line));
        else
            line(key, "built-in", "default");
    }
    return out;
}

}  // namespace rpcmon::cli
