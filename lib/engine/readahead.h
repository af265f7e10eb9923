// Readahead for on-demand reads (Object::read_at): tells, after each read,
// which bytes to fetch ahead of the reader, if any. Pure decisions on
// offsets, like engine/scheduler.h: no clock, no lock, no I/O; the handle
// calls it under its own mutex and runs the prefetch it returns.
//
// As Linux's page-cache readahead and mountpoint-s3 do, it follows a few
// streams at once (a program reading two files' worth of one object, or
// several threads each reading its own part):
//  - a read that starts inside or at the end of a stream's last read and
//    goes past it continues that stream; one that does not starts a new
//    stream (replacing the least recently used when all slots are taken)
//    and prefetches nothing, so random reads never cause readahead;
//  - a stream's first continuation prefetches `initial_window` bytes past
//    the read; each later prefetch is issued when the reader has come within
//    half a window of the prefetched end, and the window doubles each time
//    up to `max_window` (Linux's ramp-up: 4 KiB reads of a 1 GiB file reach
//    the cap after log2(max/initial) prefetches, not per read);
//  - a stream that stops being continued issues nothing more: the pattern
//    stopped, and so does the readahead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/byte_range.h"

namespace sparseio {

struct ReadaheadOptions {
  uint64_t initial_window = 256u << 10;  // first prefetch of a stream
  uint64_t max_window = 8u << 20;        // the window never grows past this
  size_t max_streams = 8;                // streams followed at once (LRU)
  uint64_t object_size = UINT64_MAX;     // prefetches end here
};

class Readahead {
 public:
  explicit Readahead(ReadaheadOptions options = {});

  // A read of `r` happened. Returns the bytes to prefetch now (beyond what
  // this stream prefetched before), or an empty range.
  ByteRange on_read(ByteRange r);

  // For tests and logs: the window of the stream whose last read ended at
  // `end` (0 when no stream did, or it has not been continued yet).
  uint64_t window_at(uint64_t end) const;
  size_t streams() const { return streams_.size(); }

 private:
  struct Stream {
    uint64_t begin = 0;      // where its last read began
    uint64_t end = 0;        // where its last read ended
    uint64_t window = 0;     // the next prefetch's size; 0: not continued yet
    uint64_t ahead_end = 0;  // prefetched up to here
    uint64_t last_used = 0;  // tick of its last read (for LRU)
  };

  ReadaheadOptions options_;
  std::vector<Stream> streams_;
  uint64_t tick_ = 0;  // counts reads: the LRU order, not a clock
};

}  // namespace sparseio
