// SPDX-License-Identifier: Apache-2.0
// SMB (NBSS, SMB1, SMB2/3) anomaly and volume counters: the enum call sites use and the one
// table naming them.
#pragma once

#include "stream/anomaly_table.h"

namespace rpcmon::smb {

enum class SmbAnomaly : uint8_t {
    BadNbss,
    BadHeader,
    Truncated,
    Gap,
    FileDataCut,
    UnexpectedDatagram,
    NbssNegativeResponse,
    BadAndx,
    BadCompound,
    BadStructureSize,
    BadSecurityBlob,
    BadBody,
    DataBeyondRecord,
    EchoedFileIdDiffers,
    MismatchedResponse,
    UnmatchedResponse,
    PipeTruncated,
    PipeAdoptedMidstream,
    TooManySessions,
    TooManyTrees,
    TooManyFiles,
    TooManyPending,
    EncryptedMessages,
    EncryptedBytes,
    CompressedMessages,
    kCount
};

inline constexpr AnomalyInfo kSmbAnomalies[] = {
    anomaly(SmbAnomaly::BadNbss, "smb.bad_nbss"),
    anomaly(SmbAnomaly::BadHeader, "smb.bad_header"),
    anomaly(SmbAnomaly::Truncated, "smb.truncated"),
    anomaly(SmbAnomaly::Gap, "smb.gap"),
    anomaly(SmbAnomaly::FileDataCut, "smb.file_data_cut"),
    anomaly(SmbAnomaly::UnexpectedDatagram, "smb.unexpected_datagram"),
    anomaly(SmbAnomaly::NbssNegativeResponse, "smb.nbss_negative_response"),
    anomaly(SmbAnomaly::BadAndx, "smb.bad_andx"),
    anomaly(SmbAnomaly::BadCompound, "smb.bad_compound"),
    anomaly(SmbAnomaly::BadStructureSize, "smb.bad_structure_size"),
    anomaly(SmbAnomaly::BadSecurityBlob, "smb.bad_security_blob"),
    anomaly(SmbAnomaly::BadBody, "smb.bad_body"),
    anomaly(SmbAnomaly::DataBeyondRecord, "smb.data_beyond_record"),
    anomaly(SmbAnomaly::EchoedFileIdDiffers, "smb.echoed_file_id_differs"),
    anomaly(SmbAnomaly::MismatchedResponse, "smb.mismatched_response"),
    anomaly(SmbAnomaly::UnmatchedResponse, "smb.unmatched_response"),
    anomaly(SmbAnomaly::PipeTruncated, "smb.pipe_truncated"),
    anomaly(SmbAnomaly::PipeAdoptedMidstream, "smb.pipe_adopted_midstream"),
    anomaly(SmbAnomaly::TooManySessions, "smb.too_many_sessions"),
    anomaly(SmbAnomaly::TooManyTrees, "smb.too_many_trees"),
    anomaly(SmbAnomaly::TooManyFiles, "smb.too_many_files"),
    anomaly(SmbAnomaly::TooManyPending, "smb.too_many_pending"),
    // Encrypted and compressed traffic is normal SMB3: how much went by unread, not a fault.
    volume(SmbAnomaly::EncryptedMessages, "smb.encrypted_messages"),
    volume(SmbAnomaly::EncryptedBytes, "smb.encrypted_bytes"),
    volume(SmbAnomaly::CompressedMessages, "smb.compressed_messages"),
};
static_assert(namesEveryValue<SmbAnomaly>(kSmbAnomalies));

constexpr const AnomalyInfo& anomalyInfo(SmbAnomaly a) { return kSmbAnomalies[static_cast<size_t>(a)]; }

}  // namespace rpcmon::smb
