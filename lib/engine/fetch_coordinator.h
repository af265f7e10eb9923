// The fetch coordinator turns requested ranges into transfers: it subtracts
// what DST already holds, cuts the rest into --chunk-size pieces, runs them on
// a pool of worker threads in any order and records each finished piece.
//
// For a remote source the scheduler (engine/scheduler.h) decides how many
// pieces run at once, how far apart ranges may be and still make one piece,
// and how big the last pieces are, from what it measures of the link.
//
// fetch() may be called from several threads at once (each runs one of its
// batch's worker loops itself, the others on the pool): a byte being
// transferred for one call is never transferred again for another; the
// second call waits for the first call's transfer instead.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/byte_range.h"
#include "core/run_control.h"
#include "engine/fetch_stats.h"
#include "engine/progress.h"
#include "engine/scheduler.h"
#include "engine/worker_pool.h"
#include "source/source.h"
#include "store/destination.h"

namespace sparseio {

struct FetchOptions {
  // Pieces in flight. 0: for a remote source, follow the link (from
  // kStartConnections, or from max_connections on a link whose latency hint
  // reaches kLatencyStartAtCap); for a local one, the cores.
  unsigned jobs = 0;
  unsigned max_connections = 0;  // 0: kDefaultMaxConnections
  uint64_t chunk_size = 0;       // largest piece; 0: the source's default
  // Missing pieces closer than this are fetched as one. Unset: follow the
  // link for a remote source (TTFB × bandwidth), 0 for a local one.
  std::optional<uint64_t> coalesce_gap = std::nullopt;
  // A stop requested here starts nothing new and ends the fetch with
  // FetchStats::interrupted once running transfers kept what they wrote.
  const RunControl* control = nullptr;
  ProgressMonitor* progress = nullptr;  // attached while fetch() runs
};

// What one fetch() call may bring besides the coordinator's options: a
// stop and a progress monitor of its own (a handle's calls share one
// coordinator, each with its caller's Options::on_progress).
struct FetchCall {
  const RunControl* control = nullptr;  // a stop asked here ends this call as options.control does
  ProgressMonitor* progress = nullptr;  // attached while this call runs, instead of options.progress
};

// CPU seconds the whole process used so far: the scheduler tries no raise
// while the process keeps half the cores busy (ConcurrencyControl::
// kCpuBoundShare).
using CpuClock = double (*)();
double process_cpu_seconds();  // CLOCK_PROCESS_CPUTIME_ID; 0 when unreadable

class FetchCoordinator {
 public:
  // `cpu_clock` is a seam for tests that judge the growth by throughput
  // alone: their fake source costs CPU a network would not (a clock that
  // stays at 0 says the process never kept the cores busy).
  FetchCoordinator(Source& source, Destination& dest, FetchOptions options = {},
                   CpuClock cpu_clock = process_cpu_seconds);
  ~FetchCoordinator();
  FetchCoordinator(const FetchCoordinator&) = delete;
  FetchCoordinator& operator=(const FetchCoordinator&) = delete;

  // Makes every byte of `ranges` present in DST. Ranges may overlap and come
  // in any order; parts past the end of the source are ignored. On failure,
  // stops starting new pieces, lets running ones finish (they stay recorded),
  // and throws the first error. When options.control asks for a stop, the
  // same happens (each transfer keeps its valid prefix) and fetch returns
  // with stats.interrupted instead of throwing.
  FetchStats fetch(const std::vector<ByteRange>& ranges, const FetchCall& call = {});

  const FetchOptions& options() const { return options_; }
  // What the scheduler measured of the link so far (zeros before anything
  // was measured, and for a local source).
  LinkEstimate link() const;

 private:
  struct Batch;
  // The steps of fetch(): what is wanted and what of it is present; the
  // worker loops (this thread's among them) until every wanted byte is
  // present or being fetched by another call that then ended; the commit of
  // the records; the error of a failed or missing byte.
  FetchStats plan_batch(const std::vector<ByteRange>& ranges, Batch& batch) const;
  void run_loops(Batch& batch);
  void commit_batch(Batch& batch);
  void throw_unless_present(const Batch& batch) const;
  bool stop_requested(const Batch& batch) const;  // the coordinator's or the call's stop
  // A monitor sees the batch from construction to destruction (detached
  // before the batch goes: the display must not see it die).
  class WatchedBy {
   public:
    WatchedBy(ProgressMonitor* monitor, FetchCoordinator& coordinator, const Batch& batch,
              const FetchStats& stats);
    ~WatchedBy();
    WatchedBy(const WatchedBy&) = delete;
    WatchedBy& operator=(const WatchedBy&) = delete;

   private:
    ProgressMonitor* monitor_;
  };
  // Next piece for `batch` to transfer, or an empty range when none is left.
  // Requires mu_.
  ByteRange take_piece(Batch& batch);
  void run_batch(Batch* batch);
  // Bytes of the pieces in flight not received yet (all callers'). Requires mu_.
  uint64_t unreceived_in_flight() const;
  void transfer(Batch& batch, ByteRange piece);
  ProgressSnapshot snapshot(const Batch& batch, uint64_t requested, uint64_t reused, size_t cells);
  // For a source without range support: all of the batch as one piece.
  void fetch_in_one_stream(Batch& batch);
  double now() const;    // seconds since construction
  void throttled();      // a source's push-back, for the scheduler
  class PieceLink;       // one transfer's LinkObserver: its first byte, its push-back
  void limit_changed();  // wakes the loops waiting for a slot; requires mu_
  // The error of a failed transfer of bytes overlapping `r`, if one is
  // remembered. Requires mu_.
  std::exception_ptr failure_within(ByteRange r) const;

  Source& source_;
  Destination& dest_;
  FetchOptions options_;
  CpuClock cpu_clock_;

  mutable std::mutex mu_;
  std::condition_variable changed_;    // a piece finished
  std::condition_variable slot_;       // a piece may start: one ended or the limit grew
  FetchScheduler scheduler_;           // guarded by mu_
  std::atomic<uint64_t> progress_{0};  // bytes received by all pieces so far
  const std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  std::map<uint64_t, uint64_t> in_flight_;  // begin -> end of pieces being transferred
  struct Head {
    uint64_t end;
    const std::atomic<uint64_t>* written_to;  // the piece has bytes [begin, *written_to) in DST
  };
  std::map<uint64_t, Head> heads_;  // begin -> progress of pieces being transferred (for snapshots)
  // The last failed transfers (piece, error): a call that waited for
  // another call's piece which failed throws that piece's error (a changed
  // source is a SourceChangedError for every reader of it, not a vague
  // "another request failed"). A few suffice: they are looked up only for
  // bytes still missing at the end of a call, right after the failure.
  struct Failure {
    ByteRange piece;
    std::exception_ptr error;
  };
  std::vector<Failure> failures_;  // oldest first, at most kRememberedFailures
  static constexpr size_t kRememberedFailures = 16;
  // A source without range support streams from offset 0 only: one such
  // stream at a time, each after the one before it (which may have brought
  // what the next call wants).
  std::mutex one_stream_mu_;
  WorkerPool pool_;  // last: joins before the rest goes
};

}  // namespace sparseio
