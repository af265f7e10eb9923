// The sidecar's on-disk encoding, in one place: the header (magic, version,
// logical size, source identity) and the fixed-size records, all integers
// little-endian, each part sealed by an XXH64 checksum. Sidecar reads and
// writes through it, and the fuzz helpers (tests/fuzz) build and re-seal
// files with it, so the format is stated once.
//
// Layout:
//   header:  "SPARSEIO" | u32 version | u32 header_len | u64 logical_size |
//            identity numbers (u64 each, kIdentityNumbers order) |
//            u32 length of each identity string (kIdentityStrings order) |
//            the strings | [u32 url_len | url] (only when the identity
//            has a URL) | u64 xxh64(all of the above)
//   records: u32 type | u32 flags | u64 begin | u64 end | u64 data_hash |
//            u64 xxh64(first 32 bytes, seed = header checksum)
//
// Extending the identity: add the field to kIdentityNumbers or
// kIdentityStrings below and bump kVersion; encode and decode follow the
// tables, so nothing else changes. The URL is the exception: an optional tail
// without a version bump, so that sidecars written before it still load.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_range.h"
#include "core/source_identity.h"

namespace sparseio {

struct SidecarHeader {
  uint64_t logical_size = 0;
  SourceIdentity identity;
};

namespace sidecar_codec {

inline constexpr char kMagic[8] = {'S', 'P', 'A', 'R', 'S', 'E', 'I', 'O'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kRecordSize = 40;
inline constexpr size_t kChecksumOffset = kRecordSize - 8;  // within a record
inline constexpr size_t kHeaderLenOffset = 12;
inline constexpr uint32_t kMaxStringLen = 64 * 1024;

// Record types and flags.
inline constexpr uint32_t kPresent = 'P', kEvicted = 'E', kSession = 'S';
inline constexpr uint32_t kHashed = 1, kSynced = 2;

// The identity fields, in header order. Numbers are stored as u64.
struct NumberField {
  uint64_t (*get)(const SourceIdentity&);
  void (*set)(SourceIdentity&, uint64_t);
};
inline constexpr std::array<NumberField, 4> kIdentityNumbers{{
    {[](const SourceIdentity& i) { return i.size; }, [](SourceIdentity& i, uint64_t v) { i.size = v; }},
    {[](const SourceIdentity& i) { return static_cast<uint64_t>(i.mtime_ns); },
     [](SourceIdentity& i, uint64_t v) { i.mtime_ns = static_cast<int64_t>(v); }},
    {[](const SourceIdentity& i) { return i.device; }, [](SourceIdentity& i, uint64_t v) { i.device = v; }},
    {[](const SourceIdentity& i) { return i.inode; }, [](SourceIdentity& i, uint64_t v) { i.inode = v; }},
}};
inline constexpr std::array<std::string SourceIdentity::*, 2> kIdentityStrings{
    &SourceIdentity::etag, &SourceIdentity::last_modified};

// Bytes of the header before its strings.
inline constexpr size_t kFixedHeader =
    8 + 4 + 4 + 8 + 8 * kIdentityNumbers.size() + 4 * kIdentityStrings.size();

uint32_t get32(const std::byte* p);
uint64_t get64(const std::byte* p);
void put32(std::vector<std::byte>& b, uint32_t v);
void put64(std::vector<std::byte>& b, uint64_t v);

// The whole header, checksum included.
std::vector<std::byte> encode_header(const SidecarHeader& h);

// The header length a file's fixed part announces, when it is plausible:
// right magic and version, string lengths within bounds and adding up.
// Otherwise a reason ("bad magic", ...). `fixed` holds kFixedHeader bytes.
struct HeaderLength {
  uint32_t length = 0;
  std::string error;  // empty when length is valid
};
HeaderLength header_length(std::span<const std::byte> fixed);

// Decodes a whole header (header_length() bytes); nullopt when its checksum
// does not match. `checksum` receives the seed of the records.
std::optional<SidecarHeader> decode_header(std::span<const std::byte> header, uint64_t& checksum);

// Recomputes the checksum at the end of a header of `length` bytes.
void seal_header(std::span<std::byte> header);

struct Record {
  uint32_t type = kPresent;
  uint32_t flags = 0;
  ByteRange range;
  uint64_t hash = 0;
};

std::array<std::byte, kRecordSize> encode_record(const Record& r, uint64_t seed);
// The record at p (kRecordSize bytes); nullopt when its checksum fails.
std::optional<Record> decode_record(const std::byte* p, uint64_t seed);
// Recomputes a record's checksum in place, whatever its contents.
void seal_record(std::byte* p, uint64_t seed);

}  // namespace sidecar_codec
}  // namespace sparseio
