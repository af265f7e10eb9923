#include "api/plan_many.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/errors.h"
#include "core/log.h"

namespace sparseio {
namespace {

// The coalesced ranges of `items` (all, or only the metadata).
std::vector<ByteRange> ranges_of(const std::vector<plan::PlanItem>& items, bool metadata_only) {
  std::vector<ByteRange> out;
  for (const plan::PlanItem& it : items)
    if (!metadata_only || it.metadata) out.push_back(it.range);
  return plan::coalesce(std::move(out));
}

// Whether `s` can be a word of a --from line (parse_object_list splits on
// blanks and cuts at '#').
bool listable(const std::string& s) { return s.find_first_of(" \t\r\n#") == std::string::npos; }

}  // namespace

plan::PlanFile shard_plan_file(const plan::PlanFile& file, plan::ShardSpec spec) {
  std::vector<plan::ObjectRanges> objects;
  for (const plan::Manifest& m : file.objects)
    objects.push_back({ranges_of(m.items, false), ranges_of(m.items, true)});
  const std::vector<std::vector<ByteRange>> parts = plan::shard_objects(objects, spec);
  plan::PlanFile out;
  out.version = plan::kManyManifestVersion;
  for (size_t j = 0; j < file.objects.size(); ++j) {
    if (parts[j].empty()) continue;
    plan::Manifest m = file.objects[j];
    m.items = clip_items(m.items, parts[j]);
    m.shard = spec;
    out.objects.push_back(std::move(m));
  }
  return out;
}

ManyPlan run_plan_many(const PlanManyCommand& cmd) {
  if (!cmd.request.manifest.empty() || cmd.request.planned)
    throw UsageError("plan takes sources, not --plan FILE");
  PlanRequest each = cmd.request;
  each.shard.reset();  // the shard is cut across the objects, after planning them all
  std::vector<std::optional<plan::Manifest>> planned(cmd.objects.size());
  std::vector<ObjectOutcome> outcomes(cmd.objects.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < cmd.objects.size();) {
      const ObjectJob& job = cmd.objects[i];
      ObjectOutcome& out = outcomes[i];
      out.source = job.source;
      out.name = job.name;
      out.attempted = true;
      capture_failure(out.error_kind, out.error, [&] {
        PlanCommand one{job.source, job.ranges.empty() ? cmd.ranges : job.ranges, each, cmd.http, cmd.s3};
        planned[i] = run_plan(one);
        planned[i]->name = job.name;
      });
    }
  };
  {
    const size_t n = std::clamp<size_t>(cmd.at_once, 1, std::max<size_t>(cmd.objects.size(), 1));
    std::vector<std::jthread> threads;
    for (size_t t = 0; t < n; ++t) threads.emplace_back(work);
  }
  ManyPlan result;
  result.file.version = plan::kManyManifestVersion;
  for (size_t i = 0; i < cmd.objects.size(); ++i) {
    if (planned[i])
      result.file.objects.push_back(std::move(*planned[i]));
    else
      result.failures.push_back(std::move(outcomes[i]));
  }
  if (cmd.request.shard) {
    const size_t all = result.file.objects.size();
    result.file = shard_plan_file(result.file, *cmd.request.shard);
    log::info("shard {}/{}: {} of {} objects", cmd.request.shard->index, cmd.request.shard->count,
              result.file.objects.size(), all);
  }
  return result;
}

std::vector<ObjectJob> jobs_from_plan(const plan::PlanFile& file, std::optional<plan::ShardSpec> shard) {
  const plan::PlanFile part = shard ? shard_plan_file(file, *shard) : file;
  if (shard)
    log::info("shard {}/{}: {} of the plan's {} objects", shard->index, shard->count, part.objects.size(),
              file.objects.size());
  std::vector<ObjectJob> jobs;
  for (const plan::Manifest& m : part.objects)
    jobs.push_back({m.source, m.name, {}, std::nullopt, std::make_shared<const plan::Manifest>(m)});
  return jobs;
}

std::string format_plan_many_text(const plan::PlanFile& file) {
  uint64_t total = 0, trips = 0, read = 0;
  for (const plan::Manifest& m : file.objects) {
    for (const ByteRange& r : ranges_of(m.items, false)) total += r.size();
    trips += m.round_trips;
    read += m.read_bytes;
  }
  const plan::Manifest* first = file.objects.empty() ? nullptr : &file.objects.front();
  std::string out =
      fmt::format("# sparseio plan of {} objects ({} bytes to fetch)", file.objects.size(), total);
  if (first && !first->select.empty())
    out += fmt::format(": --select {}", fmt::join(first->select, " --select "));
  if (first && first->shard) out += fmt::format(" --shard {}/{}", first->shard->index, first->shard->count);
  out += fmt::format("\n# planned in {} round trips ({} bytes read); a list for fetch --from\n", trips, read);
  for (const plan::Manifest& m : file.objects) {
    std::vector<std::string> words;
    for (const ByteRange& r : ranges_of(m.items, false))
      words.push_back(fmt::format("{}-{}", r.begin, r.end - 1));
    out += fmt::format("\n# {}: {} ranges of {} bytes\n", m.name, m.items.size(), m.identity.size);
    for (const plan::PlanItem& it : m.items) {
      std::string label = it.label;  // free text from the file: kept on its line
      for (char& c : label)
        if (c == '\n' || c == '\r') c = ' ';
      out += fmt::format("#   {}-{}  {}\n", it.range.begin, it.range.end - 1, label);
    }
    const std::string line = fmt::format("{} {} {}\n", m.source, m.name, fmt::join(words, ","));
    if (listable(m.source) && listable(m.name))
      out += line;
    else
      out += "# (a --from line cannot hold a blank or '#' in a source or name) " + line;
  }
  return out;
}

}  // namespace sparseio
