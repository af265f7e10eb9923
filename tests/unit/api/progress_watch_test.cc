// Options::on_progress through the public facade: the handler sees the run
// advance and its final state, and returning false stops the run with what
// was fetched kept.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "sparseio/sparseio.h"
#include "test_util.h"

namespace {

using sparseio::test::TempDir;

}  // namespace

TEST_CASE("on_progress sees the run to its final state") {
  TempDir dir;
  const std::string src = dir.file("src"), dst = dir.file("dst");
  sparseio::test::write_file(src, sparseio::test::pattern_bytes(0, 8 << 20));
  std::mutex mu;
  std::vector<sparseio::Progress> seen;
  sparseio::Options o;
  o.jobs = 1;
  o.chunk_size = 64 << 10;
  o.progress_interval_s = 0.001;
  o.on_progress = [&](const sparseio::Progress& p) {
    std::lock_guard lock(mu);
    seen.push_back(p);
    return true;
  };
  sparseio::AllocationReport r = sparseio::fetch(src, dst, {sparseio::RangeSpec::span(0, 4 << 20)}, o);
  REQUIRE(r.transfer);
  CHECK_FALSE(r.transfer->interrupted);
  REQUIRE_FALSE(seen.empty());
  // The last call is the final state: everything wanted is done.
  CHECK(seen.back().wanted_bytes == (4u << 20));
  CHECK(seen.back().done_bytes == (4u << 20));
  CHECK(seen.back().object_size == (8u << 20));
  for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].done_bytes >= seen[i - 1].done_bytes);
}

TEST_CASE("on_progress returning false stops the run and keeps what arrived") {
  TempDir dir;
  const std::string src = dir.file("src"), dst = dir.file("dst");
  // 4 KiB pieces one at a time, each recorded: far longer than the first call.
  sparseio::test::write_file(src, sparseio::test::pattern_bytes(0, 64 << 20));
  std::atomic<int> calls{0};
  sparseio::Options o;
  o.jobs = 1;
  o.chunk_size = 4096;
  o.progress_interval_s = 0.001;
  o.on_progress = [&](const sparseio::Progress&) { return ++calls > 1 ? true : false; };
  sparseio::AllocationReport r = sparseio::fetch(src, dst, {}, o);
  REQUIRE(r.transfer);
  CHECK(r.transfer->interrupted);
  CHECK(r.transfer->missing_bytes > 0);
  CHECK(r.present_bytes + r.transfer->missing_bytes == (64u << 20));
  CHECK(calls >= 2);  // the stop, then the final state
  // What was kept is right: a fetch without the handler completes it.
  sparseio::AllocationReport again = sparseio::fetch(src, dst);
  CHECK(again.present_bytes == (64u << 20));
  CHECK(sparseio::verify(src, dst).identical());
}
