#include "api/verify.h"

#include <cstring>

#include "core/coverage_map.h"
#include "core/file_io.h"

namespace sparseio {
namespace {

// Receives the source's bytes and compares them with DST's at the same offsets.
class Comparer : public ExtentWriter {
 public:
  Comparer(const Destination& dest, VerifyResult& result) : dest_(dest), result_(result) {}

  void write(uint64_t offset, std::span<const std::byte> data) override {
    buf_.resize(data.size());
    dest_.read_raw(offset, buf_);
    compare(offset, data.data(), data.size());
  }
  void write_zeros(ByteRange r) override {
    uint64_t pos = r.begin;
    for_each_zero_span(r.size(), [&](std::span<const std::byte> zeros) {
      buf_.resize(zeros.size());
      dest_.read_raw(pos, buf_);
      compare(pos, zeros.data(), zeros.size());
      pos += zeros.size();
    });
  }

 private:
  // buf_ holds DST's bytes at offset; `src` the source's.
  void compare(uint64_t offset, const std::byte* src, size_t n) {
    result_.compared_bytes += n;
    if (std::memcmp(buf_.data(), src, n) == 0) return;
    for (size_t i = 0; i < n; ++i) {
      if (buf_[i] == src[i]) continue;
      ++result_.differing_bytes;
      uint64_t at = offset + i;
      auto& runs = result_.first_differences;
      if (!runs.empty() && runs.back().end == at) {
        runs.back().end = at + 1;
      } else if (runs.size() < VerifyResult::kMaxReported) {
        runs.push_back({at, at + 1});
      }
    }
  }

  const Destination& dest_;
  VerifyResult& result_;
  std::vector<std::byte> buf_;
};

}  // namespace

VerifyResult verify_ranges(Source& source, const Destination& dest, const std::vector<ByteRange>& ranges) {
  VerifyResult result;
  CoverageMap want;
  const uint64_t source_end = source.size();
  for (const ByteRange& r : ranges) want.insert(r.intersect({0, dest.logical_size()}));
  CoverageMap present = dest.coverage();
  Comparer comparer(dest, result);
  for (const ByteRange& w : want.ranges()) {
    for (const ByteRange& p : present.present_within(w)) {
      ByteRange both = p.intersect({0, source_end});
      if (!both.empty()) source.fetch_into(both, comparer);
      if (p.end > source_end) {
        // DST holds bytes the source no longer has: a difference, not a pass.
        ByteRange lacking{std::max(p.begin, source_end), p.end};
        result.source_lacks_bytes += lacking.size();
        result.differing_bytes += lacking.size();
        auto& runs = result.first_differences;
        if (!runs.empty() && runs.back().end == lacking.begin) {
          runs.back().end = lacking.end;
        } else if (runs.size() < VerifyResult::kMaxReported) {
          runs.push_back(lacking);
        }
      }
    }
    result.missing_bytes += w.size() - present.present_bytes_within(w);
  }
  return result;
}

}  // namespace sparseio
