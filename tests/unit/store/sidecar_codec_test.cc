// The sidecar's byte format (lib/store/sidecar_codec): little-endian
// integers, the header (with and without its URL tail) and the fixed-size
// records survive encode/decode; the layout is the one the header comment
// states; any truncation or flipped byte is caught by header_length or a
// checksum, and seal_* make an edited part valid again (as the fuzz helpers
// rely on).
#include "store/sidecar_codec.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace sparseio;
using namespace sparseio::sidecar_codec;

namespace {

SidecarHeader sample_header(std::string url = {}) {
  SidecarHeader h;
  h.logical_size = 0x0102030405060708ull;
  h.identity.size = 0x0102030405060708ull;
  h.identity.mtime_ns = -1234567890123;
  h.identity.device = 42;
  h.identity.inode = 0xfedcba9876543210ull;
  h.identity.etag = "\"etag-1\"";
  h.identity.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  h.identity.url = std::move(url);
  return h;
}

std::span<const std::byte> fixed_part(const std::vector<std::byte>& b) { return {b.data(), kFixedHeader}; }

}  // namespace

TEST_CASE("sidecar codec: integers are little-endian") {
  std::vector<std::byte> b;
  put32(b, 0x11223344u);
  put64(b, 0x0102030405060708ull);
  REQUIRE(b.size() == 12);
  CHECK(b[0] == std::byte{0x44});
  CHECK(b[3] == std::byte{0x11});
  CHECK(b[4] == std::byte{0x08});
  CHECK(b[11] == std::byte{0x01});
  CHECK(get32(b.data()) == 0x11223344u);
  CHECK(get64(b.data() + 4) == 0x0102030405060708ull);
  std::vector<std::byte> top;
  put64(top, ~0ull);
  put32(top, ~0u);
  CHECK(get64(top.data()) == ~0ull);
  CHECK(get32(top.data() + 8) == ~0u);
}

TEST_CASE("sidecar codec: a header without a URL round-trips, laid out as documented") {
  const SidecarHeader h = sample_header();
  std::vector<std::byte> b = encode_header(h);
  const size_t strings = h.identity.etag.size() + h.identity.last_modified.size();
  REQUIRE(b.size() == kFixedHeader + strings + 8);
  CHECK(std::memcmp(b.data(), kMagic, 8) == 0);
  CHECK(get32(&b[8]) == kVersion);
  CHECK(get32(&b[kHeaderLenOffset]) == b.size());
  CHECK(get64(&b[16]) == h.logical_size);
  CHECK(get64(&b[24]) == h.identity.size);  // the first identity number
  CHECK(get32(&b[kFixedHeader - 8]) == h.identity.etag.size());
  CHECK(std::string(reinterpret_cast<const char*>(&b[kFixedHeader]), h.identity.etag.size()) ==
        h.identity.etag);

  HeaderLength len = header_length(fixed_part(b));
  CHECK(len.error.empty());
  CHECK(len.length == b.size());
  uint64_t seed = 0;
  auto back = decode_header(b, seed);
  REQUIRE(back.has_value());
  CHECK(back->logical_size == h.logical_size);
  CHECK(back->identity == h.identity);
  CHECK(seed == get64(&b[b.size() - 8]));
}

TEST_CASE("sidecar codec: the URL is an optional tail after the strings") {
  const SidecarHeader with = sample_header("https://example.com/obj");
  std::vector<std::byte> b = encode_header(with);
  const std::vector<std::byte> without = encode_header(sample_header());
  CHECK(b.size() == without.size() + 4 + with.identity.url.size());
  CHECK(get32(&b[8]) == kVersion);  // no version bump for the tail
  HeaderLength len = header_length(fixed_part(b));
  CHECK(len.error.empty());
  CHECK(len.length == b.size());
  uint64_t seed = 0;
  auto back = decode_header(b, seed);
  REQUIRE(back.has_value());
  CHECK(back->identity.url == with.identity.url);
  CHECK(back->identity == with.identity);
  // Empty strings and no URL: the smallest header.
  SidecarHeader bare;
  std::vector<std::byte> small = encode_header(bare);
  CHECK(small.size() == kFixedHeader + 8);
  auto bare_back = decode_header(small, seed);
  REQUIRE(bare_back.has_value());
  CHECK(bare_back->identity == bare.identity);
}

