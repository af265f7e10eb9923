// The k-th cut is placed at stream position floor(k * total / N) of the
// concatenated ranges, then moved down to a grain boundary of the object
// (but not below the start of the range it falls in). Cuts are monotonic, so
// the shards are disjoint and cover the list.
#include "plan/shard.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "core/errors.h"

namespace sparseio::plan {
namespace {

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw UsageError(fmt::format("bad --shard '{}': {}", text, why));
}

// Object offset of the cut for stream position `t` (0 < t < total).
uint64_t cut_at(const std::vector<ByteRange>& list, const std::vector<uint64_t>& before, uint64_t t,
                uint64_t grain) {
  // The range holding stream byte t: the last with before[i] <= t.
  size_t i = static_cast<size_t>(std::upper_bound(before.begin(), before.end(), t) - before.begin()) - 1;
  uint64_t o = list[i].begin + (t - before[i]);
  return std::max(list[i].begin, o - o % grain);
}

}  // namespace

ShardSpec parse_shard(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) bad(text, "expected I/N, e.g. 0/4 (I counts from 0)");
  auto num = [&](std::string_view s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size())
      bad(text, fmt::format("'{}' is not a number", s));
    return v;
  };
  ShardSpec s{num(text.substr(0, slash)), num(text.substr(slash + 1))};
  if (s.count == 0 || s.count > 65536) bad(text, "N must be 1 to 65536");
  if (s.index >= s.count) bad(text, fmt::format("I must be 0 to {} (it counts from 0)", s.count - 1));
  return s;
}

std::vector<ByteRange> coalesce(std::vector<ByteRange> ranges) {
  std::erase_if(ranges, [](const ByteRange& r) { return r.empty(); });
  std::sort(ranges.begin(), ranges.end(), [](const ByteRange& a, const ByteRange& b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
  std::vector<ByteRange> out;
  for (const ByteRange& r : ranges) {
    if (!out.empty() && r.begin <= out.back().end) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<ByteRange> shard_ranges(const std::vector<ByteRange>& list, ShardSpec spec, uint64_t grain) {
  if (grain == 0) grain = 1;
  std::vector<uint64_t> before;  // stream position where each range starts
  before.reserve(list.size());
  uint64_t total = 0;
  for (const ByteRange& r : list) {
    before.push_back(total);
    total += r.size();
  }
  auto cut = [&](unsigned k) -> uint64_t {  // object offset of cut k (cut 0 and N: the ends)
    if (list.empty()) return 0;
    if (k == 0) return list.front().begin;
    if (k == spec.count) return list.back().end;
    auto t = static_cast<uint64_t>(static_cast<unsigned __int128>(total) * k / spec.count);
    if (t == 0) return list.front().begin;
    return cut_at(list, before, t, grain);
  };
  const uint64_t lo = cut(spec.index), hi = cut(spec.index + 1);
  std::vector<ByteRange> out;
  for (const ByteRange& r : list) {
    ByteRange part = r.intersect({lo, hi});
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::vector<ByteRange> subtract(const std::vector<ByteRange>& from, const std::vector<ByteRange>& remove) {
  std::vector<ByteRange> out;
  auto k = remove.begin();
  for (ByteRange r : from) {
    while (k != remove.end() && k->end <= r.begin) ++k;
    for (auto j = k; j != remove.end() && j->begin < r.end; ++j) {
      if (j->begin > r.begin) out.push_back({r.begin, j->begin});
      r.begin = std::max(r.begin, j->end);
      if (r.begin >= r.end) break;
    }
    if (r.begin < r.end) out.push_back(r);
  }
  return out;
}

std::vector<ByteRange> shard_with_metadata(const std::vector<ByteRange>& data,
                                           const std::vector<ByteRange>& metadata, ShardSpec spec,
                                           uint64_t grain) {
  std::vector<ByteRange> out = shard_ranges(subtract(data, metadata), spec, grain);
  out.insert(out.end(), metadata.begin(), metadata.end());
  return coalesce(std::move(out));
}

// The objects' data is laid end to end in one virtual offset space, each
// object starting on a grain boundary (so a grain boundary there is one of
// the object's own offsets), and split by shard_ranges; each piece maps back
// to its object by subtracting the object's base.
std::vector<std::vector<ByteRange>> shard_objects(const std::vector<ObjectRanges>& objects, ShardSpec spec,
                                                  uint64_t grain) {
  if (grain == 0) grain = 1;
  std::vector<std::vector<ByteRange>> data(objects.size());
  std::vector<uint64_t> base(objects.size());
  std::vector<ByteRange> stream;
  unsigned __int128 at = 0;
  for (size_t j = 0; j < objects.size(); ++j) {
    data[j] = subtract(objects[j].ranges, objects[j].metadata);
    if (data[j].empty()) data[j] = objects[j].ranges;  // all metadata: split as data
    at = (at + grain - 1) / grain * grain;
    const uint64_t end = data[j].empty() ? 0 : data[j].back().end;
    if (at + end > std::numeric_limits<uint64_t>::max())
      throw UsageError(
          fmt::format("cannot shard: the {} objects add up to more than 2^64 bytes", objects.size()));
    base[j] = static_cast<uint64_t>(at);
    for (const ByteRange& r : data[j]) stream.push_back({base[j] + r.begin, base[j] + r.end});
    at += end;
  }
  const std::vector<ByteRange> mine = shard_ranges(stream, spec, grain);
  std::vector<std::vector<ByteRange>> out(objects.size());
  auto piece = mine.begin();
  for (size_t j = 0; j < objects.size(); ++j) {
    if (data[j].empty()) continue;
    const uint64_t lo = base[j], hi = base[j] + data[j].back().end;
    while (piece != mine.end() && piece->end <= lo) ++piece;
    for (; piece != mine.end() && piece->begin < hi; ++piece)
      out[j].push_back({piece->begin - lo, piece->end - lo});
    if (out[j].empty()) continue;
    if (data[j] != objects[j].ranges)  // it has metadata apart from its data: all of it, whole
      out[j].insert(out[j].end(), objects[j].metadata.begin(), objects[j].metadata.end());
    out[j] = coalesce(std::move(out[j]));
  }
  return out;
}

}  // namespace sparseio::plan
