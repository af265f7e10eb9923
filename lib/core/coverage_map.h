// A sorted, coalesced set of byte ranges: which bytes of an object are present.
// O(log n) insert/remove/lookup; adjacent and overlapping ranges are merged.
// Kept in an absl::btree_map: about 20 bytes per range instead of the 64 of a
// std::map node, which matters for lists of 10^6 ranges.
#pragma once

#include <absl/container/btree_map.h>

#include <cstdint>
#include <vector>

#include "core/byte_range.h"

namespace sparseio {

class CoverageMap {
 public:
  // Adds [r.begin, r.end). Empty ranges are ignored.
  void insert(ByteRange r);
  // Removes [r.begin, r.end), splitting ranges as needed.
  void remove(ByteRange r);
  // The parts of `r` that are not present, in order.
  std::vector<ByteRange> missing(ByteRange r) const;
  // The parts of `r` that are present, in order.
  std::vector<ByteRange> present_within(ByteRange r) const;
  // True when every byte of `r` is present (an empty range is present).
  bool contains(ByteRange r) const;
  // The range containing `offset`, or an empty range when offset is missing.
  ByteRange find(uint64_t offset) const;
  // Number of bytes of `r` that are present.
  uint64_t present_bytes_within(ByteRange r) const;

  uint64_t total_bytes() const { return total_; }
  size_t range_count() const { return ranges_.size(); }
  bool empty() const { return ranges_.empty(); }
  std::vector<ByteRange> ranges() const;
  void clear() {
    ranges_.clear();
    total_ = 0;
  }

  friend bool operator==(const CoverageMap& a, const CoverageMap& b) { return a.ranges_ == b.ranges_; }

 private:
  // First range whose end is > offset (the one containing offset, or the next).
  absl::btree_map<uint64_t, uint64_t>::const_iterator first_ending_after(uint64_t offset) const;

  absl::btree_map<uint64_t, uint64_t> ranges_;  // begin -> end, disjoint, non-adjacent
  uint64_t total_ = 0;
};

}  // namespace sparseio
