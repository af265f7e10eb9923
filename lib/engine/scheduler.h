// The scheduler decides, for a remote source, how many requests to keep in
// flight, how far apart two ranges may be and still be fetched as one
// request, and how big a piece of work is, from what it measures of the
// link: the time to first byte (TTFB) of each response and the bandwidth of
// one connection. Over a link with latency the cost is round trips, not CPU:
// 1,000 random 64 KiB ranges behind 30 ms took 3.6 s with a fixed -j 8
// against 0.83 s for curl --parallel-max 64 (issue 14's measurement).
//
// Everything here is plain decisions on numbers, with the time passed in:
// no clock, no lock, no I/O, so that unit tests can drive it. The fetch
// coordinator owns one FetchScheduler and calls it under its own mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sparseio {

// Defaults of the scheduler, resolved here once for the library and the CLI.
inline constexpr unsigned kDefaultMaxConnections = 64;
// Requests in flight before anything is measured, on a link whose latency
// is unknown or low: -j 8 was the HTTP default and the best fixed setting on
// loopback (docs/BENCHMARKS.md); 64 there took 1.8x as long (1,000 random
// 64 KiB ranges: 0.38 s against 0.21 s on the 2-core benchmark machine).
inline constexpr unsigned kStartConnections = 8;
// From this latency of the discovery request on (Source::latency_hint_s),
// the scheduler starts at the cap instead: a request then waits longer for
// its first byte than a 64 KiB piece takes to arrive over a 50 MB/s
// connection (1.3 ms), so the requests in flight, not bandwidth or CPU,
// bound the throughput, and growing to the cap by trial costs round trips
// (at 20 ms: 0.72 s for 1,000 random 64 KiB ranges, 0.49 s with -j 64).
// Loopback and LAN answer in well under it (loopback nginx: 0.1-0.3 ms).
inline constexpr double kLatencyStartAtCap = 0.002;
// Smallest --coalesce-gap the link model chooses for a remote source: the
// fixed default before the scheduler, which loopback runs were tuned with.
inline constexpr uint64_t kMinCoalesceGap = 64u << 10;
// Per-connection bandwidth assumed until a transfer big enough to time
// (kBandwidthSampleBytes) measured it: the order of one S3 connection
// (85-90 MB/s) and of a long-haul TCP connection, rounded down.
inline constexpr double kAssumedConnBandwidth = 64.0 * (1 << 20);
// Throughput of all connections together assumed at least possible, where
// the best measured is less: a latency-bound fetch measures what its round
// trips allowed, not what the machine and link can carry (1,000 random
// 64 KiB ranges at 100 ms measured 40 MiB/s; the 2-core benchmark machine
// carries 280-390 MiB/s). Eight connections' worth of kAssumedConnBandwidth.
inline constexpr double kAssumedAggregateBandwidth = 8 * kAssumedConnBandwidth;
// Transfers smaller than this say nothing reliable about bandwidth: their
// body arrives in one or two socket buffers.
inline constexpr uint64_t kBandwidthSampleBytes = 1u << 20;
// Pieces are never split below this (bigger when TTFB × bandwidth is).
inline constexpr uint64_t kMinSplitPiece = 256u << 10;

// Median and minimum of the last few samples.
class RecentMedian {
 public:
  explicit RecentMedian(size_t keep = 31) : keep_(keep) {}
  void add(double v);
  bool empty() const { return values_.empty(); }
  double median() const;  // 0 when empty
  double min() const;     // 0 when empty

 private:
  size_t keep_;
  size_t next_ = 0;
  std::vector<double> values_;
};

// What the link looks like so far.
struct LinkEstimate {
  // The least time from request to first byte of the recent responses (0:
  // unknown): the link's own latency. The median would include the queueing
  // that our own load causes: on the benchmark machine, 64 connections
  // over-fetching 400 MB raised the median TTFB of a 20 ms link to 340 ms,
  // which widened the coalescing gap, which over-fetched more.
  double ttfb_s = 0;
  double conn_bandwidth = 0;  // median bytes/s of one big response's body; 0: unknown
};

