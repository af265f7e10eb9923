#include "transfer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "api/cat.h"
#include "api/many.h"
#include "api/open_source.h"
#include "api/report.h"
#include "core/errors.h"
#include "exit_status.h"
#include "store/under_dir.h"
#include "terminal_output.h"

namespace sparseio::cli {
namespace {

void print_stdout(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

std::string interrupt_summary(const FetchStats& s) {
  const uint64_t present = s.requested_bytes - s.missing_bytes;
  return fmt::format("interrupted: {} present ({} this run), {} missing; run the same command to resume",
                     short_size(present), short_size(s.fetched_bytes), short_size(s.missing_bytes));
}

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

int run_fetch_command(FetchCommand cmd, const OutputFlags& out) {
  Watched w(out);
  w.attach(cmd);
  Report report;
  try {
    report = run_fetch(std::move(cmd));
  } catch (const InterruptedError& e) {
    w.display.finish();
    if (!out.quiet) fmt::print(stderr, "sparseio: {}; nothing was fetched\n", e.what());
    if (out.json) print_stdout(json_error(e.what(), e.kind(), w.interrupted_code()));
    return w.interrupted_code();
  } catch (...) {
    w.display.finish();
    throw;
  }
  w.display.finish();
  if (!out.quiet) print_stdout(out.json ? format_report_json(report) : format_report_text(report));
  if (report.fetch && report.fetch->interrupted) {
    // Even with -q: it explains the exit code.
    fmt::print(stderr, "sparseio: {}\n", interrupt_summary(*report.fetch));
    return w.interrupted_code();
  }
  return kExitOk;
}

int run_cat_command(FetchCommand cmd, const OutputFlags& out, bool store) {
  std::vector<FetchCommand> one;
  one.push_back(std::move(cmd));
  return run_cat_command(std::move(one), out, store);
}

int run_cat_command(std::vector<FetchCommand> cmds, const OutputFlags& out, bool store) {
  // Before fetching anything: is there somewhere to write?
  const int flags = ::fcntl(STDOUT_FILENO, F_GETFL);
  if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
    throw Error("cannot write to standard output: it is closed or not open for writing");
  // A closed pipe must be an EPIPE we handle, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  const bool to_terminal = ::isatty(STDOUT_FILENO) != 0;
  Watched w(out, to_terminal);
  FetchStats stats;
  bool interrupted = false, closed = false, first = true;
  try {
    // One object after the other, in the order given: each stream's pieces
    // are fetched in parallel, the output is their concatenation.
    for (FetchCommand& cmd : cmds) {
      if (closed || interrupted) break;
      w.attach(cmd);
      std::unique_ptr<CatStream> cat = CatStream::open(std::move(cmd), store);
      try {
        for (std::span<const std::byte> s = cat->next(); !s.empty(); s = cat->next(), first = false) {
          if (first && to_terminal && !out.output_dash && looks_binary(s))
            throw UsageError(kBinaryToTerminal);
          if (!write_stdout(s)) {
            spdlog::info("standard output was closed: stopping");
            closed = true;
            break;
          }
        }
      } catch (const InterruptedError&) {
        interrupted = true;  // a transfer saw the stop: what reached DST is recorded by close()
      }
      cat->close();
      const FetchStats& mine = cat->stats();
      stats.requested_bytes += mine.requested_bytes;
      stats.fetched_bytes += mine.fetched_bytes;
      stats.reused_bytes += mine.reused_bytes;
      stats.requests += mine.requests;
      interrupted = interrupted || mine.interrupted || w.control.stop_requested();
      spdlog::info("cat: {} bytes requested, {} fetched in {} requests, {} read from {}",
                   mine.requested_bytes, mine.fetched_bytes, mine.requests, mine.reused_bytes,
                   cat->destination() ? cat->destination()->path() : "no destination");
    }
  } catch (...) {
    w.display.finish();
    throw;
  }
  w.display.finish();
  if (interrupted) {
    fmt::print(stderr, "sparseio: interrupted: {} of {} written to standard output ({} fetched this run)\n",
               short_size(stats.fetched_bytes + stats.reused_bytes), short_size(stats.requested_bytes),
               short_size(stats.fetched_bytes));
    return w.interrupted_code();
  }
  return kExitOk;
}

CatWords split_cat_words(const std::vector<std::string>& words) {
  CatWords w;
  w.sources = words;
  if (words.size() < 2) return w;
  const std::string& last = words.back();
  struct stat st {};
  const bool is_dir =
      !is_remote(last) && (last.ends_with('/') || (::stat(last.c_str(), &st) == 0 && S_ISDIR(st.st_mode)));
  if (is_dir) {
    w.directory = last.size() > 1 && last.ends_with('/') ? last.substr(0, last.size() - 1) : last;
    w.sources.pop_back();
  } else if (words.size() == 2 && !is_remote(last)) {
    w.destination = last;
    w.sources.pop_back();
  }
  return w;
}

int run_cat_many_command(const std::vector<std::string>& sources, const std::string& dir, FetchCommand each,
                         const OutputFlags& out, bool store) {
  std::vector<ObjectJob> jobs;
  if (dir.empty()) {
    // Nothing stored: names do not matter, and a source may come twice.
    for (const std::string& src : sources)
      for (ObjectJob& j : plan_objects({src})) jobs.push_back(std::move(j));
  } else {
    jobs = plan_objects(sources);  // two sources stored under one name are refused
  }
  const std::string sidecars = dir.empty() ? "" : prepare_many_directory(dir);
  std::vector<FetchCommand> cmds;
  for (const ObjectJob& j : jobs) {
    FetchCommand c = each;
    c.source = j.source;
    c.destination.clear();
    if (!dir.empty()) {
      c.destination = prepare_under(dir, j.name);
      c.dest.sidecar_path = prepare_under(sidecars, j.name + ".sparseio");
    }
    cmds.push_back(std::move(c));
  }
  return run_cat_command(std::move(cmds), out, store && !dir.empty());
}

}  // namespace sparseio::cli
