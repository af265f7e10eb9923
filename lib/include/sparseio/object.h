// sparseio::Object: one object (SRC) materialized in one sparse destination
// (DST), opened once and shared by every thread of a program.
//
//   auto obj = sparseio::Object::open("https://host/big.zip", "big.zip");
//   std::vector<std::byte> buf(4096);
//   size_t n = obj->read_at(1 << 20, buf);   // fetched on demand, then cached in DST
//
// Opening does, once per handle, what each of the free functions fetch,
// read and verify of <sparseio/sparseio.h> does per call (each opens a
// handle, makes its one call and closes it: one path): discover the source (size and
// identity), open or create DST and its sidecar, compare the recorded
// identity, replay the claims and take the lock. The handle then holds the lock until it is destroyed: other
// processes wait for it (or fail at once, Options::wait_for_lock = false),
// and so does a second handle on the same DST in this process (its error
// says "another handle in this process"): share one handle instead.
// Options::on_progress is called for a handle's fetch() and read() as for
// the free functions (each call on its own, its return false stopping that
// call only); not for read_at(), which waits for a block at most.
//
// Thread safety (as LevelDB's DB): an Object is safe for concurrent access
// from multiple threads without any external synchronization. Overlapping or
// concurrent requests for the same bytes, from any thread, are transferred
// once; connections to the source are reused across calls. The handle must
// outlive the calls running on it (destroy it after they return).
//
// On-demand reads: read_at() of bytes not present fetches the aligned block
// around them (Options::read_block_size), so a reader doing 4 KiB reads does
// not pay a round trip for each; the block is small for reads far apart
// and grows while they cluster; a reader that goes sequentially gets a
// readahead window that grows while the pattern holds (up to
// Options::readahead_max) and stops when it stops. Present bytes are read
// from DST without any request.
//
// A changed source is never mixed in: a call that needs bytes the source no
// longer has as recorded throws SourceChangedError; bytes already present
// stay readable and nothing is claimed that is not on disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sparseio/export.h"
#include "sparseio/options.h"
#include "sparseio/range.h"
#include "sparseio/report.h"

namespace sparseio {

class SPARSEIO_API Object {
 public:
  // Opens `source` (a path, http(s):// URL or s3://bucket/key) materialized
  // in `destination` (created when missing). Throws Error with its kind
  // (kSourceMissing, kSourceChanged, kBusy, ...) and nothing is written
  // when the source cannot be opened.
  static std::unique_ptr<Object> open(const std::string& source, const std::string& destination,
                                      const Options& options = {});
  ~Object();  // records what arrived durably, releases the lock
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  const std::string& source() const;       // as given to open()
  const std::string& destination() const;  // as given to open()
  uint64_t size() const;                   // the object's size in bytes
  // The source's modification time (seconds since the epoch), 0 when unknown.
  int64_t mtime() const;

  // pread semantics: fills `buf` with the bytes at `offset`, fetching what
  // is missing; returns fewer than buf.size() only at the end of the object
  // (0 at or past it).
  size_t read_at(uint64_t offset, std::span<std::byte> buf);

  // Hands the bytes of `ranges` to `sink` in the order given, as they arrive
  // (fetched in parallel behind the reader, stored in DST).
  using Sink = std::function<void(std::span<const std::byte> bytes)>;
  TransferStats read(const std::vector<RangeSpec>& ranges, const Sink& sink);

  // Makes `ranges` present (no ranges: the whole object).
  TransferStats fetch(const std::vector<RangeSpec>& ranges = {});

  // Evicts `ranges`: their claims are retired durably first, then their whole
  // blocks are punched. Safe while other threads read: a read of an evicted
  // byte fetches it again.
  void punch(const std::vector<RangeSpec>& ranges);

  // Compares the present bytes of `ranges` (no ranges: every byte DST
  // holds) with the source, reading them from it again; writes nothing.
  // Bytes asked for but not present are counted missing, not compared.
  // Safe while other threads read (a punch waits for it). Throws
  // SourceChangedError when the source changed since the handle was opened.
  VerifySummary verify(const std::vector<RangeSpec>& ranges = {});

  // The allocation report of DST now (with its present ranges when asked).
  AllocationReport stat(bool list_ranges = false) const;

  // Makes every claim so far durable (the destructor does it too).
  void sync();

 private:
  struct Impl;
  explicit Object(std::unique_ptr<Impl> impl);
  // The library's own openers (lib/api/object_access.h), for the free
  // functions that wrap the handle (a DST they only read is not locked).
  friend struct ObjectAccess;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sparseio
