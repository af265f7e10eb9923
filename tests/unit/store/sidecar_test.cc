// The sidecar log: round trip, replay, torn tails, garbled headers, compaction.
#include "store/sidecar.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/errors.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::CoverageMap;
using sparseio::Sidecar;
using sparseio::SidecarHeader;
using sparseio::test::read_file;
using sparseio::test::sidecar_records;
using sparseio::test::TempDir;
using sparseio::test::write_file;
using Bytes = std::vector<std::byte>;
using Ranges = std::vector<ByteRange>;

namespace {

constexpr uint64_t kLogical = 1 << 20;

SidecarHeader make_header(std::string etag = "\"5f2b-1a0c\"",
                          std::string lm = "Wed, 21 Oct 2015 07:28:00 GMT") {
  SidecarHeader h;
  h.logical_size = kLogical;
  h.identity.size = kLogical;
  h.identity.mtime_ns = -1234567890123;  // negative times must survive too
  h.identity.device = 0xfd01;
  h.identity.inode = 0x123456789abcdefull;
  h.identity.etag = std::move(etag);
  h.identity.last_modified = std::move(lm);
  return h;
}

uint64_t size_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

// Size of a header: a sidecar with no records.
uint64_t header_len(const SidecarHeader& h, const TempDir& dir) {
  const std::string p = dir.file("header-only.sparseio");
  Sidecar::create(p, h);
  uint64_t n = size_of(p);
  ::unlink(p.c_str());
  return n;
}

CoverageMap replay(const std::string& path, bool writable) {
  CoverageMap c;
  Sidecar s = Sidecar::open(path, c, writable);
  return c;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const sparseio::Error& e) {
    return e.what();
  }
  return "";
}

// Records used by the torn-tail tests, and the coverage after the first n.
const Ranges kPresent{{0, 100}, {4096, 8192}, {200, 300}, {50000, 60000}, {70000, 70001}};
CoverageMap first(size_t n) {
  CoverageMap c;
  for (size_t i = 0; i < n; ++i) c.insert(kPresent[i]);
  return c;
}

std::string five_records(const TempDir& dir) {
  const std::string p = dir.file("dst.sparseio");
  Sidecar s = Sidecar::create(p, make_header());
  for (const ByteRange& r : kPresent) s.append_present(r);
  s.sync();
  return p;
}

}  // namespace

TEST_CASE("create and open round trip: header identity and coverage") {
  TempDir dir;
  CHECK(Sidecar::path_for(dir.file("x.img")) == dir.file("x.img") + ".sparseio");
  const std::string p = dir.file("dst.sparseio");
  const SidecarHeader h = make_header();
  CoverageMap cov;
  cov.insert({0, 10});
  cov.insert({20, 30});
  cov.insert({kLogical - 1, kLogical});
  {
    Sidecar s = Sidecar::create(p, h, cov);
    CHECK(sidecar_records(p) == 3);
    CHECK(s.path() == p);
  }
  for (bool writable : {false, true}) {
    CoverageMap got;
    got.insert({500, 600});  // open replaces what was there
    Sidecar s = Sidecar::open(p, got, writable);
    CHECK(s.header().logical_size == h.logical_size);
    CHECK(s.header().identity == h.identity);
    CHECK(s.header().identity.etag == "\"5f2b-1a0c\"");
    CHECK(s.header().identity.last_modified == "Wed, 21 Oct 2015 07:28:00 GMT");
    CHECK(s.header().identity.mtime_ns == -1234567890123);
    CHECK(got == cov);
    CHECK(sidecar_records(p) == 3);  // an open appends nothing
  }
  // Empty and long strings.
  for (auto [etag, lm] : {std::pair<std::string, std::string>{"", ""}, {std::string(5000, 'e'), "x"}}) {
    Sidecar::create(p, make_header(etag, lm));
    CoverageMap c;
    Sidecar s = Sidecar::open(p, c, false);
    CHECK(s.header().identity.etag == etag);
    CHECK(s.header().identity.last_modified == lm);
    CHECK(c.empty());
  }
  CHECK(!error_of([&] { replay(dir.file("missing.sparseio"), false); }).empty());
  CHECK(error_of([&] { replay(dir.file("missing.sparseio"), false); }).find("missing.sparseio") !=
        std::string::npos);
}

