#include "store/sidecar.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

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

constexpr char kMagic[8] = {'S', 'P', 'A', 'R', 'S', 'E', 'I', 'O'};
constexpr size_t kFixedHeader = 8 + 4 + 4 + 8 * 5 + 4 + 4;
constexpr uint32_t kMaxStringLen = 64 * 1024;

void put32(std::vector<std::byte>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::byte>(v >> (8 * i)));
}
void put64(std::vector<std::byte>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::byte>(v >> (8 * i)));
}
uint32_t get32(const std::byte* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t get64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}
void put_bytes(std::vector<std::byte>& b, const std::string& s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  b.insert(b.end(), p, p + s.size());
}

std::vector<std::byte> encode_header(const SidecarHeader& h) {
  std::vector<std::byte> b;
  put_bytes(b, std::string(kMagic, 8));
  put32(b, Sidecar::kVersion);
  put32(b,
        static_cast<uint32_t>(kFixedHeader + h.identity.etag.size() + h.identity.last_modified.size() + 8));
  put64(b, h.logical_size);
  put64(b, h.identity.size);
  put64(b, static_cast<uint64_t>(h.identity.mtime_ns));
  put64(b, h.identity.device);
  put64(b, h.identity.inode);
  put32(b, static_cast<uint32_t>(h.identity.etag.size()));
  put32(b, static_cast<uint32_t>(h.identity.last_modified.size()));
  put_bytes(b, h.identity.etag);
  put_bytes(b, h.identity.last_modified);
  put64(b, XXH64(b.data(), b.size(), 0));
  return b;
}

std::vector<std::byte> encode_record(char type, ByteRange r, uint64_t seed, uint32_t flags = Sidecar::kSynced,
                                     uint64_t hash = 0) {
  std::vector<std::byte> b;
  b.reserve(Sidecar::kRecordSize);
  put32(b, static_cast<uint32_t>(type));
  put32(b, flags);
  put64(b, r.begin);
  put64(b, r.end);
  put64(b, hash);
  put64(b, XXH64(b.data(), b.size(), seed));
  return b;
}

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

void fsync_dir_of(const std::string& path) {
  UniqueFd d(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.valid()) ::fsync(d.get());  // best effort: some filesystems refuse
}

}  // namespace

std::string current_boot_id() {
  if (const char* forced = std::getenv("SPARSEIO_BOOT_ID"); forced && *forced) return forced;
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
  uint64_t checksum = get64(buf.data() + buf.size() - 8);
  uint64_t records = 0;
  for (const ByteRange& r : coverage.ranges()) {
    std::vector<std::byte> rec = encode_record('P', r, checksum);
    buf.insert(buf.end(), rec.begin(), rec.end());
    ++records;
  }
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) throw_errno(fmt::format("cannot create sidecar {}", tmp), errno, ErrorKind::kDestinationUnwritable);
  try {
    pwrite_full(fd.get(), buf, 0, tmp);
    if (::fsync(fd.get()) != 0) throw_errno(fmt::format("cannot sync sidecar {}", tmp), errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw_errno(fmt::format("cannot rename {} to {}", tmp, path), errno, ErrorKind::kDestinationUnwritable);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fsync_dir_of(path);
  return Sidecar(path, std::move(fd), header, checksum, buf.size(), records);
}

Sidecar Sidecar::open(const std::string& path, CoverageMap& coverage, bool writable,
                      const ReplayPolicy& policy) {
  UniqueFd fd(::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
  if (!fd.valid()) throw_errno(fmt::format("cannot open sidecar {}", path), errno, ErrorKind::kDestinationUnwritable);
  uint64_t size = file_size(fd.get(), path);
  if (size < kFixedHeader + 8) garbled(path, "too short");
  std::vector<std::byte> fixed(kFixedHeader);
  pread_full(fd.get(), fixed, 0, path);
  if (std::memcmp(fixed.data(), kMagic, 8) != 0) garbled(path, "bad magic");
  uint32_t version = get32(&fixed[8]);
  if (version != kVersion) garbled(path, fmt::format("unsupported version {}", version));
  uint32_t header_len = get32(&fixed[12]);
  uint32_t etag_len = get32(&fixed[kFixedHeader - 8]);
  uint32_t lm_len = get32(&fixed[kFixedHeader - 4]);
  if (etag_len > kMaxStringLen || lm_len > kMaxStringLen ||
      header_len != kFixedHeader + etag_len + lm_len + 8 || header_len > size)
    garbled(path, "bad header length");
  std::vector<std::byte> hbuf(header_len);
  pread_full(fd.get(), hbuf, 0, path);
  uint64_t checksum = get64(&hbuf[header_len - 8]);
  if (XXH64(hbuf.data(), header_len - 8, 0) != checksum) garbled(path, "header checksum mismatch");

  SidecarHeader h;
  h.logical_size = get64(&hbuf[16]);
  h.identity.size = get64(&hbuf[24]);
  h.identity.mtime_ns = static_cast<int64_t>(get64(&hbuf[32]));
  h.identity.device = get64(&hbuf[40]);
  h.identity.inode = get64(&hbuf[48]);
  h.identity.etag.assign(reinterpret_cast<const char*>(&hbuf[kFixedHeader]), etag_len);
  h.identity.last_modified.assign(reinterpret_cast<const char*>(&hbuf[kFixedHeader + etag_len]), lm_len);

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
      const std::byte* rec = &buf[i];
      uint32_t type = get32(rec), flags = get32(rec + 4);
      ByteRange r{get64(rec + 8), get64(rec + 16)};
      uint64_t hash = get64(rec + 24);
      bool valid = XXH64(rec, kRecordSize - 8, checksum) == get64(rec + kRecordSize - 8);
      bool range_ok = type == 'S' || (r.end >= r.begin && r.end <= h.logical_size);
      if (!valid || !range_ok || (type != 'P' && type != 'E' && type != 'S')) {
        torn = true;
        break;
      }
      ++records;
      if (type == 'S') {
        trusted = policy.boot_id.empty() || r == this_boot;
        other_boot = other_boot || !trusted;
      } else if (type == 'E') {
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

void Sidecar::append(char type, ByteRange r, uint32_t flags, uint64_t hash) {
  if (session_pending_) {
    session_pending_ = false;
    append('S', boot_id_words(session_boot_), 0, 0);
  }
  std::vector<std::byte> rec = encode_record(type, r, header_checksum_, flags, hash);
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
  *this = create(path_, header_, coverage);
  if (!boot.empty()) begin_session(boot);
}

}  // namespace sparseio
