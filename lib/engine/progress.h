// Live progress of a fetch, for a caller that shows it (the CLI's status
// line and fill map). The library never prints: the fetch coordinator
// attaches itself to a ProgressMonitor the caller owns while it runs, and
// the caller's display thread takes snapshots at its own pace (4-10 Hz).
//
// A snapshot costs one pass over the pieces in flight plus one coverage
// lookup per map cell (a few hundred), so it may be taken often.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sparseio {

// One cell of the fill map: a slice of the object.
enum class CellState : uint8_t {
  kAbsent,   // no byte of the slice is present
  kPartial,  // some bytes are present
  kPresent,  // every byte is present
  kActive,   // a transfer is writing into the slice now
};

struct ProgressSnapshot {
  uint64_t object_size = 0;
  uint64_t wanted_bytes = 0;   // distinct bytes the run asked for
  uint64_t done_bytes = 0;     // of those, present now (before the run, or written since)
  uint64_t fetched_bytes = 0;  // written by this run so far, pieces in flight included
  unsigned active = 0;         // transfers running now
  unsigned jobs = 0;           // transfers allowed at once
  std::vector<CellState> cells;
  // A run of many objects (api/many.h): objects finished, and in all; 0: one object.
  size_t objects_done = 0, objects_total = 0;
  std::vector<std::string> current_objects;  // names of the objects being fetched now, in start order
};

class ProgressMonitor {
 public:
  using Provider = std::function<ProgressSnapshot(size_t cells)>;

  // For the display thread: the fetch's state now, with a fill map of
  // `cells` cells; after the fetch ended, its last state; nullopt before.
  std::optional<ProgressSnapshot> snapshot(size_t cells) {
    std::lock_guard lock(mu_);
    cells_ = cells;
    if (provider_) return provider_(cells);
    return last_;
  }

  // For the coordinator: `provider` answers snapshots until detach(), which
  // keeps the final state (taken with the cell count asked for last).
  void attach(Provider provider) {
    std::lock_guard lock(mu_);
    provider_ = std::move(provider);
  }
  void detach() {
    std::lock_guard lock(mu_);
    if (provider_) last_ = provider_(cells_);
    provider_ = nullptr;
  }

 private:
  std::mutex mu_;
  Provider provider_;
  size_t cells_ = 80;
  std::optional<ProgressSnapshot> last_;
};

}  // namespace sparseio
