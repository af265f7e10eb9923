#include "core/block.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>

#include "core/errors.h"

namespace sparseio {

ByteRange whole_blocks_inside(ByteRange r, uint64_t block) {
  if (r.empty()) return {r.begin, r.begin};
  uint64_t begin = align_up(r.begin, block);
  uint64_t end = align_down(r.end, block);
  if (end <= begin) return {begin, begin};
  return {begin, end};
}

ByteRange blocks_around(ByteRange r, uint64_t block) {
  if (r.empty()) return {r.begin, r.begin};
  return {align_down(r.begin, block), align_up(r.end, block)};
}

uint64_t block_size_of(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(fmt::format("cannot stat {}", path), errno);
  return st.st_blksize > 0 ? static_cast<uint64_t>(st.st_blksize) : 4096;
}

PunchResult punch_hole(int fd, ByteRange r, uint64_t block, const std::string& path) {
  ByteRange whole = whole_blocks_inside(r, block);
  if (whole.empty()) return PunchResult::kNothingToPunch;
  int rc;
  do {
    rc = ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(whole.begin),
                     static_cast<off_t>(whole.size()));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return PunchResult::kPunched;
  if (errno == EOPNOTSUPP || errno == ENOTSUP || errno == ENOSYS) return PunchResult::kUnsupported;
  throw_errno(fmt::format("cannot punch hole in {} at {}+{}", path, whole.begin, whole.size()), errno);
}

}  // namespace sparseio
