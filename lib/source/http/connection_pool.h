// The connections of a run: the libcurl engines (threads with a multi
// handle each, whose connection caches keep connections open for reuse)
// and the share handle (DNS cache, TLS sessions) that HTTP requests run on.
//
// One HttpClient alone makes its own pool. A run of many objects (api/many)
// makes one and hands it to every object's source through
// HttpOptions::pool, so that a connection opened for one object serves the
// next (no new TCP and TLS handshake per object) and `connections` bounds
// the whole run's connections, not each object's: with 64 objects in
// flight, a request beyond the cap waits in libcurl's queue for a
// connection to come free instead of opening the 65th.
//
// Thread-safe: perform() may be called from any thread at once (each engine
// takes its transfers through its own queue; the share locks per data kind).
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "source/http/curl_engine.h"
#include "source/http/curl_handle.h"

namespace sparseio {

class HttpConnectionPool {
 public:
  // At most `connections` open at once, over one engine per core (fewer
  // when there are fewer connections): receiving, hashing and writing the
  // bytes of several connections then use every core.
  explicit HttpConnectionPool(unsigned connections);
  ~HttpConnectionPool();  // ends unfinished transfers; after every easy handle using share()
  HttpConnectionPool(const HttpConnectionPool&) = delete;
  HttpConnectionPool& operator=(const HttpConnectionPool&) = delete;

  // Runs the transfer configured on `easy` on the least loaded engine.
  CURLcode perform(CURL* easy);
  // For CURLOPT_SHARE of the easy handles that run here.
  CURLSH* share() const { return share_.get(); }
  unsigned connections() const { return connections_; }

  // The shortest time from request to first byte answered so far (seconds,
  // 0 before any): the link's latency as the run's first answers show it,
  // for deciding how many objects to keep in flight (api/many).
  double latency_s() const { return latency_s_.load(std::memory_order_relaxed); }
  // A request's time to first byte (HttpResult::wait_s); the first one
  // calls the observer.
  void note_wait(double wait_s);
  // Called (on the requesting thread) when latency_s() first becomes known
  // or drops; set before any request runs, it must not block.
  void on_latency(std::function<void()> observer) { observer_ = std::move(observer); }

  // TCP connections libcurl opened through this pool so far (tests, -v).
  long connects() const { return connects_.load(std::memory_order_relaxed); }
  void add_connects(long n) { connects_.fetch_add(n, std::memory_order_relaxed); }

 private:
  struct GlobalInit {
    GlobalInit() { curl_global_once(); }
  };
  GlobalInit global_init_;  // first: before any libcurl handle
  const unsigned connections_;
  CurlShare share_;
  std::atomic<double> latency_s_{0};
  std::atomic<long> connects_{0};
  std::function<void()> observer_;
  std::vector<std::unique_ptr<CurlEngine>> engines_;  // last: destroyed (joined) first
};

}  // namespace sparseio
