// The commands of sparseio(1) as library calls; the CLI in app/ parses arguments,
// calls these and prints. Each throws UsageError/Error subclasses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/plan_ranges.h"
#include "api/report.h"
#include "api/verify.h"
#include "core/range_list.h"
#include "engine/fetch_coordinator.h"
#include "source/http/http_options.h"
#include "source/s3/s3_options.h"
#include "store/destination.h"

namespace sparseio {

// To steer a fetch (stop it, hear its events, watch its progress), set
// fetch.control, fetch.progress, dest.control and http.control.
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
  HttpOptions http;  // for http://, https:// and s3:// sources
  S3Options s3;      // for s3:// sources
  PlanRequest plan;  // --select, --plan, --shard
};

// sparseio fetch: validates ranges against the source before touching DST,
// so that a bad range list leaves nothing behind.
// Takes cmd by value so that a long range list is freed once resolved.
Report run_fetch(FetchCommand cmd);

// sparseio stat: the report for DST without touching any source
// (`sidecar`: its sidecar when not beside DST).
Report run_stat(const std::string& destination, bool list_ranges = false, const std::string& sidecar = "");

// sparseio punch: evicts `ranges` from DST (whole blocks go back to the
// filesystem) and returns the report afterwards.
Report run_punch(const std::string& destination, const std::vector<RangeItem>& ranges, bool wait_for_lock);

// Opens cmd.source for a transfer; for URLs and S3, the connections are
// bounded by -j when given, else by the scheduler's cap (--max-connections).
// An S3 object is pinned to the version cmd.destination's sidecar recorded
// (unless cmd.dest.restart). `fetch` receives the options to use.
std::unique_ptr<Source> open_transfer_source(const FetchCommand& cmd, FetchOptions& fetch);

// Opens DST for `source`. A size no file can have (EFBIG) is the source's
// claim, so the message says what the source claimed.
std::unique_ptr<Destination> open_destination(const FetchCommand& cmd, const Source& source);

// DST (cmd.destination, its sidecar where cmd.dest says) opened for reading
// only, when both exist and DST is not to start over; else nullptr. For
// fetch and cat, which need no write access to a DST that holds everything.
std::unique_ptr<Destination> open_existing_to_read(const FetchCommand& cmd);

// Whether `dest` holds every byte of `ranges` (parts past its end do not count).
bool holds_all(const Destination& dest, const std::vector<ByteRange>& ranges);

// DST opened only for reading when it already holds every wanted byte of
// `source` (same identity), else nullptr: then it is opened for writing
// (open_destination), which says what is wrong. A read-only cache (chmod
// a-w, a read-only mount) that is complete is a success, not "cannot open
// destination" (issue 24).
std::unique_ptr<Destination> open_if_complete(const FetchCommand& cmd, const Source& source,
                                              const std::vector<ByteRange>& ranges);

}  // namespace sparseio

namespace sparseio {

// Reads a --ranges-from file ("-": standard input) and parses it. An
// unreadable file or a bad item is a UsageError naming the file.
std::vector<RangeItem> load_range_file(const std::string& path);

}  // namespace sparseio
