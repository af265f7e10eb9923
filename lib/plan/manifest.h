// The plan manifest (`sparseio plan --json`): what to fetch from which
// object, and that object's identity, so that `fetch --plan` on another
// machine or a day later fetches exactly the planned bytes or refuses.
//
//   {"sparseio_plan": 1, "source": "https://...", "identity": {"size": N,
//    "etag": "...", "last_modified": "...", "mtime_ns": N, "version": "..."},
//    "select": ["zip:train/*.jpg"], "shard": "0/4" (or null),
//    "round_trips": 2, "read_bytes": N, "total_bytes": N,
//    "ranges": [{"offset": N, "length": N, "what": "zip member train/a.jpg",
//                "metadata": false, "present": true}]}
//
// "metadata" marks the format's own metadata (a zip's directory, a Parquet
// footer, tar headers): --shard puts it in every shard. "present" appears
// only in a plan of a local sparseio DST: whether DST holds the range.
//
// "sparseio_plan" is the format version: readers refuse versions they do
// not know. Unknown keys are ignored (later versions may add some).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/plan_types.h"
#include "plan/shard.h"
#include "source/source.h"

namespace sparseio::plan {

constexpr int kManifestVersion = 1;

struct Manifest {
  std::string source;
  SourceIdentity identity;
  std::vector<std::string> select;
  std::optional<ShardSpec> shard;
  uint64_t round_trips = 0, read_bytes = 0;
  std::vector<PlanItem> items;  // range and label
};

// One JSON object and a newline.
std::string manifest_to_json(const Manifest& m);

// Parses a manifest; `name` (the file) is named in the UsageError for a
// malformed one.
Manifest manifest_from_json(const std::string& text, const std::string& name);

// Reads and parses the manifest file ("-": standard input).
Manifest load_manifest(const std::string& path);

// The fields that say "same object": size, mtime, ETag, Last-Modified
// (device and inode are left out: the plan may be made on another machine
// that sees the same file through a shared file system).
bool same_object(const SourceIdentity& planned, const SourceIdentity& now);

}  // namespace sparseio::plan
