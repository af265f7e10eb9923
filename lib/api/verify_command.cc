#include "api/verify_command.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "api/object_core.h"
#include "core/errors.h"

namespace sparseio {

VerifyOutcome verify_core(ObjectCore& core, const std::vector<RangeItem>& ranges, bool repair) {
  Source& source = core.source();
  Destination& dest = core.dest();
  std::vector<ByteRange> wanted =
      ranges.empty() ? dest.coverage().ranges() : resolve_ranges(ranges, dest.logical_size());
  VerifyOutcome outcome;
  outcome.source_changed = core.source_changed();
  StreamOptions stream;
  stream.jobs = core.fetch_options().jobs;
  stream.chunk_size = core.fetch_options().chunk_size;
  outcome.result = verify_ranges(source, dest, wanted, stream);
  if (!repair || outcome.result.identical()) return outcome;

  if (outcome.source_changed)
    throw SourceChangedError(fmt::format(
        "cannot repair {}: the source changed since it was started ({}); fetch it with --restart instead",
        dest.path(), describe_identity_change(dest.header().identity, source.identity())));
  // Evict first, so that no record claims the wrong bytes while the right
  // ones are fetched (a kill in between leaves them missing, not wrong).
  outcome.repaired = outcome.result.differing_blocks;
  dest.evict(outcome.repaired);
  outcome.repair_stats = core.coordinator().fetch(outcome.repaired);
  dest.sync();
  outcome.after_repair = verify_ranges(source, dest, outcome.repaired, stream);
  return outcome;
}

VerifyOutcome run_verify(const VerifyCommand& cmd) {
  FetchCommand transfer;
  transfer.source = cmd.source;
  transfer.destination = cmd.destination;  // an S3 object: the version DST was started from
  transfer.fetch = cmd.fetch;
  transfer.http = cmd.http;
  transfer.s3 = cmd.s3;
  std::unique_ptr<ObjectCore> core = ObjectCore::open_existing(transfer, cmd.repair);
  return verify_core(*core, cmd.ranges, cmd.repair);
}

std::string format_verify_json(const VerifyCommand& cmd, const VerifyOutcome& o) {
  auto pairs = [](const std::vector<ByteRange>& ranges) {
    nlohmann::json out = nlohmann::json::array();
    for (const ByteRange& r : ranges) out.push_back({r.begin, r.end - 1});
    return out;
  };
  const VerifyResult& r = o.result;
  nlohmann::json j;
  j["source"] = cmd.source;
  j["destination"] = cmd.destination;
  j["identical"] = o.identical();
  j["source_changed"] = o.source_changed;
  j["compared_bytes"] = r.compared_bytes;
  j["compared_ranges"] = pairs(r.compared);
  j["missing_bytes"] = r.missing_bytes;
  j["differing_bytes"] = r.differing_bytes;
  j["differing_blocks"] = pairs(r.differing_blocks);
  j["first_differences"] = pairs(r.first_differences);
  j["repaired_ranges"] = pairs(o.repaired);
  uint64_t repaired_bytes = 0;
  for (const ByteRange& b : o.repaired) repaired_bytes += b.size();
  j["repaired_bytes"] = repaired_bytes;
  j["fetched_bytes"] = o.repair_stats.fetched_bytes;
  j["requests"] = o.repair_stats.requests;
  if (!o.repaired.empty()) j["differing_bytes_after_repair"] = o.after_repair.differing_bytes;
  return j.dump() + "\n";
}

}  // namespace sparseio
