#include "signal_watch.h"

#include <pthread.h>
#include <unistd.h>

#include <ctime>

namespace sparseio::cli {

SignalWatch::SignalWatch(RunControl& control) : control_(control) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  thread_ = std::thread([this] { run(); });
}

SignalWatch::~SignalWatch() {
  stopping_ = true;
  thread_.join();
}

void SignalWatch::run() {
  // Wakes 10 times a second to see whether the run is over; a signal is
  // taken the moment it arrives.
  const timespec tick{0, 100'000'000};
  while (!stopping_) {
    const int sig = sigtimedwait(&set_, nullptr, &tick);
    if (sig <= 0) continue;
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
