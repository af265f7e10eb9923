#include "api/commands.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "api/object_core.h"
#include "api/open_source.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/unique_fd.h"
#include "store/sidecar.h"
#include "store/under_dir.h"

namespace sparseio {

namespace {

// The S3 options with the version DST was started from (a versioned
// object stays pinned to it across runs), unless DST starts over or there
// is no DST (cat to a pipe).
S3Options pinned(S3Options s3, const std::string& destination, const DestinationOptions& dest) {
  if (!dest.restart && s3.pinned_version.empty() && !destination.empty())
    if (auto id = Sidecar::recorded_identity(sidecar_path_of(destination, dest)))
      s3.pinned_version = id->version_id;
  return s3;
}

}  // namespace

// Opens cmd.source; for URLs and S3, the connections are bounded by -j when given,
// else by the scheduler's cap (--max-connections). An S3 object is pinned to
// the version DST's sidecar recorded (unless --restart).
std::unique_ptr<Source> open_transfer_source(const FetchCommand& cmd, FetchOptions& fetch) {
  fetch = cmd.fetch;
  if (cmd.coalesce_gap) fetch.coalesce_gap = *cmd.coalesce_gap;
  if (!is_remote(cmd.source)) return open_source(cmd.source);
  HttpOptions http = cmd.http;
  http.jobs = fetch.jobs > 0 ? fetch.jobs
                             : (fetch.max_connections > 0 ? fetch.max_connections : kDefaultMaxConnections);
  return open_source(cmd.source, http, pinned(cmd.s3, cmd.destination, cmd.dest));
}

// Opens DST for `source`. A size no file can have (EFBIG) is the source's
// claim, so the message says what the source claimed.
std::unique_ptr<Destination> open_destination(const FetchCommand& cmd, const Source& source) {
  try {
    return Destination::open_for_source(cmd.destination, source.identity(), cmd.dest);
  } catch (const SystemError& e) {
    if (e.code() != EFBIG) throw;
    throw Error(fmt::format("{}: the source says it has {} bytes, more than {} can hold ({})", source.name(),
                            source.size(), cmd.destination, e.what()),
                ErrorKind::kDestinationUnwritable);
  }
}

std::unique_ptr<Destination> open_existing_to_read(const FetchCommand& cmd) {
  const std::string& path = cmd.destination;
  const std::string sidecar = sidecar_path_of(path, cmd.dest);
  struct stat st {};
  if (cmd.dest.restart || ::stat(path.c_str(), &st) != 0 || ::stat(sidecar.c_str(), &st) != 0) return nullptr;
  return Destination::open_existing(path, false, true, sidecar);
}

bool holds_all(const Destination& dest, const std::vector<ByteRange>& ranges) {
  const ByteRange object{0, dest.logical_size()};
  for (const ByteRange& r : ranges)
    if (!dest.contains(r.intersect(object))) return false;
  return true;
}

std::unique_ptr<Destination> open_if_complete(const FetchCommand& cmd, const Source& source,
                                              const std::vector<ByteRange>& ranges) {
  std::unique_ptr<Destination> ro;
  try {
    ro = open_existing_to_read(cmd);
  } catch (const Error&) {
    return nullptr;
  }
  if (!ro || !identity_matches(ro->header().identity, source.identity()) || !holds_all(*ro, ranges))
    return nullptr;
  return ro;
}

namespace {

// The bytes planning read (a Parquet footer, a zip directory) are bytes the
// fetch wants too: stored and claimed here, they are not asked for again
// (one round trip less behind a slow link). Only the parts the fetch wants,
// and only where DST does not hold them yet. Returns the bytes stored.
uint64_t keep_planning_reads(Destination& dest, const std::vector<plan::RoundReader::Read>& reads,
                             const std::vector<ByteRange>& wanted) {
  uint64_t kept = 0;
  for (const plan::RoundReader::Read& read : reads) {
    for (const ByteRange& w : wanted) {
      const ByteRange both = w.intersect(read.range);
      if (both.empty()) continue;
      for (const ByteRange& gap : dest.missing(both)) {
        const auto from = read.bytes.begin() + static_cast<ptrdiff_t>(gap.begin - read.range.begin);
        dest.write_extent(gap.begin, std::span<const std::byte>(&*from, static_cast<size_t>(gap.size())));
        kept += gap.size();
      }
    }
  }
  return kept;
}

}  // namespace

Report run_fetch(FetchCommand cmd) {
  // elapsed_s is the run's wall time: discovery and planning transfer bytes
  // too (fetched_bytes counts them), so the throughput must include them.
  const auto start = std::chrono::steady_clock::now();
  FetchOptions fetch;
  std::unique_ptr<Source> source = open_transfer_source(cmd, fetch);
  CommandRanges planned = resolve_command_ranges(cmd.ranges, cmd.plan, *source);
  std::vector<ByteRange> ranges = std::move(planned.fetch);
  std::vector<RangeItem>().swap(cmd.ranges);
  // A DST that already holds every wanted byte is only read (a read-only
  // cache is a success); otherwise it is opened for writing.
  std::unique_ptr<Destination> dest = open_if_complete(cmd, *source, ranges);
  const bool writable = dest == nullptr;
  if (writable) dest = open_destination(cmd, *source);
  ObjectCore core(std::move(source), std::move(dest), fetch, writable);
  const uint64_t kept = keep_planning_reads(core.dest(), planned.planning_reads, ranges);
  planned.planning_reads.clear();
  FetchStats stats = core.coordinator().fetch(ranges);
  // Transferred by this run: everything planning read counts (a tar's headers
  // come with the data between them), whether the fetch wanted it or not;
  // what was kept was not present before this run.
  stats.fetched_bytes += planned.read_bytes;
  stats.reused_bytes -= std::min(stats.reused_bytes, kept);
  stats.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (planned.read_bytes > 0)
    log::info("plan: {} of the {} bytes planning read were wanted and are stored, not asked for again", kept,
              planned.read_bytes);
  if (writable) core.dest().sync();
  Report report = core.report(stats);
  if (!cmd.plan.select.empty()) {
    report.plan_round_trips = planned.round_trips;
    report.plan_read_bytes = planned.read_bytes;
  }
  return report;
}

Report run_stat(const std::string& destination, bool list_ranges, const std::string& sidecar) {
  std::unique_ptr<Destination> dest = Destination::open_existing(
      destination, false, true, sidecar.empty() ? find_sidecar(destination) : sidecar);
  return make_report(*dest, std::nullopt, list_ranges);
}

Report run_punch(const std::string& destination, const std::vector<RangeItem>& ranges, bool wait_for_lock) {
  std::unique_ptr<Destination> dest =
      Destination::open_existing(destination, true, wait_for_lock, find_sidecar(destination));
  // All evictions in one durable rewrite of the claim log, then the punches.
  dest->evict(resolve_ranges(ranges, dest->logical_size()));
  dest->sync();
  return make_report(*dest);
}

std::vector<RangeItem> load_range_file(const std::string& path) {
  // Read straight into one string: a list of 10^6 ranges is ~20 MB of text.
  std::string text;
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (path != "-") {
    owned.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid())
      throw UsageError(errno_message(fmt::format("cannot read range file {}", path), errno));
    fd = owned.get();
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) text.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw UsageError(errno_message(fmt::format("cannot read range file {}", path), errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  try {
    return parse_range_file(text);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}:{}", path == "-" ? "standard input" : path, e.what()));
  }
}

}  // namespace sparseio
