// AlignedForwarder: whatever chunks libcurl delivers, the writer gets every
// byte once, in order, in writes that end on 64 KiB boundaries (except the
// last one), holding back less than kBatch + 64 KiB, and small chunks are
// gathered into writes of at least kBatch.
#include "source/http/http_body.h"

#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "test_util.h"

using sparseio::AlignedForwarder;
using sparseio::ByteRange;

namespace {

struct Recorder : sparseio::ExtentWriter {
  std::vector<std::pair<uint64_t, std::vector<std::byte>>> writes;
  void write(uint64_t offset, std::span<const std::byte> data) override {
    writes.emplace_back(offset, std::vector<std::byte>(data.begin(), data.end()));
  }
  void write_zeros(ByteRange) override { FAIL("no zeros expected"); }
};

constexpr uint64_t kA = AlignedForwarder::kAlign;
constexpr uint64_t kB = AlignedForwarder::kBatch;

}  // namespace

TEST_CASE("random chunkings arrive whole, in order, aligned") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 300; ++round) {
    const uint64_t start = rng() % (3 * kA);
    const size_t size = static_cast<size_t>(rng() % (3 * kB));
    const std::vector<std::byte> body = sparseio::test::pattern_bytes(start, size, round);
    Recorder rec;
    AlignedForwarder fwd(rec, start);
    size_t fed = 0;
    while (fed < size) {
      const int kind = static_cast<int>(rng() % 4);
      const uint64_t limit = kind == 0 ? 16 : kind == 1 ? 16 * 1024 : kind == 2 ? kA + 999 : kB + kA + 999;
      size_t n = std::min<size_t>(size - fed, rng() % limit);
      fwd.write(std::span(body).subspan(fed, n));
      fed += n;
      REQUIRE(fwd.received() == start + fed);
      REQUIRE(fwd.received() - fwd.delivered() < kB + kA);
    }
    fwd.flush();
    CHECK(fwd.delivered() == start + size);
    uint64_t pos = start;
    std::vector<std::byte> joined;
    for (size_t i = 0; i < rec.writes.size(); ++i) {
      const auto& [off, data] = rec.writes[i];
      REQUIRE(off == pos);
      REQUIRE(!data.empty());
      pos += data.size();
      if (i + 1 < rec.writes.size()) REQUIRE(pos % kA == 0);
      joined.insert(joined.end(), data.begin(), data.end());
    }
    CHECK(joined == body);
  }
}

TEST_CASE("big aligned chunks go straight through") {
  const std::vector<std::byte> body = sparseio::test::pattern_bytes(0, 4 * kA);
  Recorder rec;
  AlignedForwarder fwd(rec, kA);
  fwd.write(body);
  CHECK(fwd.delivered() == 5 * kA);
  REQUIRE(rec.writes.size() == 1);
  fwd.flush();
  CHECK(rec.writes.size() == 1);
}

TEST_CASE("libcurl-sized chunks are gathered into writes of at least kBatch") {
  const uint64_t start = 12345;
  const std::vector<std::byte> body = sparseio::test::pattern_bytes(start, 4 * kB + 777);
  Recorder rec;
  AlignedForwarder fwd(rec, start, body.size());
  for (size_t fed = 0; fed < body.size(); fed += 16 * 1024)
    fwd.write(std::span(body).subspan(fed, std::min<size_t>(16 * 1024, body.size() - fed)));
  fwd.flush();
  REQUIRE(rec.writes.size() >= 2);
  for (size_t i = 0; i + 1 < rec.writes.size(); ++i) {
    CHECK(rec.writes[i].second.size() >= kB);
    CHECK((rec.writes[i].first + rec.writes[i].second.size()) % kA == 0);
  }
  CHECK(rec.writes.size() <= body.size() / kB + 1);
}
