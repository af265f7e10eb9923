#include "engine/range_stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/errors.h"
#include "core/file_io.h"
#include "core/log.h"
#include "engine/piece_writer.h"

namespace sparseio {
namespace {

// Reads from DST in steps of this size, so that the consumer gets bytes of a
// large present piece while the rest is still being read.
constexpr uint64_t kReadStep = 1u << 20;

StreamOptions resolve(const Source& source, StreamOptions o) {
  // The stream's workers are fixed (its window is sized from them): for a
  // remote source, kRemoteStreamJobs connections; else the cores.
  if (o.jobs == 0)
    o.jobs = source.remote() ? kRemoteStreamJobs : std::max(1u, std::thread::hardware_concurrency());
  if (o.chunk_size == 0) o.chunk_size = source.default_chunk_size();
  if (o.window_per_job == 0) o.window_per_job = 1;
  return o;
}

std::vector<ByteRange> cut(const Source& source, const std::vector<ByteRange>& ranges, uint64_t chunk) {
  std::vector<ByteRange> pieces;
  const ByteRange object{0, source.size()};
  for (const ByteRange& given : ranges) {
    const ByteRange r = given.intersect(object);
    for (uint64_t pos = r.begin; pos < r.end;) {
      const uint64_t end = r.end - pos > chunk ? pos + chunk : r.end;
      pieces.push_back({pos, end});
      pos = end;
    }
  }
  return pieces;
}

// Both of two writers, DST first: bytes that reached DST are recorded even
// when the reader has gone and the second write throws.
class TeeWriter : public ExtentWriter {
 public:
  TeeWriter(ExtentWriter& a, ExtentWriter& b) : a_(a), b_(b) {}
  void write(uint64_t offset, std::span<const std::byte> data) override {
    a_.write(offset, data);
    b_.write(offset, data);
  }
  void write_zeros(ByteRange r) override {
    a_.write_zeros(r);
    b_.write_zeros(r);
  }
  // The reader may have some of these bytes already (the run then fails);
  // DST must record none of them.
  void discard_from(uint64_t offset) override {
    a_.discard_from(offset);
    b_.discard_from(offset);
  }

 private:
  ExtentWriter& a_;
  ExtentWriter& b_;
};

}  // namespace

// Fills one piece of the delivery, in ascending order.
class RangeStream::SlotWriter : public ExtentWriter {
 public:
  SlotWriter(OrderedDelivery& d, size_t i) : d_(d), i_(i) {}
  void write(uint64_t, std::span<const std::byte> data) override {
    d_.append(i_, data);
    delivered_ += data.size();
  }
  void write_zeros(ByteRange r) override {
    d_.append_zeros(i_, r.size());
    delivered_ += r.size();
  }
  // Straight into the piece's buffer: no copy through another one.
  void copy_from_fd(int fd, const std::string& path, ByteRange r) override {
    for (uint64_t pos = r.begin; pos < r.end;) {
      std::span<std::byte> room = d_.space(i_);
      const size_t n = static_cast<size_t>(std::min<uint64_t>({room.size(), r.end - pos, kReadStep}));
      if (pread_full(fd, room.first(n), pos, path) != n)
        throw Error(fmt::format("{} ended early at offset {}: was it truncated?", path, pos));
      d_.advance(i_, n);
      pos += n;
      delivered_ += n;
    }
  }
  uint64_t delivered() const { return delivered_; }

