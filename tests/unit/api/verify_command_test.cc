// run_verify (api/verify_command.h): compares DST with the source, notices a
// changed source, repairs exactly the differing blocks, refuses to repair
// from another version of the source, and reports it all as JSON.
#include "api/verify_command.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/unique_fd.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::VerifyCommand;
using sparseio::VerifyOutcome;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using Bytes = std::vector<std::byte>;
using Ranges = std::vector<ByteRange>;

namespace {

constexpr uint64_t kSize = 512 * 1024;

struct Fixture {
  sparseio::test::TempDir dir;
  std::string src = dir.file("src");
  std::string dst = dir.file("dst");
  Bytes data = pattern_bytes(0, kSize, 11);
  Fixture() {
    sparseio::test::write_file(src, data);
    sparseio::FetchCommand fetch;
    fetch.source = src;
    fetch.destination = dst;
    fetch.ranges = sparseio::parse_range_list("0-99999");
    sparseio::run_fetch(fetch);
  }
  VerifyCommand command(std::string_view ranges = "", bool repair = false) const {
    VerifyCommand cmd;
    cmd.source = src;
    cmd.destination = dst;
    if (!ranges.empty()) cmd.ranges = sparseio::parse_range_list(ranges);
    cmd.repair = repair;
    return cmd;
  }
  // Flips the byte of DST at `at` behind the library's back.
  void corrupt(uint64_t at) const {
    sparseio::UniqueFd fd(::open(dst.c_str(), O_WRONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    const std::byte bad = ~data[at];
    REQUIRE(::pwrite(fd.get(), &bad, 1, static_cast<off_t>(at)) == 1);
  }
  uint64_t block_size() const { return sparseio::Destination::open_existing(dst, false)->block_size(); }
};

}  // namespace

TEST_CASE("run_verify compares with the source and notices a changed source") {
  Fixture f;
  VerifyOutcome same = sparseio::run_verify(f.command());
  CHECK(same.identical());
  CHECK(same.result.compared_bytes == 100000);
  CHECK(same.result.compared == Ranges{{0, 100000}});
  CHECK_FALSE(same.source_changed);
  CHECK(same.repaired.empty());

  // The source grows by one byte: another version of the object.
  Bytes grown = f.data;
  grown.push_back(std::byte{7});
  sparseio::test::write_file(f.src, grown);
  VerifyOutcome changed = sparseio::run_verify(f.command("0-9"));
  CHECK(changed.source_changed);
  CHECK(changed.result.compared_bytes == 10);
  CHECK(changed.result.identical());
}

TEST_CASE("repair fetches again exactly the blocks that differ") {
  Fixture f;
  f.corrupt(50000);
  const uint64_t b = f.block_size();
  const ByteRange block{50000 / b * b, 50000 / b * b + b};

  VerifyOutcome plain = sparseio::run_verify(f.command());
  CHECK_FALSE(plain.identical());
  CHECK(plain.result.differing_bytes == 1);
  CHECK(plain.result.first_differences == Ranges{{50000, 50001}});
  CHECK(plain.result.differing_blocks == Ranges{block});
  CHECK(read_file(f.dst)[50000] != f.data[50000]);  // without repair, DST is left alone

  VerifyOutcome fixed = sparseio::run_verify(f.command("", true));
  CHECK(fixed.result.differing_bytes == 1);  // the comparison before the repair
  CHECK(fixed.repaired == Ranges{block});
  CHECK(fixed.repair_stats.fetched_bytes == block.size());
  CHECK(fixed.after_repair.identical());
  CHECK(fixed.identical());
  const Bytes now = read_file(f.dst);
  CHECK(std::equal(now.begin(), now.begin() + 100000, f.data.begin()));
  CHECK(sparseio::run_verify(f.command()).result.identical());
}

TEST_CASE("repair from a changed source is refused and leaves DST as it was") {
  Fixture f;
  f.corrupt(10);
  Bytes grown = f.data;
  grown.push_back(std::byte{7});
  sparseio::test::write_file(f.src, grown);
  CHECK_THROWS_WITH_AS(sparseio::run_verify(f.command("", true)), doctest::Contains("--restart"),
                       sparseio::SourceChangedError);
  CHECK(read_file(f.dst)[10] != f.data[10]);
  CHECK(sparseio::run_stat(f.dst).present_bytes == 100000);
}

TEST_CASE("the JSON report lists compared, differing and repaired ranges as inclusive pairs") {
  Fixture f;
  f.corrupt(7);
  const uint64_t b = f.block_size();
  const VerifyCommand cmd = f.command("", true);
  const VerifyOutcome o = sparseio::run_verify(cmd);
  const nlohmann::json j = nlohmann::json::parse(sparseio::format_verify_json(cmd, o));
  CHECK(j["source"] == f.src);
  CHECK(j["destination"] == f.dst);
  CHECK(j["identical"] == true);  // after the repair
  CHECK(j["differing_bytes"] == 1);
  CHECK(j["compared_ranges"] == nlohmann::json::parse("[[0, 99999]]"));
  CHECK(j["first_differences"] == nlohmann::json::parse("[[7, 7]]"));
  CHECK(j["repaired_ranges"] == nlohmann::json::array({nlohmann::json::array({0, b - 1})}));
  CHECK(j["repaired_bytes"] == b);
  CHECK(j["differing_bytes_after_repair"] == 0);
}
