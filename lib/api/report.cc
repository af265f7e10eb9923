#include "api/report.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace sparseio {

Report make_report(const Destination& dest, std::optional<FetchStats> fetch, bool list_ranges) {
  Report r;
  r.path = dest.path();
  r.identity = dest.header().identity;
  r.logical_size = dest.logical_size();
  r.present_bytes = dest.present_bytes();
  r.present_ranges = dest.present_ranges();
  r.list_ranges = list_ranges;
  if (list_ranges) r.ranges = dest.coverage().ranges();
  r.allocated_bytes = dest.allocated_bytes();
  r.data_segments = dest.data_segments();
  r.fetch = fetch;
  r.zero_hole_bytes = dest.zero_hole_bytes();
  return r;
}

namespace {
// Values that would print as "1024.0" in one unit are shown in the next one.
constexpr double kNextUnit = 1024 - 0.05;

// "1.5 MiB" without the exact count, for rates.
std::string short_size(double v) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (v >= kNextUnit && unit < 6) {
    v /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}
}  // namespace

std::string human_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= kNextUnit && unit < 6) {
    v /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {} ({} bytes)", v, kUnits[unit], bytes);
}

std::string format_ranges_only(const Report& r) {
  std::string out;
  for (const ByteRange& b : r.ranges) out += fmt::format("{}-{}\n", b.begin, b.end - 1);
  return out;
}

namespace {
// "size 123, ETag "x"", the parts that apply.
std::string describe_identity(const SourceIdentity& id) {
  std::string s = fmt::format("size {}", id.size);
  if (!id.etag.empty()) s += fmt::format(", ETag {}", id.etag);
  if (!id.last_modified.empty()) s += fmt::format(", Last-Modified {}", id.last_modified);
  if (id.mtime_ns != 0) s += fmt::format(", mtime_ns {}", id.mtime_ns);
  return s;
}
}  // namespace

std::string format_report_text(const Report& r) {
  std::string out;
  auto line = [&](std::string_view name, const std::string& value) {
    out += fmt::format("{:<16} {}\n", name, value);
  };
  line("path", r.path);
  if (!r.source.empty()) line("source", r.source);
  line("source_identity", describe_identity(r.identity));
  line("logical_size", human_size(r.logical_size));
  line("present_bytes", human_size(r.present_bytes));
  line("present_ranges", std::to_string(r.present_ranges));
  line("allocated_bytes", human_size(r.allocated_bytes));
  line("data_segments", std::to_string(r.data_segments));
  if (r.fetch) {
    const FetchStats& f = *r.fetch;
    line("fetched_bytes", human_size(f.fetched_bytes));
    line("requests", std::to_string(f.requests));
    line("reused_bytes", human_size(f.reused_bytes));
    line("zero_hole_bytes", human_size(r.zero_hole_bytes));
    line("elapsed_s", fmt::format("{:.3f}", f.elapsed_s));
    double tput = f.elapsed_s > 0 ? static_cast<double>(f.fetched_bytes) / f.elapsed_s : 0;
    line("throughput", short_size(tput) + "/s");
  }
  if (r.list_ranges) {
    // In range-list syntax, so that the list can be fed back to --ranges-from.
    out += "ranges:\n";
    for (const ByteRange& b : r.ranges) out += fmt::format("{}-{}\n", b.begin, b.end - 1);
  }
  return out;
}

std::string format_report_json(const Report& r) {
  nlohmann::ordered_json j;
  j["version"] = kReportVersion;
  j["path"] = r.path;
  if (!r.source.empty()) j["source"] = r.source;
  nlohmann::ordered_json id;
  id["size"] = r.identity.size;
  if (!r.identity.etag.empty()) id["etag"] = r.identity.etag;
  if (!r.identity.last_modified.empty()) id["last_modified"] = r.identity.last_modified;
  if (r.identity.mtime_ns != 0) id["mtime_ns"] = r.identity.mtime_ns;
  j["source_identity"] = std::move(id);
  j["logical_size"] = r.logical_size;
  j["present_bytes"] = r.present_bytes;
  j["present_ranges"] = r.present_ranges;
  j["allocated_bytes"] = r.allocated_bytes;
  j["data_segments"] = r.data_segments;
  if (r.fetch) {
    const FetchStats& f = *r.fetch;
    j["fetched_bytes"] = f.fetched_bytes;
    j["requests"] = f.requests;
    j["reused_bytes"] = f.reused_bytes;
    j["zero_hole_bytes"] = r.zero_hole_bytes;
    if (r.plan_round_trips) {
      j["plan_round_trips"] = *r.plan_round_trips;
      j["plan_read_bytes"] = r.plan_read_bytes;
    }
    // Milliseconds are the precision that matters; rounding also keeps the
    // number in plain decimal form (0.004, never 4.123e-03).
    j["elapsed_s"] = std::round(f.elapsed_s * 1000) / 1000;
    j["throughput"] = std::round(f.elapsed_s > 0 ? static_cast<double>(f.fetched_bytes) / f.elapsed_s : 0.0);
    if (f.interrupted) {
      j["interrupted"] = true;
      j["missing_bytes"] = f.missing_bytes;
    }
    // What the scheduler chose and measured (engine/scheduler.h).
    const SchedulerSummary& s = f.schedule;
    j["peak_connections"] = s.peak_in_flight;
    j["concurrency"] = s.adaptive_concurrency ? "link" : "fixed";
    j["coalesce_gap"] = s.coalesce_gap;
    j["coalescing"] = s.adaptive_coalescing ? "link" : "fixed";
    j["overfetched_bytes"] = s.overfetched_bytes;
    j["ttfb_s"] = std::round(s.link.ttfb_s * 10000) / 10000;  // 0.1 ms, plain decimal form
    j["connection_bandwidth"] = std::round(s.link.conn_bandwidth);
  }
  if (r.list_ranges) {
    nlohmann::json list = nlohmann::json::array();
    for (const ByteRange& b : r.ranges) list.push_back({b.begin, b.end - 1});
    j["ranges"] = std::move(list);
  }
  return j.dump() + "\n";
}

}  // namespace sparseio
