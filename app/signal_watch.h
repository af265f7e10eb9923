// SIGINT, SIGTERM and SIGHUP for the CLI: the first one asks the run to stop
// (RunControl::request_stop: nothing new starts, running transfers keep
// their valid prefix, the sidecar is synced), a second one ends the process
// at once. Either way the exit code is 128 + the signal number (130, 143,
// 129), and no claim is ever false: the sidecar only records bytes already
// written.
//
// The signals are blocked in every thread and taken by one watcher thread
// with sigtimedwait, so that stopping runs ordinary (not signal-safe) code.
#pragma once

#include <atomic>
#include <csignal>
#include <thread>

#include "core/run_control.h"

namespace sparseio::cli {

class SignalWatch {
 public:
  // Must be constructed before any other thread starts (they inherit the mask).
  explicit SignalWatch(RunControl& control);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  // The first signal received, 0 when none.
  int signal() const { return signal_.load(); }
  // 128 + signal(), or 0.
  int exit_code() const { return signal() == 0 ? 0 : 128 + signal(); }

 private:
  void run();

  RunControl& control_;
  sigset_t set_{};
  std::atomic<int> signal_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace sparseio::cli
