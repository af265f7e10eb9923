#include "sparseio/commands.h"

#include <cerrno>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "sparseio/errors.h"
#include "sparseio/open_source.h"

namespace sparseio {

Report run_fetch(const FetchCommand& cmd) {
  std::unique_ptr<Source> source = open_source(cmd.source);
  const uint64_t size = source->size();
  std::vector<ByteRange> ranges = cmd.ranges.empty() ? std::vector<ByteRange>{{0, size}}
                                                     : resolve_ranges(cmd.ranges, size);
  std::unique_ptr<Destination> dest =
      Destination::open_for_source(cmd.destination, source->identity(), cmd.dest);
  FetchCoordinator coordinator(*source, *dest, cmd.fetch);
  FetchStats stats = coordinator.fetch(ranges);
  return make_report(*dest, stats);
}

Report run_stat(const std::string& destination) {
  std::unique_ptr<Destination> dest = Destination::open_existing(destination, false);
  return make_report(*dest);
}

std::vector<RangeItem> load_range_file(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError(errno_message(fmt::format("cannot read range file {}", path), errno));
    text << in.rdbuf();
  }
  try {
    return parse_range_file(text.str());
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", path == "-" ? "standard input" : path, e.what()));
  }
}

}  // namespace sparseio
