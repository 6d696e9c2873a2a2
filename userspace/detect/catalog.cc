// SPDX-License-Identifier: Apache-2.0
#include "detect/catalog.h"

#include <map>
#include <set>
#include <sstream>

#include "detect/signatures.h"

namespace rpcmon::detect {

namespace {

std::string join(const std::vector<const char*>& v, const char* sep) {
    std::string out;
    for (const char* s : v) out += (out.empty() ? "" : sep) + std::string(s);
    return out;
}

// Severity shown in the listing: enumeration signatures start at 3 and escalate.
std::string severityText(const SignatureDef& d) {
    if (d.agg == Agg::Enumeration) return std::to_string(d.severity) + "→" + std::to_string(d.escalate_to);
    if (d.agg == Agg::Attempt) {
        int lo = 3, hi = 1;
        for (const auto& li : lateralInterfaces()) lo = std::min(lo, li.severity), hi = std::max(hi, li.severity);
        return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
    }
    return std::to_string(d.severity);
}

}  // namespace

std::string signatureListing() {
    std::ostringstream o;
    o << "sid\tname\ttechnique\tseverity\ttrigger\tmessage\n";
    for (const auto& d : builtinSignatures())
        o << d.sid << '\t' << d.name << '\t' << join(d.techniques, ",") << '\t' << severityText(d) << '\t'
          << triggerText(d) << '\t' << d.message << '\n';
    return o.str();
}

Json attackLayer() {
    struct Entry {
        int best = 3;  // highest severity (lowest number) among the signatures raising it
        std::vector<std::string> sigs;
        std::set<std::string> tactics;
    };
    std::map<std::string, Entry> by_tech;
    for (const auto& d : builtinSignatures()) {
        // The attempt signature raises each technique with its interface's severity.
        for (const char* t : d.techniques) {
            Entry& e = by_tech[t];
            int sev = d.agg == Agg::Enumeration ? std::min(d.severity, d.escalate_to) : d.severity;
            if (d.agg == Agg::Attempt) {
                sev = 3;
                for (const auto& li : lateralInterfaces())
                    for (const char* lt : li.techniques)
                        if (std::string(lt) == t) sev = std::min(sev, li.severity);
            }
            e.best = std::min(e.best, sev);
            e.sigs.push_back(std::to_string(d.sid) + " " + d.name + " (severity " + severityText(d) + ")");
            for (const char* tac : d.tactics) e.tactics.insert(tac);
        }
    }
    Json techniques = Json::array();
    for (const auto& [id, e] : by_tech) {
        std::string comment;
        for (const auto& s : e.sigs) comment += (comment.empty() ? "" : "; ") + s;
        techniques.push_back({{"techniqueID", id},
                              {"score", 4 - e.best},
                              {"comment", comment},
                              {"enabled", true},
                              {"showSubtechniques", false},
                              {"metadata", Json::array({{{"name", "signatures"}, {"value", std::to_string(e.sigs.size())}}})}});
    }
    return {{"name", "rpcmon built-in signatures"},
            {"versions", {{"attack", "16"}, {"navigator", "5.1.0"}, {"layer", "4.5"}}},
            {"domain", "enterprise-attack"},
            {"description",
             "Techniques rpcmon's built-in signatures raise from ONC RPC, DCE/RPC and SMB named-pipe traffic. "
             "Score = 4 - the highest severity that raises the technique (3: severity 1, 1: severity 3 only)."},
            {"sorting", 3},
            {"layout", {{"layout", "side"}, {"aggregateFunction", "max"}, {"showID", true}, {"showName", true}}},
            {"hideDisabled", false},
            {"techniques", techniques},
            {"gradient", {{"colors", Json::array({"#fff7bc", "#fe9929", "#cc4c02"})}, {"minValue", 1}, {"maxValue", 3}}},
            {"legendItems", Json::array({{{"label", "severity 1 signature"}, {"color", "#cc4c02"}},
                                         {{"label", "severity 2 signature"}, {"color", "#fe9929"}},
                                         {{"label", "severity 3 only"}, {"color", "#fff7bc"}}})},
            {"showTacticRowBackground", false},
            {"selectTechniquesAcrossTactics", true},
            {"selectSubtechniquesWithParent", false}};
}

}  // namespace rpcmon::detect
