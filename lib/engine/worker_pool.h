// A pool of at most N threads running queued tasks in FIFO order. Threads
// start when a task is posted and none is idle, so that a pool sized for
// the most work that may come (64 requests in flight) costs only the
// threads the work really needs.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sparseio {

class WorkerPool {
 public:
  explicit WorkerPool(unsigned max_threads);
  ~WorkerPool();  // finishes queued tasks, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Tasks must not throw; wrap them if they can. A task may post more.
  void post(std::function<void()> task);
  // The most threads the pool will run.
  unsigned size() const { return max_threads_; }
  // Threads started so far.
  unsigned started() const;

 private:
  void run();

  const unsigned max_threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  unsigned idle_ = 0;  // started threads not running a task
  bool stopping_ = false;
  std::vector<std::jthread> threads_;
};

}  // namespace sparseio
