// sparseio verify as a library call: compare DST with the source, and with
// `repair`, fetch again exactly the filesystem blocks that differ.
#pragma once

#include <string>
#include <vector>

#include "api/commands.h"
#include "api/verify.h"

namespace sparseio {

struct VerifyCommand {
  std::string source;
  std::string destination;
  std::vector<RangeItem> ranges;  // empty: every present byte of DST
  bool repair = false;
  FetchOptions fetch;  // jobs and chunk size of the reads (and of the repair)
  HttpOptions http;
  S3Options s3;
};

struct VerifyOutcome {
  VerifyResult result;          // the comparison before any repair
  bool source_changed = false;  // the source's identity differs from the sidecar's
  // With repair: the blocks fetched again (= result.differing_blocks), what
  // that transfer did, and the comparison of those blocks afterwards.
  std::vector<ByteRange> repaired;
  FetchStats repair_stats;
  VerifyResult after_repair;
  // Identical now: at first, or after a repair.
  bool identical() const { return result.identical() || (!repaired.empty() && after_repair.identical()); }
};

class ObjectCore;

// The one comparison (and repair) of `sparseio verify`, of many objects'
// verify, of the handle's Object::verify and so of the free verify: the
// present bytes of `ranges` (empty: every byte DST holds) of core's DST
// against core's source, read with its jobs and chunk size. `repair` needs
// a writable core; it throws SourceChangedError when the source changed
// since DST was started (its bytes cannot be mixed with the old version's).
VerifyOutcome verify_core(ObjectCore& core, const std::vector<RangeItem>& ranges, bool repair = false);

// Opens cmd's core (ObjectCore::open_existing: writable and locked only to
// repair) and runs verify_core.
VerifyOutcome run_verify(const VerifyCommand& cmd);

// One JSON object: what was compared, what differed (ranges, inclusive
// [first, last] pairs) and what was repaired.
std::string format_verify_json(const VerifyCommand& cmd, const VerifyOutcome& outcome);

}  // namespace sparseio
