// The library's own ways to open a sparseio::Object, for the free functions
// of <sparseio/sparseio.h> (api/facade.cc), each of which opens a handle,
// makes its one call and closes it, so that a free call and a handle's call
// take the same path (Object -> ObjectCore -> engine). They differ from
// Object::open only in how DST is opened, which is what the free functions
// always promised: a DST they only read is neither created nor locked, so a
// complete read-only cache works and a verify does not wait for a fetch
// running elsewhere. Such a handle is only ever asked for what it can do
// (a transfer into a DST opened read-only is refused, not attempted).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sparseio/object.h"
#include "sparseio/options.h"
#include "sparseio/range.h"

namespace sparseio {

struct __attribute__((visibility("hidden"))) ObjectAccess {
  // For a fetch or read of `ranges` (no ranges: the whole object): they are
  // checked against the source before DST is touched (a bad range leaves
  // nothing behind), and DST is opened read-only, unlocked, when it holds
  // all of them already (ObjectCore::open_to_read).
  static std::unique_ptr<Object> open_to_read(const std::string& source, const std::string& destination,
                                              const std::vector<RangeSpec>& ranges, const Options& options);
  // For a verify: DST must exist and is read without the lock; a source
  // whose identity is no longer DST's is opened as it is now, which
  // verify() reports (ObjectCore::open_existing).
  static std::unique_ptr<Object> open_to_verify(const std::string& source, const std::string& destination,
                                                const Options& options);
};

}  // namespace sparseio
