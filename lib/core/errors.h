// Error types are public (<sparseio/error.h>); this adds the helpers that
// build messages from errno.
#pragma once

#include <string>

#include "sparseio/error.h"

namespace sparseio {

// Builds "what: strerror(err)" for a failed system call.
std::string errno_message(const std::string& what, int err);

// Throws Error(errno_message(what, err)) of `kind`.
[[noreturn]] void throw_errno(const std::string& what, int err, ErrorKind kind = ErrorKind::kOther);

}  // namespace sparseio
