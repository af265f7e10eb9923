// The public facade (<sparseio/sparseio.h>): the free functions. Those that
// take a source (fetch, read, verify) are thin wrappers over the handle:
// each opens a sparseio::Object (api/object_access.h: as Object::open, but
// a DST only read is neither created nor locked), makes its one call and
// closes it, so that there is one path, free function -> Object ->
// ObjectCore -> engine. stat and punch touch no source and read or punch
// DST alone (api/commands.h). The public types are turned into the command
// layer's and back by api/public_types (the one place of every conversion).
// Everything a program can call is here, in api/object.cc or in core/log.cc
// and core/errors.cc; the rest of the library is hidden (compiled with
// -fvisibility=hidden).
#include <chrono>
#include <string>

#include "api/commands.h"
#include "api/object_access.h"
#include "api/public_types.h"
#include "core/range_list.h"
#include "sparseio/sparseio.h"
#include "version.h"

namespace sparseio {

const char* version() { return SPARSEIO_VERSION; }

std::vector<RangeSpec> parse_ranges(std::string_view text) { return to_specs(parse_range_list(text)); }

AllocationReport fetch(const std::string& source, const std::string& destination,
                       const std::vector<RangeSpec>& ranges, const Options& options) {
  // elapsed_s is the call's wall time, discovery included (as run_fetch's).
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Object> object = ObjectAccess::open_to_read(source, destination, ranges, options);
  TransferStats transfer = object->fetch(ranges);
  object->sync();  // here, where a failure to record is the caller's error
  AllocationReport report = object->stat();
  transfer.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.transfer = transfer;
  return report;
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
  return ObjectAccess::open_to_verify(source, destination, options)->verify(ranges);
}

TransferStats read(const std::string& source, const std::string& destination,
                   const std::vector<RangeSpec>& ranges, const ByteSink& sink, const Options& options) {
  return ObjectAccess::open_to_read(source, destination, ranges, options)->read(ranges, sink);
}

}  // namespace sparseio
