// The claim log's promise under damage (issue 9, defect 4): whatever prefix
// of the sidecar survives, and whatever single byte of it is corrupted,
// replay claims only bytes that really are in DST. A random sequence of
// fetches, punches (each a compaction), commits and reopenings runs against a real Destination; the
// model is the source itself (random bytes that are never zero, so a
// punched block can never pass for the source's bytes). Then every
// truncation point and every single-byte corruption (a random non-zero XOR
// per byte) of the resulting log is replayed, as this boot and as a later one.
// Also: evict's ordering (claims retired durably before the punch) and a
// restart that fails to create its sidecar leaving DST and claims intact.
#include "store/claim_log.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/content_hash.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "store/destination.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::CoverageMap;
using sparseio::Destination;
using sparseio::DestinationOptions;
using sparseio::Sidecar;
using sparseio::SourceIdentity;
using sparseio::SyncMode;
using sparseio::test::read_file;
using sparseio::test::TempDir;
using sparseio::test::write_file;
using Bytes = std::vector<std::byte>;

namespace {

constexpr uint64_t kSize = 64 * 1024;  // 16 blocks: ranges meet, split and overlap often

SourceIdentity ident() {
  SourceIdentity id;
  id.size = kSize;
  id.mtime_ns = 1;
  id.device = 7;
  id.inode = 42;
  return id;
}

// Source bytes that are never zero.
Bytes source_bytes(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(kSize);
  for (auto& x : b) x = static_cast<std::byte>(1 + rng() % 255);
  return b;
}

ByteRange random_range(std::mt19937_64& rng) {
  uint64_t a = rng() % kSize, b = rng() % kSize;
  if (a > b) std::swap(a, b);
  // Half the time block-aligned, half byte-exact: partial blocks matter.
  if (rng() % 2) a &= ~uint64_t(4095), b = (b + 4095) & ~uint64_t(4095);
  return {a, std::max(b, a + 1)};
}

// Runs `ops` random operations on a fresh destination; leaves DST and its
// sidecar in `dir`, closed.
void run_random_ops(const std::string& dst, const Bytes& src, std::mt19937_64& rng, SyncMode mode, int ops) {
  DestinationOptions opts;
  opts.sync = mode;
  opts.batch_ms = 1000000;  // commits only where the sequence says
  auto dest = Destination::open_for_source(dst, ident(), opts);
  for (int i = 0; i < ops; ++i) {
    int op = static_cast<int>(rng() % 10);
    ByteRange r = random_range(rng);
    if (op < 5) {  // fetch
      dest->write_extent(r.begin, std::span(src.data() + r.begin, r.size()));
    } else if (op < 8) {  // punch one or two ranges
      std::vector<ByteRange> evict{r};
      if (rng() % 2) evict.push_back(random_range(rng));
      dest->evict(evict);
    } else if (op == 8) {  // the process ends and another takes over
      dest.reset();
      dest = Destination::open_for_source(dst, ident(), opts);
    } else {
      dest->commit();
    }
  }
  dest->sync();
}

// Every range `coverage` claims holds the source's bytes in `dst_bytes`.
// Returns the first false claim, or an empty range.
ByteRange first_false_claim(const CoverageMap& coverage, const Bytes& dst_bytes, const Bytes& src) {
  for (const ByteRange& r : coverage.ranges()) {
    if (r.end > dst_bytes.size()) return r;
    for (uint64_t i = r.begin; i < r.end; ++i)
      if (dst_bytes[i] != src[i]) return {i, i + 1};
  }
  return {};
}

// Replays `log` (written to `path`) as this boot and as a later boot whose
// hash re-check reads DST; checks every claim against the model.
void check_replay(const std::string& path, const Bytes& log, const Bytes& dst_bytes, const Bytes& src,
                  const std::string& what) {
  write_file(path, log);
  for (bool later_boot : {false, true}) {
    sparseio::ReplayPolicy policy;
    if (later_boot) policy.boot_id = "00000000-0000-0000-0000-00000000beef";
    policy.check_extent = [&](ByteRange r, uint64_t hash) {
      return r.end <= dst_bytes.size() &&
             sparseio::content_hash(std::span(dst_bytes.data() + r.begin, r.size())) == hash;
    };
    CoverageMap coverage;
    try {
      Sidecar::open(path, coverage, false, policy);
    } catch (const sparseio::Error&) {
      continue;  // a garbled header claims nothing
    }
    ByteRange bad = first_false_claim(coverage, dst_bytes, src);
    INFO(what, std::string(later_boot ? " (replayed after a reboot)" : ""));
    CHECK_MESSAGE(bad.empty(), "false claim at [", bad.begin, ", ", bad.end, ")");
    if (!bad.empty()) throw std::runtime_error("stop at the first false claim");
  }
}

}  // namespace

