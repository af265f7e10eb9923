// sparseio::Object (<sparseio/object.h>): one source materialized in one DST,
// opened once and shared by the threads of a program.
//
// Who owns what (member order of Impl, destroyed bottom-up):
//  - control_: stops transfers (and HTTP retries) when the handle goes, so
//    that a readahead in flight does not hold up the destructor;
//  - core_ (api/object_core.h): the source, DST with its lock, and the one
//    FetchCoordinator every call goes through (it dedupes concurrent and
//    overlapping requests and reuses the source's connections);
//  - gate_ (api/punch_gate.h): reads and fetches pass it shared, punch
//    alone, so no read copies a hole it believed present and no transfer
//    records bytes a punch took away;
//  - readahead_ (engine/readahead.h) and blocks_ (engine/read_block.h),
//    under ra_mu_: which bytes to fetch ahead of a sequential reader, and
//    how big a block a missing read fetches;
//  - prefetch_: the threads that run readahead and read()'s look-ahead
//    (last: joined first, while everything they use still exists).
#include "sparseio/object.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <mutex>
#include <shared_mutex>

#include "api/object_access.h"
#include "api/object_core.h"
#include "api/progress_watch.h"
#include "api/public_types.h"
#include "api/punch_gate.h"
#include "api/verify_command.h"
#include "core/errors.h"
#include "core/log.h"
#include "engine/read_block.h"
#include "engine/readahead.h"
#include "engine/scheduler.h"
#include "engine/worker_pool.h"

namespace sparseio {
namespace {

// Local source: a missing byte copies the 64 KiB around it. A local copy of
// 64 KiB takes microseconds, less than the call's own bookkeeping, and it
// makes one claim where 4 KiB reads would make 16; bigger blocks only copy
// more that nobody asked for.
constexpr uint64_t kLocalReadBlock = 64u << 10;
// Remote source: the largest block (engine/read_block.h: the ends of the
// object, clustered reads) is what one connection carries in one round trip
// (TTFB x bandwidth, the link model of the coalescing gap), so that it costs
// at most about one round trip more than the smallest, and reads near each
// other share a request; within [64 KiB, 1 MiB] (loopback: 64 KiB; 20 ms at
// 64 MiB/s: 1 MiB), a power of two so that blocks stay aligned. Isolated
// reads shrink it to the smallest, 64 KiB: at 50 MiB/s its body takes
// 1.3 ms, 7% of a 20 ms round trip, and the coordinator would coalesce
// gaps below 64 KiB anyway (kMinCoalesceGap).
constexpr uint64_t kMinRemoteReadBlock = 64u << 10;
constexpr uint64_t kMaxRemoteReadBlock = 1u << 20;
// The largest readahead window of one sequential reader. Local: 4 MiB
// (copies are cheap; this only keeps a reader from waiting per block).
// Remote: 32 MiB, one stream's bytes in flight for 320 MiB/s at 100 ms,
// above what the 2-core benchmark machine carries (280-390 MiB/s). The
// bytes go to DST, not memory: the window costs no RSS.
constexpr uint64_t kLocalReadaheadMax = 4u << 20;
constexpr uint64_t kRemoteReadaheadMax = 32u << 20;
// Threads running readahead: one per stream the reader keeps going at once
// (the coordinator runs each prefetch's pieces in parallel itself).
constexpr unsigned kPrefetchThreads = 4;
// read(ranges, sink): pieces delivered one after the other, each fetched
// through the coordinator; this many are fetched ahead of the reader.
constexpr uint64_t kReadPiece = 4u << 20;
constexpr size_t kReadPiecesAhead = 4;

uint64_t align_up(uint64_t v, uint64_t a, uint64_t limit) {
  const uint64_t up = v % a == 0 ? v : (v / a + 1) * a;
  return up < v ? limit : std::min(up, limit);  // no wrap past 2^64
}

}  // namespace

// Hidden: a member of an exported class would otherwise be exported too.
struct __attribute__((visibility("hidden"))) Object::Impl {
  // `open` opens the core for the handle's command (ObjectCore::open, or
  // one of ObjectAccess's openers).
  using CoreOpener = std::function<std::unique_ptr<ObjectCore>(const FetchCommand& cmd)>;
  Impl(const std::string& source, const std::string& destination, const Options& options,
       const CoreOpener& open);
  ~Impl() { control_.request_stop(); }

