#include "api/object_core.h"

#include "store/under_dir.h"

namespace sparseio {

ObjectCore::ObjectCore(std::unique_ptr<Source> source, std::unique_ptr<Destination> dest,
                       const FetchOptions& fetch, bool writable)
    : source_(std::move(source)),
      dest_(std::move(dest)),
      fetch_(fetch),
      writable_(writable),
      coordinator_(*source_, *dest_, fetch) {}

std::unique_ptr<ObjectCore> ObjectCore::open(const FetchCommand& cmd) {
  FetchOptions fetch;
  std::unique_ptr<Source> source = open_transfer_source(cmd, fetch);
  std::unique_ptr<Destination> dest = open_destination(cmd, *source);
  return std::make_unique<ObjectCore>(std::move(source), std::move(dest), fetch);
}

std::unique_ptr<ObjectCore> ObjectCore::open_to_read(const FetchCommand& cmd) {
  FetchOptions fetch;
  std::unique_ptr<Source> source = open_transfer_source(cmd, fetch);
  const std::vector<ByteRange> wanted = cmd.ranges.empty() ? std::vector<ByteRange>{{0, source->size()}}
                                                           : resolve_ranges(cmd.ranges, source->size());
  std::unique_ptr<Destination> dest = open_if_complete(cmd, *source, wanted);
  const bool writable = dest == nullptr;
  if (writable) dest = open_destination(cmd, *source);
  return std::make_unique<ObjectCore>(std::move(source), std::move(dest), fetch, writable);
}

std::unique_ptr<ObjectCore> ObjectCore::open_existing(const FetchCommand& cmd, bool writable) {
  FetchCommand c = cmd;
  if (c.dest.sidecar_path.empty()) c.dest.sidecar_path = find_sidecar(c.destination);
  // DST first: a verify of a DST that does not exist sends no request.
  std::unique_ptr<Destination> dest =
      Destination::open_existing(c.destination, writable, c.dest.wait_for_lock, c.dest.sidecar_path);
  FetchOptions fetch;
  std::unique_ptr<Source> source = open_transfer_source(c, fetch);  // pinned to DST's S3 version
  return std::make_unique<ObjectCore>(std::move(source), std::move(dest), fetch, writable);
}

ObjectCore::~ObjectCore() {
  try {
    dest_->sync();
  } catch (const std::exception&) {
    // What could not be recorded is fetched again next time.
  }
}

bool ObjectCore::source_changed() const {
  return !identity_matches(dest_->header().identity, source_->identity());
}

Report ObjectCore::report(std::optional<FetchStats> stats, bool list_ranges) const {
  Report r = make_report(*dest_, std::move(stats), list_ranges);
  r.source = source_->name();
  return r;
}

}  // namespace sparseio
