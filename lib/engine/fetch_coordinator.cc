#include "engine/fetch_coordinator.h"

#include <fmt/format.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "core/content_hash.h"
#include "core/coverage_map.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "core/log.h"
#include "engine/piece_writer.h"

namespace sparseio {

struct FetchCoordinator::Batch {
  std::vector<ByteRange> wanted;  // sorted, disjoint
  size_t index = 0;               // wanted[index] is the range being cut
  uint64_t cursor = 0;            // next offset to consider inside wanted[index]
  unsigned running = 0;           // worker loops still going
  unsigned busy = 0;              // of those, loops transferring a piece
  bool stopped = false;           // an error occurred: start nothing new
  std::exception_ptr error;
  uint64_t fetched = 0, requests = 0;
  std::atomic<uint64_t> written{0};     // bytes written so far, pieces in flight included (for progress)
  uint64_t remaining = 0;               // wanted bytes not yet taken (sizes the last pieces)
  const RunControl* control = nullptr;  // this call's stop (FetchCall), besides the coordinator's
};

namespace {

unsigned default_jobs() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : n;
}

// Cores this process may run on (its affinity, as taskset or a cpuset
// container sets it), else the machine's.
unsigned usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<unsigned>(CPU_COUNT(&set));
  return default_jobs();
}

// Resolves the defaults that depend on the kind of source, once.
FetchOptions resolve(FetchOptions o, const Source& source) {
  if (o.chunk_size == 0) o.chunk_size = source.default_chunk_size();
  if (!source.remote()) {
    if (o.jobs == 0) o.jobs = default_jobs();
    if (!o.coalesce_gap) o.coalesce_gap = 0;
  }
  if (o.max_connections == 0) o.max_connections = kDefaultMaxConnections;
  return o;
}

SchedulerOptions scheduler_options(const FetchOptions& o, const Source& source) {
  SchedulerOptions s;
  s.jobs = o.jobs;
  s.max_connections = o.max_connections;
  s.coalesce_fixed = o.coalesce_gap.has_value();
  s.coalesce_gap = o.coalesce_gap.value_or(0);
  s.chunk_size = o.chunk_size;
  s.split_tail = source.remote();
  s.cores = source.remote() && o.jobs == 0 ? usable_cores() : 0;
  s.latency_hint_s = source.latency_hint_s();  // 0 for a local source
  return s;
}

void log_schedule(const SchedulerSummary& s) {
  // Why it started where it did: the cap after a far discovery round trip.
  const std::string start = !s.adaptive_concurrency ? "fixed by -j"
                            : s.latency_hint_s >= kLatencyStartAtCap
                                ? fmt::format("following the link, from {} as the HEAD took {:.1f} ms",
                                              s.start_limit, s.latency_hint_s * 1000)
                                : fmt::format("following the link, from {}", s.start_limit);
  const std::string line = fmt::format(
      "scheduler: {} requests in flight at most ({}, limit {} at the end); coalescing gaps below {} bytes "
      "({}), "
      "{} bytes over-fetched; measured time to first byte {:.1f} ms, {:.1f} MiB/s per connection{}; {} "
      "push-backs",
      s.peak_in_flight, start, s.final_limit, s.coalesce_gap,
      s.adaptive_coalescing ? "following the link" : "fixed", s.overfetched_bytes, s.link.ttfb_s * 1000,
      (s.link.conn_bandwidth > 0 ? s.link.conn_bandwidth : kAssumedConnBandwidth) / (1 << 20),
      s.link.conn_bandwidth > 0 ? "" : " (assumed, no transfer big enough to measure)", s.throttles);
  // What -v shows when the scheduler chose anything; else only -vv.
  if (s.adaptive_concurrency || s.adaptive_coalescing)
    log::info("{}", line);
  else
    log::debug("{}", line);
}

}  // namespace

FetchCoordinator::FetchCoordinator(Source& source, Destination& dest, FetchOptions options,
                                   CpuClock cpu_clock)
    : source_(source),
      dest_(dest),
      options_(resolve(options, source)),
      cpu_clock_(cpu_clock),
      scheduler_(scheduler_options(options_, source)),
      pool_(scheduler_.max_in_flight()) {}

FetchCoordinator::~FetchCoordinator() = default;

