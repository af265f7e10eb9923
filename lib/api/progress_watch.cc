#include "api/progress_watch.h"

#include <algorithm>
#include <chrono>

#include "api/public_types.h"

namespace sparseio {

ProgressWatch::ProgressWatch(const Options& options)
    : handler_(options.on_progress), interval_s_(std::max(0.001, options.progress_interval_s)) {}

ProgressWatch::~ProgressWatch() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  wake_.notify_all();
  thread_.join();
  try {
    call_handler();  // the final state, kept by the monitor when the run detached
  } catch (...) {
    // A handler that throws at the end cannot change the result.
  }
}

void ProgressWatch::attach(FetchCommand& cmd) {
  if (!handler_) return;
  cmd.fetch.control = &control_;
  cmd.fetch.progress = &monitor_;
  cmd.dest.control = &control_;
  cmd.http.control = &control_;
}

FetchCall ProgressWatch::call() {
  if (!handler_) return {};
  return {&control_, &monitor_};
}

void ProgressWatch::watch(ProgressMonitor::Provider provider) {
  if (handler_) monitor_.attach(std::move(provider));
}

void ProgressWatch::start() {
  if (!handler_) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

bool ProgressWatch::call_handler() {
  std::optional<ProgressSnapshot> s = monitor_.snapshot(0);
  if (!s) return true;  // the run has not started
  return handler_(to_public(*s));
}

void ProgressWatch::run(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, std::chrono::duration<double>(interval_s_), [] { return false; });
    if (stop.stop_requested()) break;
    bool go_on = true;
    try {
      go_on = call_handler();
    } catch (...) {
      go_on = false;  // a handler that throws stops the run rather than the process
    }
    if (!go_on) {
      control_.request_stop();
      return;
    }
  }
}

}  // namespace sparseio
