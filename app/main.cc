// sparseio command-line interface: parses arguments, calls the library,
// prints. No I/O logic lives here. Each command's options are declared by
// its own add_*_command function; what a command does once parsed is in
// run_command, so that a new command or option touches few lines.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/commands.h"
#include "api/many.h"
#include "api/plan_many.h"
#include "api/report.h"
#include "cli_args.h"
#include "core/errors.h"
#include "core/range_list.h"
#include "exit_status.h"
#include "help_text.h"
#include "http_flags.h"
#include "mount/mount_command.h"
#include "objects_cli.h"
#include "plan_command.h"
#include "s3_flags.h"
#include "sparseio/log.h"
#include "standard_fds.h"
#include "transfer.h"
#include "verify_cli.h"
#include "version.h"

namespace {

using namespace sparseio;
using namespace sparseio::cli;

struct CommonFlags {
  int verbose = 0;
  OutputFlags out;
};

// Options shared by the commands that transfer (fetch, cat) and take ranges.
struct TransferFlags {
  std::string src, dst;
  std::vector<std::string> more;  // fetch SRC1 SRC2 ... DIR/: the words after SRC DST
  bool fail_fast = false;         // fetch of many objects: stop at the first failure
  std::string from_list;          // fetch --from LIST
  std::vector<std::string> ranges;
  std::string ranges_from;
  unsigned jobs = 0;
  std::string chunk_size;
  std::string sync = "hash";
  bool overwrite = false, restart = false, no_wait = false;
};

struct StatFlags {
  bool list_ranges = false, ranges_only = false;
};

// Usage lines name the program: "sparseio fetch [OPTIONS] SRC DST", and
// "sparseio [OPTIONS] COMMAND" (CLI11 says "[OPTIONS] SUBCOMMAND").
class Formatter : public CLI::Formatter {
 public:
  Formatter() {
    label("SUBCOMMAND", "COMMAND");
    label("Subcommands", "Commands");
  }
  std::string make_usage(const CLI::App* app, std::string name) const override {
    name = app->get_parent() != nullptr ? "sparseio " + name : "sparseio";
    std::string usage = CLI::Formatter::make_usage(app, name);
    // mount's one positional list (see add_mount_command) reads as two.
    const std::string list = "SRC...MOUNTPOINT...";
    if (const size_t at = usage.find(list); at != std::string::npos)
      usage.replace(at, list.size(), "SRC... MOUNTPOINT");
    return usage;
  }
};

void setup_logging(const CommonFlags& f) {
  // _mt: worker threads and the HTTP engine thread log too.
  auto logger = spdlog::stderr_color_mt("sparseio");
  logger->set_pattern("sparseio: %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum level = spdlog::level::warn;
  if (f.out.quiet) level = spdlog::level::err;
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
  cmd->add_flag("-q,--quiet", f.out.quiet, "Print nothing but errors (no progress either)");
}

void add_json(CLI::App* cmd, CommonFlags& f) {
  cmd->add_flag("--json", f.out.json,
                "Print the report as one JSON object; a failure prints {\"error\": ..., \"exit_code\": N}");
}

void add_progress(CLI::App* cmd, CommonFlags& f) {
  cmd->add_flag("--progress", f.out.progress, "Draw the live status line even when stderr is not a terminal");
  cmd->add_flag("--no-progress", f.out.no_progress, "No status line (events and errors still print)");
  cmd->add_option("--progress-interval", f.out.progress_interval_s,
                  "Seconds between the plain status lines in a log or pipe (default 10; 0.1 to 86400)")
      ->type_name("SECONDS")
      ->check(CLI::Validator(
          [](std::string& v) {
            char* end = nullptr;
            const double s = std::strtod(v.c_str(), &end);
            return std::isfinite(s) && s >= 0.1 && s <= 86400 && end != v.c_str() && *end == '\0'
                       ? std::string()
                       : v + " is not a number of seconds from 0.1 to 86400";
          },
          ""));
}

void add_ranges(CLI::App* cmd, TransferFlags& f, const char* what) {
  // Exactly one value per -r: "-r 0-9 SRC DST -j 2" must leave SRC and DST alone.
  cmd->add_option("-r,--ranges", f.ranges, what)->type_name("RANGES")->allow_extra_args(false);
  cmd->add_option("--ranges-from", f.ranges_from, "Read ranges from FILE ('-': stdin); '#' starts a comment")
      ->type_name("FILE");
  cmd->footer(range_syntax_help() + examples_help(cmd->get_name()));
}

void add_transfer(CLI::App* cmd, TransferFlags& f, bool dst_required = true) {
  cmd->add_option("SRC", f.src, "Source: a local path, an http:// or https:// URL, or s3://BUCKET/KEY")
      ->required();
  cmd->add_option("DST", f.dst, "Destination sparse file (its record is DST.sparseio)")
      ->required(dst_required);
  cmd->add_option(
         "-j,--jobs", f.jobs,
         "Parallel transfers (default: number of cores; for URLs it follows the link, see --max-connections)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--chunk-size", f.chunk_size,
                  "Largest unit of work (default 4MiB for files, 8MiB for URLs)")
      ->type_name("SIZE");
  cmd->add_option("--sync", f.sync,
                  "hash: checksummed records, re-checked after a reboot (default); batch: fdatasync DST "
                  "before recording each batch; none: kill-safe only")
      ->type_name("MODE")
      ->check(CLI::IsMember({"hash", "batch", "none"}));
  cmd->add_flag("--overwrite", f.overwrite, "Replace a DST that sparseio did not make");
  cmd->add_flag("--restart", f.restart, "Discard DST's contents and start over");
  cmd->add_flag("--no-wait", f.no_wait, "Fail at once (exit 5) if another sparseio is using DST");
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
  for (const std::string& r : f.ranges) append_items(out, parse_range_list(r));
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
  if (!f.out.quiet) print(f.out.json ? format_report_json(r) : format_report_text(r));
}

// Everything the command line can hold, filled in by CLI11.
struct Cli {
  CLI::App app{"sparseio: fetch byte ranges of large objects into sparse local files"};
  CommonFlags common;
  TransferFlags tf;
  HttpFlags hf;
  cli::S3Flags s3f;
  StatFlags sf;
  SelectFlags sel;  // --select, --plan, --shard (fetch, cat)
  PlanFlags pf;
  std::string dst_only;
  bool punch_no_wait = false;
  bool no_store = false;   // cat --no-store
  std::string cat_output;  // cat -o -
  bool repair = false;     // verify --repair
  MountFlags mf;
  CLI::App *fetch = nullptr, *cat = nullptr, *stat = nullptr, *punch = nullptr, *verify = nullptr,
           *plan = nullptr, *mount = nullptr;
};

// fetch SRC1 SRC2 ... DIR/ (app/objects_cli.h): the words after SRC DST.
void add_many_objects(CLI::App* cmd, TransferFlags& f) {
  cmd->add_option("MORE", f.more,
                  "More sources, then a directory: with several SRC (or SRC a local directory) DST is a "
                  "directory, each object at DST/NAME, its record in DST/.sparseio/");
  cmd->add_flag("--fail-fast", f.fail_fast, "With several objects: start no other object after a failure");
  cmd->add_option("--from", f.from_list,
                  "Objects listed in FILE ('-': stdin), one a line: SRC [NAME] [RANGES...]; '#' starts a "
                  "comment; DST is then a directory")
      ->type_name("FILE");
}

void add_fetch_command(Cli& c) {
  c.fetch = c.app.add_subcommand("fetch", "Materialize RANGES of SRC into the sparse file DST");
  add_transfer(c.fetch, c.tf);
  add_many_objects(c.fetch, c.tf);
  add_ranges(c.fetch, c.tf, "Ranges to fetch (repeatable; none: the whole object)");
  add_http_options(c.fetch, c.hf);
  add_select_options(c.fetch, c.sel, true);
  cli::add_s3_options(c.fetch, c.s3f);
  add_logging(c.fetch, c.common);
  add_json(c.fetch, c.common);
  add_progress(c.fetch, c.common);
}

void add_cat_command(Cli& c) {
  c.cat = c.app.add_subcommand(
      "cat", "Write RANGES of SRC to stdout in order, fetched in parallel (missing ones stored in DST)");
  add_transfer(c.cat, c.tf, false);
  c.cat->add_option("MORE", c.tf.more,
                    "More sources: with several SRC each is written in turn, in the order given; a last "
                    "word that is a directory (or ends with /) stores them there as fetch does, else none "
                    "is stored");
  c.cat->add_flag("--no-store", c.no_store, "Write nothing to disk (DST, if given, is only read)");
  c.cat
      ->add_option("-o,--output", c.cat_output,
                   "'-': write to standard output even when it is a terminal and the data look binary "
                   "(cat refuses that otherwise, as curl does)")
      ->type_name("-")
      ->check(CLI::Validator(
          [](std::string& v) {
            return v == "-" ? std::string() : "only '-' (standard output); to write a file, redirect: > " + v;
          },
          ""));
  add_ranges(c.cat, c.tf, "Ranges to write, in this order (repeatable; required)");
  add_http_options(c.cat, c.hf);
  add_select_options(c.cat, c.sel, false);
  cli::add_s3_options(c.cat, c.s3f);
  add_logging(c.cat, c.common);
  add_progress(c.cat, c.common);
}

void add_stat_command(Cli& c) {
  c.stat = c.app.add_subcommand("stat", "Print the allocation report of DST");
  c.stat->add_option("DST", c.dst_only, "Destination sparse file")->required();
  c.stat->add_flag("--ranges", c.sf.list_ranges, "Also list the present ranges (A-B, inclusive)");
  c.stat->add_flag("--ranges-only", c.sf.ranges_only,
                   "Print only the present ranges, one per line: a file --ranges-from reads back");
  add_json(c.stat, c.common);
  add_logging(c.stat, c.common);
  c.stat->footer(examples_help("stat"));
}

void add_punch_command(Cli& c) {
  c.punch = c.app.add_subcommand("punch", "Evict RANGES from DST and return their blocks");
  c.punch->add_option("DST", c.dst_only, "Destination sparse file")->required();
  add_ranges(c.punch, c.tf, "Ranges to evict (repeatable; required)");
  c.punch->add_flag("--no-wait", c.punch_no_wait, "Fail at once (exit 5) if another sparseio is using DST");
  add_json(c.punch, c.common);
  add_logging(c.punch, c.common);
}

void add_verify_command(Cli& c) {
  c.verify = c.app.add_subcommand("verify", "Compare the present bytes of DST with SRC");
  c.verify
      ->add_option("SRC", c.tf.src, "Source: a local path, an http:// or https:// URL, or s3://BUCKET/KEY")
      ->required();
  c.verify->add_option("DST", c.tf.dst, "Destination sparse file")->required();
  c.verify->add_option("MORE", c.tf.more,
                       "More sources, then a directory DST: each object against DST/NAME (named as fetch "
                       "names them), with a line for each and the totals");
  add_ranges(c.verify, c.tf, "Only these ranges (default: all present bytes)");
  c.verify->add_flag("--repair", c.repair, "Fetch again the blocks that differ; exit 0 when then identical");
  add_json(c.verify, c.common);
  c.verify->add_option("-j,--jobs", c.tf.jobs, "Parallel reads (default: number of cores; 8 for URLs)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  c.verify
      ->add_option("--chunk-size", c.tf.chunk_size, "Largest unit of work (default 4MiB files, 8MiB URLs)")
      ->type_name("SIZE");
  add_http_options(c.verify, c.hf, false);
  cli::add_s3_options(c.verify, c.s3f);
  add_logging(c.verify, c.common);
}

// fetch --plan FILE DIR/ of a version 2 manifest: its objects into DIR,
// each with its part of the plan (and of --shard, cut across the objects).
int run_fetch_plan_many(Cli& c, const plan::PlanFile& file) {
  if (!c.tf.dst.empty() || !c.tf.more.empty() || c.tf.src.empty())
    throw UsageError(fmt::format("--plan {} names its {} objects' sources: give only the directory DST",
                                 c.sel.plan_file, file.objects.size()));
  if (!c.tf.ranges.empty() || !c.tf.ranges_from.empty() || !c.sel.select.empty() || !c.tf.from_list.empty())
    throw UsageError(
        fmt::format("--plan {} holds the ranges of each object: -r, --ranges-from, --select and "
                    "--from do not go with it (plan them in)",
                    c.sel.plan_file));
  const PlanRequest req = make_plan_request(c.sel);
  std::vector<ObjectJob> jobs = jobs_from_plan(file, req.shard);
  FetchCommand each = cli::with_s3(with_http(make_fetch_command(c.tf), c.hf), c.s3f);
  each.plan.manifest = c.sel.plan_file;  // named in messages; each object's part is its job's
  if (jobs.empty()) {
    // A shard finer than the plan (N above its bytes / 64 KiB) may hold nothing.
    fmt::print(stderr, "sparseio: shard {}/{} of {} holds nothing of its {} objects\n", req.shard->index,
               req.shard->count, c.sel.plan_file, file.objects.size());
    return kExitOk;
  }
  return run_fetch_jobs_command(std::move(jobs), c.tf.src, std::move(each), c.tf.fail_fast, c.common.out);
}

int run_command(Cli& c) {
  if (*c.fetch) {
    // The plan is read once (it may be standard input).
    std::shared_ptr<const plan::Manifest> planned;
    if (!c.sel.plan_file.empty()) {
      plan::PlanFile file = plan::load_plan_file(c.sel.plan_file);
      if (file.version == plan::kManyManifestVersion) return run_fetch_plan_many(c, file);
      planned = std::make_shared<const plan::Manifest>(std::move(file.objects.front()));
    }
    std::vector<std::string> sources{c.tf.src};
    if (!c.tf.dst.empty()) sources.push_back(c.tf.dst);
    sources.insert(sources.end(), c.tf.more.begin(), c.tf.more.end());
    if (!c.tf.src.empty() && (sources.size() >= 2 || !c.tf.from_list.empty())) {
      const std::string dir = sources.back();
      sources.pop_back();
      if (is_many_fetch(sources, dir) || !c.tf.from_list.empty()) {
        FetchCommand each = cli::with_s3(with_http(make_fetch_command(c.tf), c.hf), c.s3f);
        each.plan = make_plan_request(c.sel);
        return run_fetch_many_command(sources, c.tf.from_list, dir, std::move(each), c.tf.fail_fast,
                                      c.common.out);
      }
    }
    if (!c.tf.from_list.empty()) throw UsageError("--from LIST needs a directory DST");
    resolve_plan_positionals(c.tf.src, c.tf.dst, planned.get());
    FetchCommand cmd = cli::with_s3(with_http(make_fetch_command(c.tf), c.hf), c.s3f);
    cmd.plan = make_plan_request(c.sel);
    cmd.plan.planned = planned;
    return run_fetch_command(std::move(cmd), c.common.out);
  }
  if (*c.cat) {
    FetchCommand cmd = cli::with_s3(with_http(make_fetch_command(c.tf), c.hf), c.s3f);
    cmd.plan = make_plan_request(c.sel);
    if (cmd.ranges.empty() && cmd.plan.select.empty())
      throw UsageError("cat needs -r RANGES, --ranges-from FILE or --select FORMAT:WHAT");
    c.common.out.output_dash = c.cat_output == "-";
    std::vector<std::string> words{c.tf.src};
    if (!c.tf.dst.empty()) words.push_back(c.tf.dst);
    words.insert(words.end(), c.tf.more.begin(), c.tf.more.end());
    const CatWords w = split_cat_words(words);
    if (w.sources.size() == 1 && w.directory.empty()) {  // cat SRC [DST]: as before
      cmd.destination = w.destination;
      return run_cat_command(std::move(cmd), c.common.out, !c.no_store);
    }
    return run_cat_many_command(w.sources, w.directory, std::move(cmd), c.common.out, !c.no_store);
  }
  if (*c.mount) {
    c.mf.quiet = c.common.out.quiet;
    return run_mount_command(c.mf, c.hf, c.s3f);
  }
  if (*c.plan) return run_plan_command(c.pf, c.hf, cli::make_s3_options(c.s3f));
  if (*c.stat && is_many_destination(c.dst_only))
    return run_stat_many_command(c.dst_only, c.sf.list_ranges, c.common.out);
  if (*c.stat) {
    Report r = run_stat(c.dst_only, c.sf.list_ranges || c.sf.ranges_only);
    if (c.sf.ranges_only && !c.common.out.json)
      print(format_ranges_only(r));
    else
      print_report(r, c.common);
  }
  if (*c.punch) {
    std::vector<RangeItem> ranges = parse_ranges(c.tf);
    if (ranges.empty()) throw UsageError("punch needs -r RANGES or --ranges-from FILE");
    print_report(run_punch(c.dst_only, ranges, !c.punch_no_wait), c.common);
  }
  if (*c.verify) {
    const bool many = !c.tf.more.empty() || is_many_destination(c.tf.dst);
    std::vector<std::string> sources{c.tf.src};
    if (many) {
      sources.push_back(c.tf.dst);
      sources.insert(sources.end(), c.tf.more.begin(), c.tf.more.end());
      c.tf.dst = sources.back();
      sources.pop_back();
    }
    FetchCommand f = make_fetch_command(c.tf);
    VerifyCommand cmd{.source = c.tf.src,
                      .destination = c.tf.dst,
                      .ranges = std::move(f.ranges),
                      .repair = c.repair,
                      .fetch = f.fetch,
                      .http = make_http_options(c.hf),
                      .s3 = cli::make_s3_options(c.s3f)};
    if (many) return run_verify_many_command(sources, c.tf.dst, cmd, c.common.out.json, c.common.out.quiet);
    return run_verify_command(cmd, c.common.out.json, c.common.out.quiet);
  }
  return kExitOk;
}

// Prints a failure (and its JSON object with --json) and returns its code.
int fail(const std::string& message, ErrorKind kind, bool json, const std::string& help_for = "") {
  const int code = exit_code_for(kind);
  // One line, as every error: the pointer to the help rides along.
  const std::string hint = kind == ErrorKind::kUsage ? fmt::format(" (see 'sparseio {}--help')",
                                                                   help_for.empty() ? "" : help_for + " ")
                                                     : "";
  fmt::print(stderr, "sparseio: {}{}\n", message, hint);
  if (json) print(json_error(message, kind, code));
  return code;
}

int run(int argc, char** argv) {
  Cli c;
  c.app.formatter(std::make_shared<Formatter>());
  c.app.set_version_flag("--version", std::string("sparseio ") + SPARSEIO_VERSION);
  c.app.require_subcommand(1);
  c.app.footer(examples_help("") + "\n" + exit_code_help());
  add_fetch_command(c);
  add_cat_command(c);
  add_stat_command(c);
  add_punch_command(c);
  add_verify_command(c);
  c.plan = add_plan_command(c.app, c.pf, c.hf);
  cli::add_s3_options(c.plan, c.s3f);
  add_logging(c.plan, c.common);
  for (CLI::App* cmd : {c.fetch, c.cat, c.plan})
    cmd->footer(range_syntax_help() + select_syntax_help() + examples_help(cmd->get_name()));
  c.mount = add_mount_command(c.app, c.mf, c.hf, c.s3f);
  add_logging(c.mount, c.common);
  one_value_per_option(c.app);

  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  const bool json = std::find(args.begin(), args.end(), "--json") != args.end();
  std::vector<std::string> names;
  for (const CLI::App* sub : c.app.get_subcommands({})) names.push_back(sub->get_name());
  if (auto err = check_command_word(args, names)) return fail(*err, ErrorKind::kUsage, json);
  const auto word =
      std::find_if(args.begin(), args.end(), [](const std::string& a) { return !a.starts_with("-"); });
  const std::string command = word == args.end() ? "" : *word;
  if (word != args.end()) {
    const std::vector<std::string> rest(word + 1, args.end());
    if (auto err = check_options(*c.app.get_subcommand(command), rest))
      return fail(*err, ErrorKind::kUsage, json, command);
  }

  args = glue_dash_values(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
  try {
    c.app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return c.app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return c.app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return c.app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what(), ErrorKind::kUsage, json, command);
  }
  setup_logging(c.common);
  try {
    return run_command(c);
  } catch (const Error& e) {
    return fail(e.what(), e.kind(), c.common.out.json, command);
  } catch (const std::exception& e) {
    return fail(e.what(), ErrorKind::kFailure, c.common.out.json, command);
  }
}

}  // namespace

int main(int argc, char** argv) {
  sparseio::cli::ensure_standard_fds();
  // A full disk or RLIMIT_FSIZE must be an error we report, not a silent death.
  std::signal(SIGXFSZ, SIG_IGN);
  return run(argc, argv);
}
