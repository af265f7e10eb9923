// Runs fetch and cat with everything a person or a CI log sees while they
// run: the progress display, events (lock waits, retries), interrupts
// (SIGINT, SIGTERM, SIGHUP) and the interrupt summary.
#pragma once

#include "api/commands.h"

namespace sparseio::cli {

struct OutputFlags {
  bool quiet = false;
  bool json = false;
  bool progress = false;            // --progress: the live display even without a terminal
  bool no_progress = false;         // --no-progress
  double progress_interval_s = 10;  // --progress-interval: seconds between plain lines
  bool output_dash = false;  // cat -o -: standard output even when it is a terminal and the data binary
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

}  // namespace sparseio::cli
