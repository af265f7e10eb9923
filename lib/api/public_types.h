// The public, stable types of <sparseio/...> turned into the command layer's
// (api/commands.h) and back: shared by the free functions (api/facade.cc)
// and the handle (api/object.cc), so that both read Options the same way.
#pragma once

#include <vector>

#include "api/commands.h"
#include "api/report.h"
#include "core/range_list.h"
#include "engine/fetch_stats.h"
#include "sparseio/options.h"
#include "sparseio/range.h"
#include "sparseio/report.h"

namespace sparseio {

// A RangeSpec as a range-list item (a UsageError for an empty span).
RangeItem to_item(const RangeSpec& spec);
std::vector<RangeItem> to_items(const std::vector<RangeSpec>& specs);

// The command for a transfer of `ranges` of `source` into `destination`.
FetchCommand to_command(const std::string& source, const std::string& destination,
                        const std::vector<RangeSpec>& ranges, const Options& options);

TransferStats to_stats(const FetchStats& stats);
AllocationReport to_public(const Report& report);

}  // namespace sparseio
