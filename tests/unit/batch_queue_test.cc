// SPDX-License-Identifier: Apache-2.0
// The batch queue of `analyze --threads 2` and the worker sink on it: order kept across
// threads, the bound holds (a producer blocks and is counted), close() drains what is pending,
// tasks run in order with the records, worker-side errors reach the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "output/batch_queue.h"
#include "output/worker_sink.h"

using namespace rpcmon;
using namespace std::chrono_literals;

namespace {

// Polls `cond` for up to 5 s (the other thread needs to be scheduled on a busy machine).
template <typename F>
bool eventually(F cond) {
    for (int i = 0; i < 500; ++i) {
        if (cond()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return cond();
}

TEST(BatchQueue, KeepsOrderAcrossThreads) {
    BatchQueue<int> q(3, 2);  // small: the producer fills the queue and waits many times
    constexpr int kItems = 10000;
    std::thread producer([&] {
        for (int i = 0; i < kItems; ++i) q.push(int(i));
        q.close();
    });
    std::vector<int> got, batch;
    while (q.pop(batch)) {
        EXPECT_LE(batch.size(), 3u);
        got.insert(got.end(), batch.begin(), batch.end());
    }
    producer.join();
    ASSERT_EQ(got.size(), size_t(kItems));
    for (int i = 0; i < kItems; ++i) ASSERT_EQ(got[i], i) << "at " << i;
    EXPECT_EQ(q.batches(), uint64_t((kItems + 2) / 3));  // the last, partial batch too
}

TEST(BatchQueue, FullQueueBlocksProducerAndCountsIt) {
    BatchQueue<int> q(2, 2);
    for (int i = 0; i < 4; ++i) q.push(int(i));  // two full batches: the queue is full
    EXPECT_EQ(q.batches(), 2u);
    EXPECT_EQ(q.producerWaits(), 0u);
    std::atomic<bool> returned{false};
    std::thread producer([&] {
        q.push(4);
        q.push(5);  // completes the third batch: must wait for room
        returned = true;
    });
    ASSERT_TRUE(eventually([&] { return q.producerWaits() == 1; }));
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(returned.load()) << "the producer went past the bound";
    EXPECT_EQ(q.batches(), 2u);
    std::vector<int> batch;
    ASSERT_TRUE(q.pop(batch));  // room for one batch
    EXPECT_EQ(batch, (std::vector<int>{0, 1}));
    producer.join();
    EXPECT_TRUE(returned.load());
    EXPECT_EQ(q.batches(), 3u);
    EXPECT_EQ(q.producerWaits(), 1u);
    q.close();
    std::vector<int> rest;
    while (q.pop(batch)) rest.insert(rest.end(), batch.begin(), batch.end());
    EXPECT_EQ(rest, (std::vector<int>{2, 3, 4, 5}));
}

TEST(BatchQueue, CloseDrainsPendingItemsThenEnds) {
    BatchQueue<std::string> q(4, 8);
    for (int i = 0; i < 6; ++i) q.push(std::to_string(i));  // one full batch, one partial
    EXPECT_EQ(q.batches(), 1u);
    q.close();
    std::vector<std::string> got, batch;
    while (q.pop(batch)) got.insert(got.end(), batch.begin(), batch.end());
    EXPECT_EQ(got, (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
    EXPECT_FALSE(q.pop(batch));  // stays ended
}

// Counts destructions of live (not moved-from) items on a thread other than the producer's.
struct Tracked {
    std::atomic<int>* elsewhere;
    std::thread::id producer;
    bool live = true;
    Tracked(std::atomic<int>* e, std::thread::id p) : elsewhere(e), producer(p) {}
    Tracked(Tracked&& o) noexcept : elsewhere(o.elsewhere), producer(o.producer) { o.live = false; }
    Tracked& operator=(Tracked&& o) noexcept {
        elsewhere = o.elsewhere, producer = o.producer, live = o.live;
        o.live = false;
        return *this;
    }
    ~Tracked() {
        if (live && std::this_thread::get_id() != producer) ++*elsewhere;
    }
};

TEST(BatchQueue, ItemsAreDestroyedOnTheProducerThread) {
    std::atomic<int> elsewhere{0};
    std::vector<Tracked> batch;  // the consumer's: outlives its thread, so it dies here
    {
        BatchQueue<Tracked> q(2, 2);
        std::atomic<int> consumed{0};
        std::thread consumer([&] {
            while (q.pop(batch)) consumed += int(batch.size());
        });
        for (int i = 0; i < 1000; ++i) q.push(&elsewhere, std::this_thread::get_id());
        q.close();
        consumer.join();
        EXPECT_EQ(consumed.load(), 1000);
    }
    EXPECT_EQ(elsewhere.load(), 0) << "items freed by the consumer thread";
}

TEST(BatchQueue, ConsumerWaitsForProducer) {
    BatchQueue<int> q(1, 4);
    std::vector<int> batch;
    std::thread consumer([&] { EXPECT_TRUE(q.pop(batch)); });
    ASSERT_TRUE(eventually([&] { return q.consumerWaits() == 1; }));
    q.push(7);
    consumer.join();
    EXPECT_EQ(batch, (std::vector<int>{7}));
}

// Records what reaches it, and on which thread.
struct Recorder : RecordSink {
    std::vector<std::string> seen;
    std::vector<std::thread::id> threads;
    void emit(Json&& record) override { note("json:" + record["n"].dump()); }
    void emitEvent(Event&& ev) override { note("event:" + std::to_string(ev.flow_id)); }
    void note(std::string s) {
        seen.push_back(std::move(s));
        threads.push_back(std::this_thread::get_id());
    }
};

TEST(WorkerSink, RecordsAndTasksArriveInOrderOnTheWorker) {
    Recorder rec;
    std::vector<std::string> expected;
    {
        WorkerSink w(rec, 4, 2);
        for (int i = 0; i < 1000; ++i) {
            if (i % 3 == 0) {
                Event ev;
                ev.flow_id = uint64_t(i);
                w.emitEvent(std::move(ev));
                expected.push_back("event:" + std::to_string(i));
            } else if (i % 3 == 1) {
                Json j;
                j["n"] = i;
                w.emit(std::move(j));
                expected.push_back("json:" + std::to_string(i));
            } else {
                // A task sees exactly the records queued before it (read where they run).
                size_t before = expected.size();
                w.post([&rec, before, i] { rec.note("task:" + std::to_string(i) + "@" + std::to_string(rec.seen.size() - before)); });
                expected.push_back("task:" + std::to_string(i) + "@0");
            }
        }
        Json kept;
        kept["n"] = "view";
        w.emitView(kept);  // the caller keeps its record: a copy is queued
        expected.push_back("json:\"view\"");
        w.finish();
        EXPECT_EQ(w.stats()["batches"].get<uint64_t>(), uint64_t((1001 + 3) / 4));
        EXPECT_EQ(kept["n"], "view");
    }
    EXPECT_EQ(rec.seen, expected);
    for (const auto& id : rec.threads) ASSERT_NE(id, std::this_thread::get_id());
}

TEST(WorkerSink, FinishDrainsWhatIsPending) {
    Recorder rec;
    WorkerSink w(rec, 100, 2);  // nothing is handed over before finish()
    for (int i = 0; i < 10; ++i) {
        Json j;
        j["n"] = i;
        w.emit(std::move(j));
    }
    EXPECT_EQ(w.stats()["batches"].get<uint64_t>(), 0u);
    w.finish();
    ASSERT_EQ(rec.seen.size(), 10u);
    EXPECT_EQ(rec.seen.back(), "json:9");
    w.finish();  // idempotent
}

TEST(WorkerSink, WorkerErrorReachesFinish) {
    Recorder rec;
    WorkerSink w(rec, 2, 2);
    w.post([] { throw std::runtime_error("disk on fire"); });
    for (int i = 0; i < 20; ++i) {  // more than the bound: the producer must not hang
        Json j;
        j["n"] = i;
        w.emit(std::move(j));
    }
    try {
        w.finish();
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "disk on fire");
    }
    EXPECT_TRUE(rec.seen.empty());  // the failing task was first: nothing after it ran
}

}  // namespace
