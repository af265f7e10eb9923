// The public, stable types of <sparseio/...> turned into the command layer's
// (api/commands.h) and back: the one place of each conversion, shared by
// the free functions (api/facade.cc), the handle (api/object.cc) and the
// progress watch, so that a field added on one side is copied once.
#pragma once

#include <vector>

#include "api/commands.h"
#include "api/report.h"
#include "api/verify_command.h"
#include "core/range_list.h"
#include "engine/fetch_stats.h"
#include "engine/progress.h"
#include "sparseio/options.h"
#include "sparseio/range.h"
#include "sparseio/report.h"

namespace sparseio {

// A RangeSpec as a range-list item (a UsageError for an empty span).
RangeItem to_item(const RangeSpec& spec);
std::vector<RangeItem> to_items(const std::vector<RangeSpec>& specs);
// And back (parse_ranges: the CLI's grammar for a program).
std::vector<RangeSpec> to_specs(const std::vector<RangeItem>& items);

// The command for a transfer of `ranges` of `source` into `destination`.
FetchCommand to_command(const std::string& source, const std::string& destination,
                        const std::vector<RangeSpec>& ranges, const Options& options);

// to_command's HTTP and S3 parts the other way: the public Options of a
// client of the handle that parsed fetch's flags into the command layer's
// options (sparseio mount). Written beside to_http and to_s3, so that a
// field added to one is seen in the other.
void set_source_options(Options& options, const HttpOptions& http, const S3Options& s3);

TransferStats to_stats(const FetchStats& stats);
AllocationReport to_public(const Report& report);
Progress to_public(const ProgressSnapshot& snapshot);
VerifySummary to_public(const VerifyOutcome& outcome);

}  // namespace sparseio
