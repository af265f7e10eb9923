#include "objects_cli.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "api/many.h"
#include "api/open_source.h"
#include "api/s3_objects.h"
#include "core/errors.h"
#include "exit_status.h"

namespace sparseio::cli {
namespace {

void print_stdout(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// Prints the report and the failure summary; returns the exit code.
int finish(const ManyReport& report, const OutputFlags& out, const char* what) {
  if (!out.quiet) print_stdout(out.json ? format_many_json(report) : format_many_text(report));
  const std::optional<ErrorKind> kind = many_failure_kind(report);
  if (!kind) return kExitOk;
  // Even with -q: it explains the exit code. Last on stderr, one line each.
  size_t failed = 0;
  for (const ObjectOutcome& o : report.objects) failed += o.error_kind ? 1 : 0;
  fmt::print(stderr, "sparseio: {} of {} objects failed to {}:\n", failed, report.objects.size(), what);
  for (const ObjectOutcome& o : report.objects)
    if (o.error_kind)
      fmt::print(stderr, "sparseio:   {} ({}): {}\n", o.name, o.source.empty() ? o.path : o.source, o.error);
  return exit_code_for(*kind);
}

}  // namespace

bool is_many_fetch(const std::vector<std::string>& sources, const std::string& dst) {
  if (sources.size() > 1) return true;
  struct stat st {};
  if (sources.size() == 1 && s3_collection(sources[0]) &&
      (dst.ends_with('/') || (::stat(dst.c_str(), &st) == 0 && S_ISDIR(st.st_mode))))
    return true;  // an S3 prefix or glob into a directory
  return sources.size() == 1 && !is_remote(sources[0]) && ::stat(sources[0].c_str(), &st) == 0 &&
         S_ISDIR(st.st_mode);
}

std::vector<ObjectJob> read_object_list(const std::string& from_list) {
  if (from_list.empty()) return {};
  std::ifstream in;
  if (from_list != "-") {
    in.open(from_list);
    if (!in) throw UsageError(errno_message(fmt::format("cannot read --from {}", from_list), errno));
  }
  std::stringstream text;
  text << (from_list == "-" ? std::cin.rdbuf() : in.rdbuf());
  return parse_object_list(text.str(), from_list == "-" ? "standard input" : from_list);
}

namespace {

// Runs the objects `make_jobs` names (given the command, once the run is
// watched: an S3 listing is interrupted like the fetch) into `dir`.
int run_many(const std::function<std::vector<ObjectJob>(const FetchCommand&)>& make_jobs,
             const std::string& dir, FetchCommand each, bool fail_fast, const OutputFlags& out) {
  ManyCommand cmd;
  Watched w(out);
  w.attach(each);
  cmd.directory = dir.size() > 1 && dir.ends_with('/') ? dir.substr(0, dir.size() - 1) : dir;
  cmd.fail_fast = fail_fast;
  ManyReport report;
  try {
    // Usage errors (and a prefix that lists nothing) before anything is created.
    cmd.objects = make_jobs(each);
    cmd.each = std::move(each);
    report = run_fetch_many(std::move(cmd));
  } catch (...) {
    w.display.finish();
    throw;
  }
  w.display.finish();
  const int code = finish(report, out, "fetch");
  if (w.control.stop_requested()) {
    fmt::print(stderr, "sparseio: interrupted; run the same command to resume\n");
    return w.interrupted_code();
  }
  return code;
}

}  // namespace

int run_fetch_many_command(const std::vector<std::string>& sources, const std::string& from_list,
                           const std::string& dir, FetchCommand each, bool fail_fast,
                           const OutputFlags& out) {
  std::vector<ObjectJob> listed = read_object_list(from_list);
  return run_many(
      [&](const FetchCommand& e) { return plan_objects(sources, std::move(listed), e.http, e.s3); }, dir,
      std::move(each), fail_fast, out);
}

int run_fetch_jobs_command(std::vector<ObjectJob> jobs, const std::string& dir, FetchCommand each,
                           bool fail_fast, const OutputFlags& out) {
  return run_many([&](const FetchCommand&) { return std::move(jobs); }, dir, std::move(each), fail_fast, out);
}

int run_stat_many_command(const std::string& dir, bool list_ranges, const OutputFlags& out) {
  ManyReport report =
      run_stat_many(dir.size() > 1 && dir.ends_with('/') ? dir.substr(0, dir.size() - 1) : dir, list_ranges);
  return finish(report, out, "stat");
}

}  // namespace sparseio::cli
