// Argument handling for --select / --plan / --shard and `sparseio plan`; the
// work is in lib/api/plan_ranges, lib/api/plan_many (several objects) and
// lib/plan.
#include "plan_command.h"

#include <fmt/format.h>

#include <cstdio>

#include "api/many.h"
#include "api/plan_many.h"
#include "core/errors.h"
#include "core/range_list.h"
#include "exit_status.h"
#include "objects_cli.h"

namespace sparseio::cli {

void add_select_options(CLI::App* cmd, SelectFlags& f, bool plan_file) {
  cmd->add_option("--select", f.select,
                  "Parts of a container file: zip:GLOB, tar:GLOB, safetensors:GLOB, "
                  "parquet:columns=A,B;row_groups=0-3 (repeatable)")
      ->type_name("FORMAT:WHAT");
  cmd->add_option(
         "--shard", f.shard,
         "Only shard I of N (I from 0) of the ranges, split evenly by bytes (across the objects of a "
         "plan of many)")
      ->type_name("I/N");
  if (plan_file) {
    cmd->add_option("--plan", f.plan_file,
                    "Fetch what a `sparseio plan --json` manifest lists (SRC optional; a plan of many "
                    "objects: only DST, a directory)")
        ->type_name("FILE");
    // `fetch --plan plan.json DST`: SRC comes from the manifest.
    for (const char* name : {"SRC", "DST"})
      if (CLI::Option* o = cmd->get_option_no_throw(name)) o->required(false);
  }
}

void resolve_plan_positionals(std::string& src, std::string& dst, const plan::Manifest* planned) {
  if (planned && dst.empty() && !src.empty()) {
    dst = src;
    src = planned->source;
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
      "Print the ranges that --select (or -r) needs of each SRC (a --ranges-from list, with several SRC a "
      "--from list; --json: a manifest for fetch --plan)");
  cmd->add_option("SRC", f.sources,
                  "Sources: local paths or directories, http:// or https:// URLs, s3://BUCKET/KEY; several "
                  "make a plan of many objects (manifest version 2), named as fetch names them below DIR");
  cmd->add_option("--from", f.from_list,
                  "Objects listed in FILE ('-': stdin), one a line: SRC [NAME] [RANGES...], as fetch --from")
      ->type_name("FILE");
  cmd->add_option("-r,--ranges", f.ranges,
                  "These ranges of every object (repeatable; with --select: also these; neither: the whole "
                  "objects)")
      ->type_name("RANGES");
  add_select_options(cmd, f.select, false);
  cmd->add_flag("--json", f.json, "Print a versioned manifest (JSON) for `fetch --plan`");
  add_http_options(cmd, http, false);
  return cmd;
}

namespace {

std::vector<RangeItem> range_items(const PlanFlags& f) {
  std::vector<RangeItem> out;
  for (const std::string& r : f.ranges) {
    std::vector<RangeItem> items = parse_range_list(r);
    out.insert(out.end(), items.begin(), items.end());
  }
  return out;
}

void print_stdout(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

int run_plan_many_command(const PlanFlags& f, const HttpFlags& http, const S3Options& s3) {
  PlanManyCommand cmd;
  cmd.ranges = range_items(f);
  cmd.request = make_plan_request(f.select);
  cmd.http = make_http_options(http);
  cmd.s3 = s3;
  // Named as fetch names them (an S3 prefix or glob listed), so that the
  // names of the manifest are those a fetch of the same sources would use.
  cmd.objects = plan_objects(f.sources, read_object_list(f.from_list), cmd.http, cmd.s3);
  ManyPlan p = run_plan_many(cmd);
  if (p.failures.empty()) {
    print_stdout(f.json ? plan::plan_file_to_json(p.file) : format_plan_many_text(p.file));
    return kExitOk;
  }
  ManyReport failed;
  failed.objects = p.failures;
  const ErrorKind kind = many_failure_kind(failed).value_or(ErrorKind::kFailure);
  fmt::print(stderr, "sparseio: {} of {} objects failed to plan; no plan printed:\n", p.failures.size(),
             cmd.objects.size());
  for (const ObjectOutcome& o : p.failures)
    fmt::print(stderr, "sparseio:   {} ({}): {}\n", o.name, o.source, o.error);
  if (f.json)
    print_stdout(
        json_error(fmt::format("{} of {} objects failed to plan", p.failures.size(), cmd.objects.size()),
                   kind, exit_code_for(kind)));
  return exit_code_for(kind);
}

}  // namespace

int run_plan_command(const PlanFlags& f, const HttpFlags& http, const S3Options& s3) {
  if (f.sources.empty() && f.from_list.empty()) throw UsageError("plan needs SRC (or --from LIST)");
  // A plan has no DST: an S3 prefix or glob is always a collection here.
  if (!f.from_list.empty() || is_many_fetch(f.sources, "./")) return run_plan_many_command(f, http, s3);
  PlanCommand cmd;
  cmd.source = f.sources.front();
  cmd.ranges = range_items(f);
  cmd.request = make_plan_request(f.select);
  cmd.http = make_http_options(http);
  cmd.s3 = s3;
  plan::Manifest m = run_plan(cmd);
  print_stdout(f.json ? plan::manifest_to_json(m) : format_plan_text(m));
  return kExitOk;
}

}  // namespace sparseio::cli