double process_cpu_seconds() {
  timespec ts{};
  if (::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double FetchCoordinator::now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
}

// What one piece's transfer tells the scheduler about the link: when the
// first answer's headers arrived (its time to first byte, fed to the
// scheduler with the piece's end) and each push-back (passed on at once).
class FetchCoordinator::PieceLink final : public LinkObserver {
 public:
  explicit PieceLink(FetchCoordinator& fc) : fc_(fc) {}
  void response_started() override {
    if (!first_byte_) first_byte_ = std::chrono::steady_clock::now();
  }
  void throttled() override { fc_.throttled(); }
  // When the response's headers arrived, if they did (after retries: the first's).
  std::optional<std::chrono::steady_clock::time_point> first_byte() const { return first_byte_; }

 private:
  FetchCoordinator& fc_;
  std::optional<std::chrono::steady_clock::time_point> first_byte_;
};

void FetchCoordinator::throttled() {
  std::lock_guard lock(mu_);
  if (scheduler_.on_throttle(now()))
    log::info("scheduler: the server pushes back: {} requests in flight at most now", scheduler_.limit());
}

ByteRange FetchCoordinator::take_piece(Batch& b) {
  const uint64_t coalesce_gap = scheduler_.coalesce_gap();
  const size_t ranges_after = b.wanted.size() - std::min(b.wanted.size(), b.index + 1);
  // The bytes in flight count only where a split is possible (fewer ranges
  // left than connections): a 10^6-range list would pay a walk of the
  // pieces in flight for every piece.
  const uint64_t in_flight_left = ranges_after + 1 < scheduler_.max_in_flight() ? unreceived_in_flight() : 0;
  const uint64_t max_piece = scheduler_.piece_size(b.remaining + in_flight_left, ranges_after);
  while (!b.stopped && !stop_requested(b) && b.index < b.wanted.size()) {
    ByteRange w = b.wanted[b.index];
    if (b.cursor < w.begin) b.cursor = w.begin;
    if (b.cursor >= w.end) {
      ++b.index;
      continue;
    }
    // Skip what is present now (another call may have fetched it meanwhile).
    uint64_t start = dest_.first_missing_from(b.cursor);
    if (start >= w.end) {
      ++b.index;
      continue;
    }
    // Only gaps that can join this piece matter: the rest of a fragmented
    // range would make every piece cost O(gaps).
    uint64_t reach = start + max_piece + coalesce_gap;
    const uint64_t probe_end = std::min(w.end, reach < start ? w.end : reach);
    std::vector<ByteRange> gaps = dest_.missing({start, probe_end});
    if (gaps.empty()) {
      // Another call claimed these bytes between the two reads of DST (seen
      // under ASan: front() of an empty vector); a punch cannot, as it waits
      // for every transfer. Go on past them.
      b.cursor = probe_end;
      continue;
    }
    ByteRange gap = gaps.front();
    // Leave bytes another transfer is already fetching to that transfer.
    auto it = in_flight_.upper_bound(gap.begin);
    if (it != in_flight_.begin() && std::prev(it)->second > gap.begin) {
      b.cursor = std::prev(it)->second;
      continue;
    }
    uint64_t end = std::min(gap.end, gap.begin + max_piece);
    if (it != in_flight_.end() && it->first < end) end = it->first;
    uint64_t extra = 0;  // bytes fetched only because of coalescing
    // Coalesce: when the next gap is close, fetch the bytes between too.
    // Each merge must keep the over-fetch within its bound (kMaxOverfetchRatio).
    auto bounded = [&](uint64_t next_end, uint64_t more_extra) {
      const uint64_t new_extra = extra + more_extra;
      return scheduler_.may_overfetch(next_end - gap.begin - new_extra, new_extra);
    };
    for (size_t i = 1; i < gaps.size() && coalesce_gap > 0; ++i) {
      if (gaps[i].begin - end >= coalesce_gap) break;
      uint64_t next_end = std::min(gaps[i].end, gap.begin + max_piece);
      if (next_end <= end || (it != in_flight_.end() && it->first < next_end)) break;
      if (!bounded(next_end, gaps[i].begin - end)) break;
      extra += gaps[i].begin - end;
      end = next_end;
    }
    // And across wanted ranges: the next one, when it starts close by.
    while (end == b.wanted[b.index].end && b.index + 1 < b.wanted.size()) {
      const ByteRange next = b.wanted[b.index + 1];
      if (next.begin - end >= coalesce_gap || gap.begin + max_piece <= next.begin) break;
      std::vector<ByteRange> head = dest_.missing({next.begin, std::min(next.end, gap.begin + max_piece)});
      if (head.empty() || head.front().begin != next.begin) break;  // it starts present: its own piece
      uint64_t next_end = head.front().end;
      if (it != in_flight_.end() && it->first < next_end) break;
      if (!bounded(next_end, next.begin - end)) break;
      extra += next.begin - end;
      end = next_end;
      ++b.index;
    }
    ByteRange piece{gap.begin, end};
    in_flight_.emplace(piece.begin, piece.end);
    b.cursor = piece.end;
    b.remaining -= std::min(b.remaining, piece.size() - extra);
    scheduler_.add_piece(piece.size() - extra, extra);
    const double t = now();
    const double cpu = scheduler_.wants_cpu(t) ? cpu_clock_() : 0;
    if (scheduler_.on_start(t, static_cast<unsigned>(in_flight_.size()), progress_.load(), cpu))
      limit_changed();
    return piece;
  }
  return {0, 0};
}

uint64_t FetchCoordinator::unreceived_in_flight() const {
  uint64_t sum = 0;
  for (const auto& [begin, end] : in_flight_) {
    auto h = heads_.find(begin);
    const uint64_t head = h == heads_.end() ? begin : h->second.written_to->load(std::memory_order_relaxed);
    sum += end - std::min(end, head);
  }
  return sum;
}

void FetchCoordinator::transfer(Batch& b, ByteRange piece) {
  std::atomic<uint64_t> head{piece.begin};
  PieceWriter writer(dest_, piece, &b.written, &head);
  writer.count_all_bytes_in(&progress_);
  PieceLink link(*this);
  const auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    heads_.emplace(piece.begin, Head{piece.end, &head});
  }
  std::exception_ptr error;
  try {
    source_.fetch_into(piece, writer, link);
    if (writer.done() != piece.end)
      throw Error(fmt::format("{} delivered {} of {} bytes at offset {}", source_.name(),
                              writer.done() - piece.begin, piece.size(), piece.begin));
  } catch (...) {
    error = std::current_exception();
  }
  // Record what reached DST (all of it, or the valid prefix of a failure).
  ByteRange written{piece.begin, writer.done()};
  try {
    dest_.mark_present(written, writer.hash());
  } catch (...) {
    if (!error) error = std::current_exception();
  }
  const auto ended = std::chrono::steady_clock::now();
  double ttfb_s = -1, body_s = 0;
  if (auto first = link.first_byte()) {
    ttfb_s = std::chrono::duration<double>(*first - started).count();
    body_s = std::chrono::duration<double>(ended - *first).count();
  }
  std::lock_guard lock(mu_);
  in_flight_.erase(piece.begin);
  heads_.erase(piece.begin);
  if (error && written.end < piece.end) {
    if (failures_.size() == kRememberedFailures) failures_.erase(failures_.begin());
    failures_.push_back({{written.end, piece.end}, error});
  }
  b.fetched += written.size();
  ++b.requests;
  if (error && !b.error) {
    b.error = error;
    b.stopped = true;
  }
  const double t = now();
  const double cpu = scheduler_.wants_cpu(t) ? cpu_clock_() : 0;
  const bool grew = scheduler_.on_finish(t, static_cast<unsigned>(in_flight_.size()), progress_.load(),
                                         ttfb_s, written.size(), body_s, cpu);
  if (grew || b.stopped) limit_changed();
  slot_.notify_one();
  changed_.notify_all();
}

