#include "test_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/errors.h"
#include "core/file_io.h"
#include "core/unique_fd.h"
#include "store/destination.h"
#include "store/sidecar_codec.h"

namespace sparseio::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/sparseio-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::TempDir(const std::string& base) {
  std::string tmpl = base + "/sparseio-test-XXXXXX";
  if (::access(base.c_str(), W_OK | X_OK) != 0 || ::mkdtemp(tmpl.data()) == nullptr) {
    TempDir fallback;
    tmpl = fallback.path_;
    fallback.path_.clear();  // keep it: it is ours now
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::byte> pattern_bytes(uint64_t offset, size_t n, uint64_t seed) {
  std::vector<std::byte> out(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t word = (offset + i) / 8;
    uint64_t z = word + seed * 0x9E3779B97F4A7C15ull + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    out[i] = static_cast<std::byte>(z >> (8 * ((offset + i) % 8)));
  }
  return out;
}

UniqueFd open_rw(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) throw std::runtime_error(errno_message("cannot open " + path, errno));
  return fd;
}

void write_file(const std::string& path, const std::vector<std::byte>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<std::byte> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) out[i] = static_cast<std::byte>(raw[i]);
  return out;
}

std::vector<ByteRange> file_data_runs(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw std::runtime_error("cannot open " + path);
  return data_extents(fd.get(), {0, file_size(fd.get(), path)}, path);
}

uint64_t file_allocated(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + path);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

std::optional<std::vector<std::byte>> read_present(const Destination& dest, ByteRange r) {
  if (!dest.contains(r)) return std::nullopt;
  std::vector<std::byte> out(r.size());
  dest.read_raw(r.begin, out);
  return out;
}

namespace {

// A sidecar's bytes with where its records start and the seed of their checksums.
struct SidecarLog {
  std::vector<std::byte> bytes;
  size_t records_at = 0;
  uint64_t seed = 0;
};

SidecarLog read_sidecar(const std::string& sidecar_path) {
  namespace codec = sparseio::sidecar_codec;
  SidecarLog log{read_file(sidecar_path)};
  if (log.bytes.size() < codec::kFixedHeader)
    throw std::runtime_error("no sidecar header in " + sidecar_path);
  codec::HeaderLength hl = codec::header_length(std::span(log.bytes).first(codec::kFixedHeader));
  if (!hl.error.empty() || hl.length > log.bytes.size())
    throw std::runtime_error("bad sidecar " + sidecar_path);
  if (!codec::decode_header(std::span(log.bytes).first(hl.length), log.seed))
    throw std::runtime_error("bad sidecar header in " + sidecar_path);
  log.records_at = hl.length;
  return log;
}

}  // namespace

size_t simulate_reboot(const std::string& sidecar_path) {
  namespace codec = sparseio::sidecar_codec;
  SidecarLog log = read_sidecar(sidecar_path);
  size_t sessions = 0;
  for (size_t at = log.records_at; at + codec::kRecordSize <= log.bytes.size(); at += codec::kRecordSize) {
    std::optional<codec::Record> r = codec::decode_record(&log.bytes[at], log.seed);
    if (!r) break;  // a torn tail: replay stops here too
    if (r->type != codec::kSession) continue;
    r->range = {0x5eb0075eb0075eb0, 0x0000000000000001};  // no kernel's boot id
    auto rec = codec::encode_record(*r, log.seed);
    std::copy(rec.begin(), rec.end(), log.bytes.begin() + static_cast<std::ptrdiff_t>(at));
    ++sessions;
  }
  write_file(sidecar_path, log.bytes);
  return sessions;
}

size_t sidecar_records(const std::string& sidecar_path) {
  namespace codec = sparseio::sidecar_codec;
  const SidecarLog log = read_sidecar(sidecar_path);
  size_t records = 0;
  for (size_t at = log.records_at; at + codec::kRecordSize <= log.bytes.size(); at += codec::kRecordSize) {
    if (!codec::decode_record(&log.bytes[at], log.seed)) break;
    ++records;
  }
  return records;
}

}  // namespace sparseio::test
