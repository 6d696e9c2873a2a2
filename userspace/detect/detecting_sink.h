// SPDX-License-Identifier: Apache-2.0
// Puts the detector in the record stream: every record goes downstream unchanged, and the
// alerts it triggers follow it (never before it), also to syslog when configured.
#pragma once

#include <memory>
#include <stdexcept>
#include <vector>

#include "detect/detector.h"
#include "detect/syslog_sink.h"
#include "output/record.h"

namespace rpcmon::detect {

class DetectingSink : public RecordSink {
public:
    // Throws ConfigError (bad rules file) or std::invalid_argument (bad syslog spec).
    DetectingSink(RecordSink& downstream, const DetectorOptions& opts, const std::string& syslog_spec,
                  const SyslogTlsOptions& syslog_tls = {})
        : downstream_(downstream), alerts_(*this), detector_(opts, alerts_) {
        if (!syslog_spec.empty()) syslog_ = std::make_unique<SyslogSink>(parseSyslogSpec(syslog_spec, syslog_tls));
        else if (!syslog_tls.empty()) throw std::invalid_argument(kTlsOptionsNeedTls);
    }

    // Calls, SMB sessions and pipe opens: judged on their typed fields.
    void emitEvent(Event&& ev) override {
        // Shared with the detector (a suppression window may keep it for its summary) instead
        // of copied; moved on when the detector did not keep it, else written in place.
        auto e = std::make_shared<Event>(std::move(ev));
        detector_.onEvent(std::shared_ptr<const Event>(e));
        if (e.use_count() == 1) downstream_.emitEvent(std::move(*e));
        else downstream_.emitEventView(*e);
        flushAlerts();
    }
    void emitEventView(const Event& ev) override {
        detector_.onEvent(ev);  // copies it only if a suppression window keeps it
        downstream_.emitEventView(ev);
        flushAlerts();
    }
    // Records that stay JSON (dcerpc_bind, packet, stats), and rpc / smb records from a layer
    // that still writes JSON (read into an event at the detector's edge).
    void emit(Json&& record) override {
        auto rec = std::make_shared<Json>(std::move(record));
        detector_.onRecord(std::shared_ptr<const Json>(rec));
        if (rec.use_count() == 1) downstream_.emit(std::move(*rec));
        else downstream_.emitView(*rec);
        flushAlerts();
    }
    void onTick(TimeNs now) {
        detector_.onTick(now);
        flushAlerts();
    }
    // End of input: closes aggregation windows (summaries) and saves the baselines.
    void finish() {
        detector_.flush();
        flushAlerts();
        detector_.saveState();
        // Give a briefly unreachable syslog server time to take what is queued, so the final
        // stats line tells what was delivered (what is still pending there is lost at exit).
        if (syslog_) syslog_->drain(kExitDrainMs);
    }
    Json stats() const {
        Json j = detector_.stats();
        if (syslog_) j["syslog"] = syslog_->stats();
        return j;
    }
    Detector& detector() { return detector_; }

private:
    static constexpr uint32_t kExitDrainMs = 5000;

    // Collects the detector's alerts so they can be written after the triggering record.
    struct AlertQueue : RecordSink {
        explicit AlertQueue(DetectingSink& o) : owner(o) {}
        void emit(Json&& alert) override { owner.pending_.push_back(std::move(alert)); }
        DetectingSink& owner;
    };
    void flushAlerts() {
        for (Json& a : pending_) {
            if (syslog_) syslog_->emit(Json(a));
            downstream_.emit(std::move(a));
        }
        pending_.clear();
    }

    RecordSink& downstream_;
    std::vector<Json> pending_;
    AlertQueue alerts_;
    Detector detector_;
    std::unique_ptr<SyslogSink> syslog_;
};

}  // namespace rpcmon::detect
