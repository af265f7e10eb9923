// Conversions between the public types and the command layer's.
#include "api/public_types.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace sparseio {
namespace {

HttpOptions to_http(const Options& o) {
  HttpOptions h;
  for (const Header& header : o.headers) h.headers.push_back({header.name, header.value, header.secret});
  h.size = o.size;
  h.retries = o.retries;
  h.connect_timeout_s = o.connect_timeout_s;
  h.stall_timeout_s = o.stall_timeout_s;
  h.cacert = o.cacert;
  h.insecure = o.insecure;
  h.max_redirs = o.max_redirects;
  return h;
}

S3Options to_s3(const Options& o) {
  S3Options s;
  s.profile = o.aws_profile;
  s.region = o.aws_region;
  s.endpoint_url = o.s3_endpoint_url;
  s.no_sign_request = o.s3_no_sign_request;
  s.path_style = o.s3_path_style;
  return s;
}

}  // namespace

void set_source_options(Options& o, const HttpOptions& http, const S3Options& s3) {
  o.headers.clear();
  for (const HttpHeader& h : http.headers) o.headers.push_back({h.name, h.value, h.secret});
  o.size = http.size;
  o.retries = http.retries;
  o.connect_timeout_s = http.connect_timeout_s;
  o.stall_timeout_s = http.stall_timeout_s;
  o.cacert = http.cacert;
  o.insecure = http.insecure;
  o.max_redirects = http.max_redirs;
  o.aws_profile = s3.profile;
  o.aws_region = s3.region;
  o.s3_endpoint_url = s3.endpoint_url;
  o.s3_no_sign_request = s3.no_sign_request;
  o.s3_path_style = s3.path_style;
}

namespace {

SyncMode to_sync(Durability d) {
  switch (d) {
    case Durability::kBatch:
      return SyncMode::kBatch;
    case Durability::kNone:
      return SyncMode::kNone;
    case Durability::kHash:
      break;
  }
  return SyncMode::kHash;
}

}  // namespace

RangeItem to_item(const RangeSpec& spec) {
  RangeItem item;
  switch (spec.kind()) {
    case RangeSpec::Kind::kSpan:
      if (spec.length() == 0) throw UsageError(fmt::format("empty range at offset {}", spec.offset()));
      item.kind = RangeItem::Kind::kLength;
      item.a = spec.offset();
      item.b = spec.length();
      item.text = fmt::format("{}+{}", spec.offset(), spec.length());
      break;
    case RangeSpec::Kind::kFrom:
      item.kind = RangeItem::Kind::kFrom;
      item.a = spec.offset();
      item.text = fmt::format("{}-", spec.offset());
      break;
    case RangeSpec::Kind::kLast:
      if (spec.length() == 0) throw UsageError("empty suffix range -0");
      item.kind = RangeItem::Kind::kSuffix;
      item.a = spec.length();
      item.text = fmt::format("-{}", spec.length());
      break;
  }
  return item;
}

std::vector<RangeItem> to_items(const std::vector<RangeSpec>& specs) {
  std::vector<RangeItem> items;
  items.reserve(specs.size());
  for (const RangeSpec& s : specs) items.push_back(to_item(s));
  return items;
}

std::vector<RangeSpec> to_specs(const std::vector<RangeItem>& items) {
  std::vector<RangeSpec> out;
  out.reserve(items.size());
  for (const RangeItem& item : items) {
    switch (item.kind) {
      case RangeItem::Kind::kClosed:
        out.push_back(RangeSpec::span(item.a, item.b - item.a + 1));
        break;
      case RangeItem::Kind::kFrom:
        out.push_back(RangeSpec::from(item.a));
        break;
      case RangeItem::Kind::kSuffix:
        out.push_back(RangeSpec::last(item.a));
        break;
      case RangeItem::Kind::kLength:
        out.push_back(RangeSpec::span(item.a, item.b));
        break;
    }
  }
  return out;
}

FetchCommand to_command(const std::string& source, const std::string& destination,
                        const std::vector<RangeSpec>& ranges, const Options& o) {
  FetchCommand cmd;
  cmd.source = source;
  cmd.destination = destination;
  cmd.ranges = to_items(ranges);
  cmd.fetch.jobs = o.jobs;
  cmd.fetch.chunk_size = o.chunk_size;
  cmd.coalesce_gap = o.coalesce_gap;
  cmd.fetch.max_connections = o.max_connections;
  cmd.dest.sync = to_sync(o.durability);
  cmd.dest.overwrite = o.overwrite;
  cmd.dest.restart = o.restart;
  cmd.dest.wait_for_lock = o.wait_for_lock;
  cmd.http = to_http(o);
  cmd.s3 = to_s3(o);
  return cmd;
}

TransferStats to_stats(const FetchStats& f) {
  return {f.requested_bytes,
          f.fetched_bytes,
          f.requests,
          f.reused_bytes,
          f.elapsed_s,
          f.interrupted,
          f.missing_bytes,
          f.schedule.peak_in_flight,
          f.schedule.overfetched_bytes,
          f.schedule.link.ttfb_s,
          f.schedule.link.conn_bandwidth};
}

AllocationReport to_public(const Report& r) {
  AllocationReport out;
  out.path = r.path;
  out.logical_size = r.logical_size;
  out.present_bytes = r.present_bytes;
  out.present_ranges = r.present_ranges;
  out.allocated_bytes = r.allocated_bytes;
  out.data_segments = r.data_segments;
  if (r.fetch) out.transfer = to_stats(*r.fetch);
  out.ranges = r.ranges;
  return out;
}

Progress to_public(const ProgressSnapshot& s) {
  Progress p;
  p.object_size = s.object_size;
  p.wanted_bytes = s.wanted_bytes;
  p.done_bytes = s.done_bytes;
  p.fetched_bytes = s.fetched_bytes;
  p.active = s.active;
  return p;
}

VerifySummary to_public(const VerifyOutcome& v) {
  VerifySummary out;
  out.compared_bytes = v.result.compared_bytes;
  out.missing_bytes = v.result.missing_bytes;
  out.differing_bytes = v.result.differing_bytes;
  out.source_lacks_bytes = v.result.source_lacks_bytes;
  out.first_differences = v.result.first_differences;
  out.source_changed = v.source_changed;
  return out;
}

}  // namespace sparseio
