// The exclusive advisory lock (flock) that keeps two sparseio processes from
// writing one destination at the same time.
#pragma once

#include <string>

namespace sparseio {

// Takes an exclusive flock on fd (the open DST). With `wait`, blocks until
// the holder lets go; without, throws DestinationConflictError naming the
// path and, where /proc/locks tells, the holder's pid.
void lock_file(int fd, const std::string& path, bool wait);

}  // namespace sparseio