class LinkMeter {
 public:
  // One finished response: `ttfb_s` from request to first byte, then
  // `bytes` of body in `body_s`.
  void add(double ttfb_s, uint64_t bytes, double body_s);
  LinkEstimate estimate() const;
  // estimate().ttfb_s without the bandwidth's median (a copy and a
  // selection): what every piece's start and end need.
  double ttfb_s() const { return ttfb_.min(); }

 private:
  RecentMedian ttfb_, bandwidth_;
};

// Requests in flight, by trial: raise the limit (doubling while every step
// paid off; by a quarter after push-back), keep the raise when throughput
// grew with it (kGrowthShare), else take it back and stop raising. Multiplicative decrease
// when the server pushes back, after which raising may resume.
//
// Keeping only raises that pay matters where the CPU, not the link, is the
// bottleneck: on loopback with 2 cores, a limit that grew whenever a window
// happened to be faster than the last reached ~50 and took 1.8x as long
// as 8 (0.38 s against 0.21 s for 1,000 random 64 KiB ranges).
class ConcurrencyControl {
 public:
  // `fixed` > 0: always that many (-j N). Otherwise start at `start` and stay
  // within [1, max]. `cores` > 0: no raise is tried in a window in which the
  // process kept kCpuBoundShare of them busy (0: CPU not watched).
  ConcurrencyControl(unsigned fixed, unsigned start, unsigned max, unsigned cores = 0);

  unsigned limit() const { return limit_; }
  // The best throughput (bytes/s) of any window so far; 0 before the first.
  double peak_rate() const { return peak_rate_; }
  bool fixed() const { return fixed_; }

  // Called whenever something happens (a piece taken or finished): `now_s`
  // on a monotonic clock, `progress` the bytes received so far (a running
  // total), `in_flight` the requests running now, `ttfb_s` the current
  // estimate, `cpu_s` the process's CPU seconds so far (a running total; 0
  // when not watched). A window lasts max(kMinWindow, 2 × TTFB). The first window
  // after the start or a change of the limit only lets the new requests
  // reach their first byte; the next one, when the limit was in use,
  // measures the limit: a raise on trial is kept when its throughput grew
  // enough over that of the limit before it, else taken back. Returns true
  // when limit() changed.
  bool tick(double now_s, uint64_t progress, unsigned in_flight, double ttfb_s, double cpu_s = 0);
  // Whether a tick at `now_s` would read `cpu_s`: the CPU is watched and a
  // window opens or closes. The process's CPU clock sums every thread, so
  // it is read only then, not for every piece.
  bool wants_cpu(double now_s, double ttfb_s) const;
  // A new batch of work begins: the window restarts and settles, and a raise
  // on trial is kept without a verdict (the time between batches would
  // count as a window without throughput).
  void new_batch();
  // 429, 503 (S3's SlowDown) or a failed connection: halve the limit, at
  // most once per window (every request in flight may report the same
  // overload). Returns true when limit() changed.
  bool throttled(double now_s, double ttfb_s);

  // 20 ms: shorter windows measure scheduling noise, not the link; loopback
  // throughput sampled over 20 ms varied ±15% on the benchmark machine.
  static constexpr double kMinWindow = 0.020;
  // A raise from L to L' is kept when throughput grew by at least this
  // share of the proportional gain (L'/L - 1): 1.2x for a doubling, less
  // for a smaller step (a step to the cap may be small). A smaller gain is
  // taken for noise (see kMinWindow).
  static constexpr double kGrowthShare = 0.2;
  // More requests cannot help a fetch that keeps this share of the cores
  // busy: the CPU is its bottleneck. On loopback with 2 cores, sparseio
  // used 62% of them for 1,000 random 64 KiB ranges (nginx the rest), and
  // the trial of 16 requests in flight made the fetch 15-20% slower than 8.
  static constexpr double kCpuBoundShare = 0.5;

