#include "api/cat.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "store/sidecar.h"

namespace sparseio {

std::unique_ptr<CatStream> CatStream::open(FetchCommand cmd, bool store) {
  std::unique_ptr<CatStream> cat(new CatStream);
  cat->store_ = store;
  FetchOptions fetch;
  cat->source_ = open_transfer_source(cmd, fetch);
  Source& source = *cat->source_;
  // The payloads of a selection or plan (a zip member's data, not its local
  // header), in the order given: what is written is what is fetched.
  std::vector<ByteRange> ranges = resolve_command_ranges(cmd.ranges, cmd.plan, source, true).output;
  std::vector<RangeItem>().swap(cmd.ranges);

  const std::string& path = cmd.destination;
  if (!path.empty()) {
    // First look without writing: a DST that already holds every requested
    // byte (or one that is only read, with --no-store) needs read access only.
    if (std::unique_ptr<Destination> ro = open_existing_to_read(cmd)) {
      const bool same = identity_matches(ro->header().identity, source.identity());
      if (!same && !store)
        throw SourceChangedError(
            fmt::format("the source changed since {} was started ({}): it cannot be used", path,
                        describe_identity_change(ro->header().identity, source.identity())));
      if (same && (!store || holds_all(*ro, ranges))) {
        cat->dest_ = std::move(ro);
        cat->store_ = false;
      }
    }
    if (!cat->dest_ && store) cat->dest_ = open_destination(cmd, source);
  }
  StreamOptions options;
  options.jobs = fetch.jobs;
  options.chunk_size = fetch.chunk_size;
  options.store = cat->store_;
  options.control = fetch.control;
  options.progress = fetch.progress;
  cat->stream_ = std::make_unique<RangeStream>(source, cat->dest_.get(), std::move(ranges), options);
  return cat;
}

void CatStream::close() {
  if (!stream_) return;  // open() failed part-way
  stream_->close();
  if (dest_ && store_) dest_->sync();
}

CatStream::~CatStream() {
  try {
    close();
  } catch (const std::exception&) {
    // What could not be recorded is fetched again next time.
  }
}

}  // namespace sparseio
