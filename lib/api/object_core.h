// What `sparseio fetch` (run_fetch) and the library handle (sparseio::Object)
// share: a source opened once, its DST opened once (holding DST's lock for
// as long as the core lives) and one FetchCoordinator over the two, through
// which every transfer goes, so that concurrent and overlapping requests are
// transferred once and the source's connections are reused across calls.
#pragma once

#include <memory>
#include <optional>

#include "api/commands.h"
#include "api/report.h"
#include "engine/fetch_coordinator.h"
#include "source/source.h"
#include "store/destination.h"

namespace sparseio {

class ObjectCore {
 public:
  // Takes over an opened source and its DST (open_transfer_source,
  // open_destination); `fetch` as open_transfer_source resolved it.
  ObjectCore(std::unique_ptr<Source> source, std::unique_ptr<Destination> dest, const FetchOptions& fetch);
  // Opens cmd.source, then DST for it (the lock is taken here).
  static std::unique_ptr<ObjectCore> open(const FetchCommand& cmd);
  ~ObjectCore();  // makes what arrived durable (errors then are lost: fetched again next time)
  ObjectCore(const ObjectCore&) = delete;
  ObjectCore& operator=(const ObjectCore&) = delete;

  Source& source() { return *source_; }
  const Source& source() const { return *source_; }
  Destination& dest() { return *dest_; }
  const Destination& dest() const { return *dest_; }
  FetchCoordinator& coordinator() { return coordinator_; }

  // DST's report now, naming the source.
  Report report(std::optional<FetchStats> stats = std::nullopt, bool list_ranges = false) const;

 private:
  // Member order: the coordinator refers to both and goes first.
  std::unique_ptr<Source> source_;
  std::unique_ptr<Destination> dest_;
  FetchCoordinator coordinator_;
};

}  // namespace sparseio
