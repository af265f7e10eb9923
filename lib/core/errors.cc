#include "core/errors.h"

#include <cstring>

namespace sparseio {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOther:
      return "failure";
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kSourceChanged:
      return "source_changed";
    case ErrorKind::kBusy:
      return "busy";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kNetwork:
      return "network";
    case ErrorKind::kDestination:
      return "destination";
    case ErrorKind::kInterrupted:
      return "interrupted";
  }
  return "failure";
}

std::string errno_message(const std::string& what, int err) { return what + ": " + std::strerror(err); }

void throw_errno(const std::string& what, int err, ErrorKind kind) {
  throw Error(errno_message(what, err), kind);
}

}  // namespace sparseio