TEST_CASE("sidecar codec: header_length says why a fixed part is implausible") {
  std::vector<std::byte> b = encode_header(sample_header());
  CHECK(header_length({b.data(), kFixedHeader - 1}).error == "too short");

  std::vector<std::byte> magic = b;
  magic[0] = std::byte{'X'};
  CHECK(header_length(fixed_part(magic)).error == "bad magic");

  std::vector<std::byte> version = b;
  version[8] = std::byte{2};
  CHECK(header_length(fixed_part(version)).error == "unsupported version 2");

  std::vector<std::byte> string_len = b;  // etag length beyond the limit
  string_len[kFixedHeader - 8 + 2] = std::byte{0x10};
  CHECK(header_length(fixed_part(string_len)).error == "bad header length");

  std::vector<std::byte> total = b;  // header length off by one
  total[kHeaderLenOffset] = static_cast<std::byte>(std::to_integer<int>(total[kHeaderLenOffset]) + 1);
  CHECK(header_length(fixed_part(total)).error == "bad header length");
  CHECK(header_length(fixed_part(total)).length == 0);
}

TEST_CASE("sidecar codec: a truncated or altered header does not decode") {
  const std::vector<std::byte> b = encode_header(sample_header("https://h/o"));
  uint64_t seed = 0;
  for (size_t cut : {size_t{0}, kFixedHeader, kFixedHeader + 7, b.size() - 1}) {
    CAPTURE(cut);
    CHECK_FALSE(decode_header({b.data(), cut}, seed).has_value());
  }
  for (size_t i = 0; i < b.size(); ++i) {
    std::vector<std::byte> flipped = b;
    flipped[i] ^= std::byte{0x01};
    CAPTURE(i);
    CHECK_FALSE(decode_header(flipped, seed).has_value());
  }
}

TEST_CASE("sidecar codec: seal_header makes an edited header valid again") {
  std::vector<std::byte> b = encode_header(sample_header());
  b[16] = std::byte{0x99};  // the low byte of logical_size
  uint64_t seed = 0;
  CHECK_FALSE(decode_header(b, seed).has_value());
  seal_header(b);
  auto back = decode_header(b, seed);
  REQUIRE(back.has_value());
  CHECK(back->logical_size == 0x0102030405060799ull);
  // A sealed header whose string lengths overrun it still fails to decode.
  std::vector<std::byte> lying = encode_header(sample_header());
  lying[kFixedHeader - 8 + 1] = std::byte{0x01};  // etag length + 256
  seal_header(lying);
  CHECK_FALSE(decode_header(lying, seed).has_value());
}

TEST_CASE("sidecar codec: records round-trip under their seed") {
  const Record r{kPresent, kHashed | kSynced, ByteRange{4096, 1ull << 40}, 0xdeadbeefcafef00dull};
  const uint64_t seed = 0x1234;
  auto b = encode_record(r, seed);
  CHECK(get32(&b[0]) == kPresent);
  CHECK(get32(&b[4]) == (kHashed | kSynced));
  CHECK(get64(&b[8]) == 4096);
  CHECK(get64(&b[16]) == 1ull << 40);
  CHECK(get64(&b[24]) == r.hash);
  auto back = decode_record(b.data(), seed);
  REQUIRE(back.has_value());
  CHECK(back->type == r.type);
  CHECK(back->flags == r.flags);
  CHECK(back->range == r.range);
  CHECK(back->hash == r.hash);
  // The seed ties a record to its header: another seed rejects it.
  CHECK_FALSE(decode_record(b.data(), seed + 1).has_value());
  for (uint32_t type : {kEvicted, kSession}) {
    auto e = encode_record(Record{type, 0, ByteRange{0, 1}, 0}, seed);
    REQUIRE(decode_record(e.data(), seed).has_value());
    CHECK(decode_record(e.data(), seed)->type == type);
  }
}

TEST_CASE("sidecar codec: a flipped record byte is caught, seal_record accepts the edit") {
  const uint64_t seed = 77;
  const auto good = encode_record(Record{kPresent, 0, ByteRange{10, 20}, 5}, seed);
  for (size_t i = 0; i < kRecordSize; ++i) {
    auto bad = good;
    bad[i] ^= std::byte{0x80};
    CAPTURE(i);
    CHECK_FALSE(decode_record(bad.data(), seed).has_value());
  }
  auto edited = good;
  edited[8] = std::byte{11};  // begin 10 -> 11
  seal_record(edited.data(), seed);
  auto back = decode_record(edited.data(), seed);
  REQUIRE(back.has_value());
  CHECK(back->range == ByteRange{11, 20});
}
