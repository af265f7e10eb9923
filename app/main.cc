// sparseio command-line interface: parses arguments, calls the library,
// prints. No I/O logic lives here.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli_args.h"
#include "sparseio/commands.h"
#include "sparseio/errors.h"
#include "sparseio/range_list.h"
#include "sparseio/report.h"

namespace {

using namespace sparseio;

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2;

struct CommonFlags {
  int verbose = 0;
  bool quiet = false;
  bool json = false;
};

struct FetchFlags {
  std::string src, dst;
  std::vector<std::string> ranges;
  std::string ranges_from;
  unsigned jobs = 0;
  std::string chunk_size;
  bool overwrite = false, restart = false, no_wait = false;
};

void setup_logging(const CommonFlags& f) {
  auto logger = spdlog::stderr_color_st("sparseio");
  logger->set_pattern("sparseio: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum level = spdlog::level::warn;
  if (f.quiet) level = spdlog::level::err;
  if (f.verbose == 1) level = spdlog::level::info;
  if (f.verbose >= 2) level = spdlog::level::debug;
  if (f.verbose >= 3) level = spdlog::level::trace;
  spdlog::set_level(level);
}

void add_common(CLI::App* cmd, CommonFlags& f) {
  cmd->add_flag("-v,--verbose", f.verbose, "More logging on stderr (repeatable)");
  cmd->add_flag("-q,--quiet", f.quiet, "Print nothing but errors");
  cmd->add_flag("--json", f.json, "Print the report as one JSON object");
}

void print_report(const Report& r, const CommonFlags& f) {
  if (f.quiet) return;
  std::string out = f.json ? format_report_json(r) : format_report_text(r);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

FetchCommand make_fetch_command(const FetchFlags& f) {
  FetchCommand cmd;
  cmd.source = f.src;
  cmd.destination = f.dst;
  for (const std::string& r : f.ranges) {
    std::vector<RangeItem> items = parse_range_list(r);
    cmd.ranges.insert(cmd.ranges.end(), items.begin(), items.end());
  }
  if (!f.ranges_from.empty()) {
    std::vector<RangeItem> items = load_range_file(f.ranges_from);
    if (items.empty())
      throw UsageError(fmt::format("--ranges-from {}: no ranges in it", f.ranges_from));
    cmd.ranges.insert(cmd.ranges.end(), items.begin(), items.end());
  }
  cmd.fetch.jobs = f.jobs;
  if (!f.chunk_size.empty()) {
    cmd.fetch.chunk_size = parse_size(f.chunk_size, "--chunk-size");
    if (cmd.fetch.chunk_size == 0) throw UsageError("bad --chunk-size \"0\": must be at least 1 byte");
  }
  cmd.dest.overwrite = f.overwrite;
  cmd.dest.restart = f.restart;
  cmd.dest.wait_for_lock = !f.no_wait;
  return cmd;
}

int run(int argc, char** argv) {
  CLI::App app{"sparseio: fetch byte ranges of large objects into sparse local files"};
  app.set_version_flag("--version", std::string("sparseio ") + SPARSEIO_VERSION);
  app.require_subcommand(1);
  app.footer(
      "RANGES: items A-B (inclusive), A- (to the end), -N (last N bytes), A+N (N bytes from A),\n"
      "separated by commas or whitespace. Sizes take K/M/G/T (=KiB...) or KB/MB/GB/TB (x1000).\n"
      "Exit: 0 ok, 1 runtime failure, 2 usage error, 3 verify found differences.");

  CommonFlags common;
  FetchFlags ff;
  CLI::App* fetch = app.add_subcommand("fetch", "Materialize RANGES of SRC into the sparse file DST");
  fetch->add_option("SRC", ff.src, "Source: a local path")->required();
  fetch->add_option("DST", ff.dst, "Destination sparse file (its record is DST.sparseio)")->required();
  fetch->add_option("-r,--ranges", ff.ranges, "Ranges to fetch (repeatable; none: the whole object)");
  fetch->add_option("--ranges-from", ff.ranges_from, "Read ranges from FILE ('-': stdin); # comments");
  fetch->add_option("-j,--jobs", ff.jobs, "Parallel transfers (default: number of cores)")
      ->check(CLI::Range(1u, 1024u));
  fetch->add_option("--chunk-size", ff.chunk_size, "Largest unit of work (default 4MiB for files)");
  fetch->add_flag("--overwrite", ff.overwrite, "Replace a DST that sparseio did not make");
  fetch->add_flag("--restart", ff.restart, "Discard DST's contents and start over");
  fetch->add_flag("--no-wait", ff.no_wait, "Fail at once if another sparseio is using DST");
  add_common(fetch, common);

  std::string stat_dst;
  CLI::App* stat = app.add_subcommand("stat", "Print the allocation report of DST");
  stat->add_option("DST", stat_dst, "Destination sparse file")->required();
  add_common(stat, common);

  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  args = cli::glue_dash_values(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "sparseio: {}\nRun 'sparseio --help' for usage.\n", e.what());
    return kExitUsage;
  }
  setup_logging(common);

  try {
    if (*fetch) print_report(run_fetch(make_fetch_command(ff)), common);
    if (*stat) print_report(run_stat(stat_dst), common);
  } catch (const UsageError& e) {
    fmt::print(stderr, "sparseio: {}\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sparseio: {}\n", e.what());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
