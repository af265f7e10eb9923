#include "exit_status.h"

#include <nlohmann/json.hpp>

namespace sparseio::cli {

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kFailure:
      return kExitFailure;
    case ErrorKind::kUsage:
      return kExitUsage;
    case ErrorKind::kSourceChanged:
      return kExitSourceChanged;
    case ErrorKind::kBusy:
      return kExitBusy;
    case ErrorKind::kSourceMissing:
    case ErrorKind::kAccessDenied:
      return kExitNotFound;
    case ErrorKind::kNetwork:
      return kExitNetwork;
    case ErrorKind::kDestinationUnwritable:
      return kExitDestination;
    case ErrorKind::kCancelled:
      return 130;
  }
  return kExitFailure;
}

std::string json_error(const std::string& message, ErrorKind kind, int exit_code) {
  nlohmann::ordered_json j;
  j["error"] = {{"kind", error_kind_name(kind)}, {"message", message}};
  j["exit_code"] = exit_code;
  return j.dump() + "\n";
}

const char* exit_code_help() {
  return "EXIT CODES:\n"
         "  0  success\n"
         "  1  any other runtime failure\n"
         "  2  usage error (bad option, range list or range file)\n"
         "  3  verify found differences\n"
         "  4  the source changed since DST was started (use --restart)\n"
         "  5  DST is in use by another sparseio (--no-wait)\n"
         "  6  the source does not exist or access is denied (ENOENT, EACCES, HTTP 401/403/404/410)\n"
         "  7  network or server failure after the retries (DNS, connect, timeout, 5xx, 429): retry later\n"
         "  8  DST cannot be written (ENOSPC, EDQUOT, EFBIG, EROFS, EACCES)\n"
         "  129/130/143  stopped by SIGHUP/SIGINT/SIGTERM (what arrived is kept; rerun to resume)\n";
}

}  // namespace sparseio::cli
