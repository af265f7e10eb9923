#include "api/commands.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "api/open_source.h"
#include "core/errors.h"
#include "core/unique_fd.h"

namespace sparseio {
namespace {

// Writes all of buf to a stream fd (pipe, tty or file) at its current position.
void write_all_to_stream(int fd, std::span<const std::byte> buf, const char* what) {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::write(fd, buf.data() + done, buf.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(fmt::format("cannot write to {}", what), errno);
    }
    done += static_cast<size_t>(n);
  }
}

// Opens cmd.source; for URLs, the connections are bounded by -j when given,
// else by the scheduler's cap (--max-connections).
std::unique_ptr<Source> open_transfer_source(const FetchCommand& cmd, FetchOptions& fetch) {
  fetch = cmd.fetch;
  if (cmd.coalesce_gap) fetch.coalesce_gap = *cmd.coalesce_gap;
  if (!is_url(cmd.source)) return open_source(cmd.source);
  HttpOptions http = cmd.http;
  http.jobs = fetch.jobs > 0 ? fetch.jobs
                             : (fetch.max_connections > 0 ? fetch.max_connections : kDefaultMaxConnections);
  return open_source(cmd.source, http);
}

}  // namespace

Report run_fetch(FetchCommand cmd) {
  FetchOptions fetch;
  std::unique_ptr<Source> source = open_transfer_source(cmd, fetch);
  const uint64_t size = source->size();
  std::vector<ByteRange> ranges =
      cmd.ranges.empty() ? std::vector<ByteRange>{{0, size}} : resolve_ranges(cmd.ranges, size);
  std::vector<RangeItem>().swap(cmd.ranges);
  std::unique_ptr<Destination> dest =
      Destination::open_for_source(cmd.destination, source->identity(), cmd.dest);
  FetchCoordinator coordinator(*source, *dest, fetch);
  FetchStats stats = coordinator.fetch(ranges);
  dest->sync();
  return make_report(*dest, stats);
}

Report run_stat(const std::string& destination, bool list_ranges) {
  std::unique_ptr<Destination> dest = Destination::open_existing(destination, false);
  return make_report(*dest, std::nullopt, list_ranges);
}

Report run_punch(const std::string& destination, const std::vector<RangeItem>& ranges, bool wait_for_lock) {
  std::unique_ptr<Destination> dest = Destination::open_existing(destination, true, wait_for_lock);
  for (const ByteRange& r : resolve_ranges(ranges, dest->logical_size())) dest->delete_extent(r);
  dest->sync();
  return make_report(*dest);
}

VerifyOutcome run_verify(const std::string& source_spec, const std::string& destination,
                         const std::vector<RangeItem>& ranges, const HttpOptions& http) {
  std::unique_ptr<Destination> dest = Destination::open_existing(destination, false);
  std::unique_ptr<Source> source = open_source(source_spec, http);
  std::vector<ByteRange> wanted =
      ranges.empty() ? dest->coverage().ranges() : resolve_ranges(ranges, source->size());
  VerifyOutcome outcome;
  outcome.source_changed = source->identity() != dest->header().identity;
  outcome.result = verify_ranges(*source, *dest, wanted);
  return outcome;
}

FetchStats run_cat(const FetchCommand& cmd, int out_fd) {
  return run_cat_to(
      cmd, [&](std::span<const std::byte> bytes) { write_all_to_stream(out_fd, bytes, "standard output"); });
}

FetchStats run_cat_to(const FetchCommand& cmd, const std::function<void(std::span<const std::byte>)>& sink) {
  FetchOptions fetch;
  std::unique_ptr<Source> source = open_transfer_source(cmd, fetch);
  std::vector<ByteRange> ranges = resolve_ranges(cmd.ranges, source->size());
  std::unique_ptr<Destination> dest =
      Destination::open_for_source(cmd.destination, source->identity(), cmd.dest);
  FetchCoordinator coordinator(*source, *dest, fetch);
  FetchStats stats = coordinator.fetch(ranges);
  dest->sync();
  std::vector<std::byte> buf(1 << 20);
  for (const ByteRange& r : ranges) {
    for (uint64_t pos = r.begin; pos < r.end;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), r.end - pos));
      dest->read_raw(pos, std::span(buf.data(), n));
      sink(std::span<const std::byte>(buf.data(), n));
      pos += n;
    }
  }
  return stats;
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
    throw UsageError(fmt::format("{}: {}", path == "-" ? "standard input" : path, e.what()));
  }
}

}  // namespace sparseio