TEST_CASE("every prefix and every single-byte corruption of the log claims only bytes that are in DST") {
  // 4 sequences per sync mode, logs of ~0.5-3 KB: ~1 s on tmpfs.
  for (SyncMode mode : {SyncMode::kHash, SyncMode::kBatch, SyncMode::kNone}) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      // In memory when possible: the operations fsync often (every punch
      // rewrites the log), ~40 s on a busy disk against ~2 s on tmpfs.
      TempDir dir("/dev/shm");
      const std::string dst = dir.file("dst");
      std::mt19937_64 rng(seed * 31 + static_cast<uint64_t>(mode));
      Bytes src = source_bytes(seed);
      run_random_ops(dst, src, rng, mode, 40);
      const Bytes log = read_file(Sidecar::path_for(dst));
      const Bytes dst_bytes = read_file(dst);
      REQUIRE(dst_bytes.size() == kSize);
      const std::string copy = dir.file("damaged.sparseio");
      INFO("sync mode ", static_cast<int>(mode), ", seed ", seed, ", log of ", log.size(), " bytes");
      try {
        check_replay(copy, log, dst_bytes, src, "the log as written");
        for (size_t cut = 0; cut < log.size(); ++cut)
          check_replay(copy, Bytes(log.begin(), log.begin() + static_cast<long>(cut)), dst_bytes, src,
                       "truncated at " + std::to_string(cut));
        for (size_t at = 0; at < log.size(); ++at) {
          const unsigned flip = 1 + static_cast<unsigned>(rng() % 255);
          Bytes damaged = log;
          damaged[at] ^= static_cast<std::byte>(flip);
          check_replay(copy, damaged, dst_bytes, src,
                       "byte " + std::to_string(at) + " xor " + std::to_string(flip));
        }
      } catch (const std::runtime_error&) {
        return;  // reported above
      }
    }
  }
}

TEST_CASE("evict retires the claims in a durable rewrite before punching: no eviction record to lose") {
  TempDir dir;
  const std::string dst = dir.file("dst");
  Bytes src = source_bytes(9);
  {
    DestinationOptions opts;
    opts.sync = SyncMode::kBatch;
    auto dest = Destination::open_for_source(dst, ident(), opts);
    dest->write_extent(0, src);
    dest->commit();
    dest->evict({{8192, 16384}});
    CHECK(dest->missing({0, kSize}) == std::vector<ByteRange>{{8192, 16384}});
  }
  // Whatever tail of the log is lost (a power cut after the punch), no
  // record before it claims the punched bytes.
  const Bytes log = read_file(Sidecar::path_for(dst));
  for (size_t cut = 0; cut <= log.size(); ++cut) {
    write_file(Sidecar::path_for(dst), Bytes(log.begin(), log.begin() + static_cast<long>(cut)));
    CoverageMap coverage;
    try {
      Sidecar::open(Sidecar::path_for(dst), coverage, false);
    } catch (const sparseio::Error&) {
      continue;
    }
    CHECK_MESSAGE(coverage.present_bytes_within({8192, 16384}) == 0, "cut at ", cut);
  }
}

TEST_CASE("a restart that cannot create its new sidecar leaves DST and the old claims as they were") {
  TempDir dir;
  const std::string dst = dir.file("dst");
  Bytes src = source_bytes(5);
  {
    auto dest = Destination::open_for_source(dst, ident());
    dest->write_extent(0, src);
  }
  // A directory where the temporary sidecar must go: creating it fails the
  // way a read-only or full directory would (root ignores permissions).
  REQUIRE(::mkdir((Sidecar::path_for(dst) + ".tmp").c_str(), 0755) == 0);
  DestinationOptions opts;
  opts.restart = true;
  SourceIdentity changed = ident();
  changed.mtime_ns = 2;
  CHECK_THROWS_AS(Destination::open_for_source(dst, changed, opts), sparseio::Error);
  auto dest = Destination::open_existing(dst, false);
  CHECK(dest->present_bytes() == kSize);
  CHECK(read_file(dst) == src);
}
