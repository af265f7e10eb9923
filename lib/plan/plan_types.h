// What a format planner produces: the byte ranges a format's own reader needs
// for the selected parts, each labelled for people (the `#` comments of
// `sparseio plan`), and the error for a file that is not what the selector
// says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_range.h"
#include "core/errors.h"

namespace sparseio::plan {

// The file is not of the format named, or is malformed. The message names the
// offset and what was expected there.
class FormatError : public Error {
 public:
  using Error::Error;
};

struct PlanItem {
  ByteRange range;    // what to fetch
  std::string label;  // "zip member train/a.jpg", "tar header of x", ...
  // The selected bytes themselves (a member's data, a tensor), written by
  // `cat --select`; empty for metadata (directories, headers, footers).
  ByteRange payload;
  // zip only: the payload starts after the member's local header, whose
  // length is known only once it is read; payload.begin is the local header
  // offset and payload.size() the stored size until then.
  bool payload_after_local_header = false;
  // The format's own metadata (zip end records and central directory, tar
  // headers, a Parquet footer and page indexes, a safetensors header): what
  // the format's tools read to open the file at all. --shard gives it to
  // every shard whole, so that each shard opens on its own.
  bool metadata = false;
  // `plan` of a local sparseio DST (a file with a sidecar): whether DST holds
  // the whole range. Parts not fetched read as zeros (holes), which a loader
  // takes for data: this lets a wrapper check first. Unset otherwise.
  std::optional<bool> present = std::nullopt;
};

struct Plan {
  std::vector<PlanItem> items;
  uint64_t round_trips = 0;  // reads made to plan (each round in parallel)
  uint64_t read_bytes = 0;   // bytes read to plan
};

// Little-endian readers over a byte span; the caller checks the bounds.
inline uint64_t load_le(std::span<const std::byte> b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(std::to_integer<uint8_t>(b[at + i])) << (8 * i);
  return v;
}

}  // namespace sparseio::plan
