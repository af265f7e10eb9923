#include "core/log.h"

#include <memory>
#include <mutex>

namespace sparseio {
namespace log::detail {

std::atomic<int> min_level{static_cast<int>(LogLevel::kOff)};

namespace {
// The handler is copied out under the lock and called outside it, so a
// handler that logs (or a slow terminal) never blocks set_log_handler.
std::mutex handler_mu;
std::shared_ptr<const LogHandler> handler;
}  // namespace

void emit(LogLevel level, std::string_view message) {
  std::shared_ptr<const LogHandler> h;
  {
    std::lock_guard lock(handler_mu);
    h = handler;
  }
  if (h && *h) (*h)(level, message);
}

}  // namespace log::detail

void set_log_handler(LogHandler h, LogLevel min_level) {
  std::lock_guard lock(log::detail::handler_mu);
  bool on = static_cast<bool>(h) && min_level != LogLevel::kOff;
  log::detail::handler = on ? std::make_shared<const LogHandler>(std::move(h)) : nullptr;
  log::detail::min_level.store(static_cast<int>(on ? min_level : LogLevel::kOff), std::memory_order_relaxed);
}

}  // namespace sparseio
