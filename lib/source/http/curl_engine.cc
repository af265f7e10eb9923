#include "source/http/curl_engine.h"

#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <mutex>

#include "core/log.h"

namespace sparseio {

void curl_global_once() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) throw Error(std::string("cannot initialize libcurl: ") + curl_easy_strerror(rc));
}

CurlEngine::CurlEngine(long max_connections) : max_connections_(max_connections) {
  curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, max_connections);
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, max_connections);
  // Keep every connection this run opens for reuse.
  curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, std::max(max_connections, 4L));
  thread_ = std::thread([this] { run(); });
}

CurlEngine::~CurlEngine() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_.get());
  thread_.join();
}

CURLcode CurlEngine::perform(CURL* easy) {
  Job job;
  job.easy = easy;
  load_.fetch_add(1, std::memory_order_relaxed);
  struct Unload {
    std::atomic<long>& n;
    ~Unload() { n.fetch_sub(1, std::memory_order_relaxed); }
  } unload{load_};
  {
    std::lock_guard lock(mu_);
    if (stopping_) return CURLE_ABORTED_BY_CALLBACK;
    pending_.push_back(&job);
  }
  curl_multi_wakeup(multi_.get());
  job.done.acquire();
  return job.result;
}

void CurlEngine::finish(Job* job, CURLcode result) {
  job->result = result;
  job->done.release();
}

void CurlEngine::run() {
  // All network I/O happens on this thread: a peer that hangs up must give
  // EPIPE here, not kill the process with SIGPIPE.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  std::vector<Job*> incoming;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      incoming.swap(pending_);
    }
    for (Job* job : incoming) {
      curl_easy_setopt(job->easy, CURLOPT_PRIVATE, job);
      CURLMcode mc = curl_multi_add_handle(multi_.get(), job->easy);
      if (mc != CURLM_OK) {
        log::error("libcurl: cannot add a transfer: {}", curl_multi_strerror(mc));
        finish(job, CURLE_FAILED_INIT);
      } else {
        running_.push_back(job);
      }
    }
    incoming.clear();
    int still_running = 0;
    curl_multi_perform(multi_.get(), &still_running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Job* job = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&job));
      CURLcode result = msg->data.result;
      curl_multi_remove_handle(multi_.get(), msg->easy_handle);
      running_.erase(std::remove(running_.begin(), running_.end(), job), running_.end());
      finish(job, result);
    }
    curl_multi_poll(multi_.get(), nullptr, 0, 1000, nullptr);
  }
  for (Job* job : running_) {
    curl_multi_remove_handle(multi_.get(), job->easy);
    finish(job, CURLE_ABORTED_BY_CALLBACK);
  }
  running_.clear();
  std::lock_guard lock(mu_);
  for (Job* job : pending_) finish(job, CURLE_ABORTED_BY_CALLBACK);
  pending_.clear();
}

}  // namespace sparseio
