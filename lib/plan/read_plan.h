// The driver over the pure format parsers: reads what each parser asks for
// from a Source, in rounds (the ranges of one round are read in parallel),
// and counts the rounds, since round trips, not bytes, are what planning a
// remote file costs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "plan/plan_types.h"
#include "plan/selector.h"
#include "source/source.h"

namespace sparseio::plan {

class RoundReader {
 public:
  explicit RoundReader(Source& source) : source_(source) {}
  // Reads the ranges (clipped to the object) in one round; returns their bytes.
  std::vector<std::vector<std::byte>> read(const std::vector<ByteRange>& ranges);
  std::vector<std::byte> read(ByteRange r) { return std::move(read(std::vector<ByteRange>{r}).front()); }

  Source& source() { return source_; }
  uint64_t rounds() const { return rounds_; }
  uint64_t bytes() const { return bytes_; }

  // Keeps a copy of every range read from now on (a few MiB at most: the
  // metadata of a format), so that a fetch need not ask for it again.
  void keep_reads() { keep_ = true; }
  struct Read {
    ByteRange range;
    std::vector<std::byte> bytes;
  };
  std::vector<Read> take_reads() { return std::move(kept_); }

 private:
  Source& source_;
  uint64_t rounds_ = 0, bytes_ = 0;
  bool keep_ = false;
  std::vector<Read> kept_;
};

// Reads the metadata the selectors' format needs and returns the plan (the
// items in the order the format's reader meets them; round_trips and
// read_bytes filled in). Throws FormatError, or the source's errors.
Plan plan_source(RoundReader& reader, const std::vector<Selector>& selectors);

// For `cat`: the exact payload of every zip item (reads the selected
// members' local headers, all in one round); other items are left alone.
void resolve_zip_payloads(RoundReader& reader, std::vector<PlanItem>& items);

}  // namespace sparseio::plan
