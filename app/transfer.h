// Runs fetch and cat with everything a person or a CI log sees while they
// run: the progress display, events (lock waits, retries), interrupts
// (SIGINT, SIGTERM, SIGHUP) and the interrupt summary.
#pragma once

#include <vector>

#include "api/commands.h"
#include "progress_display.h"
#include "signal_watch.h"

namespace sparseio::cli {

struct OutputFlags {
  bool quiet = false;
  bool json = false;
  bool progress = false;            // --progress: the live display even without a terminal
  bool no_progress = false;         // --no-progress
  double progress_interval_s = 10;  // --progress-interval: seconds between plain lines
  bool output_dash = false;  // cat -o -: standard output even when it is a terminal and the data binary
};

// What a run is watched by, in construction order: the signal watcher
// before any library thread (they inherit its mask), the display after the
// monitor it reads. Destroyed in reverse: the display stops first.
// `data_on_terminal`: cat writes to a terminal, where a status line would
// be drawn over the data: events only then.
struct Watched {
  explicit Watched(const OutputFlags& out, bool data_on_terminal = false)
      : signals(control),
        display(data_on_terminal ? ProgressDisplay::Mode::kOff
                                 : ProgressDisplay::choose(out.progress, out.no_progress, out.quiet),
                out.quiet, monitor,
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(out.progress_interval_s))) {
    control.set_event_handler([this](const RunEvent& e) { display.event(e.message); });
  }
  void attach(FetchCommand& cmd) {
    cmd.fetch.control = &control;
    cmd.fetch.progress = &monitor;
    cmd.dest.control = &control;
    cmd.http.control = &control;
  }
  int interrupted_code() const { return signals.exit_code() ? signals.exit_code() : 130; }

  RunControl control;
  SignalWatch signals;
  ProgressMonitor monitor;
  ProgressDisplay display;
};

// sparseio fetch: prints the report and returns the exit code. Errors are
// thrown for the caller to map.
int run_fetch_command(FetchCommand cmd, const OutputFlags& out);

// sparseio cat: streams the ranges to standard output in order while later
// pieces are fetched behind (into DST unless !store). A reader that goes away
// (EPIPE, as with `| head`) ends the run quietly with 0, what was fetched
// recorded; a closed or read-only stdout is an Error naming it. On a
// terminal, output that looks binary is refused (a UsageError) unless
// out.output_dash, and no status line is drawn over the data.
int run_cat_command(FetchCommand cmd, const OutputFlags& out, bool store);

// cat SRC1 SRC2 ...: each command's ranges in turn, in the order given, as
// one stream (an object fails: the error ends the run, since the bytes after
// it would be misplaced).
int run_cat_command(std::vector<FetchCommand> cmds, const OutputFlags& out, bool store);

// The words of `cat SRC... [DIR/]`: the last is a directory DST when it ends
// with '/' or is an existing directory; else two words are SRC DST (as
// before several sources were taken) unless the second is a URL; else all
// are sources and nothing is stored.
struct CatWords {
  std::vector<std::string> sources;
  std::string directory;  // empty: none (or, with one source, `destination`)
  std::string destination;
};
CatWords split_cat_words(const std::vector<std::string>& words);

// cat of several sources (or into a directory): each object's ranges in the
// order given; with `dir`, each stored at DIR/NAME (its sidecar in
// DIR/.sparseio/) as fetch stores it. `each` carries the ranges and options.
int run_cat_many_command(const std::vector<std::string>& sources, const std::string& dir, FetchCommand each,
                         const OutputFlags& out, bool store);

}  // namespace sparseio::cli
