// The CLI side of format selection, plan manifests and shards: --select,
// --plan and --shard for fetch and cat, and the `sparseio plan` command.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "api/plan_ranges.h"
#include "http_flags.h"

namespace sparseio::cli {

struct SelectFlags {
  std::vector<std::string> select;
  std::string plan_file;
  std::string shard;
};

// Adds --select and --shard (and, with `plan_file`, --plan FILE, which lets
// SRC be left out: `fetch --plan plan.json DST`).
void add_select_options(CLI::App* cmd, SelectFlags& f, bool plan_file);

// With --plan and one positional, that positional is DST and SRC comes from
// the manifest (`planned`, loaded once: a plan on standard input is read
// once). Throws UsageError when SRC or DST is missing.
void resolve_plan_positionals(std::string& src, std::string& dst, const plan::Manifest* planned);

PlanRequest make_plan_request(const SelectFlags& f);

struct PlanFlags {
  std::vector<std::string> sources;
  std::string from_list;  // --from LIST, as fetch's
  std::vector<std::string> ranges;
  SelectFlags select;
  bool json = false;
};

// `sparseio plan SRC... [--from LIST] [--select ... | -r RANGES] [--json] [--shard I/N]`.
CLI::App* add_plan_command(CLI::App& app, PlanFlags& f, HttpFlags& http);

// Prints the range list (or, with --json, the manifest) on stdout. `s3`:
// the S3 options (s3_flags.h) for an s3:// SRC. Several sources (a
// directory, --from) make a version 2 manifest, or a --from list as text;
// when any object cannot be planned, nothing is printed on stdout (a partial
// plan would be fetched as if whole), stderr names each failed object, and
// the exit code is their shared kind, else 1.
int run_plan_command(const PlanFlags& f, const HttpFlags& http, const S3Options& s3);

}  // namespace sparseio::cli
