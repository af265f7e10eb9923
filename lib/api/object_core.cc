#include "api/object_core.h"

namespace sparseio {

ObjectCore::ObjectCore(std::unique_ptr<Source> source, std::unique_ptr<Destination> dest,
                       const FetchOptions& fetch)
    : source_(std::move(source)), dest_(std::move(dest)), coordinator_(*source_, *dest_, fetch) {}

std::unique_ptr<ObjectCore> ObjectCore::open(const FetchCommand& cmd) {
  FetchOptions fetch;
  std::unique_ptr<Source> source = open_transfer_source(cmd, fetch);
  std::unique_ptr<Destination> dest = open_destination(cmd, *source);
  return std::make_unique<ObjectCore>(std::move(source), std::move(dest), fetch);
}

ObjectCore::~ObjectCore() {
  try {
    dest_->sync();
  } catch (const std::exception&) {
    // What could not be recorded is fetched again next time.
  }
}

Report ObjectCore::report(std::optional<FetchStats> stats, bool list_ranges) const {
  Report r = make_report(*dest_, std::move(stats), list_ranges);
  r.source = source_->name();
  return r;
}

}  // namespace sparseio
