// A small reader of the Thrift compact protocol, enough to walk Parquet's
// FileMetaData: varints, zigzag integers, binaries, field headers, lists, and
// skipping anything else. Bounded: every read checks the buffer, nesting is
// limited, and an error names the absolute file offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sparseio::plan {

class CompactReader {
 public:
  enum Type : uint8_t {
    kStop = 0,
    kTrue = 1,
    kFalse = 2,
    kByte = 3,
    kI16 = 4,
    kI32 = 5,
    kI64 = 6,
    kDouble = 7,
    kBinary = 8,
    kList = 9,
    kSet = 10,
    kMap = 11,
    kStruct = 12,
  };
  struct Field {
    int16_t id = 0;
    uint8_t type = kStop;
  };
  struct ListHeader {
    uint8_t elem = 0;
    uint64_t size = 0;
  };

  // `base` is the file offset of data[0], for messages.
  CompactReader(std::span<const std::byte> data, uint64_t base) : data_(data), base_(base) {}

  // The next field header of the current struct; `last` is the previous
  // field id of that struct (0 at its start). type kStop ends the struct.
  Field field(int16_t& last);
  int64_t integer(uint8_t type);  // kByte, kI16, kI32 or kI64
  std::string binary();
  ListHeader list();
  void skip(uint8_t type, int depth = 0);

  // Throws FormatError "parquet: at offset N: expected WHAT".
  [[noreturn]] void fail(std::string_view what) const;
  uint64_t offset() const { return base_ + pos_; }

 private:
  uint8_t byte();
  uint64_t varint();

  std::span<const std::byte> data_;
  uint64_t base_;
  size_t pos_ = 0;
};

}  // namespace sparseio::plan
