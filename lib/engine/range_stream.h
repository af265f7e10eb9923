// A read stream of byte ranges of a source, in the order given, fetched in
// parallel: the engine behind `sparseio cat` and `verify`.
//
// The ranges are cut into --chunk-size pieces in output order; `jobs`
// workers claim them in that order from an OrderedDelivery and fill them,
// and next() hands out each piece's bytes as soon as they arrive, so the
// first byte goes out while later pieces are fetched behind it.
//
// With a destination, a piece's present bytes are read from DST and its
// missing bytes are fetched, written and recorded as `fetch` does (the same
// PieceWriter); with `store` false, or without a destination, nothing is
// written to disk.
//
// Memory: the reorder window holds at most 2 x jobs pieces (one being
// fetched and one waiting per worker), so at most 2 x jobs x chunk-size bytes
// (128 MiB at the URL defaults of 8 jobs x 8 MiB) however long the ranges.
#pragma once

#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "core/byte_range.h"
#include "engine/fetch_coordinator.h"
#include "engine/ordered_delivery.h"
#include "engine/progress.h"
#include "source/source.h"
#include "store/destination.h"

namespace sparseio {

// Workers of a stream from a remote source when not given: the fixed URL
// default from before the link-following scheduler, which the stream does not
// use yet (its reorder window, 2 x 8 x 8 MiB, is sized from the workers).
inline constexpr unsigned kRemoteStreamJobs = 8;

struct StreamOptions {
  unsigned jobs = 0;            // workers; 0: number of cores (kRemoteStreamJobs for a remote source)
  uint64_t chunk_size = 0;      // largest piece; 0: the source's default
  unsigned window_per_job = 2;  // pieces the window holds per worker
  bool store = true;            // write fetched bytes to the destination (when there is one)
  // A stop requested here starts no new piece: the stream ends early (the
  // reader sees the end) and interrupted() says so.
  const RunControl* control = nullptr;
  ProgressMonitor* progress = nullptr;  // attached until close()
};

class RangeStream {
 public:
  // `dest` may be null. Ranges past the end of the source are clipped.
  // A source without range support is read in one stream from offset 0,
  // which needs the ranges in ascending order (an Error otherwise).
  RangeStream(Source& source, Destination* dest, std::vector<ByteRange> ranges, StreamOptions options = {});
  ~RangeStream();  // close()
  RangeStream(const RangeStream&) = delete;
  RangeStream& operator=(const RangeStream&) = delete;

  // The next bytes in order, waiting for them; empty at the end. Valid until
  // the next call. Throws the error of the first failed piece on reaching it.
  std::span<const std::byte> next();
  // Copies up to buf.size() next bytes; 0 at the end.
  size_t read(std::span<std::byte> buf);

  // Stops: no new piece starts, running transfers stop at their next bytes
  // (what they wrote to DST is recorded), the workers are joined and DST's
  // records made durable. Called by the destructor; safe to call twice.
  void close();

  // Counts so far (requested_bytes: the bytes the ranges add up to;
  // interrupted: a stop was requested before every piece was delivered).
  FetchStats stats() const;
  size_t window() const { return delivery_.window(); }

 private:
  class SlotWriter;
  class SpanningWriter;
  ProgressSnapshot snapshot() const;
  void work();
  void work_in_one_stream();
  void fill(size_t i);
  // Fetches `r` into piece i (and into DST when storing).
  void fetch_into_piece(size_t i, ByteRange r);

  Source& source_;
  Destination* dest_;
  StreamOptions options_;
  OrderedDelivery delivery_;
  std::span<const std::byte> pending_;  // read(): bytes of next() not copied yet
  uint64_t requested_ = 0;
  std::atomic<uint64_t> fetched_{0}, requests_{0}, reused_{0};
  std::atomic<unsigned> active_{0};       // pieces being filled now (for progress)
  std::atomic<bool> interrupted_{false};  // a worker saw the stop request
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool closed_ = false;
  std::vector<std::jthread> workers_;  // last: joined before the rest goes
};

}  // namespace sparseio
