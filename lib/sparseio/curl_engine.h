// Drives libcurl transfers on one thread through a multi handle, so that
// connections and TLS sessions are reused across requests and HTTP/2
// connections are multiplexed. Callers on any thread hand it a configured
// easy handle and block until that transfer is done; libcurl's callbacks
// run on the engine thread meanwhile.
#pragma once

#include <curl/curl.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "sparseio/curl_handle.h"

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

 private:
  struct Job {
    CURL* easy = nullptr;
    CURLcode result = CURLE_OK;
    bool done = false;
  };
  void run();
  void finish(Job* job, CURLcode result);  // requires mu_

  CurlMulti multi_;
  std::mutex mu_;
  std::condition_variable done_;
  std::vector<Job*> pending_;  // submitted, not yet added to the multi
  std::vector<Job*> running_;  // added to the multi
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the rest is ready
};

}  // namespace sparseio