LinkEstimate FetchCoordinator::link() const {
  std::lock_guard lock(mu_);
  return scheduler_.summary().link;
}

std::exception_ptr FetchCoordinator::failure_within(ByteRange r) const {
  for (auto it = failures_.rbegin(); it != failures_.rend(); ++it)
    if (it->piece.overlaps(r)) return it->error;
  return nullptr;
}

void FetchCoordinator::limit_changed() {
  log::debug("scheduler: up to {} requests in flight, coalescing gaps below {} bytes", scheduler_.limit(),
             scheduler_.coalesce_gap());
  slot_.notify_all();
}

void FetchCoordinator::run_batch(Batch* b) {
  std::unique_lock lock(mu_);
  for (;;) {
    // Start a piece only while the scheduler allows another in flight.
    slot_.wait(lock, [&] {
      return in_flight_.size() < scheduler_.limit() || b->stopped || b->index >= b->wanted.size();
    });
    ByteRange piece = take_piece(*b);
    if (piece.empty()) break;
    // Every loop of this batch busy and room for another piece (the limit
    // grew): one more loop. Loops start as the limit needs them, so a
    // batch that stays at 8 in flight runs 8 threads, not the cap's 64.
    if (++b->busy == b->running && b->running < pool_.size() && in_flight_.size() < scheduler_.limit()) {
      ++b->running;
      try {
        pool_.post([this, b] { run_batch(b); });
      } catch (...) {
        --b->running;  // no thread to be had (a pids limit): the loops there are go on
      }
    }
    lock.unlock();
    log::debug("fetching {}-{} ({} bytes)", piece.begin, piece.end - 1, piece.size());
    transfer(*b, piece);
    lock.lock();
    --b->busy;
  }
  --b->running;        // the last use of b: fetch() may return and destroy it now
  slot_.notify_one();  // pass on a wake-up this loop may have taken from another batch
  changed_.notify_all();
}

