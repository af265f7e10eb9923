#include "store/under_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "core/errors.h"
#include "core/relative_name.h"
#include "core/unique_fd.h"
#include "store/sidecar.h"

namespace sparseio {

std::string prepare_under(const std::string& dir, const std::string& name) {
  if (auto why = relative_name_problem(name))
    throw UsageError(fmt::format("refusing the name \"{}\" below {}: {}", message_excerpt(name), dir, *why));
  UniqueFd at(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!at.valid())
    throw_errno(fmt::format("cannot open directory {}", dir), errno, ErrorKind::kDestinationUnwritable);
  const std::vector<std::string> segs = name_segments(name);
  std::string walked = dir;
  for (size_t i = 0; i + 1 < segs.size(); ++i) {
    walked += "/" + segs[i];
    if (::mkdirat(at.get(), segs[i].c_str(), 0755) != 0 && errno != EEXIST)
      throw_errno(fmt::format("cannot create directory {}", walked), errno,
                  ErrorKind::kDestinationUnwritable);
    UniqueFd next(::openat(at.get(), segs[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      const int err = errno;
      struct stat st {};
      if (::fstatat(at.get(), segs[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        throw DestinationConflictError(fmt::format(
            "{} is a symbolic link; sparseio does not create files through a link below {}", walked, dir));
      if (err == ENOTDIR)
        throw DestinationConflictError(
            fmt::format("{} is not a directory (needed for {}/{})", walked, dir, name));
      throw_errno(fmt::format("cannot open directory {}", walked), err, ErrorKind::kDestinationUnwritable);
    }
    at = std::move(next);
  }
  struct stat st {};
  if (::fstatat(at.get(), segs.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    throw DestinationConflictError(fmt::format(
        "{}/{} is a symbolic link; sparseio does not write through a link below {}", dir, name, dir));
  return dir + "/" + name;
}

std::string find_sidecar(const std::string& dst) {
  namespace fs = std::filesystem;
  const std::string beside = Sidecar::path_for(dst);
  std::error_code ec;
  if (fs::exists(beside, ec)) return beside;
  const fs::path full = fs::absolute(dst, ec).lexically_normal();
  if (ec) return beside;
  fs::path rel = full.filename();
  for (fs::path dir = full.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    const fs::path candidate = dir / std::string(kSidecarDir) / (rel.string() + ".sparseio");
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    if (dir == dir.parent_path()) break;  // the root
    rel = dir.filename() / rel;
  }
  return beside;
}

}  // namespace sparseio
