// libsparseio: fetch chosen byte ranges of large objects (local files,
// http:// and https:// URLs, S3 objects as s3://bucket/key) in parallel into
// sparse local files that remember what they hold. This is the only header a
// program includes; it needs C++20 (pkg-config --cflags sparseio says so).
//
//   #include <sparseio/sparseio.h>
//   sparseio::AllocationReport r = sparseio::fetch(
//       "https://host/big.parquet", "big.parquet", {sparseio::RangeSpec::last(64 << 10)});
//
// fetch, read and verify are each one call on a sparseio::Object
// (<sparseio/object.h>) opened and closed for it: a program that makes many
// calls on one object opens the handle once instead (no discovery, sidecar
// replay or lock per call). stat and punch need no source.
//
// Every operation throws sparseio::Error (<sparseio/error.h>) with a one-line
// message naming the path, URL or range at fault, and a kind() a program can
// act on. The library never prints: see set_log_handler (<sparseio/log.h>).
// Build with `pkg-config --cflags --libs sparseio`.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "sparseio/byte_range.h"
#include "sparseio/error.h"
#include "sparseio/export.h"
#include "sparseio/log.h"
#include "sparseio/object.h"
#include "sparseio/options.h"
#include "sparseio/range.h"
#include "sparseio/report.h"

namespace sparseio {

// "0.1.0": the library's version (the CLI's `sparseio --version`).
SPARSEIO_API const char* version();

// Makes `ranges` of `source` present in the sparse file `destination` (no
// ranges: the whole object), transferring only what is missing. The
// destination has the source's size; what was never fetched is a hole.
// Object::fetch, with the ranges checked against the source before the
// destination is touched (a bad one leaves nothing behind); a destination
// that already holds them all is only read (not locked, read access is
// enough).
SPARSEIO_API AllocationReport fetch(const std::string& source, const std::string& destination,
                                    const std::vector<RangeSpec>& ranges = {}, const Options& options = {});

// The allocation report of `destination`, without touching any source. With
// `list_ranges`, report.ranges lists what is present.
SPARSEIO_API AllocationReport stat(const std::string& destination, bool list_ranges = false);

// Evicts `ranges` from `destination`: no longer present, their whole
// filesystem blocks returned to the filesystem.
SPARSEIO_API AllocationReport punch(const std::string& destination, const std::vector<RangeSpec>& ranges,
                                    const Options& options = {});

// Compares the present bytes of `ranges` of `destination` (no ranges: all it
// holds) with `source`: Object::verify, on a destination that must exist and
// is read without its lock (a fetch running elsewhere is not waited for). A
// source that changed since the destination was started is compared as it
// is now and reported (VerifySummary::source_changed), not refused.
SPARSEIO_API VerifySummary verify(const std::string& source, const std::string& destination,
                                  const std::vector<RangeSpec>& ranges = {}, const Options& options = {});

// Read-through access: makes `ranges` present in `destination` as fetch
// does, then hands their bytes to `sink`, in the order given (Object::read).
// A destination that holds them all already is only read.
using ByteSink = std::function<void(std::span<const std::byte> bytes)>;
SPARSEIO_API TransferStats read(const std::string& source, const std::string& destination,
                                const std::vector<RangeSpec>& ranges, const ByteSink& sink,
                                const Options& options = {});

}  // namespace sparseio
