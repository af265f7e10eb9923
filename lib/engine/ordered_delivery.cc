#include "engine/ordered_delivery.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace sparseio {

OrderedDelivery::OrderedDelivery(std::vector<ByteRange> pieces, size_t window)
    : pieces_(std::move(pieces)), slots_(std::max<size_t>(window, 1)) {}

std::optional<size_t> OrderedDelivery::claim() {
  std::unique_lock lock(mu_);
  space_freed_.wait(lock, [&] {
    return cancelled_ || next_claim_ >= pieces_.size() || next_claim_ < head_ + slots_.size();
  });
  if (cancelled_ || next_claim_ >= pieces_.size()) return std::nullopt;
  const size_t i = next_claim_++;
  Slot& s = slot(i);
  const size_t size = static_cast<size_t>(pieces_[i].size());
  if (s.capacity < size) {
    s.buf.reset(new std::byte[size]);  // uninitialized: every byte is produced before it is read
    s.capacity = size;
  }
  s.filled = s.consumed = 0;
  s.done = false;
  s.error = nullptr;
  if (i == head_) bytes_came_.notify_all();
  return i;
}

void OrderedDelivery::check_producer(size_t i) const {
  if (cancelled_) throw DeliveryCancelled();
  if (i < head_ || i >= next_claim_) throw Error(fmt::format("internal error: piece {} is not claimed", i));
}

std::span<std::byte> OrderedDelivery::space(size_t i) {
  std::lock_guard lock(mu_);
  check_producer(i);
  Slot& s = slot(i);
  return {s.buf.get() + s.filled, static_cast<size_t>(pieces_[i].size() - s.filled)};
}

void OrderedDelivery::advance(size_t i, size_t n) {
  std::lock_guard lock(mu_);
  check_producer(i);
  Slot& s = slot(i);
  if (s.filled + n > pieces_[i].size())
    throw Error(
        fmt::format("internal error: piece {} overfilled ({} + {} > {})", i, s.filled, n, pieces_[i].size()));
  s.filled += n;
  if (i == head_) bytes_came_.notify_all();
}

void OrderedDelivery::append(size_t i, std::span<const std::byte> data) {
  std::span<std::byte> room = space(i);
  if (data.size() > room.size())
    throw Error(fmt::format("internal error: piece {} overfilled by {} bytes", i, data.size() - room.size()));
  // Copied outside the lock: only this producer writes past `filled`, and the
  // consumer reads only below it.
  std::memcpy(room.data(), data.data(), data.size());
  advance(i, data.size());
}

void OrderedDelivery::append_zeros(size_t i, uint64_t n) {
  std::span<std::byte> room = space(i);
  if (n > room.size())
    throw Error(fmt::format("internal error: piece {} overfilled by {} zero bytes", i, n - room.size()));
  std::memset(room.data(), 0, static_cast<size_t>(n));
  advance(i, static_cast<size_t>(n));
}

void OrderedDelivery::finish(size_t i, std::exception_ptr error) {
  std::lock_guard lock(mu_);
  if (i < head_ || i >= next_claim_) return;  // cancelled and already gone
  Slot& s = slot(i);
  if (!error && s.filled != pieces_[i].size())
    error = std::make_exception_ptr(Error(fmt::format("internal error: piece {}-{} ended after {} bytes",
                                                      pieces_[i].begin, pieces_[i].end - 1, s.filled)));
  s.done = true;
  s.error = error;
  if (i == head_) bytes_came_.notify_all();
}

std::span<const std::byte> OrderedDelivery::next() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (cancelled_ || head_ >= pieces_.size()) return {};
    if (head_ < next_claim_) {
      Slot& s = slot(head_);
      if (s.consumed < s.filled) {
        std::span<const std::byte> out(s.buf.get() + s.consumed, static_cast<size_t>(s.filled - s.consumed));
        s.consumed = s.filled;
        return out;
      }
      if (s.done) {
        if (s.error) std::rethrow_exception(s.error);
        ++head_;  // slot free for piece head_ + window - 1
        space_freed_.notify_all();
        continue;
      }
    }
    bytes_came_.wait(lock);
  }
}

void OrderedDelivery::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  space_freed_.notify_all();
  bytes_came_.notify_all();
}

}  // namespace sparseio
