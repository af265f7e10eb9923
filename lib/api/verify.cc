#include "api/verify.h"

#include <cstring>

#include "core/coverage_map.h"

namespace sparseio {
namespace {

// Compares the source's bytes, arriving in order, with DST's.
class Comparer {
 public:
  Comparer(const Destination& dest, VerifyResult& result) : dest_(dest), result_(result) {}

  void compare(uint64_t offset, std::span<const std::byte> src) {
    buf_.resize(src.size());
    dest_.read_raw(offset, buf_);
    result_.compared_bytes += src.size();
    if (std::memcmp(buf_.data(), src.data(), src.size()) == 0) return;
    for (size_t i = 0; i < src.size();) {
      if (buf_[i] == src[i]) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < src.size() && buf_[j] != src[j]) ++j;
      add_run({offset + i, offset + j});
      i = j;
    }
  }

  // Bytes DST holds that the source no longer has (it shrank): they differ.
  void source_lacks(ByteRange run) {
    result_.source_lacks_bytes += run.size();
    add_run(run);
  }

  void finish() { result_.differing_blocks = blocks_.ranges(); }

 private:
  void add_run(ByteRange run) {
    result_.differing_bytes += run.size();
    auto& runs = result_.first_differences;
    if (!runs.empty() && runs.back().end == run.begin)
      runs.back().end = run.end;
    else if (runs.size() < VerifyResult::kMaxReported)
      runs.push_back(run);
    const uint64_t b = dest_.block_size();
    blocks_.insert({run.begin / b * b, std::min(dest_.logical_size(), (run.end + b - 1) / b * b)});
  }

  const Destination& dest_;
  VerifyResult& result_;
  std::vector<std::byte> buf_;
  CoverageMap blocks_;
};

}  // namespace

VerifyResult verify_ranges(Source& source, const Destination& dest, const std::vector<ByteRange>& ranges,
                           const StreamOptions& options) {
  VerifyResult result;
  CoverageMap want;
  const uint64_t source_end = source.size();
  for (const ByteRange& r : ranges) want.insert(r.intersect({0, dest.logical_size()}));
  CoverageMap present = dest.coverage();
  std::vector<ByteRange> lacking;  // present in DST, past the source's end
  for (const ByteRange& w : want.ranges()) {
    for (const ByteRange& p : present.present_within(w)) {
      ByteRange both = p.intersect({0, source_end});
      if (!both.empty()) result.compared.push_back(both);
      if (p.end > source_end) lacking.push_back({std::max(p.begin, source_end), p.end});
    }
    result.missing_bytes += w.size() - present.present_bytes_within(w);
  }
  want.clear();
  present.clear();

  Comparer comparer(dest, result);
  StreamOptions o = options;
  o.store = false;
  RangeStream stream(source, nullptr, result.compared, o);
  // The stream's bytes come in the order of `compared`, never across the end
  // of one of its ranges.
  size_t index = 0;
  uint64_t pos = result.compared.empty() ? 0 : result.compared[0].begin;
  for (std::span<const std::byte> s = stream.next(); !s.empty(); s = stream.next()) {
    if (pos == result.compared[index].end) pos = result.compared[++index].begin;
    comparer.compare(pos, s);
    pos += s.size();
  }
  stream.close();
  for (const ByteRange& r : lacking) comparer.source_lacks(r);
  comparer.finish();
  return result;
}

}  // namespace sparseio
