// Argument handling for --select / --plan / --shard and `sparseio plan`; the
// work is in lib/api/plan_ranges and lib/plan.
#include "plan_command.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/errors.h"
#include "core/range_list.h"

namespace sparseio::cli {

void add_select_options(CLI::App* cmd, SelectFlags& f, bool plan_file) {
  cmd->add_option("--select", f.select,
                  "Parts of a container file: zip:GLOB, tar:GLOB, safetensors:GLOB, "
                  "parquet:columns=A,B;row_groups=0-3 (repeatable)")
      ->type_name("FORMAT:WHAT");
  cmd->add_option("--shard", f.shard, "Only shard I of N (I from 0) of the ranges, split evenly by bytes")
      ->type_name("I/N");
  if (plan_file) {
    cmd->add_option("--plan", f.plan_file,
                    "Fetch what a `sparseio plan --json` manifest lists (SRC optional)")
        ->type_name("FILE");
    // `fetch --plan plan.json DST`: SRC comes from the manifest.
    for (const char* name : {"SRC", "DST"})
      if (CLI::Option* o = cmd->get_option_no_throw(name)) o->required(false);
  }
}

void resolve_plan_positionals(std::string& src, std::string& dst, const SelectFlags& f) {
  if (!f.plan_file.empty() && dst.empty() && !src.empty()) {
    dst = src;
    src = plan::load_manifest(f.plan_file).source;
  }
  if (src.empty()) throw UsageError("SRC is required (or --plan FILE to take it from a manifest)");
  if (dst.empty()) throw UsageError("DST is required");
}

PlanRequest make_plan_request(const SelectFlags& f) {
  PlanRequest r;
  r.select = f.select;
  r.manifest = f.plan_file;
  if (!f.shard.empty()) r.shard = plan::parse_shard(f.shard);
  return r;
}

CLI::App* add_plan_command(CLI::App& app, PlanFlags& f, HttpFlags& http) {
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "Print the ranges that --select needs (a --ranges-from list; --json: a manifest for fetch --plan)");
  cmd->add_option("SRC", f.src, "Source: a local path, an http:// or https:// URL, or s3://BUCKET/KEY")
      ->required();
  cmd->add_option("-r,--ranges", f.ranges, "Also these ranges (repeatable)")->type_name("RANGES");
  add_select_options(cmd, f.select, false);
  cmd->add_flag("--json", f.json, "Print a versioned manifest (JSON) for `fetch --plan`");
  add_http_options(cmd, http, false);
  return cmd;
}

void run_plan_command(const PlanFlags& f, const HttpFlags& http, const S3Options& s3) {
  PlanCommand cmd;
  cmd.source = f.src;
  for (const std::string& r : f.ranges) {
    std::vector<RangeItem> items = parse_range_list(r);
    cmd.ranges.insert(cmd.ranges.end(), items.begin(), items.end());
  }
  cmd.request = make_plan_request(f.select);
  cmd.http = make_http_options(http);
  cmd.s3 = s3;
  plan::Manifest m = run_plan(cmd);
  std::string out = f.json ? plan::manifest_to_json(m) : format_plan_text(m);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace sparseio::cli
