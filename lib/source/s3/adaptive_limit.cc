// AIMD limit on parallel S3 requests.
#include "source/s3/adaptive_limit.h"

#include <algorithm>

#include "core/log.h"

namespace sparseio::s3 {

AdaptiveLimit::AdaptiveLimit(unsigned max, std::chrono::milliseconds cut_interval)
    : max_(std::max(1u, max)), cut_interval_(cut_interval), limit_(std::max(1u, max)) {}

void AdaptiveLimit::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return active_ < limit_; });
  ++active_;
}

void AdaptiveLimit::release() {
  {
    std::lock_guard lock(mu_);
    --active_;
  }
  cv_.notify_one();
}

void AdaptiveLimit::throttled() {
  std::lock_guard lock(mu_);
  streak_ = 0;
  const auto now = std::chrono::steady_clock::now();
  if (limit_ == 1 ||
      (last_cut_ != std::chrono::steady_clock::time_point{} && now - last_cut_ < cut_interval_))
    return;
  last_cut_ = now;
  limit_ = std::max(1u, limit_ / 2);
  log::info("the server asks to slow down: at most {} parallel requests now", limit_);
}

void AdaptiveLimit::succeeded() {
  bool grew = false;
  {
    std::lock_guard lock(mu_);
    if (limit_ >= max_) return;
    if (++streak_ >= limit_) {
      streak_ = 0;
      ++limit_;
      grew = true;
    }
  }
  if (grew) cv_.notify_one();
}

unsigned AdaptiveLimit::limit() const {
  std::lock_guard lock(mu_);
  return limit_;
}

}  // namespace sparseio::s3
