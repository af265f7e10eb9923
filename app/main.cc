// sparseio command-line interface: parses arguments, calls the library,
// prints. No I/O logic lives here.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "api/commands.h"
#include "api/report.h"
#include "cli_args.h"
#include "version.h"
#include "core/errors.h"
#include "core/range_list.h"
#include "sparseio/log.h"
#include "http_flags.h"

namespace {

using namespace sparseio;

constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitDiffer = 3;

struct CommonFlags {
  int verbose = 0;
  bool quiet = false;
  bool json = false;
};

// Options shared by the commands that transfer (fetch, cat).
struct TransferFlags {
  std::string src, dst;
  std::vector<std::string> ranges;
  std::string ranges_from;
  unsigned jobs = 0;
  std::string chunk_size;
  std::string sync = "hash";
  bool overwrite = false, restart = false, no_wait = false;
};

void setup_logging(const CommonFlags& f) {
  // _mt: worker threads and the HTTP engine thread log too.
  auto logger = spdlog::stderr_color_mt("sparseio");
  logger->set_pattern("sparseio: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum level = spdlog::level::warn;
  if (f.quiet) level = spdlog::level::err;
  if (f.verbose == 1) level = spdlog::level::info;
  if (f.verbose >= 2) level = spdlog::level::debug;
  if (f.verbose >= 3) level = spdlog::level::trace;
  spdlog::set_level(level);
  // The library never prints: its messages come here and go out as ours.
  set_log_handler(
      [logger](LogLevel lvl, std::string_view msg) {
        static constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::trace, spdlog::level::debug,
                                                               spdlog::level::info,  spdlog::level::warn,
                                                               spdlog::level::err,   spdlog::level::off};
        logger->log(kLevels[static_cast<int>(lvl)], "{}", msg);
      },
      static_cast<LogLevel>(level));  // spdlog's levels trace..err are LogLevel's, in order
}

void add_logging(CLI::App* cmd, CommonFlags& f) {
  cmd->add_flag("-v,--verbose", f.verbose, "More logging on stderr (repeatable)");
  cmd->add_flag("-q,--quiet", f.quiet, "Print nothing but errors");
}

void add_ranges(CLI::App* cmd, TransferFlags& f, const char* what) {
  cmd->add_option("-r,--ranges", f.ranges, what);
  cmd->add_option("--ranges-from", f.ranges_from, "Read ranges from FILE ('-': stdin); # comments");
}

void add_transfer(CLI::App* cmd, TransferFlags& f) {
  cmd->add_option("SRC", f.src, "Source: a local path or an http:// or https:// URL")->required();
  cmd->add_option("DST", f.dst, "Destination sparse file (its record is DST.sparseio)")->required();
  cmd->add_option(
         "-j,--jobs", f.jobs,
         "Parallel transfers (default: number of cores; for URLs it follows the link, see --max-connections)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--chunk-size", f.chunk_size,
                  "Largest unit of work (default 4MiB for files, 8MiB for URLs)");
  cmd->add_option("--sync", f.sync,
                  "hash: checksummed records, re-checked after a reboot (default); batch: fdatasync DST "
                  "before recording each batch; none: kill-safe only")
      ->check(CLI::IsMember({"hash", "batch", "none"}));
  cmd->add_flag("--overwrite", f.overwrite, "Replace a DST that sparseio did not make");
  cmd->add_flag("--restart", f.restart, "Discard DST's contents and start over");
  cmd->add_flag("--no-wait", f.no_wait, "Fail at once if another sparseio is using DST");
}

// Moves rather than copies: a --ranges-from list may hold 10^6 items.
void append_items(std::vector<RangeItem>& out, std::vector<RangeItem>&& items) {
  if (out.empty()) {
    out = std::move(items);
  } else {
    out.insert(out.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
  }
}

std::vector<RangeItem> parse_ranges(const TransferFlags& f) {
  std::vector<RangeItem> out;
  for (const std::string& r : f.ranges) {
    std::vector<RangeItem> items = parse_range_list(r);
    append_items(out, std::move(items));
  }
  if (!f.ranges_from.empty()) {
    std::vector<RangeItem> items = load_range_file(f.ranges_from);
    if (items.empty()) throw UsageError(fmt::format("--ranges-from {}: no ranges in it", f.ranges_from));
    append_items(out, std::move(items));
  }
  return out;
}

FetchCommand make_fetch_command(const TransferFlags& f) {
  FetchCommand cmd;
  cmd.source = f.src;
  cmd.destination = f.dst;
  cmd.ranges = parse_ranges(f);
  cmd.fetch.jobs = f.jobs;
  if (!f.chunk_size.empty()) {
    cmd.fetch.chunk_size = parse_size(f.chunk_size, "--chunk-size");
    if (cmd.fetch.chunk_size == 0) throw UsageError("bad --chunk-size \"0\": must be at least 1 byte");
  }
  cmd.dest.overwrite = f.overwrite;
  cmd.dest.restart = f.restart;
  cmd.dest.wait_for_lock = !f.no_wait;
  cmd.dest.sync = f.sync == "none" ? SyncMode::kNone : f.sync == "batch" ? SyncMode::kBatch : SyncMode::kHash;
  return cmd;
}

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

void print_report(const Report& r, const CommonFlags& f) {
  if (!f.quiet) print(f.json ? format_report_json(r) : format_report_text(r));
}

int print_verify(const VerifyOutcome& v, const std::string& dst, const std::string& src,
                 const CommonFlags& f) {
  const VerifyResult& r = v.result;
  if (v.source_changed)
    spdlog::warn("the source {} changed since {} was started; comparing its current bytes", src, dst);
  if (!r.identical()) {
    std::string where;
    for (const ByteRange& d : r.first_differences)
      where += (where.empty() ? "" : ", ") +
               (d.size() == 1 ? fmt::format("{}", d.begin) : fmt::format("{}-{}", d.begin, d.end - 1));
    fmt::print(stderr, "sparseio: {} differs from {} in {} bytes, first at offsets {}\n", dst, src,
               r.differing_bytes, where);
  }
  if (!f.quiet)
    print(fmt::format("{}: {} bytes compared, {} differ, {} not present (not compared)\n", dst,
                      r.compared_bytes, r.differing_bytes, r.missing_bytes));
  return r.identical() ? kExitOk : kExitDiffer;
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
  TransferFlags tf;
  cli::HttpFlags hf;
  CLI::App* fetch = app.add_subcommand("fetch", "Materialize RANGES of SRC into the sparse file DST");
  add_transfer(fetch, tf);
  add_ranges(fetch, tf, "Ranges to fetch (repeatable; none: the whole object)");
  cli::add_http_options(fetch, hf);
  add_logging(fetch, common);
  fetch->add_flag("--json", common.json, "Print the report as one JSON object");

  CLI::App* cat = app.add_subcommand("cat", "Fetch what is missing of RANGES, then write them to stdout");
  add_transfer(cat, tf);
  add_ranges(cat, tf, "Ranges to write, in this order (repeatable; required)");
  cli::add_http_options(cat, hf);
  add_logging(cat, common);

  std::string dst_only;
  bool list_ranges = false;
  CLI::App* stat = app.add_subcommand("stat", "Print the allocation report of DST");
  stat->add_option("DST", dst_only, "Destination sparse file")->required();
  stat->add_flag("--ranges", list_ranges, "Also list the present ranges (A-B, inclusive)");
  stat->add_flag("--json", common.json, "Print the report as one JSON object");
  add_logging(stat, common);

  bool no_wait = false;
  CLI::App* punch = app.add_subcommand("punch", "Evict RANGES from DST and return their blocks");
  punch->add_option("DST", dst_only, "Destination sparse file")->required();
  add_ranges(punch, tf, "Ranges to evict (repeatable; required)");
  punch->add_flag("--no-wait", no_wait, "Fail at once if another sparseio is using DST");
  punch->add_flag("--json", common.json, "Print the report as one JSON object");
  add_logging(punch, common);

  CLI::App* verify = app.add_subcommand("verify", "Compare the present bytes of DST with SRC");
  verify->add_option("SRC", tf.src, "Source: a local path or an http:// or https:// URL")->required();
  verify->add_option("DST", tf.dst, "Destination sparse file")->required();
  add_ranges(verify, tf, "Only these ranges (default: all present bytes)");
  cli::add_http_options(verify, hf, false);
  add_logging(verify, common);

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
    if (*fetch) print_report(run_fetch(cli::with_http(make_fetch_command(tf), hf)), common);
    if (*stat) {
      print_report(run_stat(dst_only, list_ranges), common);
    }
    if (*punch) {
      std::vector<RangeItem> ranges = parse_ranges(tf);
      if (ranges.empty()) throw UsageError("punch needs -r RANGES or --ranges-from FILE");
      print_report(run_punch(dst_only, ranges, !no_wait), common);
    }
    if (*verify)
      return print_verify(run_verify(tf.src, tf.dst, parse_ranges(tf), cli::make_http_options(hf)), tf.dst,
                          tf.src, common);
    if (*cat) {
      FetchCommand cmd = cli::with_http(make_fetch_command(tf), hf);
      if (cmd.ranges.empty()) throw UsageError("cat needs -r RANGES or --ranges-from FILE");
      run_cat(cmd, STDOUT_FILENO);
    }
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

int main(int argc, char** argv) {
  // A full disk or RLIMIT_FSIZE must be an error we report, not a silent death.
  std::signal(SIGXFSZ, SIG_IGN);
  return run(argc, argv);
}
