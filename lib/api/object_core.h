// What `sparseio fetch` (run_fetch), `sparseio verify` (run_verify) and the
// library handle (sparseio::Object, and through it the free functions of
// <sparseio/sparseio.h>) share: a source opened once, its DST opened once
// (holding DST's lock for as long as the core lives, when opened for
// writing) and one FetchCoordinator over the two, through which every
// transfer goes, so that concurrent and overlapping requests are
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
  // `writable`: DST was opened for writing (and is locked); a read-only DST
  // must never be asked for a transfer.
  ObjectCore(std::unique_ptr<Source> source, std::unique_ptr<Destination> dest, const FetchOptions& fetch,
             bool writable = true);
  // Opens cmd.source, then DST for it, for writing (the lock is taken here).
  static std::unique_ptr<ObjectCore> open(const FetchCommand& cmd);
  // Opens cmd.source, resolves cmd.ranges against it (no ranges: the whole
  // object; a bad one is a UsageError before DST is touched), then DST:
  // read-only and unlocked when it already holds every byte of them (a
  // complete read-only cache is a success, issue 24), else for writing.
  static std::unique_ptr<ObjectCore> open_to_read(const FetchCommand& cmd);
  // For verify: DST must exist (its sidecar beside it or in DIR/.sparseio/),
  // opened for writing and locked only with `writable` (a repair), else read
  // without the lock; the source is opened as it is now (an S3 object at the
  // version DST recorded), even when its identity is no longer DST's
  // (source_changed()).
  static std::unique_ptr<ObjectCore> open_existing(const FetchCommand& cmd, bool writable);
  ~ObjectCore();  // makes what arrived durable (errors then are lost: fetched again next time)
  ObjectCore(const ObjectCore&) = delete;
  ObjectCore& operator=(const ObjectCore&) = delete;

  Source& source() { return *source_; }
  const Source& source() const { return *source_; }
  Destination& dest() { return *dest_; }
  const Destination& dest() const { return *dest_; }
  FetchCoordinator& coordinator() { return coordinator_; }
  const FetchCoordinator& coordinator() const { return coordinator_; }
  // The transfer options as open_transfer_source resolved them (jobs, chunk
  // size, the stop control): verify reads the source with the same.
  const FetchOptions& fetch_options() const { return fetch_; }
  bool writable() const { return writable_; }
  // DST's recorded identity is not the source's now (only possible when
  // opened with open_existing: the other openers refuse or restart).
  bool source_changed() const;

  // DST's report now, naming the source.
  Report report(std::optional<FetchStats> stats = std::nullopt, bool list_ranges = false) const;

 private:
  // Member order: the coordinator refers to both and goes first.
  std::unique_ptr<Source> source_;
  std::unique_ptr<Destination> dest_;
  FetchOptions fetch_;
  bool writable_;
  FetchCoordinator coordinator_;
};

}  // namespace sparseio
