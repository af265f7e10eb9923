// WorkerPool: FIFO order on one thread, every queued task runs before the
// destructor returns, N threads really run N tasks at once, and threads
// start only as tasks need them.
#include "engine/worker_pool.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

using sparseio::WorkerPool;

TEST_CASE("one thread runs the tasks in the order they were posted") {
  std::vector<int> order;  // written by the single worker only
  {
    WorkerPool pool(1);
    CHECK(pool.size() == 1);
    for (int i = 0; i < 100; ++i) pool.post([&order, i] { order.push_back(i); });
  }
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(order[static_cast<size_t>(i)] == i);
}

TEST_CASE("zero threads means one") { CHECK(WorkerPool(0).size() == 1); }

TEST_CASE("the destructor returns only after every queued task ran") {
  std::atomic<int> done{0};
  {
    WorkerPool pool(2);
    for (int i = 0; i < 50; ++i)
      pool.post([&done] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        done.fetch_add(1);
      });
    // Most tasks are still queued here: the destructor must run them, not drop them.
  }
  CHECK(done.load() == 50);
}

TEST_CASE("N threads run N tasks at the same time") {
  // Each task waits until all N have started: with fewer than N running at
  // once, none would finish and the test would time out below.
  constexpr int kThreads = 4;
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  int max_waiting = 0;
  std::atomic<int> finished{0};
  {
    WorkerPool pool(kThreads);
    CHECK(pool.size() == kThreads);
    for (int i = 0; i < kThreads; ++i)
      pool.post([&] {
        std::unique_lock lock(mu);
        ++started;
        max_waiting = std::max(max_waiting, started);
        cv.notify_all();
        // Bounded wait so that a broken pool fails the check instead of hanging.
        cv.wait_for(lock, std::chrono::seconds(5), [&] { return started == kThreads; });
        finished.fetch_add(1);
      });
  }
  CHECK(finished.load() == kThreads);
  CHECK(max_waiting == kThreads);
}

TEST_CASE("threads start when a task finds none idle, never more than the size") {
  std::latch go(1);
  {
    WorkerPool pool(4);
    CHECK(pool.started() == 0);  // a pool sized for the most work costs nothing until used
    for (int i = 0; i < 3; ++i) pool.post([&go] { go.wait(); });
    CHECK(pool.started() == 3);  // each task found every thread busy
    for (int i = 0; i < 5; ++i) pool.post([&go] { go.wait(); });
    CHECK(pool.started() == 4);
    go.count_down();
  }
}
