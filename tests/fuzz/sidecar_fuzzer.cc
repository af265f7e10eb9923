// libFuzzer target for the sidecar reader (lib/store/sidecar.h).
//
// Input: one mode byte, then the sidecar file. Checksums are a wall a fuzzer
// cannot climb, so mode bit 0 recomputes the header checksum and bit 1 every
// whole record's checksum before the file is written (mode 0: the bytes as
// they are). The file is written to a file in a
// per-process temporary directory (under /dev/shm when possible) and opened
// read-only, then writable (which truncates a torn tail), then, after a
// session record and a claim are appended, read-only again. Replay runs as
// boot kBootId (see make_sidecar_seeds.cc); a hashed claim of another boot
// "checks out" when its hash is odd, so every replay path is reachable.
//
// Bugs: any exception other than sparseio::Error; a replayed CoverageMap
// that reaches past the header's logical size; a writable open that replays
// something different from the read-only one, or leaves a file that does not
// end exactly after the last valid record; a record appended after opening
// that does not replay.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/coverage_map.h"
#include "core/errors.h"
#include "store/sidecar.h"
#include "store/sidecar_codec.h"

namespace {

using sparseio::ByteRange;
using sparseio::CoverageMap;
using sparseio::Sidecar;

constexpr const char* kBootId = "0123456789abcdef-fedcba9876543210";

std::string g_dir;
std::string g_path;

void remove_dir() {
  if (g_dir.empty()) return;
  ::unlink(g_path.c_str());
  ::unlink((g_path + ".tmp").c_str());
  ::rmdir(g_dir.c_str());
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "sidecar_fuzzer: BUG: %s\n", what);
  std::abort();
}

// Makes the checksums that `mode` asks for valid (see the top of the file),
// with the codec Sidecar itself uses.
void fix_checksums(std::vector<uint8_t>& file, uint8_t mode) {
  namespace codec = sparseio::sidecar_codec;
  auto* f = reinterpret_cast<std::byte*>(file.data());
  if (file.size() < 16) return;
  uint64_t header_len = codec::get32(f + codec::kHeaderLenOffset);
  if (header_len < 16 || header_len > file.size()) return;
  if (mode & 1) codec::seal_header({f, header_len});
  if (mode & 2) {
    uint64_t seed = codec::get64(f + header_len - 8);
    for (size_t at = header_len; at + codec::kRecordSize <= file.size(); at += codec::kRecordSize)
      codec::seal_record(f + at, seed);
  }
}

