#include "core/coverage_map.h"

#include <algorithm>

namespace sparseio {

absl::btree_map<uint64_t, uint64_t>::const_iterator CoverageMap::first_ending_after(uint64_t offset) const {
  auto it = ranges_.upper_bound(offset);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > offset) return prev;
  }
  return it;
}

void CoverageMap::insert(ByteRange r) {
  if (r.empty()) return;
  // Find the first range that touches or overlaps r (end >= r.begin).
  auto it = ranges_.upper_bound(r.begin);
  if (it != ranges_.begin() && std::prev(it)->second >= r.begin) --it;
  uint64_t begin = r.begin, end = r.end;
  while (it != ranges_.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    total_ -= it->second - it->first;
    it = ranges_.erase(it);
  }
  ranges_.emplace_hint(it, begin, end);
  total_ += end - begin;
}

void CoverageMap::remove(ByteRange r) {
  if (r.empty()) return;
  auto it = ranges_.upper_bound(r.begin);
  if (it != ranges_.begin() && std::prev(it)->second > r.begin) --it;
  while (it != ranges_.end() && it->first < r.end) {
    uint64_t begin = it->first, end = it->second;
    total_ -= end - begin;
    it = ranges_.erase(it);
    if (begin < r.begin) {
      // btree iterators do not survive an insert: continue after the new one.
      it = std::next(ranges_.emplace_hint(it, begin, r.begin));
      total_ += r.begin - begin;
    }
    if (end > r.end) {
      it = ranges_.emplace_hint(it, r.end, end);
      total_ += end - r.end;
      break;
    }
  }
}

std::vector<ByteRange> CoverageMap::missing(ByteRange r) const {
  std::vector<ByteRange> out;
  if (r.empty()) return out;
  uint64_t cursor = r.begin;
  for (auto it = first_ending_after(r.begin); it != ranges_.end() && it->first < r.end; ++it) {
    if (it->first > cursor) out.push_back({cursor, it->first});
    cursor = std::max(cursor, it->second);
  }
  if (cursor < r.end) out.push_back({cursor, r.end});
  return out;
}

std::vector<ByteRange> CoverageMap::present_within(ByteRange r) const {
  std::vector<ByteRange> out;
  if (r.empty()) return out;
  for (auto it = first_ending_after(r.begin); it != ranges_.end() && it->first < r.end; ++it)
    out.push_back(ByteRange{it->first, it->second}.intersect(r));
  return out;
}

bool CoverageMap::contains(ByteRange r) const {
  if (r.empty()) return true;
  auto it = first_ending_after(r.begin);
  return it != ranges_.end() && it->first <= r.begin && it->second >= r.end;
}

ByteRange CoverageMap::find(uint64_t offset) const {
  auto it = first_ending_after(offset);
  if (it == ranges_.end() || it->first > offset) return {offset, offset};
  return {it->first, it->second};
}

uint64_t CoverageMap::present_bytes_within(ByteRange r) const {
  uint64_t n = 0;
  if (r.empty()) return 0;
  for (auto it = first_ending_after(r.begin); it != ranges_.end() && it->first < r.end; ++it)
    n += ByteRange{it->first, it->second}.intersect(r).size();
  return n;
}

std::vector<ByteRange> CoverageMap::ranges() const {
  std::vector<ByteRange> out;
  out.reserve(ranges_.size());
  for (const auto& [b, e] : ranges_) out.push_back({b, e});
  return out;
}

}  // namespace sparseio