TEST_CASE("appended present and evicted records replay in order") {
  TempDir dir;
  const std::string p = dir.file("dst.sparseio");
  std::mt19937_64 rng(5);
  std::vector<bool> model(kLogical / 64, false);  // in units of 64 bytes
  auto check_model = [&](const CoverageMap& c) {
    CoverageMap m;
    for (uint64_t i = 0; i < model.size(); ++i)
      if (model[i]) m.insert({i * 64, i * 64 + 64});
    CHECK(c == m);
  };
  {
    Sidecar s = Sidecar::create(p, make_header());
    for (int i = 0; i < 300; ++i) {
      uint64_t b = rng() % model.size(), len = 1 + rng() % 200;
      uint64_t e = std::min<uint64_t>(model.size(), b + len);
      bool present = rng() % 3 != 0;
      if (present)
        s.append_present({b * 64, e * 64});
      else
        s.append_evicted({b * 64, e * 64});
      for (uint64_t k = b; k < e; ++k) model[k] = present;
    }
    CHECK(sidecar_records(p) == 300);
  }
  check_model(replay(p, false));
  // A writer appends more after reopening.
  {
    CoverageMap c;
    Sidecar s = Sidecar::open(p, c, true);
    s.append_evicted({0, kLogical / 2});
    s.append_present({64 * 10, 64 * 20});
  }
  for (uint64_t k = 0; k < model.size() / 2; ++k) model[k] = false;
  for (uint64_t k = 10; k < 20; ++k) model[k] = true;
  check_model(replay(p, false));
  CHECK(sidecar_records(p) == 302);
}

TEST_CASE("a torn tail is ignored read-only and truncated away by a writer") {
  TempDir dir;
  const uint64_t hlen = header_len(make_header(), dir);
  const uint64_t full = hlen + 5 * Sidecar::kRecordSize;

  struct Damage {
    std::string what;
    size_t valid_records;  // how many records still count
  };
  std::vector<Damage> damages;
  for (uint64_t cut : {1u, 8u, 39u}) damages.push_back({"cut " + std::to_string(cut), 4});
  for (uint64_t junk : {1u, 39u, 40u, 41u, 100u}) damages.push_back({"junk " + std::to_string(junk), 5});
  for (uint64_t pos = 0; pos < Sidecar::kRecordSize; ++pos)
    damages.push_back({"flip " + std::to_string(pos), 4});
  damages.push_back({"flip-middle", 2});  // replay stops at the first bad record
  damages.push_back({"past-end", 5});     // a record beyond the logical size is not trusted

  for (const Damage& d : damages) {
    CAPTURE(d.what);
    const std::string p = five_records(dir);
    REQUIRE(size_of(p) == full);
    Bytes raw = read_file(p);
    std::mt19937_64 rng(d.what.size());
    if (d.what.starts_with("cut ")) {
      raw.resize(raw.size() - std::stoul(d.what.substr(4)));
    } else if (d.what.starts_with("junk ")) {
      for (unsigned long i = 0; i < std::stoul(d.what.substr(5)); ++i) raw.push_back(std::byte(rng()));
    } else if (d.what.starts_with("flip ")) {
      raw[full - Sidecar::kRecordSize + std::stoul(d.what.substr(5))] ^= std::byte{0x10};
    } else if (d.what == "flip-middle") {
      raw[hlen + 2 * Sidecar::kRecordSize + 9] ^= std::byte{0x01};
    }
    write_file(p, raw);
    if (d.what == "past-end") {
      CoverageMap c;
      Sidecar s = Sidecar::open(p, c, true);
      s.append_present({0, kLogical + 1});
    }
    const uint64_t damaged_size = size_of(p);

    CHECK(replay(p, false) == first(d.valid_records));
    CHECK(size_of(p) == damaged_size);  // a reader changes nothing

    {
      CoverageMap c;
      Sidecar s = Sidecar::open(p, c, true);
      CHECK(c == first(d.valid_records));
      CHECK(size_of(p) == hlen + d.valid_records * Sidecar::kRecordSize);
      s.append_present({kLogical - 10, kLogical});  // lands right after the valid records
    }
    CoverageMap want = first(d.valid_records);
    want.insert({kLogical - 10, kLogical});
    CHECK(replay(p, false) == want);
    CHECK(sidecar_records(p) == d.valid_records + 1);
  }
}

