// SPDX-License-Identifier: Apache-2.0
// NSM status monitor (program 100024 v1): the host names clients ask to watch or notify.
#include "protocols/onc/body_decoders.h"

#include "protocols/onc/programs.h"

namespace rpcmon::onc {

// ---- NSM (status monitor, program 100024 v1) ----
void decodeNsmCall(uint32_t proc, Xdr& x, ArgList& nsm) {
    switch (proc) {
    case 1: case 2: case 3: {  // STAT (sm_name), MON (mon), UNMON (mon_id)
        std::string mon = x.str(kSmMaxStrLen);
        if (!x.ok()) return;
        nsm["mon_name"] = mon;
        if (proc == 1) return;
        std::string my = x.str(kSmMaxStrLen);
        if (x.ok()) nsm["my_name"] = my;
        break;
    }
    case 4: {  // UNMON_ALL: my_id
        std::string my = x.str(kSmMaxStrLen);
        if (x.ok()) nsm["my_name"] = my;
        break;
    }
    case 6: {  // NOTIFY: stat_chge
        std::string mon = x.str(kSmMaxStrLen);
        uint32_t state = x.u32();
        if (x.ok()) { nsm["mon_name"] = mon; nsm["state"] = state; }
        break;
    }
    default: break;
    }
}

void decodeNsmReply(uint32_t proc, Xdr& x, ArgList& nsm) {
    if (proc == 1 || proc == 2) {  // sm_stat_res
        uint32_t res = x.u32(), state = x.u32();
        if (!x.ok()) return;
        nsm["status"] = res == 0 ? "stat_succ" : res == 1 ? "stat_fail" : std::to_string(res);
        nsm["state"] = state;
    } else if (proc == 3 || proc == 4) {  // sm_stat
        uint32_t state = x.u32();
        if (x.ok()) nsm["state"] = state;
    }
}

}  // namespace rpcmon::onc
