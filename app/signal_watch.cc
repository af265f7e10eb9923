#include "signal_watch.h"

#include <pthread.h>
#include <unistd.h>

#include <ctime>

namespace sparseio::cli {
namespace {

// The destructor's wake-up call to the watcher thread: a real-time signal, so
// that it is not one a user sends (it is blocked, and taken, only while a run
// is being watched).
const int kWakeSignal = SIGRTMIN;

}  // namespace

SignalWatch::SignalWatch(RunControl& control) : control_(control) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGHUP);
  sigaddset(&set_, kWakeSignal);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  thread_ = std::thread([this] { run(); });
}

SignalWatch::~SignalWatch() {
  stopping_ = true;
  // Wakes the watcher at once: waiting for its next tick cost every run up
  // to 100 ms (a fetch of a tiny file took 0.13 s against stat's 0.03 s).
  pthread_kill(thread_.native_handle(), kWakeSignal);
  thread_.join();
}

void SignalWatch::run() {
  // Wakes 10 times a second to see whether the run is over; a signal is
  // taken the moment it arrives.
  const timespec tick{0, 100'000'000};
  while (!stopping_) {
    const int sig = sigtimedwait(&set_, nullptr, &tick);
    if (sig <= 0 || sig == kWakeSignal) continue;
    int expected = 0;
    if (signal_.compare_exchange_strong(expected, sig)) {
      control_.request_stop();
    } else {
      // A second signal: leave now. Every record in the sidecar was written
      // after its bytes, so what it claims is true; the rest is refetched.
      static const char kMsg[] = "\nsparseio: interrupted again: exiting at once\n";
      ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
      (void)ignored;
      ::_exit(128 + signal_.load());
    }
  }
}

}  // namespace sparseio::cli
