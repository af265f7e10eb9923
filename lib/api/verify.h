// Compares what DST holds with the source, byte for byte, reading the source
// through the parallel range stream (the engine `fetch` and `cat` use).
#pragma once

#include <cstdint>
#include <vector>

#include "core/byte_range.h"
#include "engine/range_stream.h"
#include "source/source.h"
#include "store/destination.h"

namespace sparseio {

struct VerifyResult {
  uint64_t compared_bytes = 0;
  uint64_t missing_bytes = 0;    // asked for but not present in DST: not compared
  uint64_t differing_bytes = 0;  // includes source_lacks_bytes
  // Present in DST past the source's current end (it shrank): differences.
  uint64_t source_lacks_bytes = 0;
  std::vector<ByteRange> compared;           // the present ranges compared, in order
  std::vector<ByteRange> first_differences;  // up to kMaxReported runs of differing bytes, in order
  static constexpr size_t kMaxReported = 10;
  // Every differing byte rounded out to DST's filesystem blocks (clipped to
  // its size), merged: what `verify --repair` fetches again.
  std::vector<ByteRange> differing_blocks;
  bool identical() const { return differing_bytes == 0; }
};

// Re-reads the present parts of `ranges` from `source` and compares them with
// DST. Present bytes the source no longer has (it shrank) differ. A sparse
// source's holes compare as zeros without being read.
VerifyResult verify_ranges(Source& source, const Destination& dest, const std::vector<ByteRange>& ranges,
                           const StreamOptions& options = {});

}  // namespace sparseio
