// Passes a response body on to an ExtentWriter in writes that end on
// 64 KiB boundaries of the object (except where the body ends), whatever
// sizes libcurl hands it in, so that the destination sees whole filesystem
// blocks and keeps zero blocks as holes.
//
// libcurl calls back with at most 16 KiB at a time; small chunks are
// gathered into writes of kBatch bytes, and a chunk that is already that big
// goes straight through from libcurl's buffer. kBatch is 64 KiB by
// measurement: on the benchmark VM, 256 KiB and 512 KiB writes (which make the
// page cache allocate larger folios) fetched 1 GiB in a median of 0.87-1.9 s
// when run between other large writers, against 0.56-0.58 s for 64 KiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "source/source.h"

namespace sparseio {

class AlignedForwarder {
 public:
  static constexpr uint64_t kAlign = 64 * 1024;
  static constexpr uint64_t kBatch = 64 * 1024;  // a multiple of kAlign

  // Delivers bytes of the object starting at `offset`; `expected` (the body's
  // size, when known) bounds the memory held for gathering.
  AlignedForwarder(ExtentWriter& out, uint64_t offset, uint64_t expected = kBatch);

  // The next bytes of the body.
  void write(std::span<const std::byte> data);
  // Delivers what is held back.
  void flush();

  uint64_t delivered() const { return delivered_; }                 // out has bytes up to here
  uint64_t received() const { return delivered_ + carry_.size(); }  // write() got bytes up to here

 private:
  ExtentWriter& out_;
  uint64_t delivered_;
  std::vector<std::byte> carry_;  // bytes [delivered_, received()), never past a boundary
};

}  // namespace sparseio
