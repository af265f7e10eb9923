// The buffered copy behind ExtentWriter::copy_from_fd and Source::fetch_into,
// and the test for a writer's stop.
#include "core/extent_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "core/errors.h"
#include "core/file_io.h"

namespace sparseio {
namespace {
constexpr size_t kCopyBuffer = 1u << 20;

std::vector<std::byte>& thread_buffer() {
  thread_local std::vector<std::byte> buf(kCopyBuffer);
  return buf;
}
}  // namespace

void copy_through_buffer(ByteRange r, const PositionedRead& read, const std::string& name,
                         ExtentWriter& out) {
  std::vector<std::byte>& buf = thread_buffer();
  for (uint64_t pos = r.begin; pos < r.end;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), r.end - pos));
    size_t got = read(pos, std::span(buf.data(), want));
    if (got < want)
      throw SourceChangedError(
          fmt::format("{} shrank during the run: it ends at offset {}, before {}", name, pos + got, r.end));
    out.write(pos, std::span<const std::byte>(buf.data(), got));
    pos += got;
  }
}

bool is_writer_stopped(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const WriterStopped&) {
    return true;
  } catch (...) {
    return false;
  }
}

void ExtentWriter::copy_from_fd(int fd, const std::string& path, ByteRange r) {
  copy_through_buffer(
      r, [&](uint64_t pos, std::span<std::byte> buf) { return pread_full(fd, buf, pos, path); }, path, *this);
}

}  // namespace sparseio
