// Opening a destination: creation, locking, --overwrite/--restart, refusing
// the source itself, and replaying its sidecar (re-checking an earlier
// boot's claims).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/block.h"
#include "core/content_hash.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "store/destination.h"
#include "store/dst_lock.h"

namespace sparseio {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Empties fd and gives it `size` bytes of holes.
void reset_file(int fd, uint64_t size, const std::string& path) {
  if (::ftruncate(fd, 0) != 0 || ::ftruncate(fd, static_cast<off_t>(size)) != 0)
    throw_errno(fmt::format("cannot reset {}", path), errno);
}

// Refuses a DST that is the source itself (the same device and inode, after
// following links): resetting it would destroy the source before it is read.
// A source without an inode (HTTP) has device and inode 0.
void refuse_source_as_destination(const struct stat& st, const SourceIdentity& identity,
                                  const std::string& path) {
  if (identity.inode == 0 && identity.device == 0) return;
  if (static_cast<uint64_t>(st.st_dev) == identity.device &&
      static_cast<uint64_t>(st.st_ino) == identity.inode)
    throw UsageError(
        fmt::format("destination {} is the source itself (same file); sparseio would destroy it", path));
}

// Creates DST and its sidecar when DST does not exist. The sidecar comes
// first, so that no process (nor a rerun after a kill) can ever find a DST
// of ours without its sidecar and take it for a user's file. Creators
// serialize on a flock of the parent directory.
void create_destination(const std::string& path, const std::string& sidecar_path,
                        const SidecarHeader& header) {
  std::string dir = parent_dir(path);
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid())
    throw_errno(fmt::format("cannot open directory {} of {}", dir, path), errno,
                ErrorKind::kDestinationUnwritable);
  lock_file(dir_fd.get(), dir, true);
  if (exists(path)) return;  // another process made it meanwhile
  struct stat link {};
  if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    std::vector<char> target(static_cast<size_t>(link.st_size) + 1);
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size() - 1);
    throw DestinationConflictError(fmt::format(
        "destination {} is a symbolic link to {}, which does not exist; sparseio does not create files "
        "through a link",
        path, n > 0 ? std::string(target.data(), static_cast<size_t>(n)) : std::string("nothing")));
  }
  Sidecar::create(sidecar_path, header);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid())
    throw_errno(fmt::format("cannot create {}", path), errno, ErrorKind::kDestinationUnwritable);
  reset_file(fd.get(), header.logical_size, path);
}

// XXH3 of DST's bytes in r, to re-check a claim after a reboot.
uint64_t hash_extent(int fd, ByteRange r, const std::string& path) {
  ContentHasher hasher;
  std::vector<std::byte> buf(1 << 20);
  for (uint64_t pos = r.begin; pos < r.end;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), r.end - pos));
    if (pread_full(fd, std::span(buf.data(), n), pos, path) != n) return ~hasher.digest();
    hasher.update(std::span(buf.data(), n));
    pos += n;
  }
  return hasher.digest();
}
// A destination is a local path: "https://h/x" would be made as directories
// "https:" and "h" (or fail on them), far from what was meant, which is
// most often a source and destination given the other way round.
void refuse_url_destination(const std::string& path) {
  for (const char* scheme : {"http://", "https://", "s3://"})
    if (path.rfind(scheme, 0) == 0)
      throw UsageError(fmt::format(
          "destination {} is a URL: a destination is a local path (were the source and destination swapped?)",
          path));
}

}  // namespace

Sidecar Destination::replay(const std::string& path, const std::string& sidecar, int fd,
                            CoverageMap& coverage, bool writable) {
  ReplayPolicy policy;
  policy.check_extent = [&](ByteRange r, uint64_t hash) { return hash_extent(fd, r, path) == hash; };
  return Sidecar::open(sidecar, coverage, writable, policy);
}

