// Error types are public (<sparseio/error.h>); this adds the helpers that
// build messages from errno.
#pragma once

#include <string>
#include <string_view>

#include "sparseio/error.h"

namespace sparseio {

// User-supplied text made fit for a one-line message: line breaks become
// spaces, other control characters (NUL, ...) \xHH escapes, and it is cut
// to about `max_chars` with the full length noted, so that a 10 MB range item
// or a NUL in a range file cannot swell or cut the message.
std::string message_excerpt(std::string_view text, size_t max_chars = 80);

// A failed system call: an Error of its kind that also keeps the errno, so
// that a caller who knows more about one errno (EFBIG: a size the source
// claimed) can say so.
class SystemError : public Error {
 public:
  SystemError(const std::string& message, int code, ErrorKind kind) : Error(message, kind), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Builds "what: strerror(err)" for a failed system call.
std::string errno_message(const std::string& what, int err);

// The kind an errno implies on its own: ENOSPC, EDQUOT, EFBIG and EROFS only
// come from writes, which sparseio makes only to DST and its sidecar
// (kDestinationUnwritable); anything else is kFailure unless the caller
// knows better.
ErrorKind errno_kind(int err);

// Throws SystemError(errno_message(what, err), err, errno_kind(err)).
[[noreturn]] void throw_errno(const std::string& what, int err);
// Throws SystemError(errno_message(what, err), err, kind).
[[noreturn]] void throw_errno(const std::string& what, int err, ErrorKind kind);

}  // namespace sparseio
