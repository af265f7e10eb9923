// Plans over many objects: `sparseio plan SRC1 SRC2 ...` (a directory, a
// --from list, later an S3 prefix: the objects api/many names) makes one
// version 2 manifest, and `fetch --plan plan.json DIR/ [--shard I/N]`
// turns such a manifest back into the objects of a many-object run, each
// carrying its part of the plan (and of the shard) with the identity it was
// planned against, so that a changed object fails alone (exit 4) and
// nothing of it is claimed.
//
// Sharding across objects is plan::shard_objects: the whole plan is split
// by bytes, an object may be cut between shards, and an object's metadata
// goes to every shard that holds any of it. An object of which a shard
// holds nothing is left out of that shard's run (no empty file is made).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/many.h"
#include "api/plan_ranges.h"
#include "plan/manifest.h"

namespace sparseio {

struct PlanManyCommand {
  std::vector<ObjectJob> objects;  // from plan_objects; a job's own ranges replace `ranges`
  std::vector<RangeItem> ranges;   // -r for every object
  PlanRequest request;             // --select and --shard (no --plan)
  HttpOptions http;
  S3Options s3;
  unsigned at_once = kObjectsAtOnce;  // objects planned at once (each waits on its round trips)
};

struct ManyPlan {
  plan::PlanFile file;                  // version 2: the planned objects (those in the shard, if any)
  std::vector<ObjectOutcome> failures;  // objects that could not be planned, in their order
};

// Plans every object (each is attempted); the objects that failed are
// `failures`, not an exception. Throws UsageError for a --plan request.
ManyPlan run_plan_many(const PlanManyCommand& cmd);

// Pure: shard `spec` of a plan of many objects (plan::shard_objects over
// each object's ranges and metadata): each object's items clipped to its
// part, objects with no part dropped, `shard` recorded in each.
plan::PlanFile shard_plan_file(const plan::PlanFile& file, plan::ShardSpec spec);

// fetch --plan of a version 2 manifest: one job per object (its source and
// name, `planned` its part), the shard applied first when given.
std::vector<ObjectJob> jobs_from_plan(const plan::PlanFile& file, std::optional<plan::ShardSpec> shard);

// The plan of many objects as a --from list (fetch --from reads it back):
// per object, comment lines with each range's label, then one line
// "SRC NAME A-B,C-D,...". A source or name holding a blank or '#' (which a
// list cannot carry) is written as a comment saying so.
std::string format_plan_many_text(const plan::PlanFile& file);

}  // namespace sparseio