std::unique_ptr<Destination> Destination::open_for_source(const std::string& path,
                                                          const SourceIdentity& identity,
                                                          const DestinationOptions& options) {
  refuse_url_destination(path);
  const std::string sidecar_path = sidecar_path_of(path, options);
  const SidecarHeader fresh{identity.size, identity};
  auto started = [](Destination* d) {
    std::unique_ptr<Destination> dest(d);
    dest->claims_.begin_writing();
    return dest;
  };
  // Nothing is opened for writing before this check.
  if (struct stat st{}; ::stat(path.c_str(), &st) == 0) refuse_source_as_destination(st, identity, path);
  for (;;) {
    if (!exists(path)) create_destination(path, sidecar_path, fresh);  // then open it as any other
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      throw_errno(fmt::format("cannot open destination {}", path), errno, ErrorKind::kDestinationUnwritable);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno(fmt::format("cannot stat {}", path), errno);
    if (!S_ISREG(st.st_mode))
      throw DestinationConflictError(fmt::format("destination {} is not a regular file", path));
    refuse_source_as_destination(st, identity, path);  // it may have been swapped since the check above
    lock_file(fd.get(), path, options.wait_for_lock, options.control);

    if (!exists(sidecar_path)) {
      if (!options.overwrite)
        throw DestinationConflictError(
            fmt::format("destination {} exists and is not sparseio's (no {}); use --overwrite to replace it",
                        path, sidecar_path));
      // The sidecar first: a kill in between leaves a DST of ours that claims
      // nothing, never a user's file emptied without a trace of why.
      Sidecar sc = Sidecar::create(sidecar_path, fresh);
      reset_file(fd.get(), identity.size, path);
      return started(new Destination(path, std::move(fd), std::move(sc), CoverageMap{}, options));
    }
    CoverageMap coverage;
    std::optional<Sidecar> sc;
    try {
      sc.emplace(replay(path, sidecar_path, fd.get(), coverage, true));
    } catch (const Error&) {
      if (!options.restart) throw;
    }
    // Nothing claimed under another identity: nothing to lose by starting over.
    const bool empty_elsewhere = sc && coverage.empty() && !identity_matches(sc->header().identity, identity);
    if (sc && !options.restart && !empty_elsewhere) {
      if (!identity_matches(sc->header().identity, identity))
        throw SourceChangedError(fmt::format(
            "the source changed since {} was started ({}); use --restart to discard it and start over", path,
            describe_identity_change(sc->header().identity, identity)));
      // Killed between creating DST and sizing it: an empty file, nothing claimed.
      if (file_size(fd.get(), path) == 0 && coverage.empty())
        reset_file(fd.get(), sc->header().logical_size, path);
      if (file_size(fd.get(), path) != sc->header().logical_size)
        throw DestinationConflictError(
            fmt::format("destination {} has size {} but its sidecar says {}; use --restart to start over",
                        path, file_size(fd.get(), path), sc->header().logical_size));
      return started(new Destination(path, std::move(fd), std::move(*sc), std::move(coverage), options));
    }
    // --restart: retire the old claims durably (a new, empty sidecar replaces
    // the old one: fsync, rename, fsync of the directory), and only then
    // discard DST's contents. A kill or failure at any point leaves either
    // the old claims with the old bytes or no claims at all (issue 9, defect 2).
    sc.reset();
    Sidecar fresh_sc = Sidecar::create(sidecar_path, fresh);
    reset_file(fd.get(), identity.size, path);
    return started(new Destination(path, std::move(fd), std::move(fresh_sc), CoverageMap{}, options));
  }
}

std::unique_ptr<Destination> Destination::open_existing(const std::string& path, bool writable,
                                                        bool wait_for_lock, const std::string& sidecar) {
  refuse_url_destination(path);
  UniqueFd fd(::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
  if (!fd.valid()) throw_errno(fmt::format("cannot open destination {}", path), errno);
  const std::string sidecar_path = sidecar.empty() ? Sidecar::path_for(path) : sidecar;
  if (writable) lock_file(fd.get(), path, wait_for_lock);
  if (!exists(sidecar_path))
    throw DestinationConflictError(
        fmt::format("{} is not a sparseio destination (no {})", path, sidecar_path));
  CoverageMap coverage;
  Sidecar sc = replay(path, sidecar_path, fd.get(), coverage, writable);
  std::unique_ptr<Destination> dest(
      new Destination(path, std::move(fd), std::move(sc), std::move(coverage), DestinationOptions{}));
  if (writable) dest->claims_.begin_writing();
  return dest;
}

}  // namespace sparseio
