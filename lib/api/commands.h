// The commands of SPEC.md as library calls; the CLI in app/ parses arguments,
// calls these and prints. Each throws UsageError/Error subclasses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/report.h"
#include "api/verify.h"
#include "core/range_list.h"
#include "engine/fetch_coordinator.h"
#include "source/http/http_options.h"
#include "store/destination.h"

namespace sparseio {

struct FetchCommand {
  std::string source;
  std::string destination;
  std::vector<RangeItem> ranges;  // empty: the whole object
  FetchOptions fetch;             // defaults resolved by the coordinator and its scheduler
  // Overrides fetch.coalesce_gap; unset: the default of the source's kind
  // (for URLs it follows the link, for files 0), resolved by the coordinator
  // once so that the CLI and a library caller get the same behaviour.
  std::optional<uint64_t> coalesce_gap;
  DestinationOptions dest;
  HttpOptions http;  // for http:// and https:// sources
};

// sparseio fetch: validates ranges against the source before touching DST,
// so that a bad range list leaves nothing behind.
// Takes cmd by value so that a long range list is freed once resolved.
Report run_fetch(FetchCommand cmd);

// sparseio stat: the report for DST without touching any source.
Report run_stat(const std::string& destination, bool list_ranges = false);

// sparseio punch: evicts `ranges` from DST (whole blocks go back to the
// filesystem) and returns the report afterwards.
Report run_punch(const std::string& destination, const std::vector<RangeItem>& ranges, bool wait_for_lock);

struct VerifyOutcome {
  VerifyResult result;
  bool source_changed = false;  // the source's identity differs from the sidecar's
};

// sparseio verify: compares the present bytes of `ranges` (empty: all of DST)
// with the source.
VerifyOutcome run_verify(const std::string& source, const std::string& destination,
                         const std::vector<RangeItem>& ranges, const HttpOptions& http = {});

// sparseio cat: fetches what is missing of cmd.ranges, then writes the bytes
// of each range, in the order given, to `out_fd`.
FetchStats run_cat(const FetchCommand& cmd, int out_fd);
// The same, handing the bytes to `sink` (the facade's sparseio::read).
FetchStats run_cat_to(const FetchCommand& cmd, const std::function<void(std::span<const std::byte>)>& sink);

}  // namespace sparseio

namespace sparseio {

// Reads a --ranges-from file ("-": standard input) and parses it. An
// unreadable file or a bad item is a UsageError naming the file.
std::vector<RangeItem> load_range_file(const std::string& path);

}  // namespace sparseio
