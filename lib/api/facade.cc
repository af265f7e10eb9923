// The public facade (<sparseio/sparseio.h>): the free functions, each a
// command of api/commands.h with the public, stable types turned into the
// command layer's and back by api/public_types (the one place of every
// conversion). Everything a program
// can call is here or in core/log.cc and core/errors.cc; the rest of the
// library is hidden (compiled with -fvisibility=hidden).
#include <fmt/format.h>

#include <string>

#include "api/cat.h"
#include "api/commands.h"
#include "api/progress_watch.h"
#include "api/public_types.h"
#include "api/verify_command.h"
#include "core/range_list.h"
#include "sparseio/sparseio.h"
#include "store/destination.h"
#include "version.h"

namespace sparseio {

const char* version() { return SPARSEIO_VERSION; }

std::vector<RangeSpec> parse_ranges(std::string_view text) { return to_specs(parse_range_list(text)); }

AllocationReport fetch(const std::string& source, const std::string& destination,
                       const std::vector<RangeSpec>& ranges, const Options& options) {
  FetchCommand cmd = to_command(source, destination, ranges, options);
  ProgressWatch watch(options);  // its last call (the final state) comes before the return
  watch.attach(cmd);
  watch.start();
  return to_public(run_fetch(std::move(cmd)));
}

AllocationReport stat(const std::string& destination, bool list_ranges) {
  return to_public(run_stat(destination, list_ranges));
}

AllocationReport punch(const std::string& destination, const std::vector<RangeSpec>& ranges,
                       const Options& options) {
  return to_public(run_punch(destination, to_items(ranges), options.wait_for_lock));
}

VerifySummary verify(const std::string& source, const std::string& destination,
                     const std::vector<RangeSpec>& ranges, const Options& options) {
  FetchCommand transfer = to_command(source, destination, ranges, options);
  VerifyCommand cmd;
  cmd.source = source;
  cmd.destination = destination;
  cmd.ranges = std::move(transfer.ranges);
  cmd.fetch = transfer.fetch;
  cmd.http = transfer.http;
  cmd.s3 = transfer.s3;
  return to_public(run_verify(cmd));
}

TransferStats read(const std::string& source, const std::string& destination,
                   const std::vector<RangeSpec>& ranges, const ByteSink& sink, const Options& options) {
  // A streaming read: the sink gets each piece's bytes as they arrive.
  FetchCommand cmd = to_command(source, destination, ranges, options);
  ProgressWatch watch(options);
  watch.attach(cmd);
  watch.start();
  std::unique_ptr<CatStream> cat = CatStream::open(std::move(cmd));
  bool stopped = false;
  try {
    for (std::span<const std::byte> s = cat->next(); !s.empty(); s = cat->next()) sink(s);
  } catch (const InterruptedError&) {
    stopped = true;  // a transfer saw the stop on_progress asked for
  }
  cat->close();
  TransferStats stats = to_stats(cat->stats());
  stats.interrupted = stats.interrupted || stopped;
  return stats;
}

}  // namespace sparseio
