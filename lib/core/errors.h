// Error types. Each carries a complete one-line message that names the thing at
// fault (path, URL, offset, range item or option) and why, ready for stderr.
#pragma once

#include <stdexcept>
#include <string>

namespace sparseio {

// A runtime failure: I/O, network, source changed, destination conflict (exit 1).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user asked for something malformed: bad option or range list (exit 2).
class UsageError : public Error {
 public:
  using Error::Error;
};

// The source no longer matches the identity recorded in the sidecar.
class SourceChangedError : public Error {
 public:
  using Error::Error;
};

// DST exists but is not ours, or is locked by another process.
class DestinationConflictError : public Error {
 public:
  using Error::Error;
};

// Builds "what: strerror(err)" for a failed system call.
std::string errno_message(const std::string& what, int err);

// Throws Error(errno_message(what, err)).
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace sparseio
