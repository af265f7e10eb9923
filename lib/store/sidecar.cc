#include "store/sidecar.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/errors.h"
#include "core/file_io.h"

namespace sparseio {
namespace {

using namespace sidecar_codec;

// A boot id "0f1e...-..." as two 64-bit halves, for an 'S' record.
ByteRange boot_id_words(const std::string& id) {
  std::string hex;
  for (char c : id)
    if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
  hex.resize(32, '0');
  return {std::stoull(hex.substr(0, 16), nullptr, 16), std::stoull(hex.substr(16, 16), nullptr, 16)};
}

[[noreturn]] void garbled(const std::string& path, const std::string& why) {
  throw Error(
      fmt::format("sidecar {} is not a valid sparseio sidecar ({}); use --restart to start over", path, why));
}

// Creates `path` exclusively and never through a symlink. A leftover at
// that name (a killed compaction's temporary file, or something planted) is
// unlinked first: unlink removes a symlink itself, not its target. Errors
// name the sidecar `for_sidecar` first: the temporary file is ours, not a
// name the user gave or knows.
UniqueFd create_exclusive(const std::string& path, const std::string& for_sidecar) {
  for (int attempt = 0;; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (fd.valid()) return fd;
    if (errno != EEXIST || attempt > 0 || ::unlink(path.c_str()) != 0)
      throw_errno(fmt::format("cannot create sidecar {} (its temporary file {})", for_sidecar, path), errno,
                  ErrorKind::kDestinationUnwritable);
  }
}

void fsync_dir_of(const std::string& path) {
  UniqueFd d(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.valid()) ::fsync(d.get());  // best effort: some filesystems refuse
}

}  // namespace

std::string current_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;  // empty where unknown: then every earlier session looks like this boot's
}

Sidecar::Sidecar(std::string path, UniqueFd fd, SidecarHeader header, uint64_t checksum, uint64_t end,
                 uint64_t records)
    : path_(std::move(path)),
      fd_(std::move(fd)),
      header_(std::move(header)),
      header_checksum_(checksum),
      end_(end),
      records_(records) {}

