// The exit codes of the CLI (documented in --help, README and sparseio(1)),
// and the JSON object a failure prints with --json, so that a CI step can
// tell "retry later" (7) from "fix the job" (2, 6) without parsing messages.
#pragma once

#include <string>

#include "core/errors.h"

namespace sparseio::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // any other runtime failure
inline constexpr int kExitUsage = 2;          // bad option, range list or range file
inline constexpr int kExitDiffer = 3;         // verify found differences
inline constexpr int kExitSourceChanged = 4;  // the source changed since DST was started
inline constexpr int kExitBusy = 5;           // DST is in use by another sparseio (--no-wait)
inline constexpr int kExitNotFound = 6;       // the source does not exist or access is denied
inline constexpr int kExitNetwork = 7;        // network or server failure after the retries
inline constexpr int kExitDestination = 8;    // DST cannot be written

// The code for an error of `kind` (kCancelled: 130, SIGINT's; the CLI
// uses the signal that arrived).
int exit_code_for(ErrorKind kind);

// {"error": {"kind": ..., "message": ...}, "exit_code": N} and a newline.
std::string json_error(const std::string& message, ErrorKind kind, int exit_code);

// The exit-code table as printed in --help.
const char* exit_code_help();

}  // namespace sparseio::cli
