// Options of a transfer: one plain struct a program fills in. Every field
// has a default that the library resolves (0 or unset means "the library's
// default"), so a program and the CLI get the same behaviour.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sparseio {

// How claims survive an OS crash or power loss (all three survive a kill).
enum class Durability {
  kHash,   // checksummed records, re-checked after a reboot; no syncs (default)
  kBatch,  // group commit: fdatasync of the destination before each batch of records
  kNone,   // an earlier boot's claims are dropped after a reboot
};

// A request header for HTTP(S) sources. A `secret` header's value never
// appears in log messages (Authorization, Cookie and Proxy-Authorization
// are always secret).
struct Header {
  std::string name;
  std::string value;
  bool secret = false;
};

// Where a running fetch or read stands, handed to Options::on_progress.
struct Progress {
  uint64_t object_size = 0;
  uint64_t wanted_bytes = 0;   // distinct bytes the call asked for
  uint64_t done_bytes = 0;     // of those, present now (before the call, or written since)
  uint64_t fetched_bytes = 0;  // written by this call so far, pieces in flight included
  unsigned active = 0;         // transfers running now
};

// Called from a thread of the library's about every progress_interval_s
// while a fetch or read runs, and once at its end. Return false to stop the
// call: nothing new starts, running transfers keep what they wrote, and the
// call returns with TransferStats::interrupted.
using ProgressHandler = std::function<bool(const Progress& progress)>;

struct Options {
  // --- transfers ---
  unsigned jobs = 0;                     // parallel transfers; 0: the library's default
  uint64_t chunk_size = 0;               // largest unit of work; 0: the source's default
  std::optional<uint64_t> coalesce_gap;  // fetch ranges closer than this as one; unset: default
  // Remote sources without `jobs`: the most requests in flight while the
  // library follows the link; 0: the library's default (64).
  unsigned max_connections = 0;

  // --- on-demand reads (Object::read_at) ---
  // A missing byte fetches the aligned block around it. Set: always that
  // block. 0: 64 KiB for a file; for a URL the block follows the reader:
  // 64 KiB for reads far from each other, growing while they cluster, up to
  // what one connection carries in a round trip (TTFB x bandwidth, as
  // measured, between 64 KiB and 1 MiB), which is also the block of a read
  // near either end of the object (where formats keep their directory).
  uint64_t read_block_size = 0;
  // The largest readahead window of a sequential reader. 0: 4 MiB for a
  // file, 32 MiB for a URL (the bytes go to DST, not to memory).
  uint64_t readahead_max = 0;

  // --- the destination ---
  Durability durability = Durability::kHash;
  bool overwrite = false;     // replace a destination sparseio did not make
  bool restart = false;       // discard the destination's contents and start over
  bool wait_for_lock = true;  // false: fail at once when another process uses it

  // --- HTTP(S) sources ---
  std::vector<Header> headers;
  std::optional<uint64_t> size;  // the object's size, when the server does not tell it
  unsigned retries = 5;
  double connect_timeout_s = 30;
  double stall_timeout_s = 30;  // below 1 KiB/s for this long: retried; 0: never
  std::string cacert;           // trust the CA certificates in this file
  bool insecure = false;        // do not verify TLS certificates
  long max_redirects = 10;

  // --- s3://BUCKET/KEY sources (no secret here: keys come from the
  // environment, ~/.aws or a credential_process) ---
  std::string aws_profile;          // else AWS_PROFILE, else "default"
  std::string aws_region;           // else AWS_REGION, AWS_DEFAULT_REGION, the profile's
  std::string s3_endpoint_url;      // else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's, AWS
  bool s3_no_sign_request = false;  // anonymous requests (public buckets)
  bool s3_path_style = false;       // ENDPOINT/BUCKET/KEY URLs even on AWS

  // --- watching a fetch or read ---
  ProgressHandler on_progress;  // unset: no progress calls (and no extra thread)
  double progress_interval_s = 0.25;
};

}  // namespace sparseio
