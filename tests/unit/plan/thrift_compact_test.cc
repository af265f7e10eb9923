// The Thrift compact protocol reader under the Parquet planner
// (lib/plan/thrift_compact): inputs are built byte by byte after the
// protocol's specification, so each case states the encoding it checks —
// field headers (short delta and long form), zigzag varints, binaries, lists,
// skipping every type — and the errors for truncated or hostile input,
// which name the absolute file offset.
#include "plan/thrift_compact.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "plan/plan_types.h"

using namespace sparseio;
using namespace sparseio::plan;
using R = CompactReader;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

void append(std::vector<std::byte>& b, std::initializer_list<int> v) {
  for (int x : v) b.push_back(static_cast<std::byte>(x));
}

// The FormatError message of f(), or "no error".
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "no error";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("thrift compact: short field headers add their delta to the last id") {
  // field 1 i32, field 3 binary (delta 2), field 4 list (delta 1), stop
  auto b = bytes({0x15, 0x28, 0x19, 0x00});
  R r(b, 0);
  int16_t last = 0;
  R::Field f = r.field(last);
  CHECK(f.id == 1);
  CHECK(f.type == R::kI32);
  CHECK(last == 1);
  f = r.field(last);
  CHECK(f.id == 3);
  CHECK(f.type == R::kBinary);
  f = r.field(last);
  CHECK(f.id == 4);
  CHECK(f.type == R::kList);
  f = r.field(last);
  CHECK(f.type == R::kStop);
  CHECK(last == 4);  // a stop leaves the last id alone
  CHECK(r.offset() == 4);
}

TEST_CASE("thrift compact: a zero delta is followed by the id as a zigzag i16") {
  // type i64, delta 0, then zigzag(300) = 600 = 0xd8 0x04; then zigzag(-2) = 3
  auto b = bytes({0x06, 0xd8, 0x04, 0x05, 0x03});
  R r(b, 0);
  int16_t last = 7;
  R::Field f = r.field(last);
  CHECK(f.id == 300);
  CHECK(f.type == R::kI64);
  CHECK(last == 300);
  f = r.field(last);
  CHECK(f.id == -2);
  CHECK(f.type == R::kI32);
}

TEST_CASE("thrift compact: integers are zigzag varints, bytes are raw") {
  std::vector<std::byte> b;
  append(b, {0x00});                                                        // 0
  append(b, {0x01});                                                        // -1
  append(b, {0x02});                                                        // 1
  append(b, {0xac, 0x02});                                                  // zigzag 300 -> 150
  append(b, {0xff, 0xff, 0x03});                                            // zigzag 65535 -> -32768
  append(b, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});  // 2^64-1 -> INT64_MIN
  append(b, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});  // 2^64-2 -> INT64_MAX
  append(b, {0xff});                                                        // byte -1
  append(b, {0x7f});                                                        // byte 127
  R r(b, 0);
  CHECK(r.integer(R::kI32) == 0);
  CHECK(r.integer(R::kI16) == -1);
  CHECK(r.integer(R::kI64) == 1);
  CHECK(r.integer(R::kI32) == 150);
  CHECK(r.integer(R::kI16) == -32768);
  CHECK(r.integer(R::kI64) == INT64_MIN);
  CHECK(r.integer(R::kI64) == INT64_MAX);
  CHECK(r.integer(R::kByte) == -1);
  CHECK(r.integer(R::kByte) == 127);
  CHECK(r.offset() == b.size());
}

TEST_CASE("thrift compact: binaries are a varint length and the bytes") {
  std::vector<std::byte> b;
  append(b, {0x05, 'h', 'e', 'l', 'l', 'o', 0x00});
  std::string long_one(200, 'x');
  append(b, {0xc8, 0x01});  // 200
  for (char c : long_one) b.push_back(static_cast<std::byte>(c));
  R r(b, 0);
  CHECK(r.binary() == "hello");
  CHECK(r.binary().empty());
  CHECK(r.binary() == long_one);
  CHECK(r.offset() == b.size());
}

TEST_CASE("thrift compact: list headers, short and long sizes") {
  // 3 i32s (short form), then a list of 20 bytes (size 15 -> varint 20)
  std::vector<std::byte> b;
  append(b, {0x35, 0x02, 0x04, 0x06});
  append(b, {0xf3, 0x14});
  for (int i = 0; i < 20; ++i) append(b, {i});
  R r(b, 0);
  R::ListHeader h = r.list();
  CHECK(h.elem == R::kI32);
  CHECK(h.size == 3);
  for (int64_t want : {1, 2, 3}) CHECK(r.integer(h.elem) == want);
  h = r.list();
  CHECK(h.elem == R::kByte);
  CHECK(h.size == 20);
  for (int i = 0; i < 20; ++i) CHECK(r.integer(h.elem) == i);
  CHECK(r.offset() == b.size());
}

