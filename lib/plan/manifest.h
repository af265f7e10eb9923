// The plan manifest (`sparseio plan --json`): what to fetch from which
// objects, and each object's identity, so that `fetch --plan` on another
// machine or a day later fetches exactly the planned bytes or refuses.
//
// Version 1, one object (DST is a file):
//   {"sparseio_plan": 1, "source": "https://...", "identity": {"size": N,
//    "etag": "...", "last_modified": "...", "mtime_ns": N},
//    "select": ["zip:train/*.jpg"], "shard": "0/4" (or null),
//    "round_trips": 2, "read_bytes": N, "total_bytes": N,
//    "ranges": [{"offset": N, "length": N, "what": "zip member train/a.jpg",
//                "metadata": false, "present": true}]}
//
// Version 2, many objects (DST is a directory, each object at DIR/NAME):
//   {"sparseio_plan": 2, "select": [...], "shard": null, "round_trips": N,
//    "read_bytes": N, "total_bytes": N,
//    "objects": [{"name": "sub/a.parquet", "source": "...", "identity": {...},
//                 "round_trips": N, "read_bytes": N, "total_bytes": N,
//                 "ranges": [...]}]}
// The top-level counts are the objects' sums. A plan of several sources
// (or of a directory, a prefix, a --from list) is written as version 2; a
// plan of one object keeps version 1, which sparseio versions before 2 read
// too, so a plan made here is fetched by an older sparseio on a worker that
// has not been upgraded (a writer uses the oldest version that can say it).
//
// "metadata" marks the format's own metadata (a zip's directory, a Parquet
// footer, tar headers): --shard puts it in every shard holding any of the
// object. "present" appears only in a plan of a local sparseio DST: whether
// DST holds the range.
//
// "sparseio_plan" is the format version: readers refuse versions they do
// not know. Unknown keys are ignored (later versions may add some). A bad
// field is a UsageError naming the file and the field's path
// ("objects[2].identity.size").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/plan_types.h"
#include "plan/shard.h"
#include "source/source.h"

namespace sparseio::plan {

constexpr int kManifestVersion = 1;      // one object
constexpr int kManyManifestVersion = 2;  // several objects, each with its name below DIR

// One object's plan (all of a version 1 manifest; one entry of version 2).
struct Manifest {
  std::string source;
  std::string name;  // version 2: its place below DIR (relative_name_problem passes)
  SourceIdentity identity;
  std::vector<std::string> select;
  std::optional<ShardSpec> shard;
  uint64_t round_trips = 0, read_bytes = 0;
  std::vector<PlanItem> items;  // range and label
};

// A manifest file: version 1 holds exactly one object, version 2 any number
// (their names distinct). select and shard are the same for every object.
struct PlanFile {
  int version = kManifestVersion;
  std::vector<Manifest> objects;
};

// One JSON object and a newline: a version 1 manifest of `m`.
std::string manifest_to_json(const Manifest& m);

// Version 1 or 2 as f.version says (1 requires exactly one object).
std::string plan_file_to_json(const PlanFile& f);

// Parses a manifest of either version; `name` (the file) is named in the
// UsageError for a malformed one, with the field at fault.
PlanFile plan_file_from_json(const std::string& text, const std::string& name);

// A version 1 manifest (a version 2 one is refused: its DST is a directory).
Manifest manifest_from_json(const std::string& text, const std::string& name);

// Reads and parses the manifest file ("-": standard input).
PlanFile load_plan_file(const std::string& path);
Manifest load_manifest(const std::string& path);

// The fields that say "same object": size, mtime, ETag, Last-Modified
// (device and inode are left out: the plan may be made on another machine
// that sees the same file through a shared file system).
bool same_object(const SourceIdentity& planned, const SourceIdentity& now);

}  // namespace sparseio::plan
