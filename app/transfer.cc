#include "transfer.h"

#include <fmt/format.h>

#include <cstdio>

#include "api/report.h"
#include "core/errors.h"
#include "exit_status.h"
#include "progress_display.h"
#include "signal_watch.h"

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

}  // namespace

int run_transfer(FetchCommand cmd, const OutputFlags& out, int cat_fd) {
  RunControl control;
  SignalWatch signals(control);  // before the library starts any thread
  ProgressMonitor monitor;
  ProgressDisplay display(ProgressDisplay::choose(out.progress, out.no_progress, out.quiet), out.quiet,
                          monitor);
  control.set_event_handler([&display](const RunEvent& e) { display.event(e.message); });
  cmd.fetch.control = &control;
  cmd.fetch.progress = &monitor;
  cmd.dest.control = &control;
  cmd.http.control = &control;

  std::optional<FetchStats> stats;
  std::optional<Report> report;
  try {
    if (cat_fd >= 0) {
      stats = run_cat(cmd, cat_fd);
    } else {
      report = run_fetch(std::move(cmd));
      stats = report->fetch;
    }
  } catch (const InterruptedError& e) {
    display.finish();
    if (!out.quiet) fmt::print(stderr, "sparseio: {}; nothing was fetched\n", e.what());
    if (out.json)
      print_stdout(json_error(e.what(), e.kind(), signals.exit_code() ? signals.exit_code() : 130));
    return signals.exit_code() ? signals.exit_code() : 130;
  } catch (...) {
    display.finish();
    throw;
  }
  display.finish();
  if (report && !out.quiet)
    print_stdout(out.json ? format_report_json(*report) : format_report_text(*report));
  if (stats && stats->interrupted) {
    fmt::print(stderr, "sparseio: {}\n",
               interrupt_summary(*stats));  // even with -q: it explains the exit code
    return signals.exit_code() ? signals.exit_code() : 130;
  }
  return kExitOk;
}

}  // namespace sparseio::cli
