#include "engine/scheduler.h"

#include <algorithm>
#include <cmath>

namespace sparseio {

void RecentMedian::add(double v) {
  if (values_.size() < keep_) {
    values_.push_back(v);
  } else {
    values_[next_] = v;
    next_ = (next_ + 1) % keep_;
  }
}

double RecentMedian::median() const {
  if (values_.empty()) return 0;
  std::vector<double> v = values_;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

double RecentMedian::min() const {
  return values_.empty() ? 0 : *std::min_element(values_.begin(), values_.end());
}

void LinkMeter::add(double ttfb_s, uint64_t bytes, double body_s) {
  if (ttfb_s >= 0) ttfb_.add(ttfb_s);
  if (bytes >= kBandwidthSampleBytes && body_s > 0) bandwidth_.add(static_cast<double>(bytes) / body_s);
}

LinkEstimate LinkMeter::estimate() const { return {ttfb_.min(), bandwidth_.median()}; }

ConcurrencyControl::ConcurrencyControl(unsigned fixed, unsigned start, unsigned max, unsigned cores)
    : fixed_(fixed > 0),
      limit_(fixed > 0 ? fixed : std::clamp(start, 1u, std::max(1u, max))),
      max_(fixed > 0 ? fixed : std::max(1u, max)),
      cores_(cores) {}

double ConcurrencyControl::window_length(double ttfb_s) const { return std::max(kMinWindow, 2 * ttfb_s); }

bool ConcurrencyControl::window_ended(double now_s, double ttfb_s) const {
  return now_s - window_start_ >= window_length(ttfb_s);
}

void ConcurrencyControl::restart_window(double now_s, uint64_t progress, double cpu_s) {
  window_open_ = true;
  window_start_ = now_s;
  window_bytes_ = progress;
  window_cpu_ = cpu_s;
}

void ConcurrencyControl::change_limit(unsigned limit) {
  limit_ = limit;
  settling_ = true;
}

void ConcurrencyControl::judge(double rate, bool cpu_bound) {
  if (on_trial_) {
    on_trial_ = false;
    const double step = static_cast<double>(limit_) / limit_before_ - 1;
    if (rate < (1 + kGrowthShare * step) * rate_before_) {
      // The added requests bought (almost) nothing: they only cost CPU,
      // memory and the server's patience.
      slow_start_ = raising_ = false;
      change_limit(limit_before_);
      return;
    }
  }
  rate_before_ = rate;
  if (!raising_ || limit_ >= max_ || cpu_bound) return;
  limit_before_ = limit_;
  on_trial_ = true;
  change_limit(std::min(max_, slow_start_ ? 2 * limit_ : limit_ + std::max(1u, limit_ / 4)));
}

bool ConcurrencyControl::tick(double now_s, uint64_t progress, unsigned in_flight, double ttfb_s,
                              double cpu_s) {
  if (!window_open_) {
    restart_window(now_s, progress, cpu_s);
    return false;
  }
  if (!window_ended(now_s, ttfb_s)) return false;
  const double elapsed = now_s - window_start_;
  const double rate = static_cast<double>(progress - window_bytes_) / elapsed;
  const bool cpu_bound = cores_ > 0 && cpu_s - window_cpu_ >= kCpuBoundShare * cores_ * elapsed;
  restart_window(now_s, progress, cpu_s);
  peak_rate_ = std::max(peak_rate_, rate);
  if (fixed_) return false;
  if (settling_) {
    // Requests started under a new limit spend this window reaching their
    // first byte: its throughput belongs to neither limit.
    settling_ = false;
    return false;
  }
  // A window in which the limit was not in use (too little work, or the
  // tail of a batch) says nothing about whether more would help. A tick at
  // the end of a piece sees one request fewer than were running.
  if (in_flight + 1 < limit_) return false;
  const unsigned before = limit_;
  judge(rate, cpu_bound);
  return limit_ != before;
}

bool ConcurrencyControl::wants_cpu(double now_s, double ttfb_s) const {
  return cores_ > 0 && !fixed_ && (!window_open_ || window_ended(now_s, ttfb_s));
}

void ConcurrencyControl::new_batch() {
  window_open_ = false;
  settling_ = true;
  on_trial_ = false;
}

bool ConcurrencyControl::throttled(double now_s, double ttfb_s) {
  if (fixed_ || now_s - last_decrease_ < window_length(ttfb_s)) return false;
  last_decrease_ = now_s;
  const unsigned before = limit_;
  // Halved from where the overload began (a raise on trial is what did it).
  on_trial_ = false;
  slow_start_ = false;
  raising_ = true;   // below what worked: additive raises may find it again
  rate_before_ = 0;  // the next window measures the new limit afresh
  window_open_ = false;
  change_limit(std::max(1u, limit_ / 2));
  return limit_ != before;
}

uint64_t link_coalesce_gap(const LinkEstimate& link, uint64_t max_piece, double peak_rate,
                           unsigned connections) {
  // Before any throughput was measured, the floor: guessing high would
  // over-fetch exactly while the link is unknown.
  if (peak_rate <= 0) return kMinCoalesceGap;
  double bandwidth = link.conn_bandwidth > 0 ? link.conn_bandwidth : kAssumedConnBandwidth;
  const double aggregate = std::max(peak_rate, kAssumedAggregateBandwidth);
  bandwidth = std::min(bandwidth, aggregate / std::max(1u, connections));
  const double gap = link.ttfb_s * bandwidth;
  const uint64_t cap = std::max(kMinCoalesceGap, max_piece / 4);
  if (!(gap < static_cast<double>(cap))) return cap;
  return std::max(kMinCoalesceGap, static_cast<uint64_t>(gap));
}

uint64_t split_piece_size(uint64_t chunk_size, uint64_t work_left, size_t ranges_left, unsigned connections) {
  if (connections <= 1 || work_left >= chunk_size * connections) return chunk_size;
  // Each range after this one ends a piece of its own; with as many such
  // ranges as connections (many small ranges), the ranges are the pieces.
  if (ranges_left + 1 >= connections) return chunk_size;
  const uint64_t spare = connections - ranges_left;
  const uint64_t share = (work_left + spare - 1) / spare;
  return std::min(chunk_size, std::max(kMinSplitPiece, share));
}

unsigned FetchScheduler::start_limit(unsigned fixed, unsigned max, double latency_hint_s) {
  if (fixed > 0) return fixed;
  return latency_hint_s >= kLatencyStartAtCap ? max : std::min(max, kStartConnections);
}

FetchScheduler::FetchScheduler(const SchedulerOptions& options)
    : options_(options),
      max_(options.jobs > 0
               ? options.jobs
               : (options.max_connections > 0 ? options.max_connections : kDefaultMaxConnections)),
      control_(options.jobs, start_limit(options.jobs, max_, options.latency_hint_s), max_, options.cores) {
  summary_.adaptive_concurrency = !control_.fixed();
  summary_.adaptive_coalescing = !options_.coalesce_fixed;
  summary_.start_limit = control_.limit();
  summary_.latency_hint_s = options_.latency_hint_s;
  // Discovery's round trip is the first TTFB sample: windows and the
  // coalescing gap know the latency before the first piece ends.
  if (options_.latency_hint_s > 0) meter_.add(options_.latency_hint_s, 0, 0);
}

uint64_t FetchScheduler::coalesce_gap() const {
  if (options_.coalesce_fixed) return options_.coalesce_gap;
  return link_coalesce_gap(meter_.estimate(), options_.chunk_size, control_.peak_rate(), control_.limit());
}

bool overfetch_within_bound(uint64_t overfetched, uint64_t wanted) {
  return overfetched <= wanted * kMaxOverfetchRatio;
}

bool FetchScheduler::may_overfetch(uint64_t wanted, uint64_t extra) const {
  if (options_.coalesce_fixed) return true;
  return overfetch_within_bound(summary_.overfetched_bytes + extra, wanted_taken_ + wanted);
}

uint64_t FetchScheduler::piece_size(uint64_t work_left, size_t ranges_left) const {
  if (!options_.split_tail) return options_.chunk_size;
  // Split for the connections there may be, not only those there are: the
  // limit grows while the last pieces are cut (a Parquet-like read of 60 MB
  // was cut for 8 connections, then ran on 16).
  return split_piece_size(options_.chunk_size, work_left, ranges_left,
                          control_.fixed() ? control_.limit() : max_);
}

bool FetchScheduler::on_start(double now_s, unsigned in_flight, uint64_t progress, double cpu_s) {
  summary_.peak_in_flight = std::max(summary_.peak_in_flight, in_flight);
  return control_.tick(now_s, progress, in_flight, meter_.ttfb_s(), cpu_s);
}

bool FetchScheduler::on_finish(double now_s, unsigned in_flight, uint64_t progress, double ttfb_s,
                               uint64_t bytes, double body_s, double cpu_s) {
  meter_.add(ttfb_s, bytes, body_s);
  return control_.tick(now_s, progress, in_flight, meter_.ttfb_s(), cpu_s);
}

bool FetchScheduler::on_throttle(double now_s) {
  ++summary_.throttles;
  return control_.throttled(now_s, meter_.ttfb_s());
}

SchedulerSummary FetchScheduler::summary() const {
  SchedulerSummary s = summary_;
  s.final_limit = control_.limit();
  s.coalesce_gap = coalesce_gap();
  s.link = meter_.estimate();
  return s;
}

}  // namespace sparseio
