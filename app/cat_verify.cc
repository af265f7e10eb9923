#include "cat_verify.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "api/cat.h"
#include "core/errors.h"

namespace sparseio::cli {

void ensure_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() returns the lowest free descriptor: this one.
    int got = ::open("/dev/null", fd == 0 || fd == 1 ? O_RDONLY : O_WRONLY);
    if (got != fd && got >= 0) ::close(got);
  }
}

namespace {

constexpr int kExitOk = 0, kExitDiffer = 3;

// Writes all of data to fd 1. False when the reader went away (EPIPE).
bool write_stdout(std::span<const std::byte> data) {
  while (!data.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) return false;
      throw_errno("cannot write to standard output", errno);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

int run_cat_command(FetchCommand cmd, bool store) {
  // Before fetching anything: is there somewhere to write?
  int flags = ::fcntl(STDOUT_FILENO, F_GETFL);
  if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
    throw Error("cannot write to standard output: it is closed or not open for writing");
  // A closed pipe must be an EPIPE we handle, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<CatStream> cat = CatStream::open(std::move(cmd), store);
  for (std::span<const std::byte> s = cat->next(); !s.empty(); s = cat->next()) {
    if (!write_stdout(s)) {
      spdlog::info("standard output was closed: stopping");
      break;
    }
  }
  cat->close();
  FetchStats st = cat->stats();
  spdlog::info("cat: {} bytes requested, {} fetched in {} requests, {} read from {}", st.requested_bytes,
               st.fetched_bytes, st.requests, st.reused_bytes,
               cat->destination() ? cat->destination()->path() : "no destination");
  return kExitOk;
}

int run_verify_command(const VerifyCommand& cmd, bool json, bool quiet) {
  VerifyOutcome v = run_verify(cmd);
  const VerifyResult& r = v.result;
  if (v.source_changed)
    spdlog::warn("the source {} changed since {} was started; comparing its current bytes", cmd.source,
                 cmd.destination);
  if (!r.identical()) {
    std::string where;
    for (const ByteRange& d : r.first_differences)
      where += (where.empty() ? "" : ", ") +
               (d.size() == 1 ? fmt::format("{}", d.begin) : fmt::format("{}-{}", d.begin, d.end - 1));
    if (v.repaired.empty())
      fmt::print(stderr, "sparseio: {} differs from {} in {} bytes, first at offsets {}\n", cmd.destination,
                 cmd.source, r.differing_bytes, where);
    else
      spdlog::warn("{} differed from {} in {} bytes, first at offsets {}", cmd.destination, cmd.source,
                   r.differing_bytes, where);
  }
  if (!v.repaired.empty() && !v.after_repair.identical())
    fmt::print(stderr, "sparseio: {} still differs from {} after the repair in {} bytes\n", cmd.destination,
               cmd.source, v.after_repair.differing_bytes);
  if (json) {
    const std::string out = format_verify_json(cmd, v);
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else if (!quiet) {
    std::string line = fmt::format("{}: {} bytes compared, {} differ, {} not present (not compared)\n",
                                   cmd.destination, r.compared_bytes, r.differing_bytes, r.missing_bytes);
    if (!v.repaired.empty()) {
      uint64_t bytes = 0;
      for (const ByteRange& b : v.repaired) bytes += b.size();
      line += fmt::format("{}: repaired {} bytes in {} block ranges ({} fetched in {} requests){}\n",
                          cmd.destination, bytes, v.repaired.size(), v.repair_stats.fetched_bytes,
                          v.repair_stats.requests, v.after_repair.identical() ? ": now identical" : "");
    }
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return v.identical() ? kExitOk : kExitDiffer;
}

}  // namespace sparseio::cli
