#include "source/http/http_body.h"

#include <algorithm>

namespace sparseio {

AlignedForwarder::AlignedForwarder(ExtentWriter& out, uint64_t offset, uint64_t expected)
    : out_(out), delivered_(offset) {
  carry_.reserve(static_cast<size_t>(std::min(expected, kBatch + kAlign)));
}

void AlignedForwarder::write(std::span<const std::byte> data) {
  while (!data.empty()) {
    if (carry_.empty() && data.size() >= kBatch) {
      // Straight through up to the last boundary the data reaches.
      const uint64_t end = delivered_ + data.size();
      const size_t n = static_cast<size_t>(end - end % kAlign - delivered_);
      out_.write(delivered_, data.first(n));
      delivered_ += n;
      data = data.subspan(n);
      continue;  // less than kAlign is left: it is held back below
    }
    // Gather up to the first boundary at least kBatch past what is delivered.
    const uint64_t target = (delivered_ + kBatch + kAlign - 1) / kAlign * kAlign;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(target - received(), data.size()));
    carry_.insert(carry_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (received() == target) flush();
  }
}

void AlignedForwarder::flush() {
  if (carry_.empty()) return;
  out_.write(delivered_, carry_);
  delivered_ += carry_.size();
  carry_.clear();
}

}  // namespace sparseio
