// The range-list grammar of sparseio(1): items "A-B", "A-", "-N" and "A+N" with
// dd/GNU size suffixes, separated by commas, whitespace or newlines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_range.h"

namespace sparseio {

struct RangeItem {
  enum class Kind { kClosed, kFrom, kSuffix, kLength };  // A-B, A-, -N, A+N
  Kind kind = Kind::kClosed;
  uint64_t a = 0;    // start (or N for kSuffix)
  uint64_t b = 0;    // inclusive end for kClosed, length for kLength
  std::string text;  // the item as written, for error messages

  friend bool operator==(const RangeItem&, const RangeItem&) = default;
};

// Parses "123", "4K", "64KiB", "1MB", "0x1000"... Throws UsageError naming `what`.
uint64_t parse_size(std::string_view text, std::string_view what = "size");

// Parses a list given on the command line (no comments). Throws UsageError
// quoting the offending item.
std::vector<RangeItem> parse_range_list(std::string_view text);

// Parses the contents of a --ranges-from file: as above, plus '#' comments.
// An error message starts with the line number ("12: bad range item ...").
std::vector<RangeItem> parse_range_file(std::string_view text);

// Turns items into byte ranges of an object of `object_size` bytes, in the
// order given (not merged). Ends past the object are clipped; a start at or
// past the end is a UsageError quoting the item.
std::vector<ByteRange> resolve_ranges(const std::vector<RangeItem>& items, uint64_t object_size);

}  // namespace sparseio
