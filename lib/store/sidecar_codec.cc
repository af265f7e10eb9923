#include "store/sidecar_codec.h"

#include <xxhash.h>

#include <cstring>
#include <string_view>

namespace sparseio::sidecar_codec {

uint32_t get32(const std::byte* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t get64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}
void put32(std::vector<std::byte>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put64(std::vector<std::byte>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::byte>(v >> (8 * i)));
}

namespace {
void put_le(std::byte* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

// An S3 version id rides in the Last-Modified slot after a newline (no HTTP
// date holds one), so that sidecars of format 1 stay readable both ways.
constexpr std::string_view kVersionMark = "\nx-amz-version-id: ";

SidecarHeader version_in_slot(SidecarHeader h) {
  if (!h.identity.version_id.empty())
    h.identity.last_modified += std::string(kVersionMark) + h.identity.version_id;
  h.identity.version_id.clear();
  return h;
}

void version_out_of_slot(SourceIdentity& id) {
  if (size_t mark = id.last_modified.find(kVersionMark); mark != std::string::npos) {
    id.version_id = id.last_modified.substr(mark + kVersionMark.size());
    id.last_modified.resize(mark);
  }
}
}  // namespace

std::vector<std::byte> encode_header(const SidecarHeader& with_version) {
  const SidecarHeader h = version_in_slot(with_version);
  size_t strings = 0;
  for (auto field : kIdentityStrings) strings += (h.identity.*field).size();
  std::vector<std::byte> b;
  // The URL is an optional tail, not a table entry: sidecars without it (all
  // local files, and every sidecar written before URLs were recorded) keep
  // their layout and version byte for byte.
  const std::string& url = h.identity.url;
  if (!url.empty()) strings += 4 + url.size();
  b.reserve(kFixedHeader + strings + 8);
  const auto* magic = reinterpret_cast<const std::byte*>(kMagic);
  b.insert(b.end(), magic, magic + sizeof kMagic);
  put32(b, kVersion);
  put32(b, static_cast<uint32_t>(kFixedHeader + strings + 8));
  put64(b, h.logical_size);
  for (const NumberField& f : kIdentityNumbers) put64(b, f.get(h.identity));
  for (auto field : kIdentityStrings) put32(b, static_cast<uint32_t>((h.identity.*field).size()));
  for (auto field : kIdentityStrings) {
    const std::string& s = h.identity.*field;
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    b.insert(b.end(), p, p + s.size());
  }
  if (!url.empty()) {
    put32(b, static_cast<uint32_t>(url.size()));
    const auto* p = reinterpret_cast<const std::byte*>(url.data());
    b.insert(b.end(), p, p + url.size());
  }
  put64(b, XXH64(b.data(), b.size(), 0));
  return b;
}

HeaderLength header_length(std::span<const std::byte> fixed) {
  if (fixed.size() < kFixedHeader) return {0, "too short"};
  if (std::memcmp(fixed.data(), kMagic, sizeof kMagic) != 0) return {0, "bad magic"};
  uint32_t version = get32(&fixed[8]);
  if (version != kVersion) return {0, "unsupported version " + std::to_string(version)};
  uint64_t want = kFixedHeader + 8;
  const std::byte* lengths = &fixed[kFixedHeader - 4 * kIdentityStrings.size()];
  for (size_t i = 0; i < kIdentityStrings.size(); ++i) {
    uint32_t n = get32(lengths + 4 * i);
    if (n > kMaxStringLen) return {0, "bad header length"};
    want += n;
  }
  uint32_t length = get32(&fixed[kHeaderLenOffset]);
  // Exactly the strings, or the strings and a URL tail (u32 length | URL).
  if (length != want && (length < want + 4 || length > want + 4 + kMaxStringLen))
    return {0, "bad header length"};
  return {length, {}};
}

std::optional<SidecarHeader> decode_header(std::span<const std::byte> hb, uint64_t& checksum) {
  if (hb.size() < kFixedHeader + 8) return std::nullopt;
  checksum = get64(&hb[hb.size() - 8]);
  if (XXH64(hb.data(), hb.size() - 8, 0) != checksum) return std::nullopt;
  SidecarHeader h;
  size_t at = 16;
  h.logical_size = get64(&hb[at]);
  at += 8;
  for (const NumberField& f : kIdentityNumbers) {
    f.set(h.identity, get64(&hb[at]));
    at += 8;
  }
  size_t text = kFixedHeader;
  for (auto field : kIdentityStrings) {
    uint32_t n = get32(&hb[at]);
    at += 4;
    if (text + n > hb.size() - 8) return std::nullopt;
    (h.identity.*field).assign(reinterpret_cast<const char*>(&hb[text]), n);
    text += n;
  }
  const size_t end = hb.size() - 8;
  if (text != end) {  // the URL tail
    if (text + 4 > end) return std::nullopt;
    const uint32_t n = get32(&hb[text]);
    if (n > kMaxStringLen || text + 4 + n != end) return std::nullopt;
    h.identity.url.assign(reinterpret_cast<const char*>(&hb[text + 4]), n);
  }
  version_out_of_slot(h.identity);
  return h;
}

void seal_header(std::span<std::byte> header) {
  if (header.size() < 8) return;
  put_le(&header[header.size() - 8], XXH64(header.data(), header.size() - 8, 0), 8);
}

std::array<std::byte, kRecordSize> encode_record(const Record& r, uint64_t seed) {
  std::array<std::byte, kRecordSize> b{};
  put_le(&b[0], r.type, 4);
  put_le(&b[4], r.flags, 4);
  put_le(&b[8], r.range.begin, 8);
  put_le(&b[16], r.range.end, 8);
  put_le(&b[24], r.hash, 8);
  seal_record(b.data(), seed);
  return b;
}

std::optional<Record> decode_record(const std::byte* p, uint64_t seed) {
  if (XXH64(p, kChecksumOffset, seed) != get64(p + kChecksumOffset)) return std::nullopt;
  return Record{get32(p), get32(p + 4), {get64(p + 8), get64(p + 16)}, get64(p + 24)};
}

void seal_record(std::byte* p, uint64_t seed) {
  put_le(p + kChecksumOffset, XXH64(p, kChecksumOffset, seed), 8);
}

}  // namespace sparseio::sidecar_codec
