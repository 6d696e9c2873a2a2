// SPDX-License-Identifier: Apache-2.0
// The one place that maps a flow's application (kernel-side guess + transport) to the protocol
// layer that dissects it.
#pragma once

#include "pipeline/pipeline.h"

namespace rpcmon {

// ONC RPC (portmapper, NFS, MOUNT, NLM, ...), DCE/RPC over TCP/UDP, SMB/NetBIOS with named
// pipes handed to DCE/RPC. Returns nullptr for flows no layer handles (counted by the table).
// `limits` bounds the per-connection state of the protocol layers (rules file `limits.protocols`).
ConsumerMaker makeDissectors(const DissectorLimits& limits = {});

}  // namespace rpcmon
