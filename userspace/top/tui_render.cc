// SPDX-License-Identifier: Apache-2.0
// The view of `rpcmon top` as pure functions: the screen for a snapshot and the key handling.
// No terminal here (tui.cc has the terminal loop), so tests render exact 80x24 screens.
#include "top/tui.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

namespace rpcmon::top {
namespace {

constexpr const char* kBold = "\x1b[1m";
constexpr const char* kReverse = "\x1b[7m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kReset = "\x1b[0m";

enum class Kind { Text, Rate, Count, Pct, Latency, Ago, Bytes };
struct Column {
    const char* title;
    const char* field;
    int width;      // 0: the flexible NAME column
    Kind kind;
    int drop_rank;  // narrow terminals drop the highest rank first (0: never)
};
// 80 columns: NAME gets 80 - 61 = 19.
const Column kColumns[] = {
    {"NAME", "name", 0, Kind::Text, 0},
    {"CALLS/s", "calls_per_s", 7, Kind::Rate, 0},
    {"CALLS", "calls", 6, Kind::Count, 5},
    {"ERR/s", "errors_per_s", 6, Kind::Rate, 0},
    {"ERR%", "error_pct", 5, Kind::Pct, 0},
    {"P50", "p50_us", 6, Kind::Latency, 3},
    {"P99", "p99_us", 6, Kind::Latency, 0},
    {"BYTES/s", "bytes_per_s", 7, Kind::Bytes, 7},
    {"LAST", "last_seen_ago_s", 5, Kind::Ago, 4},
    {"ALRT", "alerts", 4, Kind::Count, 6},
};
constexpr int kColumnCount = int(std::size(kColumns));
constexpr int kMinName = 10;
constexpr int kMinPairName = 34;

// Natural order: names A-Z, "last seen" most recent first, numbers biggest first.
bool ascendingByDefault(int col) { return kColumns[col].kind == Kind::Text || kColumns[col].kind == Kind::Ago; }

std::string fmtNum(double v) {
    char b[32];
    if (!std::isfinite(v) || v < 0) v = 0;
    if (v == 0) return "0";
    if (v < 10 && std::floor(v) != v) std::snprintf(b, sizeof b, "%.1f", v);
    else if (v < 1000) std::snprintf(b, sizeof b, "%.0f", v);
    else if (v < 1e4) std::snprintf(b, sizeof b, "%.1fk", v / 1e3);
    else if (v < 1e6) std::snprintf(b, sizeof b, "%.0fk", v / 1e3);
    else if (v < 1e7) std::snprintf(b, sizeof b, "%.1fM", v / 1e6);
    else if (v < 1e9) std::snprintf(b, sizeof b, "%.0fM", v / 1e6);
    else std::snprintf(b, sizeof b, "%.1fG", v / 1e9);
    return b;
}

std::string fmtLatency(const Json& v) {
    if (!v.is_number()) return "-";
    double us = v.get<double>();
    char b[32];
    if (us < 1000) std::snprintf(b, sizeof b, "%.0fus", us);
    else if (us < 10000) std::snprintf(b, sizeof b, "%.1fms", us / 1e3);
    else if (us < 1e6) std::snprintf(b, sizeof b, "%.0fms", us / 1e3);
    else std::snprintf(b, sizeof b, "%.1fs", us / 1e6);
    return b;
}

std::string fmtAgo(double s) {
    char b[32];
    if (s < 60) std::snprintf(b, sizeof b, "%.0fs", std::max(0.0, s));
    else if (s < 3600) std::snprintf(b, sizeof b, "%.0fm", s / 60);
    else if (s < 86400) std::snprintf(b, sizeof b, "%.0fh", s / 3600);
    else std::snprintf(b, sizeof b, "%.0fd", s / 86400);
    return b;
}

double num(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}
std::string text(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string cell(const Json& row, const Column& c) {
    switch (c.kind) {
        case Kind::Text: return text(row, c.field);
        case Kind::Rate: return fmtNum(num(row, c.field));
        case Kind::Count: return fmtNum(num(row, c.field));
        case Kind::Pct: {
            char b[16];
            std::snprintf(b, sizeof b, "%.1f", num(row, c.field));
            return b;
        }
        case Kind::Latency: return fmtLatency(row.value(c.field, Json()));
        case Kind::Ago: return fmtAgo(num(row, c.field));
        case Kind::Bytes: return num(row, "bytes") > 0 ? fmtNum(num(row, c.field)) : "-";  // "-": no packet lines
    }
    return {};
}

// Fits s into exactly w columns: cut with '~' when too long, padded left or right.
std::string fit(const std::string& s, int w, bool right = false) {
    if (w <= 0) return {};
    if (int(s.size()) > w) return w == 1 ? "~" : s.substr(0, size_t(w - 1)) + "~";
    std::string pad(size_t(w) - s.size(), ' ');
    return right ? pad + s : s + pad;
}

bool containsNoCase(const std::string& hay, const std::string& needle) {
    auto lower = [](std::string s) {
        for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    return needle.empty() || lower(hay).find(lower(needle)) != std::string::npos;
}

// Which columns fit: NAME keeps at least min_name, lowest-priority columns go first.
std::vector<int> visibleColumns(int width, int min_name, int* name_width) {
    std::vector<int> cols;
    for (int i = 0; i < kColumnCount; i++) cols.push_back(i);
    auto used = [&] {
        int u = 0;
        for (int c : cols) u += kColumns[c].width + (c ? 1 : 0);
        return u;
    };
    while (width - used() < min_name) {
        auto drop = std::max_element(cols.begin(), cols.end(),
                                     [](int a, int b) { return kColumns[a].drop_rank < kColumns[b].drop_rank; });
        if (drop == cols.end() || kColumns[*drop].drop_rank == 0) break;
        cols.erase(drop);
    }
    *name_width = std::max(min_name, width - used());
    return cols;
}

std::string upper(std::string s) {
    for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Line 5: every non-zero drop/loss counter by its stats-line name, total and rate; the ones
// still growing first (red), then by total. What does not fit is counted ("+N more").
std::string lossLine(const Json& health, int width) {
    struct Entry {
        std::string name;
        double total, rate;
    };
    std::vector<Entry> e;
    if (health.contains("loss") && health["loss"].is_object())
        for (const auto& [name, c] : health["loss"].items())
            if (num(c, "total") > 0) e.push_back({name, num(c, "total"), num(c, "per_s")});
    if (e.empty()) return fit(" LOSS none", width);
    std::stable_sort(e.begin(), e.end(), [](const Entry& a, const Entry& b) {
        if ((a.rate > 0) != (b.rate > 0)) return a.rate > 0;
        return a.total > b.total;
    });
    std::string line = " LOSS";
    size_t shown = 0;
    for (const Entry& x : e) {
        std::string item = " " + x.name + " " + fmtNum(x.total) + (x.rate > 0 ? " +" + fmtNum(x.rate) + "/s" : "");
        std::string more = shown + 1 < e.size() ? " +" + std::to_string(e.size() - shown - 1) + " more" : "";
        if (int(line.size() + item.size() + more.size()) > width && shown > 0) break;
        line += item;
        shown++;
    }
    if (shown < e.size()) line += " +" + std::to_string(e.size() - shown) + " more";
    bool growing = e.front().rate > 0;
    return std::string(growing ? kRed : kYellow) + fit(line, width) + kReset;
}

std::vector<std::string> helpScreen(int width, int height) {
    std::vector<std::string> l = {
        std::string(kReverse) + fit(" rpcmon top - help (any key to go back)", width) + kReset,
        "",
 " Views      w  summary: top callers and top operations (who calls what)",
        "            h  client hosts        s  server endpoints (ip:port/proto)",
        "            i  interfaces/programs o  operations    c  caller -> operation",
        "            Tab  next view",
        " Sort       < >  previous/next column    1..9 0  pick column    r  reverse",
        " Filter     /  type text, Enter keeps it, Esc clears (matches the NAME column)",
        " Scroll     Up/Down j/k  PgUp/PgDn  Home/End",
        " Other      p or space  pause    ?  this help    q  quit",
        "",
        " Columns    1 NAME  2 CALLS/s  3 CALLS (total)  4 ERR/s  5 ERR%",
        "            6 P50  7 P99 (latency, recent ~10 s, log buckets +-6.25%)",
        "            8 BYTES/s (payload; needs agent --packets)  9 LAST seen  0 ALRT",
        " Rates are per agent period (1 s); totals since the agent started.",
        " Errors: ONC denied/not success, NFS status not OK, DCE fault or nonzero",
        " status, SMB status not success, and calls that got no reply.",
        " Header: packets/s, ring-buffer drops, flows, parse errors (anomalies), and",
        " the BPF programs' own run time (kernel stats, on while top is connected).",
        " LOSS: non-zero drop/loss counters by their stats-line name, total +rate/s.",
    };
    std::vector<std::string> out;
    for (int i = 0; i < height; i++) out.push_back(i < int(l.size()) ? (i == 0 ? l[0] : fit(l[size_t(i)], width)) : fit("", width));
    return out;
}

}  // namespace

std::vector<std::string> columnTitles() {
    std::vector<std::string> t;
    for (const auto& c : kColumns) t.push_back(c.title);
    return t;
}

KeyResult handleKey(ViewState& vs, int key) {
    if (vs.editing_filter) {
        if (key == '\r' || key == '\n') {
            vs.editing_filter = false;
            return KeyResult::Refetch;
        }
        if (key == kKeyEscape) {
            vs.editing_filter = false;
            vs.filter.clear();
            return KeyResult::Refetch;
        }
        if (key == 127 || key == 8) {
            if (!vs.filter.empty()) vs.filter.pop_back();
        } else if (key >= 32 && key < 127 && vs.filter.size() < 64) {
            vs.filter += char(key);
        }
        vs.scroll = 0;
        return KeyResult::Redraw;
    }
    if (vs.help) {
        vs.help = false;
        return key == 'q' || key == 'Q' ? KeyResult::Quit : KeyResult::Redraw;
    }
    auto setView = [&](View v) {
        vs.view = v;
        vs.summary = false;
        vs.scroll = 0;
        return KeyResult::Redraw;
    };
    switch (key) {
        case 'q': case 'Q': return KeyResult::Quit;
        case 'h': case 'H': return setView(View::Hosts);
        case 's': case 'S': return setView(View::Servers);
        case 'i': case 'I': return setView(View::Interfaces);
        case 'o': case 'O': return setView(View::Operations);
        case 'c': case 'C': return setView(View::Calls);
        case 'w': case 'W': vs.summary = true; vs.scroll = 0; return KeyResult::Redraw;
        case '\t': {  // summary -> hosts -> servers -> interfaces -> operations -> calls -> summary
            if (vs.summary) return setView(View::Hosts);
            if (vs.view == View::Calls) {
                vs.summary = true;
                return KeyResult::Redraw;
            }
            return setView(View(int(vs.view) + 1));
        }
        case '<': case ',': vs.sort_col = (vs.sort_col + kColumnCount - 1) % kColumnCount; vs.sort_reverse = false; return KeyResult::Redraw;
        case '>': case '.': vs.sort_col = (vs.sort_col + 1) % kColumnCount; vs.sort_reverse = false; return KeyResult::Redraw;
        case 'r': case 'R': vs.sort_reverse = !vs.sort_reverse; return KeyResult::Redraw;
        case '/': vs.editing_filter = true; return KeyResult::Redraw;
        case 'p': case 'P': case ' ': vs.paused = !vs.paused; return KeyResult::Refetch;
        case '?': vs.help = true; return KeyResult::Redraw;
        case 'j': case kKeyDown: vs.scroll++; return KeyResult::Redraw;
        case 'k': case kKeyUp: vs.scroll = std::max(0, vs.scroll - 1); return KeyResult::Redraw;
        case kKeyPageDown: vs.scroll += 10; return KeyResult::Redraw;
        case kKeyPageUp: vs.scroll = std::max(0, vs.scroll - 10); return KeyResult::Redraw;
        case kKeyHome: vs.scroll = 0; return KeyResult::Redraw;
        case kKeyEnd: vs.scroll = 1 << 20; return KeyResult::Redraw;
        case 12: return KeyResult::Redraw;  // Ctrl-L
        default: break;
    }
    if (key >= '0' && key <= '9') {
        int col = key == '0' ? 9 : key - '1';
        if (col < kColumnCount) {
            if (vs.sort_col == col) vs.sort_reverse = !vs.sort_reverse;
            else vs.sort_col = col, vs.sort_reverse = false;
        }
        return KeyResult::Redraw;
    }
    return KeyResult::None;
}

// One view's table: its title line, the column header and as many rows as fit.
std::vector<std::string> tableBody(const Json& s, const ViewState& vs, int width, int rows_available) {
    const Json empty = Json::object();
    std::vector<std::string> out;
    const char* vname = viewName(vs.view);
    const Json& view = s.contains("views") && s["views"].contains(vname) ? s["views"][vname] : empty;
    std::vector<const Json*> rows;
    if (view.contains("rows"))
        for (const auto& r : view["rows"])
            if (containsNoCase(text(r, "name"), vs.filter)) rows.push_back(&r);
    const Column& sc = kColumns[std::clamp(vs.sort_col, 0, kColumnCount - 1)];
    bool asc = ascendingByDefault(vs.sort_col) != vs.sort_reverse;
    std::stable_sort(rows.begin(), rows.end(), [&](const Json* a, const Json* b) {
        if (sc.kind == Kind::Text) return asc ? text(*a, sc.field) < text(*b, sc.field) : text(*a, sc.field) > text(*b, sc.field);
        // Rows without a value (no latency yet) sort last whichever the order.
        bool ha = a->contains(sc.field) && (*a)[sc.field].is_number(), hb = b->contains(sc.field) && (*b)[sc.field].is_number();
        if (ha != hb) return ha;
        double x = num(*a, sc.field), y = num(*b, sc.field);
        return asc ? x < y : x > y;
    });
    std::string vtitle = " " + upper(vname) + "  " + std::to_string(rows.size()) + " shown of " +
                         fmtNum(num(view, "entities")) + " (" + fmtNum(num(view, "evicted")) + " evicted)  sort " +
                         sc.title + (asc ? " asc" : " desc") + (vs.filter.empty() ? "" : "  filter \"" + vs.filter + "\"");
    out.push_back(std::string(kBold) + fit(vtitle, width) + kReset);
    int name_w = 0;
    // "CALLER -> OPERATION" names need room (an IPv4 caller and most operation names at 80
    // columns): that view gives up BYTES/s (never known per pair), ALRT and CALLS first.
    std::vector<int> cols = visibleColumns(width, vs.view == View::Calls ? kMinPairName : kMinName, &name_w);
    // The sorted column's title is underlined (the title line above names it too).
    std::string hdr = kReverse;
    int hdr_w = 0;
    for (int c : cols) {
        int cw = c == 0 ? name_w : kColumns[c].width;
        std::string t = fit(kColumns[c].title, cw, c != 0);
        if (c != 0) hdr += " ", hdr_w++;
        hdr += c == vs.sort_col ? "\x1b[4m" + t + "\x1b[24m" : t;
        hdr_w += cw;
    }
    out.push_back(hdr + std::string(size_t(std::max(0, width - hdr_w)), ' ') + kReset);

    int table_rows = std::max(0, rows_available - int(out.size()));
    int max_scroll = std::max(0, int(rows.size()) - table_rows);
    int first = std::clamp(vs.scroll, 0, max_scroll);
    for (int i = 0; i < table_rows; i++) {
        size_t idx = size_t(first + i);
        if (idx >= rows.size()) {
            out.push_back(fit(i == 0 && rows.empty() ? (vs.filter.empty() ? " (no calls seen yet)" : " (nothing matches the filter)") : "", width));
            continue;
        }
        const Json& r = *rows[idx];
        std::string line;
        for (int c : cols) line += c == 0 ? fit(cell(r, kColumns[c]), name_w) : " " + fit(cell(r, kColumns[c]), kColumns[c].width, true);
        bool bad = num(r, "errors_per_s") > 0 || num(r, "alerts") > 0;
        out.push_back(bad ? std::string(kRed) + fit(line, width) + kReset : fit(line, width));
    }
    return out;
}

// The first screen, "who calls what": the busiest callers, each with the operation it calls
// most, and the busiest operations, each with its busiest caller. Busiest first as the
// snapshot lists them (calls in the last period, then in total); the filter applies.
const Column kSummaryColumns[] = {
    {"CALLS/s", "calls_per_s", 7, Kind::Rate, 0},
    {"CALLS", "calls", 6, Kind::Count, 3},
    {"ERR%", "error_pct", 5, Kind::Pct, 0},
    {"P99", "p99_us", 6, Kind::Latency, 2},
    {"ALRT", "alerts", 4, Kind::Count, 1},
};

std::vector<std::string> summaryBody(const Json& s, const ViewState& vs, int width, int rows_available) {
    auto rowsOf = [&](View v, bool filtered) {
        std::vector<const Json*> rows;
        const char* n = viewName(v);
        if (s.contains("views") && s["views"].contains(n) && s["views"][n].contains("rows"))
            for (const auto& r : s["views"][n]["rows"])
                if (!filtered || containsNoCase(text(r, "name"), vs.filter)) rows.push_back(&r);
        return rows;
    };
    auto countOf = [&](View v) {
        const char* n = viewName(v);
        return s.contains("views") && s["views"].contains(n) ? num(s["views"][n], "entities") : 0.0;
    };
    // (caller, operation) pairs, busiest first: the first pair that names a caller is its
    // busiest operation, the first that names an operation its busiest caller.
    struct Top {
        std::string name;
        int others = 0;
    };
    std::map<std::string, Top> op_of, caller_of;
    for (const Json* r : rowsOf(View::Calls, false)) {
        std::string host, op;
        if (!splitPair(text(*r, "name"), host, op)) continue;
        auto [h, hfresh] = op_of.try_emplace(host, Top{op});
        if (!hfresh) h->second.others++;
        auto [o, ofresh] = caller_of.try_emplace(op, Top{host});
        if (!ofresh) o->second.others++;
    }
    auto topText = [](const std::map<std::string, Top>& m, const std::string& key) {
        auto it = m.find(key);
        if (it == m.end()) return std::string("-");
        return it->second.name + (it->second.others ? " +" + std::to_string(it->second.others) + " more" : "");
    };

    // Columns: the numbers that fit, the two names share the rest.
    std::vector<int> cols;
    for (int i = 0; i < int(std::size(kSummaryColumns)); i++) cols.push_back(i);
    auto numbersWidth = [&] {
        int w = 0;
        for (int c : cols) w += kSummaryColumns[c].width + 1;
        return w;
    };
    while (width - numbersWidth() - 1 < 2 * kMinName) {
        auto drop = std::max_element(cols.begin(), cols.end(), [](int a, int b) {
            return kSummaryColumns[a].drop_rank < kSummaryColumns[b].drop_rank;
        });
        if (drop == cols.end() || kSummaryColumns[*drop].drop_rank == 0) break;
        cols.erase(drop);
    }
    const int names = std::max(2 * kMinName, width - numbersWidth() - 1);

    auto section = [&](std::vector<std::string>& out, const std::string& title, const char* name_title,
                       const char* pair_title, const std::vector<const Json*>& rows, int n_rows, bool name_is_host,
                       const std::map<std::string, Top>& pairs) {
        // Addresses get what they need (up to an IPv6 address), operation names the rest.
        size_t longest = 0;
        for (const Json* r : rows) longest = std::max(longest, name_is_host ? text(*r, "name").size() : topText(pairs, text(*r, "name")).size());
        int host_w = std::clamp(int(longest), kMinName, std::min(39, names / 2));
        int name_w = name_is_host ? host_w : names - host_w;
        int pair_w = names - name_w;
        out.push_back(std::string(kBold) + fit(title, width) + kReset);
        std::string hdr = fit(name_title, name_w);
        for (int c : cols) hdr += " " + fit(kSummaryColumns[c].title, kSummaryColumns[c].width, true);
        hdr += " " + fit(pair_title, pair_w);
        out.push_back(std::string(kReverse) + fit(hdr, width) + kReset);
        for (int i = 0; i < n_rows; i++) {
            if (size_t(i) >= rows.size()) {
                out.push_back(fit(i == 0 ? (vs.filter.empty() ? " (no calls seen yet)" : " (nothing matches the filter)") : "", width));
                continue;
            }
            const Json& r = *rows[size_t(i)];
            std::string line = fit(text(r, "name"), name_w);
            for (int c : cols) line += " " + fit(cell(r, kSummaryColumns[c]), kSummaryColumns[c].width, true);
            line += " " + fit(topText(pairs, text(r, "name")), pair_w);
            bool bad = num(r, "errors_per_s") > 0 || num(r, "alerts") > 0;
            out.push_back(bad ? std::string(kRed) + fit(line, width) + kReset : fit(line, width));
        }
    };
    std::vector<std::string> out;
    int rows = std::max(0, rows_available - 4);  // two titles, two headers
    auto hosts = rowsOf(View::Hosts, true), ops = rowsOf(View::Operations, true);
    // Each section gets what it needs up to half; what one leaves unused goes to the other.
    int need_callers = std::max(1, int(hosts.size())), need_ops = std::max(1, int(ops.size()));
    int caller_rows = std::min(need_callers, std::max((rows + 1) / 2, rows - need_ops));
    std::string filter = vs.filter.empty() ? "" : "  filter \"" + vs.filter + "\"";
    auto counted = [](double n, const char* what) { return fmtNum(n) + " " + what + (n == 1 ? "" : "s"); };
    section(out, " TOP CALLERS  " + counted(countOf(View::Hosts), "client host") + ", busiest first" + filter + "  (h: all)",
            "CALLER", "CALLS MOST", hosts, caller_rows, true, op_of);
    section(out, " TOP OPERATIONS  " + counted(countOf(View::Operations), "operation") + ", busiest first" + filter + "  (o: all)",
            "OPERATION", "TOP CALLER", ops, rows - caller_rows, false, caller_of);
    while (int(out.size()) > rows_available) out.pop_back();
    return out;
}

std::vector<std::string> renderScreen(const Json& snap, const ViewState& vs, int width, int height) {
    std::vector<std::string> out;
    if (width < 40 || height < 10) {
        out.push_back(fit("terminal too small for rpcmon top (need 40x10)", width));
        while (int(out.size()) < height) out.push_back(fit("", width));
        return out;
    }
    if (vs.help) return helpScreen(width, height);
    const Json empty = Json::object();
    const Json& s = snap.is_object() ? snap : empty;
    const Json& health = s.contains("health") ? s["health"] : empty;
    const Json& totals = s.contains("totals") ? s["totals"] : empty;
    auto rate = [&](const Json& parent, const char* key) {
        const Json& r = parent.contains(key) ? parent[key] : empty;
        return fmtNum(num(r, "per_s")) + " (tot " + fmtNum(num(r, "total")) + ")";
    };

    // Line 1: what, where, when.
    std::string when = text(s, "timestamp");
    when = when.size() >= 19 ? when.substr(11, 8) : "--:--:--";
    std::string ifaces;
    if (health.contains("interfaces") && health["interfaces"].is_array())
        for (const auto& i : health["interfaces"]) {
            std::string name = i.is_string() ? i.get<std::string>() : i.dump();
            ifaces += (ifaces.empty() ? "" : ",") + name;
            // The XDP mode each interface got (auto may have fallen back to generic or none).
            if (health.contains("xdp_mode") && health["xdp_mode"].is_object() && health["xdp_mode"].contains(name) &&
                health["xdp_mode"][name].is_string())
                ifaces += " xdp:" + health["xdp_mode"][name].get<std::string>();
        }
    char every[32];
    std::snprintf(every, sizeof every, "%.1fs", vs.interval_s);
    // Interfaces before the source: a long socket path is what gets cut on a narrow screen.
    std::string title = " rpcmon top " + (ifaces.empty() ? "" : "[" + ifaces + "] ") + vs.source;
    std::string right = std::string(vs.paused ? " PAUSED " : " ") + when + " " + every + " ";
    int tw = std::max(0, width - int(right.size()));
    out.push_back(std::string(kReverse) + fit(title, tw) + fit(right, width - tw, true) + kReset);
    // Lines 2-4: health, calls, BPF.
    out.push_back(fit(" packets/s " + rate(health, "packets") + "  drops/s " + rate(health, "ringbuf_drops") +
                          "  flows " + fmtNum(num(health, "flows_active")) + "  parse err/s " +
                          rate(health, "parse_errors"),
                      width));
    out.push_back(fit(" calls/s " + rate(totals, "calls") + "  errors/s " + rate(totals, "errors") + "  no reply " +
                          fmtNum(num(totals, "no_reply")) + "  alerts " +
                          fmtNum(num(s.contains("alerts") ? s["alerts"] : empty, "total")),
                      width));
    std::string bpf = " BPF ";
    if (s.contains("bpf") && s["bpf"].is_object()) {
        const Json& b = s["bpf"];
        if (b.contains("programs") && !b["programs"].empty()) {
            bool first = true;
            for (const auto& p : b["programs"]) {
                char buf[160];
                std::snprintf(buf, sizeof buf, "%s%s %.0fns x%s/s %.2f%%CPU", first ? "" : " | ",
                              text(p, "name").c_str(), num(p, "ns_per_run"),
                              fmtNum(num(p.contains("run_cnt") ? p["run_cnt"] : empty, "per_s")).c_str(),
                              num(p, "cpu_pct"));
                bpf += buf;
                first = false;
            }
        } else {
            std::string note = text(b, "note");
            bpf += "run time: " + (note.empty() ? std::string(b.value("enabled", false) ? "no programs" : "off") : note);
        }
    }
    out.push_back(fit(bpf, width));
    out.push_back(lossLine(health, width));

    // Bottom: alerts pane and the key line; the body (summary or one view's table) between.
    const Json& alerts = s.contains("alerts") && s["alerts"].contains("recent") ? s["alerts"]["recent"] : empty;
    int alert_lines = height >= 30 ? 6 : height >= 20 ? 3 : height >= 14 ? 1 : 0;
    int bottom = (alert_lines ? alert_lines + 1 : 0) + 1;
    int body_rows = std::max(0, height - int(out.size()) - bottom);
    for (auto& l : vs.summary ? summaryBody(s, vs, width, body_rows) : tableBody(s, vs, width, body_rows))
        out.push_back(std::move(l));
    if (alert_lines) {
        size_t n = alerts.is_array() ? alerts.size() : 0;
        out.push_back(std::string(kBold) +
                      fit(" RECENT ALERTS  " + (n ? fmtNum(num(s["alerts"], "total")) + " total" : std::string("none")), width) +
                      kReset);
        for (int i = 0; i < alert_lines; i++) {
            if (size_t(i) >= n) {
                out.push_back(fit("", width));
                continue;
            }
            const Json& a = alerts[size_t(i)];
            std::string ts = text(a, "timestamp");
            std::string tech;
            if (a.contains("mitre_technique_id") && a["mitre_technique_id"].is_array())
                for (const auto& t : a["mitre_technique_id"]) tech += (tech.empty() ? "" : ",") + (t.is_string() ? t.get<std::string>() : t.dump());
            std::string line = " " + (ts.size() >= 19 ? ts.substr(11, 8) : ts) + " " + (tech.empty() ? "-" : tech) + " " +
                               text(a, "signature") + "  " + text(a, "src_ip") + " -> " + text(a, "dest_ip");
            out.push_back(std::string(kYellow) + fit(line, width) + kReset);
        }
    }
    std::string foot;
    if (vs.editing_filter) foot = " filter: " + vs.filter + "_   (Enter keep, Esc clear)";
    else if (!vs.error.empty()) foot = " ! " + vs.error;
    else if (vs.summary) foot = " w summary  h hosts s servers i ifaces o ops c calls  / filter  ? help  q quit";
    else foot = " w summary h s i o c views  <> sort  / filter  p pause  ? help  q quit";
    out.push_back(!vs.error.empty() && !vs.editing_filter ? std::string(kRed) + fit(foot, width) + kReset
                                                          : std::string(kReverse) + fit(foot, width) + kReset);
    while (int(out.size()) < height) out.push_back(fit("", width));
    out.resize(size_t(height));
    return out;
}

}  // namespace rpcmon::top
