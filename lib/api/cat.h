// sparseio cat as a library call: a read stream of the bytes of RANGES, in
// the order given, fetched in parallel behind the reader (see RangeStream).
// The caller writes the bytes wherever it likes (the CLI: standard output).
#pragma once

#include <memory>
#include <span>

#include "api/commands.h"
#include "engine/range_stream.h"

namespace sparseio {

class CatStream {
 public:
  // cmd.destination empty: nothing is written to disk. Otherwise missing
  // bytes are fetched into DST and recorded (unless !store), present bytes
  // are read from it; a DST whose requested bytes are all present is only
  // read (read access is enough). With !store, a DST that does not exist is
  // simply not used. Takes cmd by value: a long range list is freed.
  static std::unique_ptr<CatStream> open(FetchCommand cmd, bool store = true);
  ~CatStream();

  // The next bytes in order; empty at the end. Valid until the next call.
  std::span<const std::byte> next() { return stream_->next(); }
  // Ends the run (also early, when the reader went away): stops the
  // transfers, records and syncs what reached DST. Safe to call twice.
  void close();
  FetchStats stats() const { return stream_->stats(); }
  // The destination used, or nullptr.
  const Destination* destination() const { return dest_.get(); }

 private:
  CatStream() = default;
  std::unique_ptr<Source> source_;
  std::unique_ptr<Destination> dest_;
  bool store_ = true;
  std::unique_ptr<RangeStream> stream_;  // last: goes first
};

}  // namespace sparseio