Sidecar Sidecar::create(const std::string& path, const SidecarHeader& header, const CoverageMap& coverage) {
  std::vector<std::byte> buf = encode_header(header);
  const uint64_t checksum = get64(buf.data() + buf.size() - 8);
  uint64_t records = 0;
  buf.reserve(buf.size() + coverage.range_count() * kRecordSize);
  for (const ByteRange& r : coverage.ranges()) {
    auto rec = encode_record({kPresent, kSynced, r, 0}, checksum);
    buf.insert(buf.end(), rec.begin(), rec.end());
    ++records;
  }
  std::string tmp = path + ".tmp";
  UniqueFd fd = create_exclusive(tmp, path);
  try {
    pwrite_full(fd.get(), buf, 0, path);
    if (::fsync(fd.get()) != 0) throw_errno(fmt::format("cannot sync sidecar {}", path), errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw_errno(fmt::format("cannot rename {} to {}", tmp, path), errno, ErrorKind::kDestinationUnwritable);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fsync_dir_of(path);
  return Sidecar(path, std::move(fd), header, checksum, buf.size(), records);
}

std::optional<SourceIdentity> Sidecar::recorded_identity(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  try {  // anything wrong: nullopt, and the real open says what
    const uint64_t size = file_size(fd.get(), path);
    if (size < kFixedHeader + 8) return std::nullopt;
    std::vector<std::byte> fixed(kFixedHeader);
    pread_full(fd.get(), fixed, 0, path);
    HeaderLength hl = header_length(fixed);
    if (!hl.error.empty() || hl.length > size) return std::nullopt;
    std::vector<std::byte> hbuf(hl.length);
    pread_full(fd.get(), hbuf, 0, path);
    uint64_t checksum = 0;
    std::optional<SidecarHeader> h = decode_header(hbuf, checksum);
    if (!h) return std::nullopt;
    return h->identity;
  } catch (const Error&) {
    return std::nullopt;
  }
}

Sidecar Sidecar::open(const std::string& path, CoverageMap& coverage, bool writable,
                      const ReplayPolicy& policy) {
  UniqueFd fd(::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid() && errno == ELOOP)
    throw Error(fmt::format(
        "sidecar {} is a symbolic link; sparseio never reads or writes one through a link", path));
  if (!fd.valid())
    throw_errno(fmt::format("cannot open sidecar {}", path), errno, ErrorKind::kDestinationUnwritable);
  uint64_t size = file_size(fd.get(), path);
  if (size < kFixedHeader + 8) garbled(path, "too short");
  std::vector<std::byte> fixed(kFixedHeader);
  pread_full(fd.get(), fixed, 0, path);
  HeaderLength hl = header_length(fixed);
  if (!hl.error.empty()) garbled(path, hl.error);
  const uint32_t header_len = hl.length;
  if (header_len > size) garbled(path, "bad header length");
  std::vector<std::byte> hbuf(header_len);
  pread_full(fd.get(), hbuf, 0, path);
  uint64_t checksum = 0;
  std::optional<SidecarHeader> decoded = decode_header(hbuf, checksum);
  if (!decoded) garbled(path, "header checksum mismatch");
  SidecarHeader h = std::move(*decoded);

  // Replay records in large reads.
  coverage.clear();
  const ByteRange this_boot = boot_id_words(policy.boot_id);
  bool trusted = true;  // records before any session were written by create(): synced
  bool other_boot = false;
  uint64_t dropped = 0;
  uint64_t pos = header_len, records = 0;
  std::vector<std::byte> buf(kRecordSize * 4096);
  bool torn = false;
  while (pos < size && !torn) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - pos));
    size_t got = pread_full(fd.get(), std::span(buf.data(), want), pos, path);
    size_t i = 0;
    for (; i + kRecordSize <= got; i += kRecordSize) {
      std::optional<Record> rec = decode_record(&buf[i], checksum);
      if (!rec) {
        torn = true;
        break;
      }
      const uint32_t type = rec->type, flags = rec->flags;
      const ByteRange r = rec->range;
      const uint64_t hash = rec->hash;
      bool range_ok = type == kSession || (r.end >= r.begin && r.end <= h.logical_size);
      if (!range_ok || (type != kPresent && type != kEvicted && type != kSession)) {
        torn = true;
        break;
      }
      ++records;
      if (type == kSession) {
        trusted = policy.boot_id.empty() || r == this_boot;
        other_boot = other_boot || !trusted;
      } else if (type == kEvicted) {
        coverage.remove(r);
      } else if (trusted || (flags & kSynced) ||
                 ((flags & kHashed) && policy.check_extent && policy.check_extent(r, hash))) {
        coverage.insert(r);
      } else {
        dropped += r.size();
      }
    }
    pos += i;
    if (i < got && !torn) torn = true;  // a partial record at the end
    if (got == 0) break;
  }
  if (torn && writable) {
    if (::ftruncate(fd.get(), static_cast<off_t>(pos)) != 0)
      throw_errno(fmt::format("cannot truncate torn tail of sidecar {}", path), errno);
  }
  Sidecar sc(path, std::move(fd), std::move(h), checksum, pos, records);
  sc.other_boot_ = other_boot;
  sc.dropped_bytes_ = dropped;
  return sc;
}

void Sidecar::append(uint32_t type, ByteRange r, uint32_t flags, uint64_t hash) {
  if (session_pending_) {
    session_pending_ = false;
    append(kSession, boot_id_words(session_boot_), 0, 0);
  }
  auto rec = encode_record({type, flags, r, hash}, header_checksum_);
  pwrite_full(fd_.get(), rec, end_, path_);
  end_ += rec.size();
  ++records_;
  unsynced_ = true;
}

void Sidecar::sync() {
  if (!unsynced_) return;
  if (::fdatasync(fd_.get()) != 0) throw_errno(fmt::format("cannot sync sidecar {}", path_), errno);
  unsynced_ = false;
}

void Sidecar::begin_session(const std::string& boot_id) {
  session_boot_ = boot_id;
  session_pending_ = true;
}

void Sidecar::compact(const CoverageMap& coverage) {
  std::string boot = session_boot_;
  Sidecar fresh = create(path_, header_, coverage);
  // Everything but the header, which is the same: it is read without the
  // claim log's lock (DST's size and identity, by any thread of a handle)
  // while a compaction runs under it.
  fd_ = std::move(fresh.fd_);
  header_checksum_ = fresh.header_checksum_;
  end_ = fresh.end_;
  records_ = fresh.records_;
  session_boot_.clear();
  session_pending_ = false;
  unsynced_ = fresh.unsynced_;
  other_boot_ = fresh.other_boot_;
  dropped_bytes_ = fresh.dropped_bytes_;
  if (!boot.empty()) begin_session(boot);
}

}  // namespace sparseio
