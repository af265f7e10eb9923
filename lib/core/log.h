// The library's logging: formats with fmt and hands the line to the handler
// installed with sparseio::set_log_handler (<sparseio/log.h>). The level
// check is one relaxed atomic load, so a disabled message costs no
// formatting: the HTTP engine logs per transfer at debug level.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string_view>
#include <utility>

#include "sparseio/log.h"

namespace sparseio::log {

namespace detail {
extern std::atomic<int> min_level;  // LogLevel as int; kOff when no handler
void emit(LogLevel level, std::string_view message);
}  // namespace detail

inline bool enabled(LogLevel level) {
  return static_cast<int>(level) >= detail::min_level.load(std::memory_order_relaxed);
}

template <typename... Args>
void at(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(level)) detail::emit(level, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void trace(fmt::format_string<Args...> f, Args&&... a) {
  at(LogLevel::kTrace, f, std::forward<Args>(a)...);
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) {
  at(LogLevel::kDebug, f, std::forward<Args>(a)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... a) {
  at(LogLevel::kInfo, f, std::forward<Args>(a)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) {
  at(LogLevel::kWarn, f, std::forward<Args>(a)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... a) {
  at(LogLevel::kError, f, std::forward<Args>(a)...);
}

}  // namespace sparseio::log
