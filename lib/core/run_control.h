// How a caller steers a running command from outside: ask it to stop (an
// interrupt), and hear what it is waiting for (a lock, a retry) while it
// runs. The library never prints; it reports events here and the caller
// (the CLI) decides how to show them.
//
// One RunControl serves one command; every layer that can wait or loop
// (lock, HTTP retries, the fetch coordinator) takes an optional pointer to it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

namespace sparseio {

struct RunEvent {
  enum class Kind {
    kLockWait,  // DST is locked by another process; waiting for it (pid when known)
    kRetry,     // a request failed and will be retried (attempt, of, delay_s)
    kWarning,   // something the user should know, the run goes on
  };
  Kind kind = Kind::kWarning;
  std::string message;  // one line, complete, naming the culprit
  long pid = 0;         // kLockWait: the holder, 0 when unknown
  unsigned attempt = 0, of = 0;
  double delay_s = 0;
};

class RunControl {
 public:
  using EventHandler = std::function<void(const RunEvent&)>;

  // Called from any thread; the handler must be thread-safe and quick.
  void set_event_handler(EventHandler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }
  void emit(const RunEvent& event) const {
    std::lock_guard lock(mu_);
    if (handler_) handler_(event);
  }

  // Asks the run to stop: nothing new starts, running transfers end at once
  // and keep what they wrote. Thread-safe (not async-signal-safe: call it
  // from a signal-handling thread, not a handler).
  void request_stop() {
    {
      std::lock_guard lock(mu_);
      stop_.store(true);
    }
    wake_.notify_all();
  }
  bool stop_requested() const noexcept { return stop_.load(std::memory_order_relaxed); }

  // Sleeps `seconds`, or less when a stop is requested; returns false then.
  bool sleep_for(double seconds) const {
    std::unique_lock lock(mu_);
    return !wake_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stop_.load(); });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  EventHandler handler_;
};

// The helpers below accept a null control (a caller that steers nothing).
inline bool stop_requested(const RunControl* c) { return c != nullptr && c->stop_requested(); }
inline void emit_event(const RunControl* c, const RunEvent& e) {
  if (c != nullptr) c->emit(e);
}

}  // namespace sparseio