 private:
  OrderedDelivery& d_;
  size_t i_;
  uint64_t delivered_ = 0;
};

// For a source that streams from offset 0: spreads the object's bytes over
// the pieces in order (they ascend), skipping bytes between them, claiming
// each next piece when the last one is full.
class RangeStream::SpanningWriter : public ExtentWriter {
 public:
  explicit SpanningWriter(OrderedDelivery& d) : d_(d) {}
  void write(uint64_t offset, std::span<const std::byte> data) override {
    take(offset, data.size(), [&](size_t piece, uint64_t skip, size_t n) {
      d_.append(piece, data.subspan(static_cast<size_t>(skip), n));
    });
  }
  void write_zeros(ByteRange r) override {
    take(r.begin, r.size(), [&](size_t piece, uint64_t, size_t n) { d_.append_zeros(piece, n); });
  }
  // Ends the current piece (with the error, if any); after an error with no
  // piece current, the next one carries it, so that the reader sees it.
  void finish(std::exception_ptr error) {
    if (!current_ && error) current_ = d_.claim();
    if (current_) d_.finish(*current_, error);
    current_.reset();
  }

 private:
  template <typename Put>
  void take(uint64_t offset, uint64_t size, Put&& put) {
    const uint64_t end = offset + size;
    while (offset < end) {
      if (!current_) {
        current_ = d_.claim();
        if (!current_) return;  // every piece is complete: the rest is not wanted
        got_ = 0;
      }
      const ByteRange p = d_.piece(*current_);
      const uint64_t from = std::max(offset, p.begin + got_);
      if (from >= end) return;  // all before this piece
      const uint64_t to = std::min(end, p.end);
      if (from < to) {
        put(*current_, from - (end - size), static_cast<size_t>(to - from));
        got_ += to - from;
      }
      offset = std::max(offset, to);
      if (p.begin + got_ == p.end) {
        d_.finish(*current_);
        current_.reset();
      }
    }
  }

