#include "engine/worker_pool.h"

namespace sparseio {

WorkerPool::WorkerPool(unsigned max_threads) : max_threads_(max_threads == 0 ? 1 : max_threads) {}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // One at a time, under the lock: a queued task still running may post,
  // and so start a thread, while the others are joined.
  for (;;) {
    std::jthread t;
    {
      std::lock_guard lock(mu_);
      if (threads_.empty()) return;
      t = std::move(threads_.back());
      threads_.pop_back();
    }
    t.join();
  }
}

unsigned WorkerPool::started() const {
  std::lock_guard lock(mu_);
  return static_cast<unsigned>(threads_.size());
}

void WorkerPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
    if (queue_.size() > idle_ && threads_.size() < max_threads_) {
      try {
        threads_.emplace_back([this] { run(); });
        ++idle_;  // counted idle until it takes its first task (for which it needs mu_)
      } catch (...) {
        // No thread (a pids limit): a running thread takes the task later;
        // with none, the task would never run, so the caller learns it now.
        if (threads_.empty()) {
          queue_.pop_back();
          throw;
        }
      }
    }
  }
  cv_.notify_one();
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      --idle_;
    }
    task();
    std::lock_guard lock(mu_);
    ++idle_;
  }
}

}  // namespace sparseio
