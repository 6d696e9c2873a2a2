// SPDX-License-Identifier: Apache-2.0
// The terminal loop of `rpcmon top`: raw mode and the alternate screen (restored on every way
// out), key decoding, the fixed refresh period. What is drawn comes from tui_render.cc.
#include "top/tui.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "top/snapshot_source.h"

namespace rpcmon::top {

namespace {

termios g_saved;
volatile sig_atomic_t g_active = 0, g_quit = 0, g_winch = 0;

// Async-signal-safe: write(2) and tcsetattr(3) only.
void restoreTerminal() {
    if (!g_active) return;
    g_active = 0;
    static const char seq[] = "\x1b[0m\x1b[?25h\x1b[?1049l";
    ssize_t ignored = write(STDOUT_FILENO, seq, sizeof seq - 1);
    (void)ignored;
    tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
}
void onQuit(int) { g_quit = 1; }
void onWinch(int) { g_winch = 1; }
void onFatal(int sig) {
    restoreTerminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

constexpr int kQuitSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};

// Raw mode + alternate screen for its lifetime; restores the terminal in the destructor, at
// exit() (atexit) and on fatal signals, whichever comes first (restoreTerminal is idempotent).
class TerminalGuard {
public:
    TerminalGuard() {
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
            throw std::runtime_error("rpcmon top needs a terminal (for scripts: rpcmon stats --json)");
        if (tcgetattr(STDIN_FILENO, &g_saved) != 0) throw std::runtime_error("cannot read terminal settings");
        static bool registered = false;
        if (!registered) atexit(restoreTerminal), registered = true;
        struct sigaction sa = {};
        sa.sa_handler = onQuit;
        for (int sig : kQuitSignals) sigaction(sig, &sa, &old_[sig]);
        sa.sa_handler = onWinch;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGWINCH, &sa, &old_[SIGWINCH]);
        sa.sa_handler = onFatal;
        sa.sa_flags = SA_RESETHAND;
        for (int sig : kFatalSignals) sigaction(sig, &sa, &old_[sig]);
        termios raw = g_saved;
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | IEXTEN);  // ISIG stays: Ctrl-C is SIGINT -> quit
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        g_active = 1;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        put("\x1b[?1049h\x1b[?25l\x1b[2J");
    }
    ~TerminalGuard() {
        restoreTerminal();
        for (int sig : kQuitSignals) sigaction(sig, &old_[sig], nullptr);
        for (int sig : kFatalSignals) sigaction(sig, &old_[sig], nullptr);
        sigaction(SIGWINCH, &old_[SIGWINCH], nullptr);
    }
    static void put(const std::string& s) {
        for (size_t off = 0; off < s.size();) {
            ssize_t n = write(STDOUT_FILENO, s.data() + off, s.size() - off);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                return;
            }
            off += size_t(n);
        }
    }
    static void size(int* w, int* h) {
        winsize ws{};
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) *w = ws.ws_col, *h = ws.ws_row;
        else *w = 80, *h = 24;
    }

private:
    struct sigaction old_[NSIG] = {};
};

uint64_t monoMs() {
    return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

// Decodes the bytes read so far into keys (ESC [ A -> kKeyUp ...); a lone ESC is kKeyEscape.
std::vector<int> decodeKeys(const std::string& in) {
    std::vector<int> keys;
    for (size_t i = 0; i < in.size(); i++) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        if (c != 27) {
            keys.push_back(c);
            continue;
        }
        if (i + 1 >= in.size() || (in[i + 1] != '[' && in[i + 1] != 'O')) {
            keys.push_back(kKeyEscape);
            continue;
        }
        size_t j = i + 2;
        while (j < in.size() && !(std::isalpha(static_cast<unsigned char>(in[j])) || in[j] == '~')) j++;
        std::string seq = in.substr(i + 2, j < in.size() ? j - i - 1 : in.size() - i - 2);
        if (seq == "A") keys.push_back(kKeyUp);
        else if (seq == "B") keys.push_back(kKeyDown);
        else if (seq == "5~") keys.push_back(kKeyPageUp);
        else if (seq == "6~") keys.push_back(kKeyPageDown);
        else if (seq == "H" || seq == "1~") keys.push_back(kKeyHome);
        else if (seq == "F" || seq == "4~") keys.push_back(kKeyEnd);
        i = j;
    }
    return keys;
}

}  // namespace

int runTui(SnapshotSource& src, double interval_s) {
    if (!(interval_s >= 0.05)) interval_s = 0.05;
    g_quit = 0;
    TerminalGuard term;
    ViewState vs;
    vs.interval_s = interval_s;
    vs.source = src.describe();
    Json snap;
    int w = 80, h = 24;
    TerminalGuard::size(&w, &h);
    const uint64_t period_ms = uint64_t(interval_s * 1000);
    uint64_t next = monoMs();
    bool dirty = true;
    // Two loops in one: input every <= 50 ms, fetch on a fixed period. The next fetch is due
    // one period after the previous one was due (not after it finished), so the time spent
    // fetching and drawing is subtracted; if a fetch overran a whole period, skip, don't burst.
    while (!g_quit) {
        if (g_winch) {
            g_winch = 0;
            TerminalGuard::size(&w, &h);
            TerminalGuard::put("\x1b[2J");
            dirty = true;
        }
        uint64_t now = monoMs();
        if (now >= next) {
            if (!vs.paused) {
                try {
                    SnapshotOptions so;
                    so.filter = vs.filter;
                    snap = src.fetch(so);
                    vs.error.clear();
                } catch (const std::exception& e) {
                    vs.error = std::string("retrying: ") + e.what();
                }
                vs.source = src.describe();
                dirty = true;
            }
            next += period_ms;
            if (next <= now) next = now + period_ms;
        }
        if (dirty) {
            std::string frame = "\x1b[H";
            auto lines = renderScreen(snap, vs, w, h);
            for (size_t i = 0; i < lines.size(); i++) frame += lines[i] + (i + 1 < lines.size() ? "\x1b[K\r\n" : "\x1b[K");
            TerminalGuard::put(frame);
            dirty = false;
        }
        now = monoMs();
        int timeout = int(std::min<uint64_t>(50, next > now ? next - now : 0));
        pollfd p{STDIN_FILENO, POLLIN, 0};
        if (::poll(&p, 1, timeout) <= 0) continue;
        char buf[256];
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0) {
            if (n == 0 || (errno != EINTR && errno != EAGAIN)) break;  // terminal gone
            continue;
        }
        for (int key : decodeKeys(std::string(buf, size_t(n)))) {
            KeyResult r = handleKey(vs, key);
            if (r == KeyResult::Quit) g_quit = 1;
            if (r == KeyResult::Refetch) next = monoMs();
            if (r != KeyResult::None) dirty = true;
        }
    }
    return 0;
}

}  // namespace rpcmon::top
