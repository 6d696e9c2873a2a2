// SPDX-License-Identifier: Apache-2.0
// A bounded single-producer/single-consumer queue that hands items over in batches: the
// producer fills a batch without locking and takes the lock once per batch, so a second thread
// costs one lock round trip per batch, not per record. Memory is bounded: at most
// max_batches full batches wait, plus the one being filled and the one being consumed; a
// producer that finds the queue full blocks (counted in producerWaits()).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace rpcmon {

template <typename T>
class BatchQueue {
public:
    BatchQueue(size_t batch_items, size_t max_batches)
        : batch_items_(batch_items ? batch_items : 1), slots_(max_batches ? max_batches : 1) {
        filling_.reserve(batch_items_);
    }
    BatchQueue(const BatchQueue&) = delete;
    BatchQueue& operator=(const BatchQueue&) = delete;

    // Producer: appends one item, built in place from `args`; a full batch is handed over (may
    // block while the queue is full).
    template <typename... Args>
    void push(Args&&... args) {
        filling_.emplace_back(std::forward<Args>(args)...);
        if (filling_.size() >= batch_items_) flush();
    }
    // Producer: hands over the batch being filled, if it holds anything.
    void flush() {
        if (filling_.empty()) return;
        std::unique_lock<std::mutex> lock(mu_);
        if (count_ == slots_.size()) {
            producer_waits_.fetch_add(1, std::memory_order_relaxed);
            not_full_.wait(lock, [this] { return count_ < slots_.size(); });
        }
        // The slot holds a batch the consumer gave back: its items are destroyed here (below,
        // outside the lock) and its capacity is reused.
        std::swap(slots_[tail_], filling_);
        tail_ = (tail_ + 1) % slots_.size();
        ++count_;
        batches_.fetch_add(1, std::memory_order_relaxed);
        lock.unlock();
        not_empty_.notify_one();
        filling_.clear();
    }
    // Producer: hands over what is left and tells the consumer no more will come; it still
    // receives every batch handed over before this.
    void close() {
        flush();
        {
            std::lock_guard<std::mutex> lock(mu_);
            closed_ = true;
        }
        not_empty_.notify_one();
    }

    // Consumer: the next batch into `out`. Waits while the queue is empty; false once it is
    // closed and drained. The batch `out` held goes back to the producer, which destroys its
    // items when it reuses the slot: memory is freed by the thread that allocated it, which
    // glibc's allocator does much more cheaply than a free from another thread.
    bool pop(std::vector<T>& out) {
        std::unique_lock<std::mutex> lock(mu_);
        if (count_ == 0 && !closed_) {
            consumer_waits_.fetch_add(1, std::memory_order_relaxed);
            not_empty_.wait(lock, [this] { return count_ > 0 || closed_; });
        }
        if (count_ == 0) return false;  // closed and drained
        std::swap(slots_[head_], out);
        head_ = (head_ + 1) % slots_.size();
        --count_;
        lock.unlock();
        not_full_.notify_one();
        return true;
    }

    // Batches handed over so far.
    uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
    // Hand-overs that found the queue full and blocked until the consumer made room.
    uint64_t producerWaits() const { return producer_waits_.load(std::memory_order_relaxed); }
    // Pops that found the queue empty and waited for the producer.
    uint64_t consumerWaits() const { return consumer_waits_.load(std::memory_order_relaxed); }
    size_t batchItems() const { return batch_items_; }
    size_t maxBatches() const { return slots_.size(); }

private:
    const size_t batch_items_;
    std::vector<T> filling_;  // producer only
    std::mutex mu_;
    std::condition_variable not_empty_, not_full_;
    std::vector<std::vector<T>> slots_;  // ring of full batches; guarded by mu_
    size_t head_ = 0, tail_ = 0, count_ = 0;
    bool closed_ = false;
    std::atomic<uint64_t> batches_{0}, producer_waits_{0}, consumer_waits_{0};
};

}  // namespace rpcmon
