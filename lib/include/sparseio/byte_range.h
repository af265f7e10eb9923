// ByteRange: a half-open interval of byte offsets, [begin, end). The one
// range type of the library, public and internal alike.
#pragma once

#include <algorithm>
#include <cstdint>

namespace sparseio {

struct ByteRange {
  uint64_t begin = 0;
  uint64_t end = 0;

  uint64_t size() const { return end - begin; }
  bool empty() const { return end <= begin; }
  bool contains(uint64_t offset) const { return offset >= begin && offset < end; }
  bool overlaps(const ByteRange& o) const { return begin < o.end && o.begin < end; }
  ByteRange intersect(const ByteRange& o) const {
    ByteRange r{std::max(begin, o.begin), std::min(end, o.end)};
    if (r.end < r.begin) r.end = r.begin;
    return r;
  }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

}  // namespace sparseio