TEST_CASE("records of another sidecar are not trusted") {
  TempDir dir;
  const std::string a = five_records(dir);
  const std::string b = dir.file("other.sparseio");
  SidecarHeader other = make_header();
  other.identity.inode += 1;
  Sidecar::create(b, other);
  Bytes rb = read_file(b), ra = read_file(a);
  const uint64_t hlen = header_len(make_header(), dir);
  rb.insert(rb.end(), ra.begin() + static_cast<long>(hlen), ra.end());
  write_file(b, rb);
  CHECK(replay(b, false).empty());
}

TEST_CASE("a garbled header is an Error that names the sidecar") {
  TempDir dir;
  const uint64_t hlen = header_len(make_header(), dir);
  auto expect_garbled = [&](const std::string& why, const Bytes& raw) {
    CAPTURE(why);
    const std::string p = dir.file("bad.sparseio");
    write_file(p, raw);
    for (bool writable : {false, true}) {
      std::string msg = error_of([&] { replay(p, writable); });
      CHECK_MESSAGE(msg.find(p) != std::string::npos, msg);
    }
    CHECK(read_file(p) == raw);  // and nothing was truncated
  };
  const Bytes good = read_file(five_records(dir));
  Bytes bad = good;
  bad[0] = std::byte{'X'};
  expect_garbled("bad magic", bad);
  for (uint64_t pos = 8; pos < hlen; ++pos) {
    bad = good;
    bad[pos] ^= std::byte{0x04};
    expect_garbled("flip at " + std::to_string(pos), bad);
  }
  for (uint64_t len : {0ul, 1ul, 8ul, 20ul, hlen - 8, hlen - 1}) {
    expect_garbled("short " + std::to_string(len),
                   Bytes(good.begin(), good.begin() + static_cast<long>(len)));
  }
}

TEST_CASE("compact() keeps the coverage with one record per range") {
  TempDir dir;
  const std::string p = dir.file("dst.sparseio");
  const uint64_t hlen = header_len(make_header(), dir);
  Sidecar s = Sidecar::create(p, make_header());
  CoverageMap cov;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 5000; ++i) {
    uint64_t b = rng() % kLogical, e = std::min(kLogical, b + 1 + rng() % 5000);
    if (rng() % 4 == 0) {
      s.append_evicted({b, e});
      cov.remove({b, e});
    } else {
      s.append_present({b, e});
      cov.insert({b, e});
    }
  }
  CHECK(replay(p, false) == cov);
  CHECK(sidecar_records(p) == 5000);
  CHECK(s.wants_compaction(cov) == (cov.range_count() * 4 < 5000));

  s.compact(cov);
  CHECK(sidecar_records(p) == cov.range_count());
  CHECK(sidecar_records(p) < 5000);
  CHECK(size_of(p) == hlen + cov.range_count() * Sidecar::kRecordSize);
  CHECK(!s.wants_compaction(cov));
  CHECK(s.header().identity == make_header().identity);
  CHECK(::access((p + ".tmp").c_str(), F_OK) != 0);  // no temporary left behind
  CHECK(replay(p, false) == cov);

  // The compacted log keeps working.
  s.append_evicted({0, kLogical / 2});
  cov.remove({0, kLogical / 2});
  CHECK(replay(p, false) == cov);
}

