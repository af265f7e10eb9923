// Error types are public (<sparseio/error.h>); this adds the helpers that
// build messages from errno.
#pragma once

#include <string>

#include "sparseio/error.h"

namespace sparseio {

// The run was stopped on request (RunControl::request_stop, an interrupt);
// what it finished is recorded.
class InterruptedError : public Error {
 public:
  explicit InterruptedError(const std::string& message) : Error(message, ErrorKind::kCancelled) {}
};

// Builds "what: strerror(err)" for a failed system call.
std::string errno_message(const std::string& what, int err);

// The kind an errno implies on its own: ENOSPC, EDQUOT, EFBIG and EROFS only
// come from writes, which sparseio makes only to DST and its sidecar
// (kDestinationUnwritable); anything else is kFailure unless the caller
// knows better.
ErrorKind errno_kind(int err);

// Throws Error(errno_message(what, err)) of errno_kind(err).
[[noreturn]] void throw_errno(const std::string& what, int err);
// Throws Error(errno_message(what, err)) of `kind`.
[[noreturn]] void throw_errno(const std::string& what, int err, ErrorKind kind);

}  // namespace sparseio
