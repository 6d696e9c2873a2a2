// SPDX-License-Identifier: Apache-2.0
#include "protocols/npa/host_pipes.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <limits>
#include <vector>

#include "protocols/dcerpc/connection.h"
#include "protocols/npa/anomalies.h"
#include "protocols/npa/handshake.h"

namespace rpcmon::npa {
namespace {

// Holds handshake bytes until they are parsed: every buffer it ever owned is wiped before it
// is freed, so the session key is not left in freed heap memory when the vector grows.
template <class T>
struct WipingAllocator {
    using value_type = T;
    WipingAllocator() = default;
    template <class U>
    WipingAllocator(const WipingAllocator<U>&) {}
    T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, size_t n) {
        wipe(p, n * sizeof(T));
        std::allocator<T>().deallocate(p, n);
    }
    bool operator==(const WipingAllocator&) const { return true; }
};
using SecretBuffer = std::vector<uint8_t, WipingAllocator<uint8_t>>;

// Message header after the handshake: [u16 little-endian length] (Samba's message-mode pipe).
constexpr size_t kMsgHeader = 2;
// Host-only flows (the wire never saw the TCP connection) get ids from here up, apart from
// the wire flow table's counter.
constexpr uint64_t kHostFlowIdBase = 1ull << 62;

bool parseAddress(const std::string& s, Address& out) {
    in_addr v4;
    in6_addr v6;
    out = {};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out[10] = out[11] = 0xff;
        std::memcpy(out.data() + 12, &v4, 4);
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        return true;
    }
    return false;
}

std::string cString(const char* p, size_t n) { return std::string(p, strnlen(p, n)); }

// Adds what only the host knows to every record the pipe's DCE/RPC connection emits.
class HostSink : public RecordSink {
public:
    HostSink(RecordSink& next, AnomalyCounter& anomalies, const WireSessions* wire)
        : next_(next), anomalies_(anomalies), wire_(wire) {}
    void emit(Json&& rec) override {
        if (wire_ && rec.contains("flow_id") && wire_->readableOnWire(rec["flow_id"].get<uint64_t>())) {
            anomalies_.count(NpaAnomaly::RecordsLeftToWire);
            return;
        }
        // Unknown is omitted (SCHEMA), never "::" / 0: a handshake without a known layout, or
        // with addresses that are not IP addresses, gave none.
        if (!ips_known_) rec.erase("src_ip"), rec.erase("dest_ip");
        if (!ports_known_) rec.erase("src_port"), rec.erase("dest_port");
        if (rec.contains("rpc")) rec["rpc"]["vantage"] = "host";
        if (pid_) {
            Json p = {{"pid", pid_}, {"name", comm_}, {"uid", uid_}};
            rec["process"] = std::move(p);
        }
        next_.emit(std::move(rec));
    }
    void emitEvent(Event&& ev) override {
        if (wire_ && wire_->readableOnWire(ev.flow_id)) {
            anomalies_.count(NpaAnomaly::RecordsLeftToWire);
            return;
        }
        ev.ips_known = ips_known_;
        ev.ports_known = ports_known_;
        if (ev.type == EventType::Rpc) ev.host_vantage = true;
        if (pid_) ev.process = ProcessInfo{pid_, uid_, comm_};
        next_.emitEvent(std::move(ev));
    }
    void setEndpoints(bool ips, bool ports) { ips_known_ = ips, ports_known_ = ports; }
    void setProcess(uint32_t pid, const std::string& comm, uint32_t uid) {
        pid_ = pid;
        comm_ = comm;
        uid_ = uid;
    }

private:
    RecordSink& next_;
    AnomalyCounter& anomalies_;
    const WireSessions* wire_;
    uint32_t pid_ = 0, uid_ = 0;
    std::string comm_;
    bool ips_known_ = true, ports_known_ = true;
};

}  // namespace

struct HostPipes::Pipe {
    enum class Phase { Handshake, Messages, Ignored };
    Phase phase = Phase::Handshake;
    std::string name;
    SecretBuffer request;           // to-server bytes until the handshake is parsed
    std::vector<uint8_t> buf[2];    // framing buffers per direction
    bool reply_seen = false;        // the server's 32-byte NPAM reply was passed over
    FlowContext flow;
    PipeInfo info;
    std::unique_ptr<HostSink> sink;
    std::unique_ptr<EmbeddedStream> rpc;
    TimeNs last_seen = 0;
    size_t held = 0;  // bytes counted in HostPipes::buffered_
};

// smb_session records arrive as typed events (emitEvent); JSON records pass through.
void WireSessions::emit(Json&& rec) { next_.emit(std::move(rec)); }

void WireSessions::emitEvent(Event&& ev) {
    if (ev.type == EventType::SmbSession && ev.smb.encrypted) {
        if (clear_.size() >= kMaxSessions) clear_.clear();
        clear_[ev.flow_id] = !*ev.smb.encrypted;
    }
    next_.emitEvent(std::move(ev));
}

