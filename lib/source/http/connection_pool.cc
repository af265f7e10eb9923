#include "source/http/connection_pool.h"

#include <algorithm>
#include <thread>

namespace sparseio {

HttpConnectionPool::HttpConnectionPool(unsigned connections) : connections_(std::max(1u, connections)) {
  const unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, connections_);
  for (unsigned i = 0; i < n; ++i) {
    const unsigned share = connections_ / n + (i < connections_ % n ? 1 : 0);  // connections of this engine
    engines_.push_back(std::make_unique<CurlEngine>(static_cast<long>(share)));
  }
}

HttpConnectionPool::~HttpConnectionPool() { engines_.clear(); }

CURLcode HttpConnectionPool::perform(CURL* easy) {
  CurlEngine* best = engines_.front().get();
  for (const auto& e : engines_)
    if (e->free_slots() > best->free_slots()) best = e.get();
  return best->perform(easy);
}

void HttpConnectionPool::note_wait(double wait_s) {
  if (wait_s <= 0) return;
  double seen = latency_s_.load(std::memory_order_relaxed);
  while ((seen == 0 || wait_s < seen) && !latency_s_.compare_exchange_weak(seen, wait_s)) {
  }
  if ((seen == 0 || wait_s < seen) && observer_) observer_();
}

}  // namespace sparseio
