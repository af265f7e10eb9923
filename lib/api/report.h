// The allocation report (sparseio(1), "REPORT"), as text for people and JSON for programs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/fetch_stats.h"
#include "store/destination.h"

namespace sparseio {

// The schema version of the JSON report: bumped when a field changes meaning
// or goes away (adding fields does not bump it).
inline constexpr int kReportVersion = 1;

struct Report {
  std::string path;
  std::string source;       // fetch: the path or URL (password hidden); empty for stat/punch
  SourceIdentity identity;  // what DST was started from (its sidecar's record)
  uint64_t logical_size = 0;
  uint64_t present_bytes = 0;
  uint64_t present_ranges = 0;
  uint64_t allocated_bytes = 0;
  uint64_t data_segments = 0;
  std::optional<FetchStats> fetch;  // only for `fetch`
  uint64_t zero_hole_bytes = 0;     // fetched zero blocks kept as holes (fetch only)
  // fetch --select: the reads the planning made (round trips) and their bytes.
  std::optional<uint64_t> plan_round_trips;
  uint64_t plan_read_bytes = 0;
  std::vector<ByteRange> ranges;  // the present ranges
  bool list_ranges = false;       // print `ranges` too
};

// Reads what DST holds and what the filesystem says about it.
// With `list_ranges`, also copies out the present ranges.
Report make_report(const Destination& dest, std::optional<FetchStats> fetch = std::nullopt,
                   bool list_ranges = false);

// The present ranges, one "A-B" (inclusive) a line, nothing else: the form
// --ranges-from reads back.
std::string format_ranges_only(const Report& report);

// "1.5 MiB" style, with exact bytes beside when rounded.
std::string human_size(uint64_t bytes);

std::string format_report_text(const Report& report);
// Exactly one JSON object, byte counts as integers.
std::string format_report_json(const Report& report);

}  // namespace sparseio
