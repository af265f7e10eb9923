// Where libsparseio's log messages go. The library never writes to stdout or
// stderr: it hands each message to the handler a program installs, and drops
// it when none is installed (the default). Process-wide, like libcurl's
// global settings: log lines come from worker and transfer threads that a
// per-call hook would have to be threaded through.
#pragma once

#include <functional>
#include <string_view>

#include "sparseio/export.h"

namespace sparseio {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Called from any of the library's threads, possibly at once: the handler
// must be thread-safe. Messages are one line, without a trailing newline;
// secrets (passwords, signatures, Authorization values) are already hidden.
using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

// Installs `handler` for messages at `min_level` and above; an empty handler
// (or kOff) turns logging off. Safe to call at any time.
SPARSEIO_API void set_log_handler(LogHandler handler, LogLevel min_level = LogLevel::kWarn);

}  // namespace sparseio
