// Replay across a reboot: which claims of an earlier boot are trusted,
// re-checked or dropped (see the comment at the top of sidecar.h).
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "store/sidecar.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::CoverageMap;
using sparseio::ReplayPolicy;
using sparseio::Sidecar;
using sparseio::SidecarHeader;
using sparseio::test::TempDir;

namespace {

const std::string kBootA = "0a0a0a0a-0a0a-0a0a-0a0a-0a0a0a0a0a0a";
const std::string kBootB = "0b0b0b0b-0b0b-0b0b-0b0b-0b0b0b0b0b0b";

SidecarHeader header() {
  SidecarHeader h;
  h.logical_size = 1 << 20;
  h.identity.size = 1 << 20;
  return h;
}

// Writes, in a session of boot A: a synced claim, a hashed claim that will
// check out, a hashed claim that will not, and an unhashed claim.
std::string write_log(const TempDir& dir) {
  std::string path = dir.file("dst.sparseio");
  Sidecar sc = Sidecar::create(path, header());
  sc.begin_session(kBootA);
  sc.append_present({0, 100}, Sidecar::kSynced);
  sc.append_present({1000, 2000}, Sidecar::kHashed, 111);
  sc.append_present({3000, 4000}, Sidecar::kHashed, 222);
  sc.append_present({5000, 6000}, 0);
  return path;
}

// A checker that knows which hash each extent's bytes have now.
ReplayPolicy policy(const std::string& boot, std::map<uint64_t, uint64_t> hashes, int* calls) {
  ReplayPolicy p;
  p.boot_id = boot;
  p.check_extent = [hashes, calls](ByteRange r, uint64_t h) {
    ++*calls;
    auto it = hashes.find(r.begin);
    return it != hashes.end() && it->second == h;
  };
  return p;
}

}  // namespace

TEST_CASE("within the same boot every claim is trusted without checking") {
  TempDir dir;
  std::string path = write_log(dir);
  int calls = 0;
  CoverageMap c;
  Sidecar sc = Sidecar::open(path, c, false, policy(kBootA, {}, &calls));
  CHECK(calls == 0);
  CHECK(c.total_bytes() == 100 + 1000 + 1000 + 1000);
  CHECK_FALSE(sc.replayed_other_boot());
  CHECK(sc.dropped_bytes() == 0);
}

TEST_CASE("after a reboot: synced kept, hashed re-checked, unhashed dropped") {
  TempDir dir;
  std::string path = write_log(dir);
  int calls = 0;
  CoverageMap c;
  // The bytes of 1000-2000 made it (hash 111); those of 3000-4000 did not.
  Sidecar sc = Sidecar::open(path, c, false, policy(kBootB, {{1000, 111}, {3000, 999}}, &calls));
  CHECK(calls == 2);
  CHECK(c.ranges() == std::vector<ByteRange>{{0, 100}, {1000, 2000}});
  CHECK(sc.replayed_other_boot());
  CHECK(sc.dropped_bytes() == 2000);
}

TEST_CASE("without a checker an earlier boot's hashed claims are dropped") {
  TempDir dir;
  std::string path = write_log(dir);
  CoverageMap c;
  ReplayPolicy p;
  p.boot_id = kBootB;
  Sidecar::open(path, c, false, p);
  CHECK(c.ranges() == std::vector<ByteRange>{{0, 100}});
}

TEST_CASE("compaction records claims as synced, so a later boot keeps them unchecked") {
  TempDir dir;
  std::string path = write_log(dir);
  int calls = 0;
  {
    CoverageMap c;
    Sidecar sc = Sidecar::open(path, c, true, policy(kBootB, {{1000, 111}, {3000, 222}}, &calls));
    REQUIRE(c.total_bytes() == 100 + 1000 + 1000);  // the unhashed claim is gone
    sc.compact(c);                                  // the caller has synced DST first
  }
  calls = 0;
  CoverageMap again;
  Sidecar sc = Sidecar::open(path, again, false, policy("ffffffff-ffff-ffff-ffff-ffffffffffff", {}, &calls));
  CHECK(calls == 0);
  CHECK(again.total_bytes() == 2100);
  CHECK_FALSE(sc.replayed_other_boot());
}

TEST_CASE("evictions apply whatever the boot") {
  TempDir dir;
  std::string path = dir.file("dst.sparseio");
  {
    Sidecar sc = Sidecar::create(path, header());
    sc.begin_session(kBootA);
    sc.append_present({0, 4096}, Sidecar::kSynced);
    sc.append_evicted({1000, 2000});
  }
  CoverageMap c;
  ReplayPolicy p;
  p.boot_id = kBootB;
  Sidecar::open(path, c, false, p);
  CHECK(c.ranges() == std::vector<ByteRange>{{0, 1000}, {2000, 4096}});
}

TEST_CASE("a session that records nothing leaves the log as it was") {
  TempDir dir;
  std::string path = write_log(dir);
  const auto size_before = sparseio::test::read_file(path).size();
  {
    CoverageMap c;
    Sidecar sc = Sidecar::open(path, c, true);
    sc.begin_session(kBootB);
    sc.sync();
    CHECK(sparseio::test::sidecar_records(path) == 5);  // S + 4 claims of boot A, no new 'S'
  }
  CHECK(sparseio::test::read_file(path).size() == size_before);
}

TEST_CASE("a session's 'S' record comes before its first claim") {
  TempDir dir;
  std::string path = write_log(dir);
  {
    CoverageMap c;
    Sidecar sc = Sidecar::open(path, c, true);
    sc.begin_session(kBootB);
    sc.append_present({7000, 8000}, 0);  // unhashed: trusted only within boot B
    CHECK(sparseio::test::sidecar_records(path) == 7);
  }
  // Replayed on boot B, the new claim is trusted; on boot C it is dropped,
  // which it could only be if an 'S' of boot B came before it.
  int calls = 0;
  CoverageMap on_b;
  Sidecar::open(path, on_b, false, policy(kBootB, {{1000, 111}}, &calls));
  CHECK(on_b.contains({7000, 8000}));
  CoverageMap on_c;
  Sidecar::open(path, on_c, false, policy("0c0c0c0c-0c0c-0c0c-0c0c-0c0c0c0c0c0c", {{1000, 111}}, &calls));
  CHECK(!on_c.contains({7000, 8000}));
}