  OrderedDelivery& d_;
  std::optional<size_t> current_;
  uint64_t got_ = 0;
};

RangeStream::RangeStream(Source& source, Destination* dest, std::vector<ByteRange> ranges,
                         StreamOptions options)
    : source_(source),
      dest_(dest),
      options_(resolve(source, options)),
      delivery_(cut(source, ranges, options_.chunk_size), size_t{options_.jobs} * options_.window_per_job) {
  bool all_present = dest_ != nullptr;
  bool ascending = true;
  for (size_t i = 0; i < delivery_.size(); ++i) {
    const ByteRange p = delivery_.piece(i);
    requested_ += p.size();
    if (all_present && !dest_->contains(p)) all_present = false;
    if (i > 0 && p.begin < delivery_.piece(i - 1).end) ascending = false;
  }
  if (options_.progress) options_.progress->attach([this](size_t) { return snapshot(); });
  if (delivery_.size() == 0) return;
  if (source_.supports_ranges() || all_present) {
    for (unsigned j = 0; j < options_.jobs; ++j) workers_.emplace_back([this] { work(); });
    return;
  }
  if (!ascending)
    throw Error(fmt::format(
        "{}: the server does not support ranges, so the ranges can only be read in one stream, which needs "
        "them in ascending order without overlaps",
        source_.name()));
  workers_.emplace_back([this] { work_in_one_stream(); });
}

RangeStream::~RangeStream() {
  try {
    close();
  } catch (const std::exception& e) {
    log::warn("{}", e.what());
  }
}

void RangeStream::work() {
  while (std::optional<size_t> i = delivery_.claim()) {
    if (stop_requested(options_.control)) {
      // Ends the stream at this piece: the reader sees the end of the bytes.
      interrupted_ = true;
      delivery_.cancel();
      return;
    }
    ++active_;
    fill(*i);
    --active_;
  }
}

ProgressSnapshot RangeStream::snapshot() const {
  ProgressSnapshot s;
  s.object_size = source_.size();
  s.wanted_bytes = requested_;
  s.fetched_bytes = fetched_.load(std::memory_order_relaxed);
  s.done_bytes = std::min(requested_, s.fetched_bytes + reused_.load(std::memory_order_relaxed));
  s.active = active_.load(std::memory_order_relaxed);
  s.jobs = options_.jobs;
  return s;  // no fill map: the stream's pieces follow the output order, not the object's
}

void RangeStream::fill(size_t i) {
  const ByteRange r = delivery_.piece(i);
  try {
    if (dest_ == nullptr) {
      fetch_into_piece(i, r);
    } else {
      uint64_t pos = r.begin;
      auto read_present = [&](uint64_t end) {
        while (pos < end) {
          const size_t n = static_cast<size_t>(std::min(kReadStep, end - pos));
          dest_->read_raw(pos, delivery_.space(i).first(n));
          delivery_.advance(i, n);
          reused_ += n;
          pos += n;
        }
      };
      for (const ByteRange& gap : dest_->missing(r)) {
        read_present(gap.begin);
        fetch_into_piece(i, gap);
        pos = gap.end;
      }
      read_present(r.end);
    }
    delivery_.finish(i);
  } catch (...) {
    delivery_.finish(i, std::current_exception());
  }
}

void RangeStream::fetch_into_piece(size_t i, ByteRange r) {
  SlotWriter slot(delivery_, i);
  if (dest_ == nullptr || !options_.store) {
    log::debug("streaming {}-{} ({} bytes)", r.begin, r.end - 1, r.size());
    ++requests_;
    try {
      source_.fetch_into(r, slot);
    } catch (...) {
      fetched_ += slot.delivered();
      throw;
    }
    fetched_ += slot.delivered();
    return;
  }
  log::debug("fetching {}-{} ({} bytes) for the stream", r.begin, r.end - 1, r.size());
  PieceWriter piece(*dest_, r);
  TeeWriter tee(piece, slot);
  std::exception_ptr error;
  try {
    source_.fetch_into(r, tee);
    if (piece.done() != r.end)
      throw Error(fmt::format("{} delivered {} of {} bytes at offset {}", source_.name(),
                              piece.done() - r.begin, r.size(), r.begin));
  } catch (...) {
    error = std::current_exception();
  }
  // Record what reached DST (all of it, or the valid prefix of a failure).
  const ByteRange written{r.begin, piece.done()};
  ++requests_;
  fetched_ += written.size();
  if (!written.empty()) dest_->mark_present(written, piece.hash());
  if (error) std::rethrow_exception(error);
}

void RangeStream::work_in_one_stream() {
  const ByteRange all{delivery_.piece(0).begin, delivery_.piece(delivery_.size() - 1).end};
  SpanningWriter spread(delivery_);
  std::exception_ptr error;
  ++requests_;
  if (dest_ == nullptr || !options_.store) {
    try {
      source_.fetch_into(all, spread);
      fetched_ += all.size();
    } catch (...) {
      error = std::current_exception();
    }
  } else {
    PieceWriter piece(*dest_, all);
    TeeWriter tee(piece, spread);
    try {
      source_.fetch_into(all, tee);
    } catch (...) {
      error = std::current_exception();
    }
    const ByteRange written{all.begin, piece.done()};
    fetched_ += written.size();
    try {
      if (!written.empty()) dest_->mark_present(written, piece.hash());
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  spread.finish(error);
}

std::span<const std::byte> RangeStream::next() { return delivery_.next(); }

size_t RangeStream::read(std::span<std::byte> buf) {
  if (pending_.empty()) pending_ = next();
  const size_t n = std::min(buf.size(), pending_.size());
  std::memcpy(buf.data(), pending_.data(), n);
  pending_ = pending_.subspan(n);
  return n;
}

void RangeStream::close() {
  if (closed_) return;
  closed_ = true;
  delivery_.cancel();
  workers_.clear();  // joins
  if (options_.progress) options_.progress->detach();
  if (dest_ != nullptr && options_.store) dest_->commit();
}

FetchStats RangeStream::stats() const {
  FetchStats s;
  s.requested_bytes = requested_;
  s.fetched_bytes = fetched_.load();
  s.requests = requests_.load();
  s.reused_bytes = reused_.load();
  s.interrupted = interrupted_.load();
  s.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s;
}

}  // namespace sparseio
