// SPDX-License-Identifier: Apache-2.0
#include "output/worker_sink.h"

namespace rpcmon {

WorkerSink::WorkerSink(RecordSink& downstream, size_t batch_items, size_t max_batches)
    : downstream_(downstream), queue_(batch_items, max_batches), thread_([this] { run(); }) {}

WorkerSink::~WorkerSink() {
    // Unwinding after an error upstream: what was queued is still handed downstream (the
    // sinks outlive this object), and a worker-side error is not thrown from a destructor.
    try {
        finish();
    } catch (...) {
    }
}

void WorkerSink::finish() {
    if (finished_) return;
    finished_ = true;
    queue_.close();
    thread_.join();
    if (error_) std::rethrow_exception(error_);
}

void WorkerSink::run() {
    std::vector<Item> batch;
    while (queue_.pop(batch)) {
        if (error_) continue;  // keep taking batches so the producer never blocks forever
        try {
            for (Item& item : batch) {
                switch (item.index()) {
                // The event stays in the batch and is destroyed on the pipeline thread that
                // built it (BatchQueue::pop); the detector copies it only if it keeps it.
                case 0: downstream_.emitEventView(*std::get_if<0>(&item)); break;
                case 1: downstream_.emit(std::move(*std::get_if<1>(&item))); break;
                default: (*std::get_if<2>(&item))(); break;
                }
            }
        } catch (...) {
            error_ = std::current_exception();
        }
    }
}

Json WorkerSink::stats() const {
    Json j;
    j["batches"] = queue_.batches();
    j["producer_waits"] = queue_.producerWaits();
    j["consumer_waits"] = queue_.consumerWaits();
    j["batch_items"] = queue_.batchItems();
    j["max_batches"] = queue_.maxBatches();
    return j;
}

}  // namespace rpcmon
