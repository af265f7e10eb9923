// Writes the seed corpus of sidecar_fuzzer: a few valid sidecars made with
// Sidecar::create/append_present/append_evicted, and damaged variants of them.
// Usage: make_sidecar_seeds OUTDIR   (the committed seeds are its output)
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/coverage_map.h"
#include "store/sidecar.h"
#include "store/sidecar_codec.h"

namespace {

using sparseio::ByteRange;
using sparseio::CoverageMap;
using sparseio::Sidecar;
using sparseio::SidecarHeader;
using Bytes = std::vector<unsigned char>;

// The boot id sidecar_fuzzer replays as.
constexpr const char* kBootId = "0123456789abcdef-fedcba9876543210";

Bytes read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

// A seed: sidecar_fuzzer's mode byte (0: checksums as they are; 3: fixed
// up by the fuzzer), then the file.
void write_all(const std::string& path, const Bytes& b, unsigned char mode = 0) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.put(static_cast<char>(mode));
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

namespace codec = sparseio::sidecar_codec;

uint64_t get64(const Bytes& b, size_t at) { return codec::get64(reinterpret_cast<const std::byte*>(&b[at])); }
uint32_t get32(const Bytes& b, size_t at) { return codec::get32(reinterpret_cast<const std::byte*>(&b[at])); }

// A record with a valid checksum, whatever its contents (the codec does not
// judge: replay does).
Bytes record(uint32_t type, uint64_t begin, uint64_t end, uint64_t seed) {
  auto rec = codec::encode_record({type, 0, {begin, end}, 0}, seed);
  const auto* p = reinterpret_cast<const unsigned char*>(rec.data());
  return Bytes(p, p + rec.size());
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  std::string out = argv[1];
  std::string scratch = out + "/.scratch.sparseio";

  // A local-file source: synced records from create(), then a session of
  // this boot, then one of another boot (sidecar_fuzzer replays as kBootId;
  // a hashed claim of another boot checks out there when its hash is odd).
  SidecarHeader local;
  local.logical_size = 1 << 20;
  local.identity.size = 1 << 20;
  local.identity.mtime_ns = 1700000000123456789;
  local.identity.device = 2049;
  local.identity.inode = 1234567;
  {
    CoverageMap created;
    created.insert({0, 512});
    Sidecar sc = Sidecar::create(scratch, local, created);
    sc.begin_session(kBootId);
    sc.append_present({0, 4096});
    sc.append_present({65536, 131072}, Sidecar::kHashed, 0x1234);
    sc.append_evicted({70000, 80000});
    sc.append_present({10, 10});  // empty
    sc.begin_session("fedcba98-7654-3210-0123-456789abcdef");
    sc.append_present({200000, 210000}, Sidecar::kHashed, 0x1235);  // checks out
    sc.append_present({220000, 230000}, Sidecar::kHashed, 0x1236);  // does not
    sc.append_present({240000, 250000}, Sidecar::kHashed | Sidecar::kSynced, 0x1236);
    sc.append_present({260000, 270000});  // dropped
    sc.append_present({(1 << 20) - 100, 1 << 20}, Sidecar::kSynced);
  }
  Bytes valid = read_all(scratch);
  write_all(out + "/valid_sessions_of_two_boots", valid);
  write_all(out + "/valid_sessions_of_two_boots_fixup", valid, 3);

  // An HTTP source, compacted (create with a coverage map), no appends.
  SidecarHeader http;
  http.logical_size = 40ull << 30;
  http.identity.size = 40ull << 30;
  http.identity.etag = "\"5f3a-1c2b\"";
  http.identity.last_modified = "Tue, 14 Nov 2023 08:12:31 GMT";
  CoverageMap cov;
  cov.insert({0, 1});
  cov.insert({(40ull << 30) - 65536, 40ull << 30});
  Sidecar::create(scratch, http, cov);
  Bytes valid_http = read_all(scratch);
  write_all(out + "/valid_http_compacted", valid_http);
  write_all(out + "/valid_http_compacted_fixup", valid_http, 3);

  // Header only, empty object.
  SidecarHeader empty;
  Sidecar::create(scratch, empty);
  Bytes header_only = read_all(scratch);
  write_all(out + "/valid_empty_object", header_only);
  std::remove(scratch.c_str());

  size_t header_len = get32(valid, codec::kHeaderLenOffset);
  uint64_t seed = get64(valid, header_len - 8);

  Bytes torn = valid;
  torn.resize(torn.size() - 13);
  write_all(out + "/torn_tail", torn);
  write_all(out + "/torn_tail_fixup", torn, 3);

  Bytes bad_record = Bytes(valid.begin(), valid.begin() + static_cast<long>(header_len) + 40);
  Bytes rec = record('P', 100, 200, seed);
  rec[20] ^= 1;  // checksum mismatch, then a good record that must not be trusted
  bad_record.insert(bad_record.end(), rec.begin(), rec.end());
  rec = record('P', 300, 400, seed);
  bad_record.insert(bad_record.end(), rec.begin(), rec.end());
  write_all(out + "/bad_record_checksum", bad_record);

  Bytes past_end = Bytes(valid.begin(), valid.begin() + static_cast<long>(header_len));
  rec = record('P', 0, (1 << 20) + 1, seed);
  past_end.insert(past_end.end(), rec.begin(), rec.end());
  write_all(out + "/record_past_logical_size", past_end);

  Bytes backwards = Bytes(valid.begin(), valid.begin() + static_cast<long>(header_len));
  rec = record('E', 500, 400, seed);
  backwards.insert(backwards.end(), rec.begin(), rec.end());
  rec = record('X', 1, 2, seed);
  backwards.insert(backwards.end(), rec.begin(), rec.end());
  write_all(out + "/record_backwards_and_unknown_type", backwards);
  write_all(out + "/record_backwards_and_unknown_type_fixup", backwards, 3);

  Bytes bad_magic = valid;
  bad_magic[0] = 'X';
  write_all(out + "/bad_magic", bad_magic);

  Bytes bad_version = valid;
  bad_version[8] = 2;
  write_all(out + "/bad_version", bad_version);

  Bytes bad_header_sum = valid_http;
  bad_header_sum[70] ^= 0x20;  // inside the ETag
  write_all(out + "/bad_header_checksum", bad_header_sum);

  Bytes bad_len = valid_http;
  bad_len[56] = 0xff;  // etag_len low byte: header_len no longer matches
  write_all(out + "/bad_header_length", bad_len);
  write_all(out + "/bad_header_length_fixup", bad_len, 3);

  write_all(out + "/truncated_header", Bytes(valid.begin(), valid.begin() + 40));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "make_sidecar_seeds: %s\n", e.what());
  return 1;
}