bool WireSessions::readableOnWire(uint64_t flow_id) const {
    auto it = clear_.find(flow_id);
    return it != clear_.end() && it->second;
}

HostPipes::HostPipes(RecordSink& sink, AnomalyCounter& anomalies, FlowIdLookup lookup, const WireSessions* wire,
                     dcerpc::ConnectionConfig dce)
    : sink_(sink), anomalies_(anomalies), lookup_(std::move(lookup)), wire_(wire), dce_(dce) {}

HostPipes::~HostPipes() = default;

void HostPipes::onRecord(const rpcmon_host_msg_record& rec, Bytes payload, TimeNs ts) {
    records_++;
    Key key{rec.sock_id, rec.sock_ino};
    auto it = pipes_.find(key);
    if (it == pipes_.end()) {
        if (rec.hdr.flags & RPCMON_HOSTF_EOF) return;  // closed before we saw anything
        if (pipes_.size() >= kMaxPipes) {
            auto lru = pipes_.begin();
            for (auto j = pipes_.begin(); j != pipes_.end(); ++j)
                if (j->second->last_seen < lru->second->last_seen) lru = j;
            evicted_++;
            anomalies_.count(NpaAnomaly::PipesEvicted);
            end(lru, ts);
        }
        auto p = std::make_unique<Pipe>();
        p->name = cString(rec.pipe, sizeof rec.pipe);
        p->sink = std::make_unique<HostSink>(sink_, anomalies_, wire_);
        it = pipes_.emplace(key, std::move(p)).first;
        created_++;
    }
    Pipe& p = *it->second;
    p.last_seen = ts;
    p.sink->setProcess(rec.tgid, cString(rec.comm, sizeof rec.comm), rec.uid);
    if (rec.hdr.flags & RPCMON_HOSTF_EOF) {
        end(it, ts);
        return;
    }
    if (buffered_ + payload.size() > kMaxBufferedBytes && p.phase != Pipe::Phase::Ignored) {
        anomalies_.count(NpaAnomaly::BufferBudgetExceeded);
        if (p.rpc) p.rpc->onGap(Direction::ToServer);
        p.phase = Pipe::Phase::Ignored;
    }
    feed(p, rec, payload, ts);
    account(p);
}

void HostPipes::account(Pipe& p) {
    if (p.phase == Pipe::Phase::Ignored) {
        if (!p.request.empty()) wipe(p.request.data(), p.request.size());
        p.request.clear();
        p.buf[0].clear();
        p.buf[1].clear();
    }
    size_t now = p.request.size() + p.buf[0].size() + p.buf[1].size();
    buffered_ = buffered_ - p.held + now;
    p.held = now;
}

