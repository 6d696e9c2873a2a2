// SPDX-License-Identifier: Apache-2.0
// The terminal view of `rpcmon top`: plain ANSI escapes and termios raw mode (no curses).
// Rendering and key handling are pure functions over a snapshot and a ViewState
// (tui_render.cc), so tests check what an 80x24 screen shows without a terminal; runTui()
// (tui.cc) adds the terminal, the input loop (~50 ms) and the fixed refresh period
// (deadline-based: its own work is subtracted).
#pragma once

#include <string>
#include <vector>

#include "output/record.h"
#include "top/live_state.h"

namespace rpcmon::top {

class SnapshotSource;

struct ViewState {
    // The first screen is the summary (top callers and top operations together); h/s/i/o/c
    // show one view's full table, w comes back.
    bool summary = true;
    View view = View::Hosts;
    int sort_col = 1;          // index into the table's columns (0 = NAME, 1 = CALLS/s ...)
    bool sort_reverse = false; // flips the column's natural order
    std::string filter;        // case-insensitive substring of the entity name
    bool editing_filter = false;
    bool paused = false;
    bool help = false;
    int scroll = 0;            // first row shown
    std::string source;        // "agent /run/rpcmon/rpcmon.sock", "replay FILE"
    std::string error;         // the last fetch failure, shown until a fetch succeeds
    double interval_s = 1.0;
};

enum class KeyResult { None, Redraw, Refetch, Quit };
// Special keys above the byte range.
enum Key : int { kKeyUp = 1000, kKeyDown, kKeyPageUp, kKeyPageDown, kKeyHome, kKeyEnd, kKeyEscape };

// Applies one key press to the view state.
KeyResult handleKey(ViewState& vs, int key);

// The screen for a snapshot: exactly `height` lines, none wider than `width` visible columns
// (bold/reverse escape codes aside). A null snapshot shows a waiting screen.
std::vector<std::string> renderScreen(const Json& snapshot, const ViewState& vs, int width, int height);

// The table's column titles in order (for tests and the help screen).
std::vector<std::string> columnTitles();

// Runs the interactive view until `q`, SIGINT/SIGTERM/SIGHUP. The terminal is restored on
// every way out (return, exception, fatal signal, exit()). Returns the process exit code.
// Throws before touching the terminal if stdin/stdout is not a terminal.
int runTui(SnapshotSource& src, double interval_s);

}  // namespace rpcmon::top
