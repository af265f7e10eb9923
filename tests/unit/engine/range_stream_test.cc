// The streaming path under cat and verify: ranges delivered in the order
// given over several workers, with and without a destination (present bytes
// read from DST, missing ones fetched and stored), a source that can only
// stream from offset 0, all over an in-memory source.
#include "engine/range_stream.h"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "store/destination.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::RangeStream;
using sparseio::StreamOptions;
using sparseio::test::pattern_bytes;
using Bytes = std::vector<std::byte>;

namespace {

Bytes expected(const Bytes& object, const std::vector<ByteRange>& pieces) {
  Bytes out;
  for (const ByteRange& p : pieces) out.insert(out.end(), object.begin() + p.begin, object.begin() + p.end);
  return out;
}

// An object in memory; `ranged` false makes it a server without range
// support (fetch_into only from offset 0).
class MemorySource : public sparseio::Source {
 public:
  MemorySource(Bytes data, bool ranged) : data_(std::move(data)), ranged_(ranged) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return data_.size(); }
  sparseio::SourceIdentity identity() const override {
    sparseio::SourceIdentity id;
    id.size = data_.size();
    id.etag = "\"x\"";
    return id;
  }
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), data_.size() - offset));
    std::copy_n(data_.begin() + static_cast<ptrdiff_t>(offset), n, buf.begin());
    return n;
  }
  void fetch_into(ByteRange r, sparseio::ExtentWriter& out, sparseio::LinkObserver&) override {
    if (!ranged_ && r.begin != 0) throw sparseio::Error("ranges not supported");
    ++calls;
    for (uint64_t pos = r.begin; pos < r.end;) {
      const uint64_t n = std::min<uint64_t>(r.end - pos, 10000);
      out.write(pos, std::span(data_).subspan(pos, n));
      pos += n;
    }
  }
  bool supports_ranges() const override { return ranged_; }
  std::atomic<int> calls{0};

 private:
  Bytes data_;
  bool ranged_;
  std::string name_ = "memory";
};

StreamOptions opts(unsigned jobs, uint64_t chunk) {
  StreamOptions o;
  o.jobs = jobs;
  o.chunk_size = chunk;
  return o;
}

Bytes read_stream(RangeStream& s) {
  Bytes out;
  for (auto b = s.next(); !b.empty(); b = s.next()) out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace

TEST_CASE("RangeStream: ranges in the order given, over several workers, without a destination") {
  const Bytes object = pattern_bytes(0, 1 << 20, 9);
  MemorySource src(object, true);
  std::vector<ByteRange> ranges = {{900000, 1 << 20}, {0, 10}, {5, 300000}, {0, 10}};
  RangeStream s(src, nullptr, ranges, opts(3, 64 * 1024));
  CHECK(read_stream(s) == expected(object, ranges));
  CHECK(s.stats().fetched_bytes == s.stats().requested_bytes);
}

TEST_CASE("RangeStream: with a destination, missing bytes are stored and present ones read from it") {
  sparseio::test::TempDir dir;
  const Bytes object = pattern_bytes(0, 1 << 20, 10);
  MemorySource src(object, true);
  auto dest = sparseio::Destination::open_for_source(dir.file("dst"), src.identity());
  {
    RangeStream s(src, dest.get(), {{1000, 200000}}, opts(2, 50000));
    CHECK(read_stream(s) == expected(object, {{1000, 200000}}));
    CHECK(s.stats().fetched_bytes == 199000);
  }
  CHECK(dest->contains({1000, 200000}));
  const int calls = src.calls;
  RangeStream again(src, dest.get(), {{150000, 160000}, {0, 2000}}, opts(2, 0));
  CHECK(read_stream(again) == expected(object, {{150000, 160000}, {0, 2000}}));
  CHECK(again.stats().fetched_bytes == 1000);  // only 0-999 was missing
  CHECK(again.stats().reused_bytes == 11000);
  CHECK(src.calls == calls + 1);
}

TEST_CASE("RangeStream: a source without ranges is read once from 0, spread over ascending ranges") {
  const Bytes object = pattern_bytes(0, 500000, 11);
  MemorySource src(object, false);
  std::vector<ByteRange> ranges = {{0, 100}, {1000, 300000}, {400000, 450000}};
  RangeStream s(src, nullptr, ranges, opts(4, 32768));
  CHECK(read_stream(s) == expected(object, ranges));
  CHECK(src.calls == 1);
  CHECK_THROWS_WITH(RangeStream(src, nullptr, {{1000, 2000}, {0, 10}}), doctest::Contains("ascending order"));
}
