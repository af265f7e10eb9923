// A limit on parallel requests that backs off when the server says "slow
// down" (S3 answers 503 SlowDown when a prefix gets more requests than it can
// take): halved on each throttling answer, grown by one after as many
// successes in a row as the limit (additive increase, multiplicative
// decrease, as TCP and the AWS SDKs' "adaptive" retry mode do).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace sparseio::s3 {

class AdaptiveLimit {
 public:
  // Up to `max` at once. Cuts closer together than `cut_interval` count as
  // one: the answers of requests sent together arrive together.
  explicit AdaptiveLimit(unsigned max, std::chrono::milliseconds cut_interval = std::chrono::seconds(1));

  void acquire();  // blocks while `limit()` requests are running
  void release();
  void throttled();  // a throttling answer came (503, SlowDown)
  void succeeded();  // a successful answer came

  unsigned limit() const;

  // Holds one slot for a scope.
  class Slot {
   public:
    explicit Slot(AdaptiveLimit& l) : l_(l) { l_.acquire(); }
    ~Slot() { l_.release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    AdaptiveLimit& l_;
  };

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  const unsigned max_;
  const std::chrono::milliseconds cut_interval_;
  unsigned limit_;
  unsigned active_ = 0;
  unsigned streak_ = 0;
  std::chrono::steady_clock::time_point last_cut_{};
};

}  // namespace sparseio::s3
