#include "core/file_io.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/errors.h"

namespace sparseio {

size_t pread_full(int fd, std::span<std::byte> buf, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(fmt::format("cannot read {} at offset {}", path, offset + done), errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void pwrite_full(int fd, std::span<const std::byte> buf, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pwrite(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(fmt::format("cannot write {} at offset {}", path, offset + done), errno);
    }
    done += static_cast<size_t>(n);
  }
}

std::vector<ByteRange> data_extents(int fd, ByteRange r, const std::string& path) {
  std::vector<ByteRange> out;
  uint64_t pos = r.begin;
  while (pos < r.end) {
    off_t data = ::lseek(fd, static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) {
        // No data at or after pos: the rest of r is a hole, unless the file
        // now ends before r does (truncated while being read). Zeros read
        // from past its end would be claimed as its bytes.
        if (uint64_t size = file_size(fd, path); size < r.end)
          throw SourceChangedError(fmt::format(
              "{} shrank during the run: it now ends at offset {}, before {}", path, size, r.end));
        break;
      }
      if (errno == EINVAL || errno == EOPNOTSUPP) return {r};
      throw_errno(fmt::format("cannot seek in {} at offset {}", path, pos), errno);
    }
    uint64_t begin = static_cast<uint64_t>(data);
    if (begin >= r.end) break;
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) throw_errno(fmt::format("cannot seek in {} at offset {}", path, begin), errno);
    uint64_t end = std::min<uint64_t>(static_cast<uint64_t>(hole), r.end);
    out.push_back({begin, end});
    pos = end;
  }
  return out;
}

size_t count_data_segments(int fd, const std::string& path) {
  return data_extents(fd, {0, file_size(fd, path)}, path).size();
}

uint64_t allocated_bytes(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(fmt::format("cannot stat {}", path), errno);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void for_each_zero_span(uint64_t n, const std::function<void(std::span<const std::byte>)>& fn) {
  static const std::vector<std::byte> zeros(1 << 16);
  while (n > 0) {
    size_t step = static_cast<size_t>(std::min<uint64_t>(n, zeros.size()));
    fn({zeros.data(), step});
    n -= step;
  }
}

uint64_t file_size(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(fmt::format("cannot stat {}", path), errno);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace sparseio
