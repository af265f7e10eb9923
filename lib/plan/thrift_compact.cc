// Thrift compact protocol, after the Thrift specification's
// doc/specs/thrift-compact-protocol.md.
#include "plan/thrift_compact.h"

#include <fmt/format.h>

#include "plan/plan_types.h"

namespace sparseio::plan {
namespace {

// Parquet metadata nests about 5 deep; 64 is generous and keeps a hostile
// footer from exhausting the stack.
constexpr int kMaxDepth = 64;

}  // namespace

void CompactReader::fail(std::string_view what) const {
  throw FormatError(fmt::format("parquet: at offset {}: expected {}", offset(), what));
}

uint8_t CompactReader::byte() {
  if (pos_ >= data_.size()) fail("more metadata, but the footer ends");
  return std::to_integer<uint8_t>(data_[pos_++]);
}

uint64_t CompactReader::varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = byte();
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail("a varint of at most 10 bytes");
}

CompactReader::Field CompactReader::field(int16_t& last) {
  uint8_t b = byte();
  Field f;
  f.type = b & 0x0f;
  if (f.type == kStop) return f;
  const uint8_t delta = b >> 4;
  if (delta) {
    f.id = static_cast<int16_t>(last + delta);
  } else {
    f.id = static_cast<int16_t>(integer(kI16));
  }
  if (f.type > kStruct) fail(fmt::format("a field type (1-12), found {}", f.type));
  last = f.id;
  return f;
}

int64_t CompactReader::integer(uint8_t type) {
  if (type == kByte) return static_cast<int8_t>(byte());
  if (type != kI16 && type != kI32 && type != kI64)
    fail(fmt::format("an integer field, found type {}", type));
  uint64_t z = varint();
  return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
}

std::string CompactReader::binary() {
  uint64_t n = varint();
  if (n > data_.size() - pos_) fail(fmt::format("a string of {} bytes within the footer", n));
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return s;
}

CompactReader::ListHeader CompactReader::list() {
  uint8_t b = byte();
  ListHeader h{static_cast<uint8_t>(b & 0x0f), static_cast<uint64_t>(b >> 4)};
  if (h.size == 15) h.size = varint();
  // Every element takes at least one byte: a larger count is a lie.
  if (h.size > data_.size() - pos_ && h.elem != kTrue && h.elem != kFalse)
    fail(fmt::format("a list of {} elements within the footer", h.size));
  return h;
}

void CompactReader::skip(uint8_t type, int depth) {
  if (depth > kMaxDepth) fail(fmt::format("nesting of at most {} levels", kMaxDepth));
  switch (type) {
    case kTrue:
    case kFalse:
      return;
    case kByte:
      byte();
      return;
    case kI16:
    case kI32:
    case kI64:
      varint();
      return;
    case kDouble:
      if (data_.size() - pos_ < 8) fail("an 8-byte double");
      pos_ += 8;
      return;
    case kBinary:
      binary();
      return;
    case kList:
    case kSet: {
      ListHeader h = list();
      for (uint64_t i = 0; i < h.size; ++i) {
        if (h.elem == kTrue || h.elem == kFalse) {
          byte();  // booleans in a list take a byte each
        } else {
          skip(h.elem, depth + 1);
        }
      }
      return;
    }
    case kMap: {
      uint64_t n = varint();
      if (n == 0) return;
      if (n > data_.size() - pos_) fail(fmt::format("a map of {} entries within the footer", n));
      uint8_t kv = byte();
      for (uint64_t i = 0; i < n; ++i) {
        skip(kv >> 4, depth + 1);
        skip(kv & 0x0f, depth + 1);
      }
      return;
    }
    case kStruct: {
      int16_t last = 0;
      for (;;) {
        Field f = field(last);
        if (f.type == kStop) return;
        skip(f.type, depth + 1);
      }
    }
    default:
      fail(fmt::format("a Thrift type (1-12), found {}", type));
  }
}

}  // namespace sparseio::plan