 private:
  double window_length(double ttfb_s) const;
  bool window_ended(double now_s, double ttfb_s) const;  // the open window has lasted its length
  void restart_window(double now_s, uint64_t progress, double cpu_s);
  // Sets the limit; the next window settles it.
  void change_limit(unsigned limit);
  // Judges the limit by `rate`, a window's throughput with it in use;
  // `cpu_bound`: the window kept the cores busy, so no raise is tried.
  void judge(double rate, bool cpu_bound);

  bool fixed_;
  unsigned limit_, max_;
  bool slow_start_ = true;  // raises double (until one does not pay)
  bool raising_ = true;     // raises are tried (until one does not pay)
  bool on_trial_ = false;   // limit_ is a raise from limit_before_, being judged
  unsigned limit_before_ = 0;
  double rate_before_ = 0;  // throughput of the last limit kept
  bool window_open_ = false;
  bool settling_ = true;  // the current window follows a start or a change: not judged
  unsigned cores_;
  double window_start_ = 0;
  uint64_t window_bytes_ = 0;
  double window_cpu_ = 0;
  double peak_rate_ = 0;
  double last_decrease_ = -1e9;
};

// Bytes between two wanted ranges worth fetching rather than making another
// request: what one connection receives while a new request waits for its
// first byte (TTFB × per-connection bandwidth, the model of Apache Arrow's
// CacheOptions::MakeFromNetworkMetrics), at least kMinCoalesceGap and at most
// a quarter of `max_piece`, so that a merged request remains one of several
// pieces that connections work on in parallel.
//
// The bandwidth is one connection's share of the best aggregate throughput
// seen (`peak_rate` / `connections`) when that is less than what one
// connection measured alone: the gap's bytes take their share from every
// other connection, while the round trip it saves costs one connection
// only. Without that share, on the 2-core benchmark machine (where the
// aggregate, not the 50 MiB/s cap, was the limit), 1,000 random 64 KiB ranges
// behind 20 ms over-fetched 84 MB and took 1.8 s against 0.76 s with 64 KiB.
// Before any throughput is known (`peak_rate` 0): kMinCoalesceGap.
uint64_t link_coalesce_gap(const LinkEstimate& link, uint64_t max_piece, double peak_rate,
                           unsigned connections);

// The bound on the bytes coalescing may over-fetch when the gap follows the
// link (no --coalesce-gap): at most this many times the wanted bytes taken so
// far. Unbounded, 1,600 random 4 KiB ranges (6.5 MB) behind a 40 ms link
// fetched 93 MB (14x the bytes, on disk and on an egress bill) to finish in
// 1.23 s instead of 1.57 s without coalescing: the gap that pays off in time
// alone charges nothing for bytes. At 1, a fetch transfers at most twice what
// it wants.
inline constexpr uint64_t kMaxOverfetchRatio = 1;

// Whether a fetch that has taken `wanted` bytes it wants may have
// over-fetched `overfetched` bytes (both counting the piece being merged).
bool overfetch_within_bound(uint64_t overfetched, uint64_t wanted);

// The largest piece to take now: `chunk_size`, or less near the end, so that
// the work left spreads over all `connections` and none sits idle while one
// finishes a long last piece. `work_left` counts the bytes not yet taken and
// those of the pieces in flight not yet received: pieces in flight hold
// their connections, so the share stays the same while a batch is cut (the
// bytes not yet taken alone shrink with every piece taken, and cut a
// Parquet-like read of 21 ranges into 142 requests, more than one round on
// 64 connections). Each of the `ranges_left` wanted ranges after the one
// being cut ends a piece of its own, so the connections left over share the
// bytes; with none left over (many small ranges) there is no split. Not
// below kMinSplitPiece. No floor of one TTFB's worth: the pieces run at once
// on connections that would otherwise wait, and such a floor (6.4 MiB at
// 100 ms) kept that read on 15 of 64 connections (0.57 s against 0.39 s for
// curl --parallel-max 64).
uint64_t split_piece_size(uint64_t chunk_size, uint64_t work_left, size_t ranges_left, unsigned connections);

