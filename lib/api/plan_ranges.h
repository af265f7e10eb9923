// Ranges from a format selection (--select), a plan manifest (--plan) and a
// shard (--shard), for fetch, cat and plan. The commands call
// resolve_command_ranges() where they used to resolve -r items alone.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/range_list.h"
#include "plan/manifest.h"
#include "plan/read_plan.h"
#include "plan/shard.h"
#include "source/http/http_options.h"
#include "source/s3/s3_options.h"
#include "source/source.h"

namespace sparseio {

struct PlanRequest {
  std::vector<std::string> select;       // --select FORMAT:WHAT (repeatable)
  std::string manifest;                  // --plan FILE
  std::optional<plan::ShardSpec> shard;  // --shard I/N
  // One object's part of a plan of many (fetch --plan DIR/, api/plan_many.h),
  // used instead of loading `manifest` (then only named in messages).
  std::shared_ptr<const plan::Manifest> planned;

  bool any() const { return !select.empty() || !manifest.empty() || shard.has_value(); }
};

struct CommandRanges {
  std::vector<ByteRange> fetch;       // to make present in DST
  std::vector<ByteRange> output;      // cat: to write, in this order
  std::vector<plan::PlanItem> items;  // labelled, before sharding (for `plan`)
  uint64_t round_trips = 0;           // reads made to plan
  uint64_t read_bytes = 0;
  std::vector<plan::RoundReader::Read> planning_reads;  // what those reads returned
};

// -r items (none: the whole object, unless a selection or plan is given),
// plus the selection's items, plus the manifest's; then the shard. For cat,
// `output` holds the payloads (a zip member's data, not its local header;
// this reads the local headers, in one round). Throws SourceChangedError when
// the manifest was made for another version of the object.
CommandRanges resolve_command_ranges(const std::vector<RangeItem>& items, const PlanRequest& req,
                                     Source& source, bool for_cat = false);

struct PlanCommand {
  std::string source;
  std::vector<RangeItem> ranges;
  PlanRequest request;
  HttpOptions http;
  S3Options s3;
};

// The items clipped to `keep` (sorted, disjoint); an item cut in two keeps
// its label, marked " (part)".
std::vector<plan::PlanItem> clip_items(const std::vector<plan::PlanItem>& items,
                                       const std::vector<ByteRange>& keep);

// sparseio plan: the labelled items (clipped to the shard, if any) and the
// source's identity, ready to print as a range list or a manifest.
plan::Manifest run_plan(const PlanCommand& cmd);

// The manifest as a --ranges-from list: "A-B  # what" lines after a header comment.
std::string format_plan_text(const plan::Manifest& m);

}  // namespace sparseio
