// SPDX-License-Identifier: Apache-2.0
// `rpcmon analyze --threads 2`: the records a pipeline emits go, in order, through a bounded
// batch queue to a second thread that hands them to the downstream sink chain (detection and
// writing). Work that reads or ticks that chain from the producer's side (detector ticks, stats
// lines, flushes, reopen) is posted as a task into the same queue, so it runs at the same point
// of the record stream as with one thread and the output is the same, byte for byte.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <variant>
#include <vector>

#include "output/batch_queue.h"
#include "output/record.h"

namespace rpcmon {

class WorkerSink : public RecordSink {
public:
    // 64 records a batch (some 300 µs of pipeline work on the call-heavy capture: one lock and
    // at most one wake-up per batch), 8 batches in flight: at most 10 x 64 records alive (8
    // slots, the batch being filled, the one being consumed), so a slow writer blocks the
    // pipeline instead of growing memory. Measured against 32x8, 128x4
    // and 256x16: CPU time grows with the batches in flight (the items have left the cache
    // when the producer frees them), the hand-over cost is lost in the noise.
    static constexpr size_t kBatchItems = 64;
    static constexpr size_t kMaxBatches = 8;

    // Starts the worker thread; `downstream` is used only from it until finish().
    explicit WorkerSink(RecordSink& downstream, size_t batch_items = kBatchItems, size_t max_batches = kMaxBatches);
    ~WorkerSink() override;
    WorkerSink(const WorkerSink&) = delete;
    WorkerSink& operator=(const WorkerSink&) = delete;

    void emit(Json&& record) override { queue_.push(std::in_place_index<1>, std::move(record)); }
    void emitEvent(Event&& ev) override { queue_.push(std::in_place_index<0>, std::move(ev)); }
    // emitView / emitEventView: the caller keeps its record, so the base class's copy is queued.

    // Runs `task` on the worker thread after every record and task queued before it.
    void post(std::function<void()> task) { queue_.push(std::in_place_index<2>, std::move(task)); }
    // Hands over what is queued, waits until the worker has done all of it and ends the thread;
    // afterwards the downstream sinks belong to the caller again. Rethrows the first exception
    // a downstream sink or task threw on the worker (later items were then skipped). Idempotent.
    void finish();

    // stats.pipeline.worker: batches handed over, producer_waits (queue full: the worker is the
    // bottleneck), consumer_waits (queue empty: the worker idled), batch_items, max_batches.
    Json stats() const;

private:
    using Item = std::variant<Event, Json, std::function<void()>>;
    void run();

    RecordSink& downstream_;
    BatchQueue<Item> queue_;
    std::exception_ptr error_;  // written by the worker, read after join
    std::thread thread_;
    bool finished_ = false;
};

}  // namespace rpcmon
