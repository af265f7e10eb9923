// What one fetch did: the counts the report, the progress summary and the
// library's TransferStats are made from. Apart from the coordinator so that
// code that only reads the counts (report, CLI) does not see the engine.
#pragma once

#include <cstdint>

#include "engine/scheduler.h"

namespace sparseio {

struct FetchStats {
  uint64_t requested_bytes = 0;  // distinct bytes asked for
  uint64_t fetched_bytes = 0;    // transferred by this call
  uint64_t requests = 0;         // transfers this call made
  uint64_t reused_bytes = 0;     // requested bytes already present before the call
  double elapsed_s = 0;
  bool interrupted = false;    // a stop was requested: the rest is missing
  uint64_t missing_bytes = 0;  // requested bytes still not present at the end
  SchedulerSummary schedule;   // what the scheduler chose and measured
};

}  // namespace sparseio
