// RAII owners of libcurl handles, and libcurl's one-time global setup.
#pragma once

#include <curl/curl.h>

#include <array>
#include <mutex>
#include <string>
#include <utility>

#include "core/errors.h"

namespace sparseio {

// Runs curl_global_init once per process (thread-safe); throws Error if it fails.
void curl_global_once();

// An easy handle (one transfer at a time).
class CurlEasy {
 public:
  CurlEasy() : h_(curl_easy_init()) {
    if (h_ == nullptr) throw Error("cannot create a libcurl handle (out of memory?)");
  }
  ~CurlEasy() {
    if (h_ != nullptr) curl_easy_cleanup(h_);
  }
  CurlEasy(CurlEasy&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  CurlEasy& operator=(CurlEasy&& o) noexcept {
    if (this != &o) {
      if (h_ != nullptr) curl_easy_cleanup(h_);
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  CurlEasy(const CurlEasy&) = delete;
  CurlEasy& operator=(const CurlEasy&) = delete;

  CURL* get() const { return h_; }

  // curl_easy_setopt that throws Error naming the option on failure.
  template <typename T>
  void set(CURLoption option, T value, const char* what) {
    CURLcode rc = curl_easy_setopt(h_, option, value);
    if (rc != CURLE_OK)
      throw Error(std::string("libcurl rejected option ") + what + ": " + curl_easy_strerror(rc));
  }

 private:
  CURL* h_;
};

// A multi handle (many transfers driven by one thread).
class CurlMulti {
 public:
  CurlMulti() : h_(curl_multi_init()) {
    if (h_ == nullptr) throw Error("cannot create a libcurl multi handle (out of memory?)");
  }
  ~CurlMulti() { curl_multi_cleanup(h_); }
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;
  CURLM* get() const { return h_; }

 private:
  CURLM* h_;
};

// A share handle for DNS and TLS sessions, with locking so that handles on
// any thread may use it.
class CurlShare {
 public:
  CurlShare() : h_(curl_share_init()) {
    if (h_ == nullptr) throw Error("cannot create a libcurl share handle (out of memory?)");
    curl_share_setopt(h_, CURLSHOPT_LOCKFUNC, &CurlShare::lock);
    curl_share_setopt(h_, CURLSHOPT_UNLOCKFUNC, &CurlShare::unlock);
    curl_share_setopt(h_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(h_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(h_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~CurlShare() { curl_share_cleanup(h_); }  // after every easy handle using it
  CurlShare(const CurlShare&) = delete;
  CurlShare& operator=(const CurlShare&) = delete;
  CURLSH* get() const { return h_; }

 private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<CurlShare*>(self)->mutexes_[index(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<CurlShare*>(self)->mutexes_[index(data)].unlock();
  }
  static size_t index(curl_lock_data data) {
    size_t i = static_cast<size_t>(data);
    return i < kLocks ? i : kLocks - 1;
  }
  static constexpr size_t kLocks = CURL_LOCK_DATA_LAST + 1;
  CURLSH* h_;
  std::array<std::mutex, kLocks> mutexes_;
};

// A header list.
class CurlSlist {
 public:
  CurlSlist() = default;
  ~CurlSlist() { curl_slist_free_all(list_); }
  CurlSlist(CurlSlist&& o) noexcept : list_(std::exchange(o.list_, nullptr)) {}
  CurlSlist& operator=(CurlSlist&& o) noexcept {
    if (this != &o) {
      curl_slist_free_all(list_);
      list_ = std::exchange(o.list_, nullptr);
    }
    return *this;
  }
  CurlSlist(const CurlSlist&) = delete;
  CurlSlist& operator=(const CurlSlist&) = delete;

  void append(const std::string& line) {
    curl_slist* l = curl_slist_append(list_, line.c_str());
    if (l == nullptr) throw Error("cannot build a header list (out of memory?)");
    list_ = l;
  }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

// A parsed URL (libcurl's URL API).
class CurlUrl {
 public:
  CurlUrl() : h_(curl_url()) {
    if (h_ == nullptr) throw Error("cannot create a libcurl URL handle (out of memory?)");
  }
  ~CurlUrl() { curl_url_cleanup(h_); }
  CurlUrl(const CurlUrl&) = delete;
  CurlUrl& operator=(const CurlUrl&) = delete;

  // Sets (or, for a relative reference, resolves against the current URL).
  CURLUcode set_url(const std::string& url) { return curl_url_set(h_, CURLUPART_URL, url.c_str(), 0); }
  CURLUcode clear(CURLUPart part) { return curl_url_set(h_, part, nullptr, 0); }
  // A part ("" when absent).
  std::string part(CURLUPart which, unsigned flags = 0) const {
    char* out = nullptr;
    if (curl_url_get(h_, which, &out, flags) != CURLUE_OK || out == nullptr) return {};
    std::string s(out);
    curl_free(out);
    return s;
  }

 private:
  CURLU* h_;
};

}  // namespace sparseio
