// Runs fetch and cat with everything a person or a CI log sees while they
// run: the progress display, events (lock waits, retries), interrupts
// (SIGINT, SIGTERM, SIGHUP) and the interrupt summary.
#pragma once

#include "api/commands.h"

namespace sparseio::cli {

struct OutputFlags {
  bool quiet = false;
  bool json = false;
  bool progress = false;     // --progress: the live display even without a terminal
  bool no_progress = false;  // --no-progress
};

// Runs `cmd` as `sparseio fetch` (cat_fd < 0) or `sparseio cat` (writing to
// cat_fd), prints the report (fetch) and returns the exit code. Errors are
// thrown for the caller to map.
int run_transfer(FetchCommand cmd, const OutputFlags& out, int cat_fd);

}  // namespace sparseio::cli
