// The zip (and zip64) planner: pure functions over byte buffers. Reading a
// zip takes the end-of-central-directory record (EOCD, at the end), the
// central directory it points to, and then each member's local header and
// data. See plan/read_plan.cc for the driver that reads these from a Source.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "plan/plan_types.h"
#include "plan/selector.h"

namespace sparseio::plan {

// How much of the end to read first: the EOCD (22 bytes) with the longest
// comment (65535), the zip64 locator (20) and record (56), and room for a
// central directory of about 1000 short names, so that most archives need one
// round trip to plan.
constexpr uint64_t kZipTailRead = 128 * 1024;

struct ZipDirectory {
  uint64_t cd_offset = 0, cd_size = 0, entries = 0;
  uint64_t end_records = 0;  // where the EOCD (or zip64 record) begins: the tail to keep
  bool zip64 = false;
};

struct ZipTailResult {
  std::optional<ZipDirectory> dir;  // found
  ByteRange need;                   // else: read this (the zip64 record) and call again
};

// Finds the EOCD in `tail`, the bytes at [tail_offset, file_size). `extra`
// holds bytes read at extra_offset (the zip64 record, when it was outside
// `tail`). Throws FormatError naming the offset and what was expected.
ZipTailResult parse_zip_tail(std::span<const std::byte> tail, uint64_t tail_offset, uint64_t file_size,
                             std::span<const std::byte> extra = {}, uint64_t extra_offset = 0);

struct ZipEntry {
  std::string name;
  uint64_t local_offset = 0, compressed_size = 0, uncompressed_size = 0;
  uint16_t flags = 0, method = 0;
};

// Parses the central directory (cd = its bytes, at dir.cd_offset).
std::vector<ZipEntry> parse_zip_central_directory(std::span<const std::byte> cd, const ZipDirectory& dir,
                                                  uint64_t file_size);

// The ranges for the selected entries: the tail records and the central
// directory (so that unzip can open the sparse copy), then for each selected
// member its local header and data. A local header's extra field may differ
// from the central one, so a member's range runs to the next member's local
// header (exact for the usual back-to-back layout), bounded by the largest
// local header it could have (30 + name + 65535 + data + 24 for a data
// descriptor).
std::vector<PlanItem> plan_zip(const std::vector<ZipEntry>& entries, const ZipDirectory& dir,
                               uint64_t file_size, const std::vector<Selector>& selectors);

// The member's data, given the first 30 bytes of its local header (at
// local_offset). Throws FormatError when it is not a local header.
ByteRange zip_member_data(std::span<const std::byte> local_header, uint64_t local_offset,
                          uint64_t compressed_size, uint64_t file_size);

}  // namespace sparseio::plan
