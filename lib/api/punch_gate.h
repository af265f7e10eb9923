// The handle's guard between punch and everything that reads or writes DST's
// bytes. Two races would otherwise make a false byte:
//  - a read that found bytes present copies them after a punch made them a
//    hole: it returns zeros it believed were the object's;
//  - a transfer writes bytes, a punch retires and punches them, then the
//    transfer records them: a claim of a hole.
// So reads and fetches pass the gate shared (any number at once) and punch
// passes it alone. Writers first: once a punch waits, new readers wait
// behind it, so that a stream of reads cannot starve an eviction
// (glibc's std::shared_mutex prefers readers). No one holding the gate
// shared waits for someone who has yet to enter it (a read waits only for
// transfers already running under the gate), so writers-first cannot
// deadlock.
#pragma once

#include <condition_variable>
#include <mutex>

namespace sparseio {

class PunchGate {
 public:
  void lock_shared() {
    std::unique_lock lock(mu_);
    open_.wait(lock, [&] { return !punching_ && punches_waiting_ == 0; });
    ++readers_;
  }
  void unlock_shared() {
    std::lock_guard lock(mu_);
    if (--readers_ == 0) open_.notify_all();
  }
  void lock() {
    std::unique_lock lock(mu_);
    ++punches_waiting_;
    open_.wait(lock, [&] { return !punching_ && readers_ == 0; });
    --punches_waiting_;
    punching_ = true;
  }
  void unlock() {
    std::lock_guard lock(mu_);
    punching_ = false;
    open_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable open_;
  unsigned readers_ = 0;
  unsigned punches_waiting_ = 0;
  bool punching_ = false;
};

}  // namespace sparseio
