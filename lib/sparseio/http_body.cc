#include "sparseio/http_body.h"

#include <algorithm>

namespace sparseio {

void AlignedForwarder::write(std::span<const std::byte> data) {
  while (!data.empty()) {
    if (carry_.empty()) {
      // Straight through up to the last boundary the data reaches.
      const uint64_t end = delivered_ + data.size();
      const uint64_t aligned = end - end % kAlign;
      if (aligned > delivered_) {
        const size_t n = static_cast<size_t>(aligned - delivered_);
        out_.write(delivered_, data.first(n));
        delivered_ += n;
        data = data.subspan(n);
      }
      carry_.assign(data.begin(), data.end());  // less than up to the next boundary
      return;
    }
    // Top the held-back bytes up to the next boundary, then deliver them.
    const uint64_t boundary = delivered_ - delivered_ % kAlign + kAlign;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(boundary - received(), data.size()));
    carry_.insert(carry_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (received() == boundary) flush();
  }
}

void AlignedForwarder::flush() {
  if (carry_.empty()) return;
  out_.write(delivered_, carry_);
  delivered_ += carry_.size();
  carry_.clear();
}

}  // namespace sparseio
