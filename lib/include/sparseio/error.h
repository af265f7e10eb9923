// The errors libsparseio throws. Each carries a complete one-line message
// that names the thing at fault (path, URL, offset, range item) and why, and
// a kind() a program can act on without parsing the message: retry later,
// fix the job, or start over.
#pragma once

#include <stdexcept>
#include <string>

#include "sparseio/export.h"

namespace sparseio {

enum class ErrorKind {
  kFailure,                // any other runtime failure
  kUsage,                  // a malformed request: bad option, range item, same source and destination
  kSourceChanged,          // the source is not the version the destination was started from
  kBusy,                   // another process is using the destination (and waiting was not wanted)
  kSourceMissing,          // the source does not exist (ENOENT, HTTP 404/410, S3 NoSuchKey)
  kAccessDenied,           // the source may not be read (EACCES, HTTP 401/403, S3 AccessDenied)
  kNetwork,                // network or server failure that outlasted the retries: worth retrying later
  kDestinationUnwritable,  // the destination or its sidecar cannot be written (ENOSPC, EDQUOT, EFBIG, EROFS,
                           // EACCES)
  kCancelled,              // the caller asked the run to stop (an interrupt); what it finished is recorded
};

// A short stable name for a kind ("source_missing"), for JSON output and logs.
SPARSEIO_API const char* error_kind_name(ErrorKind kind);

class SPARSEIO_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::kFailure)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// The request was malformed (kind kUsage).
class SPARSEIO_API UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message, ErrorKind::kUsage) {}
};

// The source no longer matches the identity recorded with the destination
// (kind kSourceChanged).
class SPARSEIO_API SourceChangedError : public Error {
 public:
  explicit SourceChangedError(const std::string& message) : Error(message, ErrorKind::kSourceChanged) {}
};

// The destination exists but is not sparseio's, or is locked by another
// process (kind kBusy then).
class SPARSEIO_API DestinationConflictError : public Error {
 public:
  explicit DestinationConflictError(const std::string& message, ErrorKind kind = ErrorKind::kFailure)
      : Error(message, kind) {}
};

// The run was stopped on request (an interrupt); what it finished is recorded.
class SPARSEIO_API InterruptedError : public Error {
 public:
  explicit InterruptedError(const std::string& message) : Error(message, ErrorKind::kCancelled) {}
};

}  // namespace sparseio
