#include "core/errors.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace sparseio {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kFailure:
      return "failure";
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kSourceChanged:
      return "source_changed";
    case ErrorKind::kBusy:
      return "busy";
    case ErrorKind::kSourceMissing:
      return "source_missing";
    case ErrorKind::kAccessDenied:
      return "access_denied";
    case ErrorKind::kNetwork:
      return "network";
    case ErrorKind::kDestinationUnwritable:
      return "destination_unwritable";
    case ErrorKind::kCancelled:
      return "cancelled";
  }
  return "failure";
}

std::string message_excerpt(std::string_view text, size_t max_chars) {
  auto escape = [](std::string_view part) {
    std::string out;
    for (char c : part) {
      auto u = static_cast<unsigned char>(c);
      if (c == '\n' || c == '\r') {
        out += ' ';  // one line, as the text read
      } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
        out += fmt::format("\\x{:02x}", u);  // a NUL would end the C string
      } else {
        out += c;
      }
    }
    return out;
  };
  if (text.size() <= max_chars) return escape(text);
  // Keep the start, where a typo usually shows, and a little of the end.
  size_t head = max_chars * 3 / 4, tail = max_chars - head;
  return fmt::format("{}...{} ({} bytes)", escape(text.substr(0, head)),
                     escape(text.substr(text.size() - tail)), text.size());
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

void throw_errno(const std::string& what, int err) { throw_errno(what, err, errno_kind(err)); }

void throw_errno(const std::string& what, int err, ErrorKind kind) {
  throw SystemError(errno_message(what, err), err, kind);
}

}  // namespace sparseio
