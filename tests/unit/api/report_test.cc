// The allocation report: fields against a real destination, the JSON form,
// and human-readable sizes.
#include "api/report.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "test_util.h"

using sparseio::Destination;
using sparseio::FetchStats;
using sparseio::Report;
using sparseio::test::file_allocated;
using sparseio::test::file_data_runs;
using sparseio::test::pattern_bytes;
using sparseio::test::TempDir;
using Bytes = std::vector<std::byte>;

namespace {

constexpr uint64_t B = 4096;

// SPEC "The allocation report" field names.
const std::set<std::string> kStatFields{"logical_size", "present_bytes", "present_ranges", "allocated_bytes",
                                        "data_segments"};
const std::set<std::string> kFetchFields{"fetched_bytes", "requests", "reused_bytes", "elapsed_s",
                                         "throughput"};
// Extra fields the implementation adds beyond SPEC (kept deliberately small).
const std::set<std::string> kExtraStat{"version", "path", "source_identity"};
// The scheduler's choices and measurements (engine/scheduler.h): JSON only.
const std::set<std::string> kExtraFetch{"zero_hole_bytes", "peak_connections",    "concurrency",
                                        "coalesce_gap",    "coalescing",          "overfetched_bytes",
                                        "ttfb_s",          "connection_bandwidth"};

std::set<std::string> keys_of(const nlohmann::json& j) {
  std::set<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.insert(it.key());
  return k;
}

std::set<std::string> join(std::initializer_list<std::set<std::string>> sets) {
  std::set<std::string> out;
  for (const auto& s : sets) out.insert(s.begin(), s.end());
  return out;
}

sparseio::SourceIdentity ident(uint64_t size) {
  sparseio::SourceIdentity id;
  id.size = size;
  id.mtime_ns = 1;
  return id;
}

}  // namespace

TEST_CASE("make_report describes a real destination") {
  TempDir dir;
  const std::string dst = dir.file("out");
  auto d = Destination::open_for_source(dst, ident(40 * B));
  REQUIRE(d->block_size() == B);
  d->write_extent(0, pattern_bytes(0, 3 * B + 5));        // blocks 0..3 hold data
  d->write_extent(10 * B, pattern_bytes(10 * B, 2 * B));  // blocks 10..11
  d->write_extent(20 * B, Bytes(4 * B, std::byte{0}));    // present, but a hole
  d->write_extent(30 * B, pattern_bytes(30 * B, 4 * B));
  d->evict({{30 * B, 34 * B}});
  d->sync();

  Report r = sparseio::make_report(*d);
  CHECK(r.path == dst);
  CHECK(r.logical_size == 40 * B);
  CHECK(r.present_bytes == (3 * B + 5) + 2 * B + 4 * B);
  CHECK(r.present_ranges == 3);
  CHECK(r.allocated_bytes == file_allocated(dst));
  CHECK(r.data_segments == file_data_runs(dst).size());
  CHECK(r.data_segments == 2);  // [0, 4B) and [10B, 12B): zero blocks and evicted ones are holes
  CHECK(r.allocated_bytes <= 6 * B);
  CHECK(r.allocated_bytes >= 6 * B - B);
  CHECK(!r.fetch.has_value());
  CHECK(r.zero_hole_bytes == 4 * B);

  FetchStats fs;
  fs.fetched_bytes = 123;
  fs.requests = 4;
  Report rf = sparseio::make_report(*d, fs);
  REQUIRE(rf.fetch.has_value());
  CHECK(rf.fetch->fetched_bytes == 123);
  CHECK(rf.fetch->requests == 4);
}

