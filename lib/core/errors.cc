#include "core/errors.h"

#include <cerrno>
#include <cstring>

namespace sparseio {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kFailure: return "failure";
    case ErrorKind::kUsage: return "usage";
    case ErrorKind::kSourceChanged: return "source_changed";
    case ErrorKind::kBusy: return "busy";
    case ErrorKind::kSourceMissing: return "source_missing";
    case ErrorKind::kAccessDenied: return "access_denied";
    case ErrorKind::kNetwork: return "network";
    case ErrorKind::kDestinationUnwritable: return "destination_unwritable";
    case ErrorKind::kCancelled: return "cancelled";
  }
  return "failure";
}

std::string errno_message(const std::string& what, int err) { return what + ": " + std::strerror(err); }

ErrorKind errno_kind(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
    case EROFS:
      return ErrorKind::kDestinationUnwritable;
    default:
      return ErrorKind::kFailure;
  }
}

void throw_errno(const std::string& what, int err) { throw Error(errno_message(what, err), errno_kind(err)); }

void throw_errno(const std::string& what, int err, ErrorKind kind) {
  throw Error(errno_message(what, err), kind);
}

}  // namespace sparseio
