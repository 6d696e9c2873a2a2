// SPDX-License-Identifier: Apache-2.0
// Least privilege for `rpcmon agent`: once the BPF programs are loaded and attached and every
// file and socket is open, the agent drops all capabilities it no longer needs (bounding,
// effective, permitted, inheritable and ambient sets) and sets PR_SET_NO_NEW_PRIVS. Plain
// capget/capset/prctl syscalls (no libcap). What the running agent still does needs no
// capability on Linux >= 6.5: map lookups/updates/deletes and ring-buffer polling go through
// fds it already holds, closing link/socket fds detaches the programs.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"

namespace rpcmon {

// The capabilities the agent keeps after start-up (empty: none; see README "Privileges").
std::vector<int> agentKeptCapabilities();

// "cap_bpf", "cap_sys_admin" ... ("cap_N" for numbers this header does not know).
std::string capabilityName(int cap);
// "cap_bpf,cap_net_admin" or "none".
std::string capabilityList(const std::vector<int>& caps);
// The capabilities set in a /proc/PID/status mask (CapEff etc.), e.g. "000001fffeffffff".
std::vector<int> capabilitiesInMask(uint64_t mask);

// Drops every capability but `keep` from the calling thread, which must be the process's only
// thread (capabilities are per thread: a thread started earlier would keep its own). Then sets
// PR_SET_NO_NEW_PRIVS and checks the result with capget. Returns false with the reason; the
// state is left as far as it got (the caller logs it loudly and counts it). Without
// CAP_SETPCAP the bounding set cannot shrink: that is skipped and said in `note`.
bool dropCapabilities(const std::vector<int>& keep, std::string* why, std::string* note = nullptr);

// For the agent: drops to agentKeptCapabilities(), logs one info line ("dropped capabilities;
// keeping: none") or an error line, and records the outcome for privilegeStats().
bool dropAgentPrivileges();
// Records that the drop was skipped on purpose (--keep-caps), logged as a warning.
void keepAgentPrivileges();

// {"dropped": bool, "kept": "none"|"cap_..", "drop_failures": N, "no_new_privs": bool,
//  "error": "..."} for the stats line; null when the process never tried (analyze, top).
Json privilegeStats();

}  // namespace rpcmon
