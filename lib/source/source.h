// A Source is a read-only object sparseio fetches from: a local file or a URL.
// It reports its identity (core/source_identity.h), delivers bytes to an
// ExtentWriter (core/extent_writer.h) and tells a LinkObserver what a
// transfer learned of the link.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/byte_range.h"
#include "core/extent_writer.h"
#include "core/source_identity.h"

namespace sparseio {

// Feedback about the link from one transfer, for whoever adapts to it (the
// engine's scheduler, engine/scheduler.h, through the fetch coordinator).
// Apart from ExtentWriter, the seam where bytes go: the store knows nothing of
// links, and the engine passes an observer only where it listens. A source
// that knows nothing of links (a local file) never calls it.
class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  // The response's headers arrived: the request's time to first byte.
  virtual void response_started() {}
  // The server pushed back (429, 503, S3's SlowDown) or the connection
  // failed; the source retries after this. Called once per such answer.
  virtual void throttled() {}

  // The observer of a transfer nobody listens to: ignores everything.
  static LinkObserver& none();
};

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
  // from several threads at once for different ranges. `link` hears what the
  // transfer learns of the link. The default reads through read_at in 1 MiB
  // steps. A subclass that overrides it says `using Source::fetch_into;` to
  // keep the two-argument form, and calls its base's with all three: the
  // two-argument form dispatches to the override again.
  virtual void fetch_into(ByteRange r, ExtentWriter& out, LinkObserver& link);
  // A transfer whose link feedback nobody listens to.
  void fetch_into(ByteRange r, ExtentWriter& out) { fetch_into(r, out, LinkObserver::none()); }
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
