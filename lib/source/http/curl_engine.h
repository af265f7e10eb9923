// Drives libcurl transfers on one thread through a multi handle, so that
// connections and TLS sessions are reused across requests and HTTP/2
// connections are multiplexed. Callers on any thread hand it a configured
// easy handle and block until that transfer is done; libcurl's callbacks
// run on the engine thread meanwhile.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include "source/http/curl_handle.h"

namespace sparseio {

class CurlEngine {
 public:
  // `max_connections` limits connections per host and in total.
  explicit CurlEngine(long max_connections);
  ~CurlEngine();  // ends unfinished transfers (CURLE_ABORTED_BY_CALLBACK), joins
  CurlEngine(const CurlEngine&) = delete;
  CurlEngine& operator=(const CurlEngine&) = delete;

  // Runs the transfer configured on `easy` to completion; returns its result.
  CURLcode perform(CURL* easy);
  // Connections it may open, less the transfers submitted and not yet
  // finished: where the next transfer starts soonest.
  long free_slots() const { return max_connections_ - load_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    CURL* easy = nullptr;
    CURLcode result = CURLE_OK;
    std::binary_semaphore done{0};  // released once, by the engine thread
  };
  void run();
  // Hands the result back; the job (on its caller's stack) may be gone after.
  static void finish(Job* job, CURLcode result);

  CurlMulti multi_;
  std::mutex mu_;              // guards pending_ and stopping_
  std::vector<Job*> pending_;  // submitted, not yet added to the multi
  std::vector<Job*> running_;  // added to the multi (engine thread only)
  bool stopping_ = false;
  const long max_connections_;
  std::atomic<long> load_{0};
  std::thread thread_;  // last: starts after the rest is ready
};

}  // namespace sparseio
