#include "source/file_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>

#include "core/errors.h"
#include "core/file_io.h"

namespace sparseio {

FileSource::FileSource(std::string path) : path_(std::move(path)) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  fd_.reset(::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd_.valid()) {
    const int err = errno;
    ErrorKind kind = ErrorKind::kFailure;
    if (err == ENOENT || err == ENOTDIR || err == ELOOP) kind = ErrorKind::kSourceMissing;
    if (err == EACCES || err == EPERM) kind = ErrorKind::kAccessDenied;
    throw_errno(fmt::format("cannot open source {}", path_), err, kind);
  }
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_errno(fmt::format("cannot stat source {}", path_), errno);
  if (S_ISDIR(st.st_mode)) throw Error(fmt::format("source {} is a directory", path_));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    if (::ioctl(fd_.get(), BLKGETSIZE64, &size) != 0)
      throw_errno(fmt::format("cannot get the size of block device {}", path_), errno);
  } else if (S_ISREG(st.st_mode)) {
    regular_ = true;
  } else {
    throw Error(fmt::format("source {} is not a regular file or block device", path_));
  }
  int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd_.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw_errno(fmt::format("cannot set up source {}", path_), errno);
  identity_.size = size;
  identity_.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  identity_.device = st.st_dev;
  identity_.inode = st.st_ino;
}

size_t FileSource::read_at(uint64_t offset, std::span<std::byte> buf) {
  return pread_full(fd_.get(), buf, offset, path_);
}

void FileSource::fetch_into(ByteRange r, ExtentWriter& out, LinkObserver&) {
  uint64_t pos = r.begin;
  for (const ByteRange& data : data_extents(fd_.get(), r, path_)) {
    if (data.begin > pos) out.write_zeros({pos, data.begin});
    out.copy_from_fd(fd_.get(), path_, data);
    pos = data.end;
  }
  if (pos < r.end) out.write_zeros({pos, r.end});
  // The piece is claimed after this returns: a file that was cut short or
  // written to meanwhile has not delivered r as it was when opened, whatever
  // the reads above saw (a long-lived handle reads long after the open). One
  // fstat per piece; a write in the same timestamp tick as the open is the
  // one change it cannot see.
  if (!regular_) return;
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_errno(fmt::format("cannot stat source {}", path_), errno);
  if (const auto size = static_cast<uint64_t>(st.st_size); size < r.end)
    throw SourceChangedError(
        fmt::format("{} shrank during the run: it now ends at offset {}, before {}", path_, size, r.end));
  const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime_ns != identity_.mtime_ns) {
    out.discard_from(r.begin);  // when it changed, no byte of r can be told good
    throw SourceChangedError(
        fmt::format("{} was modified after it was opened: its bytes are not the ones "
                    "recorded (its modification time changed)",
                    path_));
  }
}

}  // namespace sparseio
