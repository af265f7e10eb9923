// The progress display's layout: the fill map, the counters line, the plain
// line for logs and the escape sequences of a frame, as pure functions.
#include "progress_display.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using sparseio::CellState;
using sparseio::cli::estimate_eta;
using sparseio::cli::format_eta;
using sparseio::cli::map_cells;
using sparseio::cli::render_current;
using sparseio::cli::render_frame;
using sparseio::cli::render_map;
using sparseio::cli::render_plain;
using sparseio::cli::render_status;
using sparseio::cli::StatusView;

namespace {

StatusView sample(size_t cells) {
  StatusView v;
  v.done_bytes = 12u << 20;
  v.wanted_bytes = 60u << 20;
  v.rate_bps = 5u << 20;
  v.eta_s = 9.6;
  v.active = 3;
  v.jobs = 8;
  for (size_t i = 0; i < cells; ++i)
    v.cells.push_back(i < cells / 5    ? CellState::kPresent
                      : i == cells / 5 ? CellState::kActive
                                       : CellState::kAbsent);
  return v;
}

}  // namespace

TEST_CASE("the fill map draws one character per cell between brackets") {
  std::vector<CellState> cells{CellState::kPresent, CellState::kPartial, CellState::kActive,
                               CellState::kAbsent};
  CHECK(render_map(cells, false) == "[#+>.]");
  CHECK(render_map(cells, true) == "[\u2588\u2592\u25b6\u00b7]");
  CHECK(render_map({}, false) == "[]");
}

TEST_CASE("a frame has the map, then the counters, each within the width") {
  for (size_t width : {20u, 40u, 80u, 200u}) {
    CAPTURE(width);
    StatusView v = sample(map_cells(width));
    std::vector<std::string> lines = render_status(v, width);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].size() == map_cells(width) + 2);
    CHECK(lines[0].size() < width);  // the last column stays free: no wrap
    CHECK(lines[1].size() < width);
    CHECK(lines[0].starts_with("[#"));
  }
  std::vector<std::string> lines = render_status(sample(77), 80);
  CHECK(lines[1] == "12.0 MiB / 60.0 MiB   20%  5.0 MiB/s  ETA 0:10  3/8 conn");
  StatusView no_map = sample(0);
  CHECK(render_status(no_map, 80).size() == 1);
}

TEST_CASE("ETA: minutes and seconds, hours when long, dashes when unknown") {
  CHECK(format_eta(0.0) == "0:00");
  CHECK(format_eta(65.4) == "1:05");
  CHECK(format_eta(7389.0) == "2:03:09");
  CHECK(format_eta(std::nullopt) == "--:--");
  CHECK(format_eta(-1.0) == "--:--");
  CHECK(format_eta(1e12) == "--:--");
}

TEST_CASE("the plain line has no escape codes and says the same") {
  std::string line = render_plain(sample(0));
  CHECK(line == "12.0 MiB of 60.0 MiB (20%), 5.0 MiB/s, ETA 0:10, 3 of 8 connections busy");
  CHECK(line.find('\x1b') == std::string::npos);
}

TEST_CASE("a frame overwrites the last one in place: up, rewrite, clear line ends") {
  CHECK(render_frame({"[##]", "a"}, 0) == "\r[##]\x1b[K\na\x1b[K");
  CHECK(render_frame({"[##]", "a"}, 2) == "\r\x1b[1A[##]\x1b[K\na\x1b[K");
  // An event goes above: clear the old frame below the cursor, print it, redraw.
  CHECK(render_frame({"[##]", "a"}, 2, "sparseio: retry\n") ==
        "\r\x1b[1A\x1b[Jsparseio: retry\n[##]\x1b[K\na\x1b[K");
  // A shorter frame clears what the longer one left below.
  CHECK(render_frame({"a"}, 2) == "\r\x1b[1Aa\x1b[K\x1b[J");
}

TEST_CASE("with many objects the line starts with the objects done and in all") {
  StatusView v = sample(0);
  v.objects_done = 3;
  v.objects_total = 10;
  CHECK(render_plain(v) ==
        "3/10 objects, 12.0 MiB of 60.0 MiB (20%), 5.0 MiB/s, ETA 0:10, 3 of 8 connections busy");
  const std::vector<std::string> lines = render_status(v, 100);
  REQUIRE(lines.size() == 1);  // no fill map over several objects
  CHECK(lines[0].starts_with("3/10 objects  12.0 MiB / 60.0 MiB"));
}

TEST_CASE("with many objects a third line names the objects in flight, as many as fit") {
  StatusView v = sample(0);
  v.objects_done = 3;
  v.objects_total = 10;
  v.current = {"part-00003.parquet", "part-00004.parquet", "part-00005.parquet"};
  const std::vector<std::string> lines = render_status(v, 100);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == "now part-00003.parquet, part-00004.parquet, part-00005.parquet");
  CHECK(render_current(v.current, 50) == "now part-00003.parquet, part-00004.parquet +1");
  CHECK(render_current(v.current, 30) == "now part-00003.parquet +2");
  CHECK(render_current(v.current, 5) == "now part-00003.parquet +2");  // one name at least
  CHECK(render_current({}, 80).empty());
  CHECK(
      render_plain(v).ends_with(", 3 of 8 connections busy, now part-00003.parquet, part-00004.parquet +1"));
}

TEST_CASE("estimate_eta projects the bytes of objects not started from those started") {
  // One object: what is left at the rate; done: 0; nothing moving: unknown.
  CHECK(*estimate_eta(20, 100, 10) == doctest::Approx(8));
  CHECK(*estimate_eta(100, 100, 0) == 0);
  CHECK(!estimate_eta(20, 100, 0));
  // 10 objects of which 2 started, 100 bytes wanted by those: 500 in all.
  CHECK(*estimate_eta(50, 100, 10, 2, 10) == doctest::Approx(45));
  // The started ones are done but 8 wait: not finished.
  CHECK(*estimate_eta(100, 100, 10, 2, 10) == doctest::Approx(40));
  // Every object started: no projection.
  CHECK(*estimate_eta(100, 100, 10, 10, 10) == 0);
}
