// A Source is a read-only object sparseio fetches from: a local file or a URL.
// It reports its identity (core/source_identity.h) and delivers bytes to an
// ExtentWriter (core/extent_writer.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/byte_range.h"
#include "core/extent_writer.h"
#include "core/source_identity.h"

namespace sparseio {

class Source {
 public:
  virtual ~Source() = default;
  // The path or URL, as the user gave it, for messages.
  virtual const std::string& name() const = 0;
  virtual uint64_t size() const = 0;
  virtual SourceIdentity identity() const = 0;
  // Reads into buf at offset; returns fewer bytes than buf.size() only at the
  // end of the object. Safe to call from several threads at once.
  virtual size_t read_at(uint64_t offset, std::span<std::byte> buf) = 0;
  // Transfers `r` to `out`, which receives every byte of r exactly once (as
  // data or zeros) in ascending order, or an exception is thrown (after
  // discard_from() when some bytes written were wrong). Safe to call
  // from several threads at once for different ranges. The default reads
  // through read_at in 1 MiB steps.
  virtual void fetch_into(ByteRange r, ExtentWriter& out);
  // False for a server that ignores Range: then the bytes from offset 0 come
  // in one stream (fetch_into of a range that starts later throws, saying so),
  // so callers must not split a range that starts at 0 into pieces.
  virtual bool supports_ranges() const { return true; }
  // Whether the source is across a network, where round trips cost more
  // than CPU: the scheduler then adapts concurrency and coalescing to it.
  virtual bool remote() const { return false; }
  // How long the source's discovery request (HEAD) waited for its answer
  // once sent, in seconds; 0 when unknown or local. The scheduler's first
  // estimate of the link's latency, before any piece has been measured.
  virtual double latency_hint_s() const { return 0; }
  // Suggested --chunk-size for this kind of source.
  virtual uint64_t default_chunk_size() const { return 4u << 20; }
};

}  // namespace sparseio
