// zip parsing after APPNOTE.TXT (PKWARE, 6.3.x): 4.3.16 EOCD, 4.3.14/15
// zip64 record and locator, 4.3.12 central directory header, 4.5.3 zip64
// extended information extra field, 4.3.7 local file header.
#include "plan/zip.h"

#include <fmt/format.h>

#include <algorithm>

#include "plan/selector_match.h"

namespace sparseio::plan {
namespace {

constexpr uint32_t kEocdSig = 0x06054b50, kZip64LocatorSig = 0x07064b50, kZip64EocdSig = 0x06064b50;
constexpr uint32_t kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr size_t kEocdSize = 22, kLocatorSize = 20, kZip64EocdSize = 56, kCentralSize = 46, kLocalSize = 30;

[[noreturn]] void fail(uint64_t offset, std::string_view what) {
  throw FormatError(fmt::format("zip: at offset {}: {}", offset, what));
}

}  // namespace

ZipTailResult parse_zip_tail(std::span<const std::byte> tail, uint64_t tail_offset, uint64_t file_size,
                             std::span<const std::byte> extra, uint64_t extra_offset) {
  if (tail.size() < kEocdSize)
    fail(tail_offset,
         fmt::format("expected an end-of-central-directory record, but the file has only {} bytes",
                     file_size));
  // The EOCD is the last "PK\5\6" whose comment reaches the end of the file;
  // scanning backwards finds it first.
  std::optional<size_t> at;
  for (size_t i = tail.size() - kEocdSize + 1; i-- > 0;) {
    if (load_le(tail, i, 4) != kEocdSig) continue;
    if (i + kEocdSize + load_le(tail, i + 20, 2) == tail.size()) {
      at = i;
      break;
    }
    if (!at) at = i;  // trailing garbage after the comment: still the best guess
  }
  if (!at)
    fail(tail_offset,
         fmt::format("expected an end-of-central-directory record (PK\\5\\6) in the last {} bytes: "
                     "not a zip archive",
                     tail.size()));
  const size_t e = *at;
  const uint64_t eocd = tail_offset + e;
  ZipDirectory dir;
  dir.end_records = eocd;
  uint64_t disk = load_le(tail, e + 4, 2), cd_disk = load_le(tail, e + 6, 2);
  dir.entries = load_le(tail, e + 10, 2);
  dir.cd_size = load_le(tail, e + 12, 4);
  dir.cd_offset = load_le(tail, e + 16, 4);
  bool has_locator = e >= kLocatorSize && load_le(tail, e - kLocatorSize, 4) == kZip64LocatorSig;
  if (has_locator) {
    const size_t l = e - kLocatorSize;
    uint64_t rec = load_le(tail, l + 8, 8);
    if (rec > eocd - kLocatorSize || eocd - kLocatorSize - rec < kZip64EocdSize)
      fail(eocd - kLocatorSize, fmt::format("zip64 locator points to {}, not before it", rec));
    std::span<const std::byte> r;
    if (rec >= tail_offset) {
      r = tail.subspan(static_cast<size_t>(rec - tail_offset));
    } else if (!extra.empty() && extra_offset == rec && extra.size() >= kZip64EocdSize) {
      r = extra;
    } else {
      return {std::nullopt, {rec, rec + kZip64EocdSize}};
    }
    if (load_le(r, 0, 4) != kZip64EocdSig)
      fail(rec, "expected a zip64 end-of-central-directory record (PK\\6\\6)");
    dir.zip64 = true;
    dir.end_records = rec;
    disk = load_le(r, 16, 4);
    cd_disk = load_le(r, 20, 4);
    dir.entries = load_le(r, 32, 8);
    dir.cd_size = load_le(r, 40, 8);
    dir.cd_offset = load_le(r, 48, 8);
  }
  if (disk != 0 || cd_disk != 0)
    fail(eocd, "a split (multi-disk) archive; only single-file archives are supported");
  if (dir.cd_offset > dir.end_records || dir.end_records - dir.cd_offset < dir.cd_size)
    fail(eocd, fmt::format("the central directory ({} bytes at {}) does not end before the end records at {}",
                           dir.cd_size, dir.cd_offset, dir.end_records));
  // Each entry takes at least 46 bytes: a bigger count is a lie that would
  // make us reserve memory for nothing.
  if (dir.entries > dir.cd_size / kCentralSize)
    fail(eocd,
         fmt::format("{} entries cannot fit in a central directory of {} bytes", dir.entries, dir.cd_size));
  return {dir, {}};
}

std::vector<ZipEntry> parse_zip_central_directory(std::span<const std::byte> cd, const ZipDirectory& dir,
                                                  uint64_t file_size) {
  std::vector<ZipEntry> out;
  out.reserve(static_cast<size_t>(dir.entries));
  size_t pos = 0;
  for (uint64_t n = 0; n < dir.entries; ++n) {
    const uint64_t at = dir.cd_offset + pos;
    if (cd.size() - pos < kCentralSize || load_le(cd, pos, 4) != kCentralSig)
      fail(at, fmt::format("expected central directory header {} of {} (PK\\1\\2)", n + 1, dir.entries));
    ZipEntry e;
    e.flags = static_cast<uint16_t>(load_le(cd, pos + 8, 2));
    e.method = static_cast<uint16_t>(load_le(cd, pos + 10, 2));
    e.compressed_size = load_le(cd, pos + 20, 4);
    e.uncompressed_size = load_le(cd, pos + 24, 4);
    const size_t name_len = load_le(cd, pos + 28, 2), extra_len = load_le(cd, pos + 30, 2),
                 comment_len = load_le(cd, pos + 32, 2);
    uint64_t disk = load_le(cd, pos + 34, 2);
    e.local_offset = load_le(cd, pos + 42, 4);
    if (cd.size() - pos - kCentralSize < name_len + extra_len + comment_len)
      fail(at, fmt::format("central directory header {} runs past the end of the directory", n + 1));
    const auto* name = reinterpret_cast<const char*>(cd.data() + pos + kCentralSize);
    e.name.assign(name, name_len);
    // zip64 extra field: the 64-bit values of the fields that hold 0xFFFFFFFF,
    // in this order.
    std::span<const std::byte> extra = cd.subspan(pos + kCentralSize + name_len, extra_len);
    for (size_t x = 0; x + 4 <= extra.size();) {
      const uint64_t id = load_le(extra, x, 2), len = load_le(extra, x + 2, 2);
      if (x + 4 + len > extra.size()) break;
      if (id == 0x0001) {
        size_t f = x + 4;
        const size_t fend = x + 4 + len;
        auto next64 = [&](uint64_t& v, const char* field) {
          if (f + 8 > fend) fail(at, fmt::format("zip64 extra field of '{}' lacks the {}", e.name, field));
          v = load_le(extra, f, 8);
          f += 8;
        };
        if (e.uncompressed_size == 0xFFFFFFFF) next64(e.uncompressed_size, "uncompressed size");
        if (e.compressed_size == 0xFFFFFFFF) next64(e.compressed_size, "compressed size");
        if (e.local_offset == 0xFFFFFFFF) next64(e.local_offset, "local header offset");
        if (disk == 0xFFFF && f + 4 <= fend) disk = load_le(extra, f, 4);
      }
      x += 4 + len;
    }
    if (disk != 0) fail(at, fmt::format("member '{}' is on disk {} of a split archive", e.name, disk));
    if (e.local_offset >= dir.cd_offset ||
        dir.cd_offset - e.local_offset < kLocalSize + name_len + std::min(e.compressed_size, file_size))
      fail(at, fmt::format(
                   "member '{}': its local header at {} and {} bytes of data do not fit before the central "
                   "directory at {}",
                   e.name, e.local_offset, e.compressed_size, dir.cd_offset));
    out.push_back(std::move(e));
    pos += kCentralSize + name_len + extra_len + comment_len;
  }
  return out;
}

std::vector<PlanItem> plan_zip(const std::vector<ZipEntry>& entries, const ZipDirectory& dir,
                               uint64_t file_size, const std::vector<Selector>& selectors) {
  std::vector<std::string> names;
  names.reserve(entries.size());
  for (const ZipEntry& e : entries) names.push_back(e.name);
  check_selectors_match(selectors, names, NameKind::kMember);
  std::vector<PlanItem> items;
  items.push_back({{dir.cd_offset, dir.cd_offset + dir.cd_size}, "zip central directory", {}, false, true});
  items.push_back({{dir.end_records, file_size}, "zip end of central directory", {}, false, true});
  // Where each record ends at the latest: the next local header (or the
  // central directory).
  std::vector<uint64_t> starts;
  starts.reserve(entries.size());
  for (const ZipEntry& e : entries) starts.push_back(e.local_offset);
  std::sort(starts.begin(), starts.end());
  for (const ZipEntry& e : entries) {
    bool take = false;
    for (const Selector& s : selectors) take = take || s.matches_name(e.name);
    if (!take) continue;
    auto next = std::upper_bound(starts.begin(), starts.end(), e.local_offset);
    const uint64_t bound = next == starts.end() ? dir.cd_offset : *next;
    const uint64_t least = e.local_offset + kLocalSize + e.name.size() + e.compressed_size;
    const uint64_t most = least + 65535 + ((e.flags & 8) ? 24 : 0);
    const uint64_t end = std::max(least, std::min(bound, most));
    items.push_back({{e.local_offset, end},
                     fmt::format("zip member {}", e.name),
                     {e.local_offset, e.local_offset + e.compressed_size},
                     true});
  }
  return items;
}

ByteRange zip_member_data(std::span<const std::byte> local_header, uint64_t local_offset,
                          uint64_t compressed_size, uint64_t file_size) {
  if (local_header.size() < kLocalSize || load_le(local_header, 0, 4) != kLocalSig)
    fail(local_offset, "expected a local file header (PK\\3\\4)");
  const uint64_t begin =
      local_offset + kLocalSize + load_le(local_header, 26, 2) + load_le(local_header, 28, 2);
  if (begin > file_size || file_size - begin < compressed_size)
    fail(local_offset,
         fmt::format("the member's {} bytes of data run past the end of the file", compressed_size));
  return {begin, begin + compressed_size};
}

}  // namespace sparseio::plan
