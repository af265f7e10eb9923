// The exclusive advisory lock (flock) that keeps two sparseio processes from
// writing one destination at the same time.
#pragma once

#include <string>

#include "core/run_control.h"

namespace sparseio {

// Takes an exclusive flock on fd (the open DST). With `wait`, blocks until
// the holder lets go; without, throws DestinationConflictError (kBusy) naming
// the path and, where /proc/locks tells, the holder's pid. With a `control`,
// waiting reports a kLockWait event once and ends with InterruptedError
// when a stop is requested.
void lock_file(int fd, const std::string& path, bool wait, const RunControl* control = nullptr);

}  // namespace sparseio
