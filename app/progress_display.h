// The CLI's view of a running fetch or cat on stderr: a live status line and
// a fill map of the whole object on a terminal, a plain line every 10 s in a
// log (CI, pipes; --progress-interval), and the run's events (lock waits, retries) as plain lines
// above the status. The library only fills in a ProgressMonitor and emits
// RunEvents; everything that prints is here.
//
// The layout is a pure function of a StatusView and a width (render_status),
// unit-tested apart from the terminal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/progress.h"

namespace sparseio::cli {

// What one frame shows.
struct StatusView {
  uint64_t done_bytes = 0, wanted_bytes = 0;
  double rate_bps = 0;            // bytes/s over the last seconds
  std::optional<double> eta_s;    // unknown while nothing moves
  unsigned active = 0, jobs = 0;  // transfers running, allowed
  std::vector<CellState> cells;   // the fill map
  // Many objects (api/many.h): finished and in all; 0 in all: one object.
  // The bytes then are those of the objects started so far.
  size_t objects_done = 0, objects_total = 0;
  std::vector<std::string> current;  // the objects being fetched now (many objects)
  bool unicode = false;              // block characters instead of ASCII
};

// Seconds left: the bytes not yet done at `rate_bps` (nullopt while nothing
// moves). With many objects (`objects_total` > 0) the bytes wanted are
// those of the objects started so far (`objects_started`), so the total is
// projected from them (wanted / started × total): without that the ETA
// of a 200-object run would read seconds while most objects wait to start.
std::optional<double> estimate_eta(uint64_t done_bytes, uint64_t wanted_bytes, double rate_bps,
                                   size_t objects_started = 0, size_t objects_total = 0);

// "now part-00012.parquet, part-00013.parquet +30": the objects in flight,
// as many names as fit in `width` columns, then how many more ("" when none).
std::string render_current(const std::vector<std::string>& names, size_t width);

// "1.5 MiB": one decimal, binary units, for people (not exact).
std::string short_size(uint64_t bytes);

// The fill map as it is drawn: one character (column) per cell between
// brackets. ASCII: '#' present, '+' partly present, '>' being fetched now,
// '.' absent; Unicode: full, shaded and light blocks and a triangle.
std::string render_map(const std::vector<CellState>& cells, bool unicode);

// "1:05", "2:03:09" ("--:--" when unknown).
std::string format_eta(std::optional<double> seconds);

// The lines of a frame (fill map, then counters; with many objects, the
// counters then the objects in flight), each at most `width` columns; the
// map has width - 2 cells (map_cells(width)).
std::vector<std::string> render_status(const StatusView& view, size_t width);
size_t map_cells(size_t width);

// One line without escape codes, for logs: "12.0 MiB of 60.0 MiB (20%), ...".
std::string render_plain(const StatusView& view);

// The escape sequence that replaces a frame of `previous_lines` lines (the
// cursor at the end of its last line) with `lines`, optionally printing
// `above` (complete lines) first: no flicker, as nothing is cleared before
// it is overwritten and the whole frame is one write().
std::string render_frame(const std::vector<std::string>& lines, size_t previous_lines,
                         const std::string& above = "");

class ProgressDisplay {
 public:
  enum class Mode {
    kOff,    // events only (or nothing with quiet)
    kLive,   // status line and fill map redrawn 8 times a second
    kPlain,  // a plain status line every 10 s (plain_every)
  };

  // CI logs: one line per 10 s keeps a 10-minute fetch to 60 lines.
  static constexpr std::chrono::seconds kPlainEvery{10};

  // Chooses the mode: --no-progress or -q: off; --progress: live; else live
  // when stderr is a terminal and CI is not set, plain otherwise.
  static Mode choose(bool force_on, bool force_off, bool quiet);

  // `plain_every`: the time between plain lines (--progress-interval).
  ProgressDisplay(Mode mode, bool quiet, ProgressMonitor& monitor,
                  std::chrono::steady_clock::duration plain_every = kPlainEvery);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // A line to show above the status (any thread); dropped with quiet.
  void event(const std::string& line);
  // Stops redrawing; the last frame (live) stays on screen, followed by a
  // newline, so that what is printed next comes below it.
  void finish();

 private:
  void run();
  void tick(bool final);  // requires mu_
  StatusView view_of(const ProgressSnapshot& s, std::chrono::steady_clock::time_point now);
  void put(const std::string& text);

  Mode mode_;
  bool quiet_;
  bool unicode_;
  ProgressMonitor& monitor_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false, finished_ = false;
  size_t drawn_lines_ = 0;
  std::chrono::steady_clock::duration plain_every_;
  std::chrono::steady_clock::time_point last_plain_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> samples_;  // for the rate
  std::thread thread_;  // last: starts after the rest is ready
};

}  // namespace sparseio::cli
