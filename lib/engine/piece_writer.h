// Delivers one piece of a transfer to DST, for the fetch coordinator and the
// range stream alike: it checks that the source delivers in ascending order,
// tracks how much of the piece, from its start, has been written (so that a
// failed transfer still records its valid prefix) and the XXH3 hash of those
// bytes (so that the claim can be re-checked after a reboot).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <vector>

#include "core/content_hash.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "source/source.h"
#include "store/destination.h"

namespace sparseio {

class PieceWriter : public ExtentWriter {
 public:
  // `written` and `head` (optional) let a progress display see the bytes
  // written so far and the write position while the piece is in flight.
  PieceWriter(Destination& dest, ByteRange piece, std::atomic<uint64_t>* written = nullptr,
              std::atomic<uint64_t>* head = nullptr)
      : dest_(dest),
        piece_(piece),
        done_(piece.begin),
        written_(written ? written : &unwatched_written_),
        head_(head ? head : &unwatched_head_) {}

  void write(uint64_t offset, std::span<const std::byte> data) override {
    check(offset, data.size());
    dest_.write_data(offset, data);
    hash_->update(data);
    advance(data.size());
  }
  void write_zeros(ByteRange r) override {
    check(r.begin, r.size());
    dest_.write_zeros(r);
    for_each_zero_span(r.size(), [&](std::span<const std::byte> zeros) { hash_->update(zeros); });
    advance(r.size());
  }
  // One copy of each byte, the kernel's (copy_file_range), where it can: the
  // hash and the zero-block scan read the bytes in DST afterwards
  // (Destination::copy_from_fd). With neither wanted, the bytes are never
  // seen here and the claim carries no hash.
  void copy_from_fd(int fd, const std::string& path, ByteRange r) override {
    check(r.begin, r.size());
    if (dest_.copies_in_kernel()) {
      dest_.copy_from_fd(fd, path, r);
      hashed_ = false;
      advance(r.size());
    } else {
      dest_.copy_from_fd(fd, path, r, [&](std::span<const std::byte> bytes) {
        hash_->update(bytes);
        advance(bytes.size());
      });
    }
  }
  // Bytes from `offset` on were wrong: what is recorded ends there, and its
  // hash is taken again from DST (rare: only after an invalid response).
  void discard_from(uint64_t offset) override {
    if (offset >= done_) return;
    const uint64_t was = done_;
    done_ = std::max(offset, piece_.begin);
    written_->fetch_sub(was - done_, std::memory_order_relaxed);  // progress shows them no more
    head_->store(done_, std::memory_order_relaxed);
    if (!hashed_) return;
    hash_.emplace();
    try {
      std::vector<std::byte> buf(static_cast<size_t>(std::min<uint64_t>(done_ - piece_.begin, 1 << 20)));
      for (uint64_t pos = piece_.begin; pos < done_;) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), done_ - pos));
        dest_.read_raw(pos, std::span(buf.data(), n));
        hash_->update(std::span(buf.data(), n));
        pos += n;
      }
    } catch (...) {
      written_->fetch_sub(done_ - piece_.begin, std::memory_order_relaxed);
      done_ = piece_.begin;  // no hash to vouch for the prefix: record none of it
      head_->store(done_, std::memory_order_relaxed);
      throw;
    }
  }
  // `all_bytes` also counts the bytes written, of every piece (the
  // scheduler's throughput). Unset: only this piece's are counted.
  void count_all_bytes_in(std::atomic<uint64_t>* all_bytes) { all_bytes_ = all_bytes; }

  uint64_t done() const { return done_; }
  // The hash of [piece.begin, done()), when every byte went through here.
  std::optional<uint64_t> hash() const {
    if (!hashed_) return std::nullopt;
    return hash_->digest();
  }

 private:
  // n more bytes of the piece are in DST.
  void advance(uint64_t n) {
    done_ += n;
    written_->fetch_add(n, std::memory_order_relaxed);
    if (all_bytes_) all_bytes_->fetch_add(n, std::memory_order_relaxed);
    head_->store(done_, std::memory_order_relaxed);
  }
  void check(uint64_t offset, uint64_t size) const {
    if (offset != done_ || offset + size > piece_.end)
      throw Error(
          fmt::format("internal error: source delivered {}+{} out of order (expected {} within {}-{})",
                      offset, size, done_, piece_.begin, piece_.end));
  }

  Destination& dest_;
  ByteRange piece_;
  uint64_t done_;
  std::atomic<uint64_t> unwatched_written_{0};  // before the pointers that may point here
  std::atomic<uint64_t> unwatched_head_{0};
  std::atomic<uint64_t>* written_;
  std::atomic<uint64_t>* head_;
  std::atomic<uint64_t>* all_bytes_ = nullptr;
  std::optional<ContentHasher> hash_{std::in_place};
  bool hashed_ = true;
};

}  // namespace sparseio