TEST_CASE("thrift compact: skip steps over every type to the same next byte") {
  std::vector<std::byte> b;
  append(b, {0x11});                                            // struct: field 1 true
  append(b, {0x12});                                            // field 2 false
  append(b, {0x13, 0x80});                                      // field 3 byte
  append(b, {0x14, 0x80, 0x01});                                // field 4 i16 (2-byte varint)
  append(b, {0x17, 1, 2, 3, 4, 5, 6, 7, 8});                    // field 5 double
  append(b, {0x18, 0x02, 'h', 'i'});                            // field 6 binary
  append(b, {0x19, 0x21, 0x01, 0x02});                          // field 7 list<bool> of 2
  append(b, {0x1a, 0x28, 0x01, 'a', 0x01, 'b'});                // field 8 set<binary> of 2
  append(b, {0x1b, 0x02, 0x55, 0x02, 0x04, 0x06, 0x08});        // field 9 map<i32,i32> of 2
  append(b, {0x1b, 0x00});                                      // field 10 empty map (no kv byte)
  append(b, {0x1c, 0x15, 0x02, 0x1c, 0x16, 0x04, 0x00, 0x00});  // field 11 struct{i32, struct{i64}}
  append(b, {0x00});                                            // stop
  const size_t end = b.size();
  append(b, {0x2a});  // what follows the struct
  R r(b, 0);
  r.skip(R::kStruct);
  CHECK(r.offset() == end);
  CHECK(r.integer(R::kByte) == 0x2a);

  // Each scalar on its own.
  auto one = bytes({0x01, 0x99});
  R t(one, 0);
  t.skip(R::kTrue);
  t.skip(R::kFalse);
  CHECK(t.offset() == 0);  // booleans outside lists live in the field header
  t.skip(R::kByte);
  CHECK(t.offset() == 1);
}

TEST_CASE("thrift compact: truncated input fails naming the absolute offset") {
  // base 1000: offsets in messages are file offsets
  auto empty = bytes({});
  CHECK(has(error_of([&] {
              R r(empty, 1000);
              int16_t last = 0;
              r.field(last);
            }),
            "parquet: at offset 1000: expected more metadata"));
  auto cut_varint = bytes({0x80, 0x80});  // continuation bit set, then nothing
  CHECK(has(error_of([&] {
              R r(cut_varint, 1000);
              r.integer(R::kI64);
            }),
            "at offset 1002"));
  auto cut_binary = bytes({0x05, 'a', 'b'});  // says 5 bytes, has 2
  CHECK(has(error_of([&] {
              R r(cut_binary, 1000);
              r.binary();
            }),
            "a string of 5 bytes within the footer"));
  auto cut_double = bytes({1, 2, 3});
  CHECK(has(error_of([&] {
              R r(cut_double, 0);
              r.skip(R::kDouble);
            }),
            "an 8-byte double"));
  auto cut_struct = bytes({0x15, 0x02});  // a field, then no stop
  CHECK(has(error_of([&] {
              R r(cut_struct, 0);
              r.skip(R::kStruct);
            }),
            "the footer ends"));
  auto cut_long_id = bytes({0x05});  // long-form header without its id
  CHECK(has(error_of([&] {
              R r(cut_long_id, 0);
              int16_t last = 0;
              r.field(last);
            }),
            "the footer ends"));
}

TEST_CASE("thrift compact: hostile counts, types and lengths are refused") {
  auto long_varint = bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  CHECK(has(error_of([&] {
              R r(long_varint, 0);
              r.integer(R::kI64);
            }),
            "a varint of at most 10 bytes"));
  // a list claiming 1000 i32 elements in 3 bytes
  auto big_list = bytes({0xf5, 0xe8, 0x07, 0x00});
  CHECK(has(error_of([&] {
              R r(big_list, 0);
              r.list();
            }),
            "a list of 1000 elements"));
  // ...but a bool list's count is not checked against bytes left by list()
  auto bool_list = bytes({0xf1, 0xe8, 0x07});
  R bl(bool_list, 0);
  CHECK(bl.list().size == 1000);
  auto big_map = bytes({0xe8, 0x07, 0x55});
  CHECK(has(error_of([&] {
              R r(big_map, 0);
              r.skip(R::kMap);
            }),
            "a map of 1000 entries"));
  auto bad_field_type = bytes({0x1d});  // type 13
  CHECK(has(error_of([&] {
              R r(bad_field_type, 0);
              int16_t last = 0;
              r.field(last);
            }),
            "a field type (1-12), found 13"));
  auto any = bytes({0x00});
  CHECK(has(error_of([&] {
              R r(any, 0);
              r.skip(13);
            }),
            "a Thrift type (1-12), found 13"));
  CHECK(has(error_of([&] {
              R r(any, 0);
              r.integer(R::kBinary);
            }),
            "an integer field, found type 8"));
  CHECK(has(error_of([&] {
              R r(any, 0);
              r.skip(R::kStop);
            }),
            "found 0"));
}

TEST_CASE("thrift compact: nesting is bounded") {
  // 100 nested struct fields (field 1, type struct), never closed
  std::vector<std::byte> deep(100, std::byte{0x1c});
  deep.insert(deep.end(), 100, std::byte{0x00});
  CHECK(has(error_of([&] {
              R r(deep, 0);
              r.skip(R::kStruct);
            }),
            "nesting of at most 64 levels"));
  // 10 levels are fine
  std::vector<std::byte> shallow(10, std::byte{0x1c});
  shallow.insert(shallow.end(), 11, std::byte{0x00});
  R r(shallow, 0);
  r.skip(R::kStruct);
  CHECK(r.offset() == shallow.size());
}
