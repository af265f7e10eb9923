// Glue between the commands and lib/plan: open nothing here (the commands own
// their Source), only combine items, check the manifest's identity and shard.
#include "api/plan_ranges.h"

#include <fmt/format.h>
#include <unistd.h>

#include "api/open_source.h"
#include "core/errors.h"
#include "core/log.h"
#include "store/destination.h"
#include "store/sidecar.h"

namespace sparseio {
namespace {

std::vector<ByteRange> ranges_of(const std::vector<plan::PlanItem>& items, bool payloads) {
  std::vector<ByteRange> out;
  out.reserve(items.size());
  for (const plan::PlanItem& it : items)
    if (!payloads || !it.payload.empty()) out.push_back(payloads ? it.payload : it.range);
  return out;
}

// The ranges of the items that are (or are not) the format's metadata, coalesced.
std::vector<ByteRange> ranges_where(const std::vector<plan::PlanItem>& items, bool metadata) {
  std::vector<ByteRange> out;
  for (const plan::PlanItem& it : items)
    if (it.metadata == metadata) out.push_back(it.range);
  return plan::coalesce(std::move(out));
}

}  // namespace

std::vector<plan::PlanItem> clip_items(const std::vector<plan::PlanItem>& items,
                                       const std::vector<ByteRange>& keep) {
  std::vector<plan::PlanItem> out;
  for (const plan::PlanItem& it : items) {
    auto k = std::lower_bound(keep.begin(), keep.end(), it.range.begin,
                              [](const ByteRange& r, uint64_t at) { return r.end <= at; });
    for (; k != keep.end() && k->begin < it.range.end; ++k) {
      plan::PlanItem part = it;
      part.range = it.range.intersect(*k);
      if (part.range.empty()) continue;
      if (part.range != it.range) part.label += " (part)";
      out.push_back(std::move(part));
    }
  }
  return out;
}

CommandRanges resolve_command_ranges(const std::vector<RangeItem>& items, const PlanRequest& req,
                                     Source& source, bool for_cat) {
  CommandRanges out;
  const uint64_t size = source.size();
  std::vector<ByteRange> given = resolve_ranges(items, size);
  for (size_t i = 0; i < given.size(); ++i)
    out.items.push_back({given[i], fmt::format("-r {}", items[i].text), given[i], false});
  if (req.planned || !req.manifest.empty()) {
    plan::Manifest m = req.planned ? *req.planned : plan::load_manifest(req.manifest);
    const SourceIdentity now = source.identity();
    if (!plan::same_object(m.identity, now))
      throw SourceChangedError(fmt::format(
          "{} changed since plan {} was made ({}): refusing to fetch a stale plan", source.name(),
          req.manifest.empty() ? "(given)" : req.manifest, describe_identity_change(m.identity, now)));
    for (plan::PlanItem& it : m.items) {
      it.payload = it.range;
      out.items.push_back(std::move(it));
    }
  }
  if (!req.select.empty()) {
    std::vector<plan::Selector> sel = plan::parse_selectors(req.select);
    plan::RoundReader reader(source);
    reader.keep_reads();
    plan::Plan p = plan::plan_source(reader, sel);
    bool any = false;
    for (const plan::PlanItem& it : p.items) any = any || !it.payload.empty();
    if (!any)
      throw UsageError(fmt::format("--select {}: nothing in {} matches", fmt::join(req.select, " --select "),
                                   source.name()));
    if (for_cat) plan::resolve_zip_payloads(reader, p.items);
    out.round_trips = reader.rounds();
    out.read_bytes = reader.bytes();
    out.planning_reads = reader.take_reads();
    for (plan::PlanItem& it : p.items) out.items.push_back(std::move(it));
  }
  if (items.empty() && req.manifest.empty() && !req.planned && req.select.empty())
    out.items.push_back({{0, size}, "the whole object", {0, size}, false});
  if (for_cat) {
    out.output = ranges_of(out.items, !req.select.empty());
    if (req.shard) out.output = plan::shard_ranges(plan::coalesce(out.output), *req.shard);
    out.fetch = plan::coalesce(ranges_of(out.items, false));
    if (req.shard) out.fetch = out.output;
  } else if (req.shard) {
    // Every shard carries the metadata whole, so that each opens on its own.
    const std::vector<ByteRange> meta = ranges_where(out.items, true);
    out.fetch = plan::shard_with_metadata(ranges_where(out.items, false), meta, *req.shard);
    uint64_t meta_bytes = 0;
    for (const ByteRange& r : meta) meta_bytes += r.size();
    log::info("shard {}/{}: the format's metadata ({} bytes) in every shard", req.shard->index,
              req.shard->count, meta_bytes);
  } else {
    out.fetch = plan::coalesce(ranges_of(out.items, false));
  }
  if (req.shard) {
    uint64_t bytes = 0;
    for (const ByteRange& r : out.fetch) bytes += r.size();
    log::info("shard {}/{}: {} ranges, {} bytes", req.shard->index, req.shard->count, out.fetch.size(),
              bytes);
  }
  return out;
}

plan::Manifest run_plan(const PlanCommand& cmd) {
  // Neither --select nor -r: the whole object (a plan to --shard by bytes).
  std::unique_ptr<Source> source = open_source(cmd.source, cmd.http, cmd.s3);
  CommandRanges r = resolve_command_ranges(cmd.ranges, cmd.request, *source);
  plan::Manifest m;
  m.source = cmd.source;
  m.identity = source->identity();
  m.select = cmd.request.select;
  m.shard = cmd.request.shard;
  m.round_trips = r.round_trips;
  m.read_bytes = r.read_bytes;
  m.items = cmd.request.shard ? clip_items(r.items, r.fetch) : std::move(r.items);
  // A local sparseio DST: say which parts it holds, since the others read as
  // zeros (a loader would take a missing tensor for one of zeros).
  if (!is_remote(cmd.source) && ::access(Sidecar::path_for(cmd.source).c_str(), F_OK) == 0) {
    std::unique_ptr<Destination> dest = Destination::open_existing(cmd.source, false);
    uint64_t missing = 0;
    for (plan::PlanItem& it : m.items) {
      it.present = dest->missing(it.range).empty();
      missing += !*it.present;
    }
    log::info("plan: {} is a sparseio destination: {} of {} parts not present", cmd.source, missing,
              m.items.size());
  }
  return m;
}

std::string format_plan_text(const plan::Manifest& m) {
  std::vector<ByteRange> all;
  for (const plan::PlanItem& it : m.items) all.push_back(it.range);
  uint64_t total = 0;
  for (const ByteRange& r : plan::coalesce(all)) total += r.size();
  std::string out = fmt::format("# sparseio plan of {} ({} bytes)", m.source, m.identity.size);
  if (!m.select.empty()) out += fmt::format(": --select {}", fmt::join(m.select, " --select "));
  if (m.shard) out += fmt::format(" --shard {}/{}", m.shard->index, m.shard->count);
  out += fmt::format("\n# {} ranges, {} bytes to fetch; planned in {} round trips ({} bytes read)\n",
                     m.items.size(), total, m.round_trips, m.read_bytes);
  if (!m.items.empty() && m.items.front().present) {
    size_t missing = 0;
    for (const plan::PlanItem& it : m.items) missing += !it.present.value_or(true);
    out +=
        fmt::format("# {} is a sparseio destination: {} of {} ranges present; \"(missing)\" marks the rest\n",
                    m.source, m.items.size() - missing, m.items.size());
  }
  for (const plan::PlanItem& it : m.items) {
    std::string range = fmt::format("{}-{}", it.range.begin, it.range.end - 1);
    // A label is free text from the file (a member name may hold a newline):
    // keep it on its line.
    std::string label = it.label;
    for (char& c : label)
      if (c == '\n' || c == '\r') c = ' ';
    if (!it.present.value_or(true)) label += " (missing)";
    out += fmt::format("{:<24} # {}\n", range, label);
  }
  return out;
}

}  // namespace sparseio