TEST_CASE("wants_compaction only for a log much longer than its coverage") {
  TempDir dir;
  Sidecar s = Sidecar::create(dir.file("w.sparseio"), make_header());
  CoverageMap one;
  one.insert({0, 10});
  for (int i = 0; i < 4096; ++i) s.append_present({0, 10});
  CHECK(!s.wants_compaction(one));  // not above the floor yet
  s.append_present({0, 10});
  CHECK(s.wants_compaction(one));
  CoverageMap many;
  for (uint64_t i = 0; i < 2000; ++i) many.insert({i * 10, i * 10 + 5});
  CHECK(!s.wants_compaction(many));  // 4097 records for 2000 ranges is fine
}

TEST_CASE("the source URL is recorded after the other strings; sidecars without one load as before") {
  TempDir dir;
  const std::string p = dir.file("dst.sparseio");
  SidecarHeader without = make_header();
  SidecarHeader with = make_header();
  with.identity.url = "https://host/partA.bin?v=1";
  // A header without a URL is laid out as before URLs were recorded.
  CHECK(header_len(with, dir) == header_len(without, dir) + 4 + with.identity.url.size());
  for (const SidecarHeader& h : {without, with}) {
    CoverageMap cov;
    cov.insert({10, 20});
    Sidecar::create(p, h, cov);
    CoverageMap got;
    Sidecar s = Sidecar::open(p, got, true);
    CHECK(s.header().identity == h.identity);
    CHECK(got == cov);
  }
  // A URL length that does not fit the header (checksum fixed up) makes a
  // garbled header, not a read past it.
  Sidecar::create(p, with);
  Bytes b = read_file(p);
  const size_t url_len_at = static_cast<size_t>(header_len(without, dir)) - 8;
  const size_t checksum_at = static_cast<size_t>(header_len(with, dir)) - 8;
  b[url_len_at] = std::byte{0xff};
  const uint64_t sum = XXH64(b.data(), checksum_at, 0);
  for (size_t i = 0; i < 8; ++i) b[checksum_at + i] = static_cast<std::byte>(sum >> (8 * i));
  write_file(p, b);
  CHECK(error_of([&] { replay(p, false); }).find("is not a valid sparseio sidecar") != std::string::npos);
}

TEST_CASE("an S3 version id is recorded with the identity, and read back without replay") {
  TempDir d;
  const std::string p = d.file("v.sparseio");
  CHECK_FALSE(Sidecar::recorded_identity(p));
  SidecarHeader h;
  h.logical_size = 100;
  h.identity.size = 100;
  h.identity.etag = "\"e\"";
  h.identity.version_id = "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY";
  Sidecar::create(p, h);
  CoverageMap c;
  CHECK(Sidecar::open(p, c, false).header().identity == h.identity);
  auto recorded = Sidecar::recorded_identity(p);
  REQUIRE(recorded);
  CHECK(recorded->version_id == h.identity.version_id);
  CHECK(recorded->last_modified.empty());
  // With a Last-Modified too, and without a version: both round-trip.
  h.identity.last_modified = "Wed, 25 Nov 2026 02:18:39 GMT";
  Sidecar::create(p, h);
  CHECK(Sidecar::recorded_identity(p) == h.identity);
  // With the URL tail too (an S3 source records its s3:// URI).
  h.identity.url = "s3://bucket/a key";
  Sidecar::create(p, h);
  CHECK(Sidecar::recorded_identity(p) == h.identity);
  h.identity.version_id.clear();
  Sidecar::create(p, h);
  CHECK(Sidecar::recorded_identity(p) == h.identity);
  write_file(p, Bytes(10));  // garbled: no identity
  CHECK_FALSE(Sidecar::recorded_identity(p));
}
