// Delivers one piece of a transfer to DST, for the fetch coordinator and the
// range stream alike: it checks that the source delivers in ascending order,
// tracks how much of the piece, from its start, has been written (so that a
// failed transfer still records its valid prefix) and the XXH3 hash of those
// bytes (so that the claim can be re-checked after a reboot).
#pragma once

#include <fmt/format.h>

#include <optional>

#include "core/content_hash.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "source/source.h"
#include "store/destination.h"

namespace sparseio {

class PieceWriter : public ExtentWriter {
 public:
  PieceWriter(Destination& dest, ByteRange piece) : dest_(dest), piece_(piece), done_(piece.begin) {}

  void write(uint64_t offset, std::span<const std::byte> data) override {
    check(offset, data.size());
    dest_.write_data(offset, data);
    hash_.update(data);
    done_ += data.size();
  }
  void write_zeros(ByteRange r) override {
    check(r.begin, r.size());
    dest_.write_zeros(r);
    for_each_zero_span(r.size(), [&](std::span<const std::byte> zeros) { hash_.update(zeros); });
    done_ = r.end;
  }
  void copy_from_fd(int fd, const std::string& path, ByteRange r) override {
    if (dest_.copies_in_kernel()) {
      check(r.begin, r.size());
      dest_.copy_from_fd(fd, path, r);  // bytes never seen here: no hash
      hashed_ = false;
      done_ = r.end;
    } else {
      ExtentWriter::copy_from_fd(fd, path, r);  // through a buffer, into write()
    }
  }
  uint64_t done() const { return done_; }
  // The hash of [piece.begin, done()), when every byte went through here.
  std::optional<uint64_t> hash() const {
    if (!hashed_) return std::nullopt;
    return hash_.digest();
  }

 private:
  void check(uint64_t offset, uint64_t size) const {
    if (offset != done_ || offset + size > piece_.end)
      throw Error(
          fmt::format("internal error: source delivered {}+{} out of order (expected {} within {}-{})",
                      offset, size, done_, piece_.begin, piece_.end));
  }

  Destination& dest_;
  ByteRange piece_;
  uint64_t done_;
  ContentHasher hash_;
  bool hashed_ = true;
};

}  // namespace sparseio