void write_input(const uint8_t* data, size_t size) {
  int fd = ::open(g_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror("sidecar_fuzzer: cannot create input file");
    std::exit(1);
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::perror("sidecar_fuzzer: cannot write input file");
      std::exit(1);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

uint64_t file_size() {
  struct stat st {};
  if (::stat(g_path.c_str(), &st) != 0) fail("sidecar file vanished");
  return static_cast<uint64_t>(st.st_size);
}

// Opens the sidecar; nullopt when it throws sparseio::Error, aborts on any
// other exception.
std::optional<Sidecar> open_sidecar(CoverageMap& coverage, bool writable) {
  sparseio::ReplayPolicy policy;
  policy.boot_id = kBootId;
  policy.check_extent = [](ByteRange, uint64_t hash) { return (hash & 1) != 0; };
  try {
    return Sidecar::open(g_path, coverage, writable, policy);
  } catch (const sparseio::Error& e) {
    if (std::string_view(e.what()).find(g_path) == std::string_view::npos)
      fail("sparseio::Error that does not name the sidecar");
    return std::nullopt;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sidecar_fuzzer: non-sparseio exception: %s\n", e.what());
    std::abort();
  } catch (...) {
    fail("unknown exception type");
  }
}

void check_within(const Sidecar& sc, const CoverageMap& cov) {
  uint64_t total = 0;
  for (const ByteRange& r : cov.ranges()) {
    if (r.empty()) fail("empty range in the coverage map");
    if (r.end > sc.header().logical_size) fail("coverage past the logical size");
    total += r.size();
  }
  if (total != cov.total_bytes()) fail("coverage total_bytes disagrees with its ranges");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // A memory filesystem keeps the per-input file writes cheap (a disk-backed
  // /tmp can be 100x slower here). SPARSEIO_FUZZ_TMPDIR overrides.
  std::string base = "/tmp";
  if (const char* t = std::getenv("TMPDIR"); t && *t) base = t;
  if (::access("/dev/shm", W_OK | X_OK) == 0) base = "/dev/shm";
  if (const char* t = std::getenv("SPARSEIO_FUZZ_TMPDIR"); t && *t) base = t;
  std::string templ = base + "/sparseio-fuzz-sidecar.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    std::perror("sidecar_fuzzer: mkdtemp");
    std::exit(1);
  }
  g_dir = templ;
  g_path = g_dir + "/dst.sparseio";
  std::atexit(remove_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t input_size) {
  if (input_size == 0) return 0;
  std::vector<uint8_t> file(input + 1, input + input_size);
  fix_checksums(file, input[0]);
  const uint8_t* data = file.data();
  const size_t size = file.size();
  write_input(data, size);

  CoverageMap ro_cov;
  std::optional<Sidecar> ro = open_sidecar(ro_cov, false);
  bool ro_ok = ro.has_value();
  uint64_t ro_dropped = ro ? ro->dropped_bytes() : 0;
  bool ro_other_boot = ro && ro->replayed_other_boot();
  if (ro) {
    check_within(*ro, ro_cov);
    if (file_size() != size) fail("read-only open changed the file");
  }
  ro.reset();

  CoverageMap rw_cov;
  std::optional<Sidecar> rw = open_sidecar(rw_cov, true);
  if (rw.has_value() != ro_ok) fail("read-only and writable opens disagree on validity");
  if (!rw) return 0;
  check_within(*rw, rw_cov);
  if (!(rw_cov == ro_cov) || rw->dropped_bytes() != ro_dropped || rw->replayed_other_boot() != ro_other_boot)
    fail("writable open replayed differently from read-only open");
  // The header was accepted, so its length field is trustworthy; a torn tail
  // must have been cut at a record's end, leaving no more than there was.
  // (That it was cut right after the last replayed record, not before, shows
  // below: the records cut by mistake would be missing from the replay after
  // the append, and a tail left in place would hide the appended ones.)
  uint64_t header_len = sparseio::sidecar_codec::get32(reinterpret_cast<const std::byte*>(data) +
                                                       sparseio::sidecar_codec::kHeaderLenOffset);
  uint64_t after_tail = file_size();
  if (after_tail < header_len || after_tail > size || (after_tail - header_len) % Sidecar::kRecordSize != 0)
    fail("writable open did not leave the file ending after a whole record");

  // Begin a session of this boot and append a claim: replay must accept it.
  uint64_t logical = rw->header().logical_size;
  ByteRange extra{logical / 2, logical};
  try {
    rw->begin_session(kBootId);
    rw->append_present(extra);
  } catch (const sparseio::Error&) {
    fail("append after a successful writable open failed");
  }
  rw.reset();
  rw_cov.insert(extra);

  CoverageMap again_cov;
  std::optional<Sidecar> again = open_sidecar(again_cov, false);
  if (!again) fail("sidecar no longer opens after a writable open and an append");
  check_within(*again, again_cov);
  if (!(again_cov == rw_cov)) fail("replay after append differs from the expected coverage");
  if (again->dropped_bytes() != ro_dropped || again->replayed_other_boot() != ro_other_boot)
    fail("a session of this boot changed how earlier records replay");
  if (file_size() != after_tail + 2 * Sidecar::kRecordSize)
    fail("appends did not land after the last record");
  return 0;
}
