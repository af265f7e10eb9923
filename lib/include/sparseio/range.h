// RangeSpec: a byte range as a program asks for it, before the object's size
// is known: N bytes at an offset, from an offset to the end, or the last N
// bytes (an HTTP suffix range: a Parquet footer is RangeSpec::last(65536)).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sparseio/byte_range.h"
#include "sparseio/export.h"

namespace sparseio {

class RangeSpec {
 public:
  enum class Kind { kSpan, kFrom, kLast };

  // `length` bytes starting at `offset` (clipped at the end of the object).
  static RangeSpec span(uint64_t offset, uint64_t length) { return {Kind::kSpan, offset, length}; }
  // From `offset` to the end of the object.
  static RangeSpec from(uint64_t offset) { return {Kind::kFrom, offset, 0}; }
  // The last `n` bytes of the object (all of it when it is shorter).
  static RangeSpec last(uint64_t n) { return {Kind::kLast, 0, n}; }

  Kind kind() const { return kind_; }
  uint64_t offset() const { return offset_; }  // kSpan, kFrom
  uint64_t length() const { return length_; }  // kSpan: the length; kLast: n

  friend bool operator==(const RangeSpec&, const RangeSpec&) = default;

 private:
  RangeSpec(Kind kind, uint64_t offset, uint64_t length) : kind_(kind), offset_(offset), length_(length) {}
  Kind kind_;
  uint64_t offset_;
  uint64_t length_;
};

// Parses the range-list grammar of the command line ("0-1023, -64KiB, 1G+8M,
// 0x1000+4K"; see sparseio(1)). Throws sparseio::UsageError quoting the
// offending item.
SPARSEIO_API std::vector<RangeSpec> parse_ranges(std::string_view text);

}  // namespace sparseio
