// Passes a response body on to an ExtentWriter in writes that end on
// 64 KiB boundaries of the object (except where the body ends), whatever
// sizes libcurl hands it in, so that the destination sees whole filesystem
// blocks and keeps zero blocks as holes.
//
// libcurl calls back with at most 16 KiB at a time; passing each on would
// cost one pwrite (and one inode-lock round) per 16 KiB. Small chunks are
// therefore gathered into writes of about kBatch bytes; a chunk that is
// already that big goes straight through from libcurl's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sparseio/source.h"

namespace sparseio {

class AlignedForwarder {
 public:
  static constexpr uint64_t kAlign = 64 * 1024;
  static constexpr uint64_t kBatch = 256 * 1024;  // a multiple of kAlign

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
