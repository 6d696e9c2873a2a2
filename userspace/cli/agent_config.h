// SPDX-License-Identifier: Apache-2.0
// The agent file (/etc/rpcmon/rpcmon.yaml, `rpcmon agent --config`). Each key is tied to one
// `rpcmon agent` option by one row of agentKeys(): the option's own type and check read the
// value, so the file accepts exactly what the command line accepts, and a key the command line
// also gives is ignored (the command line wins). `limits:` is read by the rules file's reader
// (detect::mergeLimits): a limit set in both the agent file and the rules file is an error.
#pragma once

#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detect/config.h"

namespace rpcmon::cli {

struct AgentKey {
    const char* key;     // dotted path in the file
    const char* option;  // `rpcmon agent` option that reads it
};
// Every key of the agent file except `version` and `limits.*` (detect::limitKeys()).
const std::vector<AgentKey>& agentKeys();

// Checks that every row names an option of `agent` and keeps each option's default for
// effectiveSettings; call once, before parsing. Throws std::logic_error on a row without option.
void bindAgentKeys(CLI::App& agent);

struct AgentFile {
    std::string path;
    YAML::Node limits;                         // the file's `limits:` (undefined: none)
    std::map<std::string, int> line;           // key -> line, for the keys the file applied
};

// Reads FILE and gives every key's value to its option unless the command line gave that
// option. Throws detect::ConfigError ("FILE:LINE: key ...") on unknown keys and bad values.
AgentFile applyAgentFile(const std::string& path, CLI::App& agent);

// The detection config the agent runs with: the rules file (if any) with the agent file's
// `limits:` merged in. Throws detect::ConfigError.
std::shared_ptr<const detect::DetectConfig> resolveDetectConfig(const std::string& rules_file, const AgentFile* af);

// The effective settings, one `key: value  # source` line each (source: FILE:LINE, command
// line or default), every key of the file in table order, then the limits.
std::string effectiveSettings(CLI::App& agent, const AgentFile* af, const detect::DetectConfig* cfg);

}  // namespace rpcmon::cli
