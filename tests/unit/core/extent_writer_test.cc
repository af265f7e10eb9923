// copy_through_buffer and ExtentWriter::copy_from_fd: bytes arrive at their
// offsets in pieces of at most the buffer, and an early end of the object is
// a SourceChangedError naming the object and the offset where it ended.
#include "core/extent_writer.h"

#include <doctest/doctest.h>
#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/unique_fd.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::Error;
using sparseio::test::pattern_bytes;

namespace {

// Keeps what was written, by offset, into one flat image.
class RecordingWriter : public sparseio::ExtentWriter {
 public:
  explicit RecordingWriter(size_t size) : image(size) {}
  void write(uint64_t offset, std::span<const std::byte> data) override {
    REQUIRE(offset + data.size() <= image.size());
    std::copy(data.begin(), data.end(), image.begin() + static_cast<ptrdiff_t>(offset));
    written += data.size();
    largest_piece = std::max(largest_piece, data.size());
  }
  void write_zeros(ByteRange) override { FAIL("unexpected write_zeros"); }
  std::vector<std::byte> image;
  size_t written = 0;
  size_t largest_piece = 0;
};

// A PositionedRead over `data`.
sparseio::PositionedRead reader_of(const std::vector<std::byte>& data) {
  return [&data](uint64_t offset, std::span<std::byte> buf) -> size_t {
    if (offset >= data.size()) return 0;
    size_t n = std::min<size_t>(buf.size(), data.size() - offset);
    std::memcpy(buf.data(), data.data() + offset, n);
    return n;
  };
}

}  // namespace

TEST_CASE("copy_through_buffer delivers the range's bytes at their offsets") {
  const size_t size = (3u << 20) + 123;  // more than one 1 MiB buffer, not a multiple of it
  std::vector<std::byte> src = pattern_bytes(0, size);
  RecordingWriter out(size);
  const ByteRange r{100, size - 7};
  sparseio::copy_through_buffer(r, reader_of(src), "src.bin", out);
  CHECK(out.written == r.size());
  CHECK(out.largest_piece <= (1u << 20));
  CHECK(std::equal(src.begin() + 100, src.end() - 7, out.image.begin() + 100));
  CHECK(
      std::all_of(out.image.begin(), out.image.begin() + 100, [](std::byte b) { return b == std::byte{0}; }));
}

TEST_CASE("an early end is a changed source, naming the object and the offset") {
  std::vector<std::byte> src = pattern_bytes(0, 5000);
  RecordingWriter out(10000);
  try {
    sparseio::copy_through_buffer({1000, 10000}, reader_of(src), "/data/src.bin", out);
    FAIL("no error for a truncated source");
  } catch (const Error& e) {
    std::string msg = e.what();
    CHECK(e.kind() == sparseio::ErrorKind::kSourceChanged);  // it shrank: another version
    CHECK_MESSAGE(msg.find("/data/src.bin") != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("offset 5000") != std::string::npos, msg);
  }
}

TEST_CASE("copy_from_fd reads the range of a local file") {
  sparseio::test::TempDir dir;
  const std::string path = dir.file("src");
  std::vector<std::byte> src = pattern_bytes(0, 70000, 7);
  sparseio::test::write_file(path, src);
  sparseio::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.get() >= 0);
  RecordingWriter out(src.size());
  out.copy_from_fd(fd.get(), path, {4096, 65000});
  CHECK(out.written == 65000 - 4096);
  CHECK(std::equal(src.begin() + 4096, src.begin() + 65000, out.image.begin() + 4096));
  // Past the end of the file: the early-end error names the path.
  RecordingWriter more(100000);
  try {
    more.copy_from_fd(fd.get(), path, {60000, 100000});
    FAIL("no error past the end of the file");
  } catch (const sparseio::SourceChangedError& e) {
    std::string msg = e.what();
    CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("offset 70000") != std::string::npos, msg);
  }
}
