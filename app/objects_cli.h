// The CLI side of many objects in one run (api/many.h): `fetch SRC1 SRC2
// ... DIR/` and `fetch ./dir/ DIR/`, and `stat DIR/`. Prints the run's
// report (text totals, or --json with an "objects" array) and, on stderr,
// a summary naming each failed object; returns the exit code: the kind
// all failures share, else 1.
#pragma once

#include <string>
#include <vector>

#include "api/commands.h"
#include "api/many.h"
#include "transfer.h"

namespace sparseio::cli {

// True when a fetch of `sources` into `dst` is a many-object run: more than
// one source, or one that is a local directory, or an S3 prefix or glob
// (api/s3_objects.h) into a directory DST (`dst` ends with '/' or is one).
// Into a file DST, an s3:// SRC is the one object its key names exactly, so
// that keys ending with '/' or holding '*', '?', '[' or '{' stay fetchable.
bool is_many_fetch(const std::vector<std::string>& sources, const std::string& dst);

// The objects of a --from LIST (a file, '-': standard input); empty: none.
std::vector<ObjectJob> read_object_list(const std::string& from_list);

// Fetches `jobs` into `dir` (fetch --plan of a many-object manifest: jobs_from_plan).
int run_fetch_jobs_command(std::vector<ObjectJob> jobs, const std::string& dir, FetchCommand each,
                           bool fail_fast, const OutputFlags& out);

// `from_list`: fetch --from LIST (a file, '-': standard input), whose
// objects come after those of `sources`; empty: none.
int run_fetch_many_command(const std::vector<std::string>& sources, const std::string& from_list,
                           const std::string& dir, FetchCommand each, bool fail_fast, const OutputFlags& out);

// stat DIR/ (a directory holding .sparseio/): every destination found.
int run_stat_many_command(const std::string& dir, bool list_ranges, const OutputFlags& out);

}  // namespace sparseio::cli