TEST_CASE("JSON: one object, SPEC names, integer byte counts; fetch fields only for fetch") {
  Report r;
  r.path = "/tmp/some \"quoted\" path";
  r.logical_size = (uint64_t{1} << 63) + 5;  // would lose precision as a double
  r.present_bytes = 9007199254740993ull;     // 2^53 + 1
  r.present_ranges = 17;
  r.allocated_bytes = 4096 * 3;
  r.data_segments = 2;
  r.zero_hole_bytes = 8192;

  const std::string text = sparseio::format_report_json(r);
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  CHECK(text.find('\n') == text.size() - 1);  // one line, one object
  const nlohmann::json j = nlohmann::json::parse(text);
  REQUIRE(j.is_object());
  CHECK(keys_of(j) == join({kStatFields, kExtraStat}));
  for (const std::string& k : kStatFields) {
    CAPTURE(k);
    CHECK(j.at(k).is_number_unsigned());
  }
  CHECK(j.at("logical_size").get<uint64_t>() == r.logical_size);
  CHECK(j.at("present_bytes").get<uint64_t>() == r.present_bytes);
  CHECK(j.at("present_ranges").get<uint64_t>() == 17);
  CHECK(j.at("allocated_bytes").get<uint64_t>() == 4096 * 3);
  CHECK(j.at("data_segments").get<uint64_t>() == 2);
  CHECK(j.at("path").get<std::string>() == r.path);

  FetchStats fs;
  fs.requested_bytes = 5000000;
  fs.fetched_bytes = 3000000;
  fs.requests = 3;
  fs.reused_bytes = 2000000;
  fs.elapsed_s = 1.5;
  r.fetch = fs;
  const nlohmann::json jf = nlohmann::json::parse(sparseio::format_report_json(r));
  CHECK(keys_of(jf) == join({kStatFields, kFetchFields, kExtraStat, kExtraFetch}));
  for (const char* k : {"fetched_bytes", "requests", "reused_bytes", "zero_hole_bytes"}) {
    CAPTURE(k);
    CHECK(jf.at(k).is_number_unsigned());
  }
  CHECK(jf.at("fetched_bytes").get<uint64_t>() == 3000000);
  CHECK(jf.at("requests").get<uint64_t>() == 3);
  CHECK(jf.at("reused_bytes").get<uint64_t>() == 2000000);
  CHECK(jf.at("zero_hole_bytes").get<uint64_t>() == 8192);
  CHECK(jf.at("elapsed_s").get<double>() == doctest::Approx(1.5));
  CHECK(jf.at("throughput").get<double>() == doctest::Approx(2000000.0));

  fs.elapsed_s = 0;  // no division by zero, no NaN or null
  r.fetch = fs;
  const nlohmann::json jz = nlohmann::json::parse(sparseio::format_report_json(r));
  CHECK(jz.at("throughput").is_number());
  CHECK(jz.at("throughput").get<double>() == 0.0);
}

TEST_CASE("text report: every field, fetch fields only for fetch") {
  Report r;
  r.path = "dst.img";
  r.logical_size = 10 * 1024 * 1024;
  r.present_bytes = 1536;
  r.present_ranges = 2;
  r.allocated_bytes = 8192;
  r.data_segments = 1;
  std::string t = sparseio::format_report_text(r);
  for (const std::string& k : kStatFields) CHECK_MESSAGE(t.find(k) != std::string::npos, k);
  for (const std::string& k : kFetchFields) CHECK_MESSAGE(t.find(k) == std::string::npos, k);
  CHECK(t.find(sparseio::human_size(10 * 1024 * 1024)) != std::string::npos);
  CHECK(t.find(sparseio::human_size(1536)) != std::string::npos);
  r.fetch = FetchStats{};
  t = sparseio::format_report_text(r);
  for (const std::string& k : kFetchFields) CHECK_MESSAGE(t.find(k) != std::string::npos, k);
}

TEST_CASE("human_size") {
  CHECK(sparseio::human_size(0) == "0 B");
  CHECK(sparseio::human_size(1) == "1 B");
  CHECK(sparseio::human_size(1023) == "1023 B");
  CHECK(sparseio::human_size(1024) == "1.0 KiB (1024 bytes)");
  CHECK(sparseio::human_size(1536) == "1.5 KiB (1536 bytes)");
  CHECK(sparseio::human_size(10 * 1024 * 1024) == "10.0 MiB (10485760 bytes)");
  CHECK(sparseio::human_size(3ull << 29) == "1.5 GiB (1610612736 bytes)");
  CHECK(sparseio::human_size(5ull << 40) == "5.0 TiB (5497558138880 bytes)");
  CHECK(sparseio::human_size(std::numeric_limits<uint64_t>::max()) ==
        "16.0 EiB (18446744073709551615 bytes)");

  // Property: "M.m UNIT (N bytes)" with N exact, M.m the size in UNIT rounded
  // to one decimal, and never "1024.0 KiB" where "1.0 MiB" is meant.
  const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::vector<uint64_t> values;
  for (int shift = 10; shift < 64; ++shift)
    for (int64_t delta : {-1000, -52, -51, -1, 0, 1, 51, 52, 1000})
      values.push_back((uint64_t{1} << shift) + static_cast<uint64_t>(delta));
  for (uint64_t v = 1024; v < (uint64_t{1} << 62); v = v * 3 + 7) values.push_back(v);
  for (uint64_t v : values) {
    CAPTURE(v);
    const std::string s = sparseio::human_size(v);
    CAPTURE(s);
    if (v < 1024) {
      CHECK(s == std::to_string(v) + " B");
      continue;
    }
    double mant = 0;
    char unit[8] = {};
    unsigned long long exact = 0;
    REQUIRE(std::sscanf(s.c_str(), "%lf %7s (%llu bytes)", &mant, unit, &exact) == 3);
    CHECK(exact == v);
    int u = 0;
    while (u < 7 && std::string(units[u]) != unit) ++u;
    REQUIRE(u < 7);
    CHECK(u >= 1);
    CHECK(mant >= 1.0);
    CHECK(mant < 1024.0);
    const double scaled = static_cast<double>(v) / std::pow(1024.0, u);
    CHECK(std::fabs(mant - scaled) <= 0.05 + 1e-9);
  }
}