ProgressSnapshot FetchCoordinator::snapshot(const Batch& b, uint64_t requested, uint64_t reused,
                                            size_t cells) {
  ProgressSnapshot s;
  s.object_size = dest_.logical_size();
  s.wanted_bytes = requested;
  s.fetched_bytes = b.written.load(std::memory_order_relaxed);
  s.done_bytes = std::min(requested, reused + s.fetched_bytes);
  struct Flight {
    uint64_t begin, head, end;  // [begin, head) written, not yet recorded
  };
  std::vector<Flight> flights;
  {
    std::lock_guard lock(mu_);
    s.active = static_cast<unsigned>(in_flight_.size());
    s.jobs = scheduler_.limit();  // what may run at once now (it follows the link)
    for (const auto& [begin, h] : heads_)
      flights.push_back({begin, h.written_to->load(std::memory_order_relaxed), h.end});
  }
  if (s.object_size == 0 || cells == 0) return s;
  s.cells.resize(cells);
  for (size_t i = 0; i < cells; ++i) {
    // Cell i covers [i*size/cells, (i+1)*size/cells): 128-bit products, as
    // size * cells can pass 2^64.
    auto edge = [&](size_t k) {
      return static_cast<uint64_t>(static_cast<unsigned __int128>(s.object_size) * k / cells);
    };
    const ByteRange cell{edge(i), edge(i + 1)};
    if (cell.empty()) {
      s.cells[i] = i > 0 ? s.cells[i - 1] : CellState::kAbsent;
      continue;
    }
    // What is recorded, plus what pieces in flight wrote so far; a cell
    // with a piece's write head in it is being fetched.
    uint64_t present = dest_.present_bytes_within({cell});
    bool active = false;
    for (const Flight& f : flights) {
      present += ByteRange{f.begin, f.head}.intersect(cell).size();
      active = active || (f.head < f.end && f.head >= cell.begin && f.head < cell.end);
    }
    present = std::min(present, cell.size());
    s.cells[i] = active                   ? CellState::kActive
                 : present == 0           ? CellState::kAbsent
                 : present == cell.size() ? CellState::kPresent
                                          : CellState::kPartial;
  }
  return s;
}

void FetchCoordinator::fetch_in_one_stream(Batch& b) {
  // From the first wanted byte to the last, present bytes and those between
  // the ranges included: the source can only stream from offset 0 (and
  // throws, saying so, for a piece that starts later).
  std::lock_guard one_at_a_time(one_stream_mu_);
  const ByteRange piece{b.wanted.front().begin, b.wanted.back().end};
  uint64_t wanted = 0;
  for (const ByteRange& w : b.wanted) wanted += w.size();
  if (dest_.present_bytes_within(b.wanted) == wanted) return;  // the stream before brought it all
  {
    std::lock_guard lock(mu_);
    in_flight_.emplace(piece.begin, piece.end);
  }
  transfer(b, piece);
}

FetchStats FetchCoordinator::fetch(const std::vector<ByteRange>& ranges, const FetchCall& call) {
  const auto start = std::chrono::steady_clock::now();
  // The batch lives on this stack: fetch() returns only after every loop that
  // uses it has ended, and so its error is created and destroyed on threads
  // ordered by mu_ (a shared_ptr dropped last by a worker was not).
  Batch batch;
  batch.control = call.control;
  FetchStats stats = plan_batch(ranges, batch);
  {
    WatchedBy watched(call.progress != nullptr ? call.progress : options_.progress, *this, batch, stats);
    if (stats.reused_bytes < stats.requested_bytes) {
      if (source_.supports_ranges())
        run_loops(batch);
      else
        fetch_in_one_stream(batch);
    }
    commit_batch(batch);
  }
  stats.fetched_bytes = batch.fetched;
  stats.requests = batch.requests;
  stats.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  {
    std::lock_guard lock(mu_);
    stats.schedule = scheduler_.summary();
  }
  log_schedule(stats.schedule);
  if (stop_requested(batch)) {
    // Whatever failed after the stop failed because of it (transfers cut
    // short on purpose); what they wrote is recorded and committed.
    stats.interrupted = true;
    const uint64_t present = dest_.present_bytes_within(batch.wanted);
    stats.missing_bytes = stats.requested_bytes - std::min(stats.requested_bytes, present);
    return stats;
  }
  throw_unless_present(batch);
  return stats;
}

