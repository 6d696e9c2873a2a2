// SPDX-License-Identifier: Apache-2.0
// Requests awaiting their answer (ONC calls by XID, DCE/RPC calls by call id or activity and
// sequence, SMB requests by message id): one table for every protocol. Entries are kept in
// arrival order, so a full table gives up its oldest request first and timeouts are found at
// the front; what happens to an evicted or expired request (reported without a reply, counted)
// is the protocol's, through the callbacks.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace rpcmon {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class PendingTable {
public:
    using Entry = std::pair<const Key, Value>;
    using iterator = typename std::list<Entry>::iterator;
    using const_iterator = typename std::list<Entry>::const_iterator;

    explicit PendingTable(size_t capacity) : capacity_(capacity ? capacity : 1) {}

    size_t size() const { return order_.size(); }
    bool empty() const { return order_.empty(); }
    size_t capacity() const { return capacity_; }

    // Oldest first.
    iterator begin() { return order_.begin(); }
    iterator end() { return order_.end(); }
    const_iterator begin() const { return order_.begin(); }
    const_iterator end() const { return order_.end(); }

    iterator find(const Key& k) {
        auto it = index_.find(k);
        return it == index_.end() ? order_.end() : it->second;
    }
    bool contains(const Key& k) const { return index_.count(k) != 0; }

    // Adds a request under a key not in the table. When the table is full, its oldest request
    // goes first: `evicted(key, value)` sees it before it is removed.
    template <typename OnEvicted>
    iterator insert(const Key& k, Value v, OnEvicted&& evicted) {
        if (order_.size() >= capacity_) {
            evicted(order_.front().first, order_.front().second);
            erase(order_.begin());
        }
        order_.emplace_back(k, std::move(v));
        auto it = std::prev(order_.end());
        index_[k] = it;
        return it;
    }

    iterator erase(iterator it) {
        index_.erase(it->first);
        return order_.erase(it);
    }

    // Removes the oldest requests while `expired(value)` holds for the oldest one, each after
    // `onExpired(key, value)`.
    template <typename IsExpired, typename OnExpired>
    void expire(IsExpired&& expired, OnExpired&& onExpired) {
        while (!order_.empty() && expired(order_.front().second)) {
            onExpired(order_.front().first, order_.front().second);
            erase(order_.begin());
        }
    }

    // Removes every request, oldest first, each after `f(key, value)`.
    template <typename F>
    void drain(F&& f) {
        while (!order_.empty()) {
            f(order_.front().first, order_.front().second);
            erase(order_.begin());
        }
    }

private:
    size_t capacity_;
    std::list<Entry> order_;
    std::unordered_map<Key, iterator, Hash> index_;
};

}  // namespace rpcmon