  // The largest block of a read (ReadBlocks' max_block): fixed by
  // Options::read_block_size, else the link's.
  uint64_t read_block() const;
  uint64_t size() const { return core_->dest().logical_size(); }
  std::vector<ByteRange> resolve(const std::vector<RangeSpec>& ranges) const;
  // Fetches `ranges` under the gate (the caller holds it shared), noting a
  // changed source so that later reads of missing bytes fail at once.
  // `call`: the caller's stop and progress (Options::on_progress).
  FetchStats fetch_locked(const std::vector<ByteRange>& ranges, const FetchCall& call = {});
  void throw_if_changed() const;
  // After a fetch of r returned: r is present, or the handle is going away
  // (its transfers were stopped) and the read fails rather than copy holes.
  void check_present(ByteRange r) const {
    if (!core_->dest().contains(r))
      throw InterruptedError(fmt::format("bytes {}-{} of {}: the handle was closed during the read", r.begin,
                                         r.end - 1, source_spec_));
  }
  // Starts fetching `r` on a prefetch thread (errors are the later read's).
  void prefetch(ByteRange r, std::shared_ptr<std::atomic<uint64_t>> requests = nullptr);

  std::string source_spec_, destination_spec_;
  Options options_;
  RunControl control_;
  std::unique_ptr<ObjectCore> core_;
  mutable PunchGate gate_;
  std::mutex ra_mu_;  // guards readahead_ and blocks_
  Readahead readahead_;
  ReadBlocks blocks_;
  mutable std::mutex changed_mu_;
  std::string changed_;  // the SourceChangedError's message, once one was seen
  WorkerPool prefetch_{kPrefetchThreads};
};

Object::Impl::Impl(const std::string& source, const std::string& destination, const Options& options,
                   const CoreOpener& open)
    : source_spec_(source), destination_spec_(destination), options_(options) {
  FetchCommand cmd = to_command(source, destination, {}, options);
  cmd.fetch.control = &control_;
  cmd.http.control = &control_;
  core_ = open(cmd);
  ReadaheadOptions ra;
  ra.initial_window = 2 * read_block();
  ra.max_window = options.readahead_max > 0  ? options.readahead_max
                  : core_->source().remote() ? kRemoteReadaheadMax
                                             : kLocalReadaheadMax;
  ra.object_size = size();
  readahead_ = Readahead(ra);
  ReadBlockOptions rb;
  rb.min_block = options.read_block_size > 0 ? options.read_block_size
                 : core_->source().remote()  ? kMinRemoteReadBlock
                                             : kLocalReadBlock;
  rb.object_size = size();
  blocks_ = ReadBlocks(rb);
}

uint64_t Object::Impl::read_block() const {
  if (options_.read_block_size > 0) return options_.read_block_size;
  const Source& source = core_->source();
  if (!source.remote()) return kLocalReadBlock;
  const LinkEstimate link = core_->coordinator().link();
  // The link's latency: the least of the discovery's wait and the recent
  // responses' first bytes. The HEAD was answered before the handle's own
  // load; on a busy 2-core machine the responses' TTFB includes queueing:
  // one loopback run of 8 threads x 200 random 4 KiB reads chose bigger
  // blocks from it (162 MB in 1,002 requests, 1.5 s, against 90 MB and
  // 0.2 s with the 64 KiB the HEAD's wait gives).
  const double hint = source.latency_hint_s();
  const double ttfb = link.ttfb_s > 0 && hint > 0 ? std::min(link.ttfb_s, hint) : std::max(link.ttfb_s, hint);
  const double bandwidth = link.conn_bandwidth > 0 ? link.conn_bandwidth : kAssumedConnBandwidth;
  const double bytes = std::clamp(ttfb * bandwidth, double(kMinRemoteReadBlock), double(kMaxRemoteReadBlock));
  return std::bit_floor(static_cast<uint64_t>(bytes));
}

std::vector<ByteRange> Object::Impl::resolve(const std::vector<RangeSpec>& ranges) const {
  if (ranges.empty()) return {{0, size()}};
  return resolve_ranges(to_items(ranges), size());
}

void Object::Impl::throw_if_changed() const {
  std::lock_guard lock(changed_mu_);
  if (!changed_.empty()) throw SourceChangedError(changed_);
}

FetchStats Object::Impl::fetch_locked(const std::vector<ByteRange>& ranges, const FetchCall& call) {
  throw_if_changed();
  if (!core_->writable()) {
    // ObjectAccess opened DST read-only because it held every byte asked for.
    for (const ByteRange& r : ranges)
      if (std::vector<ByteRange> gaps = core_->dest().missing(r); !gaps.empty())
        throw Error(fmt::format("{}: bytes {}-{} are missing and it was opened only to be read",
                                destination_spec_, gaps.front().begin, gaps.front().end - 1),
                    ErrorKind::kDestinationUnwritable);
    return FetchStats{};
  }
  try {
    if (!core_->source().supports_ranges()) {
      // A server that ignores Range streams from offset 0 only: up to the
      // last byte wanted, present bytes on the way included.
      uint64_t end = 0;
      for (const ByteRange& r : ranges) end = std::max(end, r.end);
      return core_->coordinator().fetch({{0, end}}, call);
    }
    return core_->coordinator().fetch(ranges, call);
  } catch (const SourceChangedError& e) {
    std::lock_guard lock(changed_mu_);
    if (changed_.empty()) changed_ = e.what();
    throw;
  }
}

void Object::Impl::prefetch(ByteRange r, std::shared_ptr<std::atomic<uint64_t>> requests) {
  // Without range support every fetch streams from offset 0 again: no
  // fetching ahead, which would stream the same prefix over and over.
  if (r.empty() || !core_->source().supports_ranges() || core_->dest().contains(r)) return;
  prefetch_.post([this, r, requests] {
    try {
      std::shared_lock gate(gate_);
      const FetchStats stats = fetch_locked({r});
      if (requests) *requests += stats.requests;
    } catch (const std::exception& e) {
      // The read that needs these bytes fetches them itself and meets the
      // error, if it is still there.
      log::debug("readahead of bytes {}-{} of {} failed: {}", r.begin, r.end - 1, source_spec_, e.what());
    }
  });
}

std::unique_ptr<Object> Object::open(const std::string& source, const std::string& destination,
                                     const Options& options) {
  return std::unique_ptr<Object>(new Object(std::make_unique<Impl>(
      source, destination, options, [](const FetchCommand& cmd) { return ObjectCore::open(cmd); })));
}

std::unique_ptr<Object> ObjectAccess::open_to_read(const std::string& source, const std::string& destination,
                                                   const std::vector<RangeSpec>& ranges,
                                                   const Options& options) {
  const std::vector<RangeItem> items = to_items(ranges);  // a bad span is a UsageError before anything opens
  return std::unique_ptr<Object>(
      new Object(std::make_unique<Object::Impl>(source, destination, options, [&items](FetchCommand cmd) {
        cmd.ranges = items;
        return ObjectCore::open_to_read(cmd);
      })));
}

std::unique_ptr<Object> ObjectAccess::open_to_verify(const std::string& source,
                                                     const std::string& destination, const Options& options) {
  return std::unique_ptr<Object>(
      new Object(std::make_unique<Object::Impl>(source, destination, options, [](const FetchCommand& cmd) {
        return ObjectCore::open_existing(cmd, false);
      })));
}

Object::Object(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Object::~Object() = default;

const std::string& Object::source() const { return impl_->source_spec_; }
const std::string& Object::destination() const { return impl_->destination_spec_; }
uint64_t Object::size() const { return impl_->size(); }

int64_t Object::mtime() const {
  const SourceIdentity id = impl_->core_->source().identity();
  if (id.mtime_ns != 0) return id.mtime_ns / 1000000000;
  if (id.last_modified.empty()) return 0;
  const time_t t = curl_getdate(id.last_modified.c_str(), nullptr);
  return t < 0 ? 0 : static_cast<int64_t>(t);
}

size_t Object::read_at(uint64_t offset, std::span<std::byte> buf) {
  Impl& m = *impl_;
  const uint64_t size = m.size();
  if (offset >= size || buf.empty()) return 0;
  const ByteRange r{offset, offset + std::min<uint64_t>(buf.size(), size - offset)};
  ByteRange ahead;
  {
    std::lock_guard lock(m.ra_mu_);
    ahead = m.readahead_.on_read(r);
  }
  // Started first, so that it runs while this read waits for its own bytes.
  if (!ahead.empty()) m.prefetch({ahead.begin, align_up(ahead.end, m.read_block(), size)});
  std::shared_lock gate(m.gate_);
  Destination& dest = m.core_->dest();
  if (std::vector<ByteRange> gaps = dest.missing(r); !gaps.empty()) {
    const uint64_t max_block = m.read_block();  // asks the coordinator: only for a read that needs it
    ByteRange block;
    {
      std::lock_guard lock(m.ra_mu_);
      block = m.blocks_.on_miss({gaps.front().begin, gaps.back().end}, max_block);
    }
    m.fetch_locked({block});
  }
  m.check_present(r);
  // Present now, and no punch can take them before the copy (the gate).
  dest.read_raw(r.begin, buf.first(static_cast<size_t>(r.size())));
  return static_cast<size_t>(r.size());
}

TransferStats Object::read(const std::vector<RangeSpec>& ranges, const Sink& sink) {
  Impl& m = *impl_;
  const auto start = std::chrono::steady_clock::now();
  std::vector<ByteRange> pieces;
  for (const ByteRange& r : m.resolve(ranges))
    for (uint64_t at = r.begin; at < r.end; at += std::min(kReadPiece, r.end - at))
      pieces.push_back({at, at + std::min(kReadPiece, r.end - at)});
  TransferStats stats;
  for (const ByteRange& p : pieces) {
    stats.requested_bytes += p.size();
    stats.reused_bytes += m.core_->dest().present_bytes_within({p});
  }
  // Options::on_progress: the read's pieces as one call (each piece is its
  // own fetch, whose progress alone would restart at every piece). The
  // watch is declared after what its provider reads: its last call, in its
  // destructor, comes before they go.
  std::atomic<uint64_t> delivered{0};
  ProgressWatch watch(m.options_);
  watch.watch([&m, &pieces, &stats, &delivered](size_t) {
    ProgressSnapshot s;
    s.object_size = m.size();
    s.wanted_bytes = stats.requested_bytes;
    s.done_bytes = std::max(delivered.load(), m.core_->dest().present_bytes_within(pieces));
    s.fetched_bytes = s.done_bytes - std::min(s.done_bytes, stats.reused_bytes);
    return s;
  });
  const FetchCall stop{watch.call().control, nullptr};
  watch.start();
  auto prefetched = std::make_shared<std::atomic<uint64_t>>(0);
  std::vector<std::byte> buf;
  size_t posted = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    // Pieces i+1..i+kReadPiecesAhead are fetched behind the reader; piece
    // i waits for its transfer (or makes it, when it was not started yet).
    for (; posted < pieces.size() && posted <= i + kReadPiecesAhead; ++posted)
      if (posted > i) m.prefetch(pieces[posted], prefetched);
    const ByteRange p = pieces[i];
    buf.resize(static_cast<size_t>(p.size()));
    {
      std::shared_lock gate(m.gate_);
      Destination& dest = m.core_->dest();
      if (!dest.contains(p)) stats.requests += m.fetch_locked({p}, stop).requests;
      if (watch.stopped()) {
        stats.interrupted = true;  // the handler asked: what arrived stays, nothing more is handed out
        break;
      }
      m.check_present(p);
      dest.read_raw(p.begin, buf);
    }
    sink(buf);
    delivered += p.size();
  }
  stats.requests += prefetched->load();
  const uint64_t present =
      stats.interrupted ? m.core_->dest().present_bytes_within(pieces) : stats.requested_bytes;
  stats.fetched_bytes = present - std::min(present, stats.reused_bytes);
  stats.missing_bytes = stats.requested_bytes - std::min(stats.requested_bytes, present);
  stats.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

TransferStats Object::fetch(const std::vector<RangeSpec>& ranges) {
  std::vector<ByteRange> wanted = impl_->resolve(ranges);
  ProgressWatch watch(impl_->options_);  // its last call (the final state) comes before the return
  const FetchCall call = watch.call();
  watch.start();
  std::shared_lock gate(impl_->gate_);
  return to_stats(impl_->fetch_locked(wanted, call));
}

void Object::punch(const std::vector<RangeSpec>& ranges) {
  std::vector<ByteRange> gone = impl_->resolve(ranges);
  std::unique_lock gate(impl_->gate_);
  // All evictions in one durable rewrite of the claim log, then the holes.
  impl_->core_->dest().evict(gone);
}

VerifySummary Object::verify(const std::vector<RangeSpec>& ranges) {
  Impl& m = *impl_;
  const std::vector<RangeItem> items = to_items(ranges);
  std::shared_lock gate(m.gate_);  // no punch takes bytes while they are compared
  try {
    return to_public(verify_core(*m.core_, items));
  } catch (const SourceChangedError& e) {
    std::lock_guard lock(m.changed_mu_);
    if (m.changed_.empty()) m.changed_ = e.what();
    throw;
  }
}

AllocationReport Object::stat(bool list_ranges) const {
  return to_public(impl_->core_->report(std::nullopt, list_ranges));
}

void Object::sync() {
  if (impl_->core_->writable()) impl_->core_->dest().sync();
}

}  // namespace sparseio