void HostPipes::feed(Pipe& p, const rpcmon_host_msg_record& rec, Bytes payload, TimeNs ts) {
    // Server end: what the process read went to the server, what it wrote came from it.
    Direction dir = rec.direction == RPCMON_HOST_RECV ? Direction::ToServer : Direction::FromServer;
    if (rec.hdr.flags & (RPCMON_HOSTF_TRUNCATED | RPCMON_HOSTF_COPY_FAILED)) {
        // Bytes of this pipe are missing: its message framing is lost for good.
        anomalies_.count(rec.hdr.flags & RPCMON_HOSTF_TRUNCATED ? NpaAnomaly::Truncated : NpaAnomaly::CopyFailed);
        if (p.phase == Pipe::Phase::Messages && p.rpc) p.rpc->onGap(dir);
        if (p.phase != Pipe::Phase::Ignored) anomalies_.count(NpaAnomaly::LostSync);
        p.phase = Pipe::Phase::Ignored;
        p.request.clear();
        return;
    }
    bytes_ += payload.size();
    if (p.phase == Pipe::Phase::Ignored) return;

    if (p.phase == Pipe::Phase::Handshake) {
        if (dir == Direction::FromServer) {
            anomalies_.count(NpaAnomaly::ReplyBeforeRequest);
            p.phase = Pipe::Phase::Ignored;
            return;
        }
        if (p.request.size() + payload.size() > kMaxHandshake + kLengthPrefix) {
            anomalies_.count(NpaAnomaly::HandshakeTooLong);
            p.phase = Pipe::Phase::Ignored;
            p.request.clear();
            return;
        }
        p.request.insert(p.request.end(), payload.begin(), payload.end());
        Handshake h;
        size_t used = 0;
        Parse r = parseRequest(std::span<uint8_t>(p.request.data(), p.request.size()), h, used);
        if (r == Parse::NeedMore) return;
        if (r == Parse::Invalid) {
            anomalies_.count(NpaAnomaly::BadHandshake);
            p.phase = Pipe::Phase::Ignored;
            wipe(p.request.data(), p.request.size());
            p.request.clear();
            return;
        }
        handshakes_++;
        levels_[h.level]++;
        if (r == Parse::UnknownLevel) anomalies_.count(NpaAnomaly::UnknownLevel);
        else if (r == Parse::Unparsed) anomalies_.count(NpaAnomaly::LevelFieldsUnparsed);
        else if (!h.session_parsed) anomalies_.count(NpaAnomaly::SessionInfoUnparsed);
        // The whole handshake is wiped, not only the key: nothing of it is needed any more.
        std::vector<uint8_t> rest(p.request.begin() + std::min(used, p.request.size()), p.request.end());
        wipe(p.request.data(), p.request.size());
        p.request.clear();
        p.request.shrink_to_fit();

        if (r == Parse::Ok && !h.client_port && !h.server_port) {
            // Samba talking to itself (smbd filling the registry through winreg at start-up,
            // internal lookups as SYSTEM): no client on the network, no SMB connection. Counted,
            // not reported; a local user's client still comes through TCP with real ports.
            anomalies_.count(NpaAnomaly::InternalPipes);
            p.phase = Pipe::Phase::Ignored;
            return;
        }
        p.flow.key.l4proto = IPPROTO_TCP;
        bool client_ok = parseAddress(h.client_addr, p.flow.key.client);  // both filled, either way
        bool addrs = parseAddress(h.server_addr, p.flow.key.server) && client_ok;
        if (!addrs && r == Parse::Ok) anomalies_.count(NpaAnomaly::BadAddress);
        p.flow.key.client_port = h.client_port;
        p.flow.key.server_port = h.server_port;
        p.sink->setEndpoints(addrs, r == Parse::Ok);
        p.flow.app = RPCMON_APP_SMB;
        uint64_t wire_id = lookup_ ? lookup_(p.flow.key) : 0;
        p.flow.flow_id = wire_id ? wire_id : kHostFlowIdBase + ++next_flow_id_;
        p.info.pipe_name = p.name;
        p.info.smb = SmbInfo{};
        p.info.smb.user = h.account;
        p.info.smb.domain = h.domain;
        p.rpc = dcerpc::makePipeStream(p.flow, p.info, *p.sink, anomalies_, nullptr, dce_);
        p.phase = Pipe::Phase::Messages;
        // Bytes after the handshake in the same read are the first message(s).
        p.buf[0].assign(rest.begin(), rest.end());
    } else {
        p.buf[int(dir)].insert(p.buf[int(dir)].end(), payload.begin(), payload.end());
    }

    std::vector<uint8_t>& b = p.buf[int(dir)];
    size_t off = 0;
    if (dir == Direction::FromServer && !p.reply_seen) {
        size_t used = 0;
        Parse r = parseReply(Bytes(b.data(), b.size()), used);
        if (r == Parse::NeedMore) return;
        if (r != Parse::Ok) {
            anomalies_.count(NpaAnomaly::BadReply);
            p.phase = Pipe::Phase::Ignored;
            return;
        }
        p.reply_seen = true;
        off = used;
    }
    while (b.size() - off >= kMsgHeader) {
        size_t len = size_t(b[off]) | size_t(b[off + 1]) << 8;
        if (b.size() - off - kMsgHeader < len) break;
        if (len) p.rpc->feed(dir, Bytes(b.data() + off + kMsgHeader, len), ts);
        else anomalies_.count(NpaAnomaly::EmptyMessage);
        off += kMsgHeader + len;
    }
    b.erase(b.begin(), b.begin() + off);
}

void HostPipes::end(std::map<Key, std::unique_ptr<Pipe>>::iterator it, TimeNs now) {
    Pipe& p = *it->second;
    buffered_ -= p.held;
    if (p.rpc) p.rpc->onClose(now);
    if (!p.request.empty()) wipe(p.request.data(), p.request.size());
    pipes_.erase(it);
    ended_++;
}

void HostPipes::tick(TimeNs now) {
    for (auto it = pipes_.begin(); it != pipes_.end();) {
        auto next = std::next(it);
        if (now > it->second->last_seen + kPipeIdleNs) {
            anomalies_.count(NpaAnomaly::PipesIdleEnded);
            end(it, now);
        } else if (it->second->rpc) {
            it->second->rpc->onTick(now);
        }
        it = next;
    }
}

void HostPipes::closeAll(TimeNs now) {
    while (!pipes_.empty()) end(pipes_.begin(), now);
}

Json HostPipes::stats() const {
    Json j;
    j["records"] = records_;
    j["bytes"] = bytes_;
    j["pipes_active"] = pipes_.size();
    j["pipes_created"] = created_;
    j["pipes_ended"] = ended_;
    j["pipes_evicted"] = evicted_;
    j["buffered_bytes"] = buffered_;
    j["handshakes"] = handshakes_;
    j["handshake_levels"] = Json::object();
    for (const auto& [lvl, n] : levels_) j["handshake_levels"][std::to_string(lvl)] = n;
    return j;
}

}  // namespace rpcmon::npa