FetchStats FetchCoordinator::plan_batch(const std::vector<ByteRange>& ranges, Batch& b) const {
  FetchStats stats;
  CoverageMap want;
  const ByteRange object{0, dest_.logical_size()};
  for (const ByteRange& r : ranges) want.insert(r.intersect(object));
  stats.requested_bytes = want.total_bytes();
  b.wanted = want.ranges();
  want.clear();  // 10^6-range lists: keep one copy, not two
  stats.reused_bytes = dest_.present_bytes_within(b.wanted);
  // Ranges closer than the coalescing gap are fetched as one piece by
  // take_piece (the gap follows the link as it is measured).
  b.remaining = stats.requested_bytes - stats.reused_bytes;
  return stats;
}

FetchCoordinator::WatchedBy::WatchedBy(ProgressMonitor* monitor, FetchCoordinator& c, const Batch& b,
                                       const FetchStats& stats)
    : monitor_(monitor) {
  if (monitor_ == nullptr) return;
  monitor_->attach([&c, &b, requested = stats.requested_bytes, reused = stats.reused_bytes](size_t cells) {
    return c.snapshot(b, requested, reused, cells);
  });
}

FetchCoordinator::WatchedBy::~WatchedBy() {
  if (monitor_ != nullptr) monitor_->detach();
}

void FetchCoordinator::run_loops(Batch& b) {
  unsigned loops = 0;
  {
    std::lock_guard lock(mu_);
    scheduler_.new_batch();
    loops = std::min(pool_.size(), scheduler_.limit());
    // No more loops than pieces the batch can make (a range each, or a
    // split piece each): a handle's read of one block is one piece, and
    // eight loops for it would be seven thread wake-ups for nothing. A
    // loop that finds every loop busy starts another (run_batch).
    const uint64_t pieces = b.wanted.size() + b.remaining / kMinSplitPiece;
    loops = static_cast<unsigned>(std::min<uint64_t>(loops, std::max<uint64_t>(1, pieces)));
    b.running = loops;
  }
  // The calling thread runs one of the loops itself: a handle's read of
  // one block then transfers it on the reader's thread, without handing
  // it to a pool thread and being woken again (two context switches per
  // read, most of a loopback read's cost on the 2-core machine).
  for (unsigned i = 1; i < loops; ++i) {
    try {
      pool_.post([this, batch = &b] { run_batch(batch); });
    } catch (...) {
      // No thread to be had: the loops started so far (this thread's at
      // least) do the work.
      std::lock_guard lock(mu_);
      b.running -= loops - i;
      break;
    }
  }
  run_batch(&b);
  std::unique_lock lock(mu_);
  // Done when our loops ended and no transfer (ours or another call's) that
  // overlaps what we want is still running. Only checked once our loops
  // ended, and then against the few pieces in flight.
  auto overlaps_in_flight = [&] {
    for (const auto& [begin, end] : in_flight_) {
      auto it = std::upper_bound(b.wanted.begin(), b.wanted.end(), begin,
                                 [](uint64_t off, const ByteRange& w) { return off < w.end; });
      if (it != b.wanted.end() && it->begin < end) return true;
    }
    return false;
  };
  changed_.wait(lock, [&] { return b.running == 0 && !overlaps_in_flight(); });
}

void FetchCoordinator::commit_batch(Batch& b) {
  // Make what this call fetched durable, also when it failed part-way.
  try {
    dest_.commit();
  } catch (...) {
    if (!b.error) b.error = std::current_exception();
  }
}

bool FetchCoordinator::stop_requested(const Batch& b) const {
  return sparseio::stop_requested(options_.control) || sparseio::stop_requested(b.control);
}

void FetchCoordinator::throw_unless_present(const Batch& b) const {
  if (b.error) std::rethrow_exception(b.error);
  for (const ByteRange& w : b.wanted) {
    std::vector<ByteRange> gaps = dest_.missing(w);
    if (gaps.empty()) continue;
    std::exception_ptr failure;
    {
      std::lock_guard lock(mu_);
      failure = failure_within(gaps.front());
    }
    if (failure) std::rethrow_exception(failure);
    throw Error(fmt::format("bytes {}-{} of {} were being fetched by another request that failed",
                            gaps.front().begin, gaps.front().end - 1, source_.name()));
  }
}

}  // namespace sparseio
