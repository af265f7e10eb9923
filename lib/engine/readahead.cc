#include "engine/readahead.h"

#include <algorithm>

namespace sparseio {

Readahead::Readahead(ReadaheadOptions options) : options_(options) {
  options_.max_streams = std::max<size_t>(1, options_.max_streams);
  options_.initial_window = std::max<uint64_t>(1, options_.initial_window);
  options_.max_window = std::max(options_.max_window, options_.initial_window);
}

ByteRange Readahead::on_read(ByteRange r) {
  if (r.empty()) return {0, 0};
  ++tick_;
  // The stream this read continues: it starts within the stream's last read
  // (or right at its end) and goes past that end. A read of the same bytes
  // again, or one behind the stream, is not progress.
  auto it = std::find_if(streams_.begin(), streams_.end(), [&](const Stream& s) {
    return r.begin > s.begin && r.begin <= s.end && r.end > s.end;
  });
  if (it == streams_.end()) {
    // A read that continues nothing: a new stream, no prefetch.
    Stream fresh{r.begin, r.end, 0, r.end, tick_};
    if (streams_.size() < options_.max_streams) {
      streams_.push_back(fresh);
    } else {
      auto lru = std::min_element(streams_.begin(), streams_.end(),
                                  [](const Stream& a, const Stream& b) { return a.last_used < b.last_used; });
      *lru = fresh;
    }
    return {0, 0};
  }
  Stream& s = *it;
  s.begin = r.begin;
  s.end = r.end;
  s.last_used = tick_;
  s.ahead_end = std::max(s.ahead_end, r.end);
  const uint64_t end_of_object = options_.object_size;
  if (s.ahead_end >= end_of_object) return {0, 0};
  if (s.window == 0) {
    s.window = options_.initial_window;
  } else if (s.ahead_end - r.end > s.window / 2) {
    return {0, 0};  // far enough ahead still: wait until the reader comes closer
  } else {
    s.window = std::min(s.window * 2, options_.max_window);
  }
  const uint64_t to = std::min(end_of_object, r.end + s.window);
  if (to <= s.ahead_end) return {0, 0};
  const ByteRange prefetch{s.ahead_end, to};
  s.ahead_end = to;
  return prefetch;
}

uint64_t Readahead::window_at(uint64_t end) const {
  for (const Stream& s : streams_)
    if (s.end == end) return s.window;
  return 0;
}

}  // namespace sparseio
