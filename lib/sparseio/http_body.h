// Passes a response body on to an ExtentWriter in writes that end on
// 64 KiB boundaries of the object (except where the body ends), whatever
// sizes libcurl hands it in, so that the destination sees whole filesystem
// blocks and keeps zero blocks as holes. At most 64 KiB is held back
// (copied); the rest goes straight from libcurl's buffer.
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

  // Delivers bytes of the object starting at `offset`.
  AlignedForwarder(ExtentWriter& out, uint64_t offset) : out_(out), delivered_(offset) {}

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
