// The reorder window between parallel producers and one in-order consumer.
//
// The output is a list of pieces (ranges of the object, in the order they
// are to be read; they may repeat or overlap). Producers claim pieces in
// output order and fill them from any thread, in ascending order within a
// piece; the consumer reads the bytes in output order, each piece's bytes as
// soon as they arrive (not when the piece is complete), so the first byte
// goes out while later pieces are still being fetched.
//
// Memory bound: at most `window` pieces are claimed and not yet consumed;
// each has one buffer of its size, reused for later pieces (slot i % window).
// So at most window x (largest piece) bytes are held, however long the list.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "core/byte_range.h"
#include "core/errors.h"
#include "core/extent_writer.h"

namespace sparseio {

// Thrown to producers when the consumer stopped reading (cancel()): a
// WriterStopped, so a source keeps what reached DST before it.
class DeliveryCancelled : public WriterStopped {
 public:
  DeliveryCancelled() : WriterStopped("the reader stopped reading") {}
};

class OrderedDelivery {
 public:
  OrderedDelivery(std::vector<ByteRange> pieces, size_t window);
  OrderedDelivery(const OrderedDelivery&) = delete;
  OrderedDelivery& operator=(const OrderedDelivery&) = delete;

  size_t size() const { return pieces_.size(); }
  ByteRange piece(size_t i) const { return pieces_[i]; }

  // --- Producers (any thread). ---
  // Claims the next piece in output order, waiting while `window` pieces are
  // claimed and not consumed. nullopt when every piece is claimed or after
  // cancel().
  std::optional<size_t> claim();
  // The part of piece i's buffer not filled yet (to read into directly);
  // advance() then publishes what was put there.
  std::span<std::byte> space(size_t i);
  void advance(size_t i, size_t n);
  // Copies the next bytes of piece i (space() + advance()).
  void append(size_t i, std::span<const std::byte> data);
  void append_zeros(size_t i, uint64_t n);
  // Piece i is complete, or failed with `error` (after the bytes it got):
  // the consumer receives its bytes, then the error. A piece finished
  // short of its size without an error is an internal error.
  void finish(size_t i, std::exception_ptr error = nullptr);

  // --- The consumer (one thread). ---
  // The next bytes in output order, waiting until some are there; empty at
  // the end. Throws the error of a failed piece when it reaches it. The span
  // stays valid until the next call.
  std::span<const std::byte> next();
  // The consumer stops: claim() returns nullopt, space/append/advance throw
  // DeliveryCancelled, waiting producers wake up.
  void cancel();

  size_t window() const { return slots_.size(); }

 private:
  struct Slot {
    std::unique_ptr<std::byte[]> buf;
    size_t capacity = 0;
    uint64_t filled = 0;    // bytes produced (published under mu_)
    uint64_t consumed = 0;  // bytes handed to the consumer
    bool done = false;
    std::exception_ptr error;
  };
  Slot& slot(size_t i) { return slots_[i % slots_.size()]; }
  void check_producer(size_t i) const;  // requires mu_

  std::vector<ByteRange> pieces_;
  mutable std::mutex mu_;
  std::condition_variable space_freed_;  // the head moved on, or cancel
  std::condition_variable bytes_came_;   // the head piece got bytes, or cancel
  std::vector<Slot> slots_;
  size_t next_claim_ = 0;
  size_t head_ = 0;  // the piece the consumer is reading
  bool cancelled_ = false;
};

}  // namespace sparseio
