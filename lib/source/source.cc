#include "source/source.h"

#include <fmt/format.h>

#include <memory>
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
// Reads r in buffer-sized steps with `read` (short only at end of object)
// and hands each step to out.write(); `name` names the object in errors.
template <typename Read>
void copy_through_buffer(ByteRange r, Read&& read, const std::string& name, ExtentWriter& out) {
  std::vector<std::byte>& buf = thread_buffer();
  for (uint64_t pos = r.begin; pos < r.end;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), r.end - pos));
    size_t got = read(pos, std::span(buf.data(), want));
    if (got < want)
      throw Error(fmt::format("{} ended early at offset {}: was it truncated?", name, pos + got));
    out.write(pos, std::span<const std::byte>(buf.data(), got));
    pos += got;
  }
}

}  // namespace

std::string describe_identity_change(const SourceIdentity& was, const SourceIdentity& now) {
  std::vector<std::string> parts;
  if (was.size != now.size) parts.push_back(fmt::format("size {} -> {}", was.size, now.size));
  if (was.mtime_ns != now.mtime_ns) parts.push_back("modification time changed");
  if (was.device != now.device || was.inode != now.inode) parts.push_back("it is a different file");
  if (was.etag != now.etag) parts.push_back(fmt::format("ETag {} -> {}", was.etag, now.etag));
  if (was.last_modified != now.last_modified)
    parts.push_back(fmt::format("Last-Modified {} -> {}", was.last_modified, now.last_modified));
  return fmt::format("{}", fmt::join(parts, ", "));
}

void ExtentWriter::copy_from_fd(int fd, const std::string& path, ByteRange r) {
  copy_through_buffer(
      r, [&](uint64_t pos, std::span<std::byte> buf) { return pread_full(fd, buf, pos, path); }, path, *this);
}

void Source::fetch_into(ByteRange r, ExtentWriter& out) {
  copy_through_buffer(
      r, [&](uint64_t pos, std::span<std::byte> buf) { return read_at(pos, buf); }, name(), out);
}

}  // namespace sparseio
