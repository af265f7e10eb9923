// Opening a destination: creation, locking, --overwrite/--restart, and
// replaying its sidecar (re-checking an earlier boot's claims).
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
#include "core/log.h"
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

// Creates DST and its sidecar when DST does not exist. The sidecar comes
// first, so that no process (nor a rerun after a kill) can ever find a DST
// of ours without its sidecar and take it for a user's file. Creators
// serialize on a flock of the parent directory.
void create_destination(const std::string& path, const SidecarHeader& header) {
  std::string dir = parent_dir(path);
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid())
    throw_errno(fmt::format("cannot open directory {} of {}", dir, path), errno, ErrorKind::kDestinationUnwritable);
  lock_file(dir_fd.get(), dir, true);
  if (exists(path)) return;  // another process made it meanwhile
  Sidecar::create(Sidecar::path_for(path), header);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) throw_errno(fmt::format("cannot create {}", path), errno, ErrorKind::kDestinationUnwritable);
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
}  // namespace

Sidecar Destination::replay(const std::string& path, int fd, CoverageMap& coverage, bool writable) {
  ReplayPolicy policy;
  policy.check_extent = [&](ByteRange r, uint64_t hash) { return hash_extent(fd, r, path) == hash; };
  return Sidecar::open(Sidecar::path_for(path), coverage, writable, policy);
}

void Destination::begin_writing() {
  if (sidecar_.replayed_other_boot()) {
    if (sidecar_.dropped_bytes() > 0)
      log::warn("{}: {} claimed bytes did not survive the last reboot and will be fetched again", path_,
                sidecar_.dropped_bytes());
    // What replay kept is on disk now; record it as synced once and for all.
    if (::fdatasync(fd_.get()) != 0) throw_errno(fmt::format("cannot sync {}", path_), errno);
    sidecar_.compact(coverage_);
  }
  sidecar_.begin_session(current_boot_id());
}

Destination::~Destination() {
  try {
    commit();
  } catch (const std::exception&) {
    // Claims that could not be made durable are simply fetched again.
  }
}

std::unique_ptr<Destination> Destination::open_for_source(const std::string& path,
                                                          const SourceIdentity& identity,
                                                          const DestinationOptions& options) {
  const std::string sidecar_path = Sidecar::path_for(path);
  const SidecarHeader fresh{identity.size, identity};
  auto started = [](Destination* d) {
    std::unique_ptr<Destination> dest(d);
    dest->begin_writing();
    return dest;
  };
  for (;;) {
    if (!exists(path)) create_destination(path, fresh);  // then open it as any other
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      throw_errno(fmt::format("cannot open destination {}", path), errno, ErrorKind::kDestinationUnwritable);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno(fmt::format("cannot stat {}", path), errno);
    if (!S_ISREG(st.st_mode))
      throw DestinationConflictError(fmt::format("destination {} is not a regular file", path));
    lock_file(fd.get(), path, options.wait_for_lock, options.control);

    if (!exists(sidecar_path)) {
      if (!options.overwrite)
        throw DestinationConflictError(
            fmt::format("destination {} exists and is not sparseio's (no {}); use --overwrite to replace it",
                        path, sidecar_path));
      reset_file(fd.get(), identity.size, path);
      Sidecar sc = Sidecar::create(sidecar_path, fresh);
      return started(new Destination(path, std::move(fd), std::move(sc), CoverageMap{}, options));
    }
    CoverageMap coverage;
    std::optional<Sidecar> sc;
    try {
      sc.emplace(replay(path, fd.get(), coverage, true));
    } catch (const Error&) {
      if (!options.restart) throw;
    }
    // Nothing claimed under another identity: nothing to lose by starting over.
    const bool empty_elsewhere = sc && coverage.empty() && sc->header().identity != identity;
    if (sc && !options.restart && !empty_elsewhere) {
      if (sc->header().identity != identity)
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
    // --restart: discard contents, then the record of them.
    reset_file(fd.get(), identity.size, path);
    Sidecar fresh_sc = Sidecar::create(sidecar_path, fresh);
    return started(new Destination(path, std::move(fd), std::move(fresh_sc), CoverageMap{}, options));
  }
}

std::unique_ptr<Destination> Destination::open_existing(const std::string& path, bool writable,
                                                        bool wait_for_lock) {
  UniqueFd fd(::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
  if (!fd.valid()) throw_errno(fmt::format("cannot open destination {}", path), errno);
  const std::string sidecar_path = Sidecar::path_for(path);
  if (writable) lock_file(fd.get(), path, wait_for_lock);
  if (!exists(sidecar_path))
    throw DestinationConflictError(
        fmt::format("{} is not a sparseio destination (no {})", path, sidecar_path));
  CoverageMap coverage;
  Sidecar sc = replay(path, fd.get(), coverage, writable);
  std::unique_ptr<Destination> dest(
      new Destination(path, std::move(fd), std::move(sc), std::move(coverage), DestinationOptions{}));
  if (writable) dest->begin_writing();
  return dest;
}

}  // namespace sparseio
