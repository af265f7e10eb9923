// What the operations return: the allocation report of a destination, with
// the statistics of the transfer that made it, and the verify summary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sparseio/byte_range.h"

namespace sparseio {

struct TransferStats {
  uint64_t requested_bytes = 0;  // distinct bytes asked for
  uint64_t fetched_bytes = 0;    // transferred by this call
  uint64_t requests = 0;         // transfers this call made
  uint64_t reused_bytes = 0;     // requested bytes already present before the call
  double elapsed_s = 0;
  bool interrupted = false;    // Options::on_progress asked to stop: the rest is missing
  uint64_t missing_bytes = 0;  // requested bytes still not present at the end (fetch)
  // What the scheduler chose and measured (remote sources).
  unsigned peak_connections = 0;    // most requests in flight at once
  uint64_t overfetched_bytes = 0;   // fetched only because nearby ranges were merged
  double ttfb_s = 0;                // least time to first byte measured
  double connection_bandwidth = 0;  // bytes/s of one connection; 0: not measured
};

struct AllocationReport {
  std::string path;
  uint64_t logical_size = 0;   // = the source's size
  uint64_t present_bytes = 0;  // what the destination's record says it holds
  uint64_t present_ranges = 0;
  uint64_t allocated_bytes = 0;           // disk used (st_blocks * 512)
  uint64_t data_segments = 0;             // data runs the filesystem reports
  std::optional<TransferStats> transfer;  // fetch and read only
  std::vector<ByteRange> ranges;          // the present ranges (stat with ranges only)
};

struct VerifySummary {
  uint64_t compared_bytes = 0;
  uint64_t missing_bytes = 0;                // asked for but not present: not compared
  uint64_t differing_bytes = 0;              // includes source_lacks_bytes
  uint64_t source_lacks_bytes = 0;           // present past the source's end (it shrank): differing
  std::vector<ByteRange> first_differences;  // the first few differing runs, in order
  bool source_changed = false;               // the source's identity differs from the recorded one
  bool identical() const { return differing_bytes == 0; }
};

}  // namespace sparseio