// What the scheduler chose, for -v and the JSON report.
struct SchedulerSummary {
  bool adaptive_concurrency = false;
  bool adaptive_coalescing = false;
  unsigned peak_in_flight = 0;     // most requests in flight at once
  unsigned start_limit = 0;        // the concurrency limit at the start
  double latency_hint_s = 0;       // discovery's round trip (SchedulerOptions::latency_hint_s)
  unsigned final_limit = 0;        // the concurrency limit at the end
  uint64_t coalesce_gap = 0;       // the gap limit at the end
  uint64_t overfetched_bytes = 0;  // bytes fetched only because ranges were merged
  LinkEstimate link;
  unsigned throttles = 0;  // 429/503/connection errors seen
};

struct SchedulerOptions {
  unsigned jobs = 0;             // -j: fixed requests in flight; 0: follow the link
  unsigned cores = 0;            // cores of the machine, for ConcurrencyControl; 0: CPU not watched
  unsigned max_connections = 0;  // cap when following the link; 0: kDefaultMaxConnections
  bool coalesce_fixed = false;   // --coalesce-gap given (or a local source)
  uint64_t coalesce_gap = 0;     // its value when fixed
  uint64_t chunk_size = 0;       // largest piece
  bool split_tail = false;       // split the last pieces over the connections (remote sources)
  // The source's latency as discovery measured it (Source::latency_hint_s;
  // 0: unknown): the first TTFB estimate, and the start at the cap from
  // kLatencyStartAtCap on.
  double latency_hint_s = 0;
};

// The policy the coordinator consults; not thread-safe (call under a lock).
class FetchScheduler {
 public:
  explicit FetchScheduler(const SchedulerOptions& options);

  // The limit to start with: kStartConnections, or the cap on a link whose
  // latency hint reaches kLatencyStartAtCap; `fixed` > 0 (-j) wins.
  static unsigned start_limit(unsigned fixed, unsigned max, double latency_hint_s);

  // Threads the coordinator needs: the most requests ever in flight.
  unsigned max_in_flight() const { return max_; }
  unsigned limit() const { return control_.limit(); }
  uint64_t coalesce_gap() const;
  // See split_piece_size.
  uint64_t piece_size(uint64_t work_left, size_t ranges_left) const;

  // A piece was taken (in_flight counts it). True when the limit changed.
  // `cpu_s`: the process's CPU seconds so far (ConcurrencyControl::tick),
  // needed only when wants_cpu(now_s).
  bool on_start(double now_s, unsigned in_flight, uint64_t progress, double cpu_s = 0);
  bool wants_cpu(double now_s) const { return control_.wants_cpu(now_s, meter_.ttfb_s()); }
  void new_batch() { control_.new_batch(); }
  // A piece ended; `ttfb_s` < 0 when no response came.
  bool on_finish(double now_s, unsigned in_flight, uint64_t progress, double ttfb_s, uint64_t bytes,
                 double body_s, double cpu_s = 0);
  bool on_throttle(double now_s);
  // A piece was taken: `wanted` of its bytes were asked for, `extra` fetched
  // only because ranges were merged.
  void add_piece(uint64_t wanted, uint64_t extra) {
    wanted_taken_ += wanted;
    summary_.overfetched_bytes += extra;
  }
  // Whether a piece with `wanted` and `extra` bytes keeps the over-fetch
  // within kMaxOverfetchRatio (always, with a fixed --coalesce-gap: the
  // user's choice, and a local source's 0).
  bool may_overfetch(uint64_t wanted, uint64_t extra) const;

  SchedulerSummary summary() const;

 private:
  SchedulerOptions options_;
  unsigned max_;
  LinkMeter meter_;
  ConcurrencyControl control_;
  SchedulerSummary summary_;
  uint64_t wanted_taken_ = 0;  // wanted bytes of the pieces taken
};

}  // namespace sparseio
