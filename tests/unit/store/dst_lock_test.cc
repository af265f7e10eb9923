// The destination lock: exclusive between open file descriptions, released
// on close, and a refusal without waiting that names the path and the pid
// holding it (this process, found in /proc/locks).
#include "store/dst_lock.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "core/errors.h"
#include "core/unique_fd.h"
#include "test_util.h"

using sparseio::DestinationConflictError;
using sparseio::lock_file;
using sparseio::UniqueFd;
using sparseio::test::open_rw;
using sparseio::test::TempDir;

TEST_CASE("a second holder without waiting is refused with the path and the holder's pid") {
  TempDir dir;
  const std::string path = dir.file("dst");
  UniqueFd first = open_rw(path);
  lock_file(first.get(), path, false);
  UniqueFd second = open_rw(path);  // its own open file description: flock conflicts
  try {
    lock_file(second.get(), path, false);
    FAIL("the second lock was granted");
  } catch (const DestinationConflictError& e) {
    std::string msg = e.what();
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find("pid " + std::to_string(::getpid())) != std::string::npos);
  }
}

TEST_CASE("closing the holder releases the lock") {
  TempDir dir;
  const std::string path = dir.file("dst");
  {
    UniqueFd first = open_rw(path);
    lock_file(first.get(), path, false);
  }
  UniqueFd second = open_rw(path);
  CHECK_NOTHROW(lock_file(second.get(), path, false));
}

TEST_CASE("a waiting locker gets the lock when the holder lets go") {
  TempDir dir;
  const std::string path = dir.file("dst");
  auto first = std::make_unique<UniqueFd>(open_rw(path));
  lock_file(first->get(), path, false);
  UniqueFd second = open_rw(path);
  auto waiter = std::async(std::launch::async, [&] { lock_file(second.get(), path, true); });
  CHECK(waiter.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout);
  first.reset();
  CHECK(waiter.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK_NOTHROW(waiter.get());
}

TEST_CASE("a bad descriptor is an error naming the path, not a conflict") {
  try {
    lock_file(-1, "/some/dst", false);
    FAIL("no error");
  } catch (const DestinationConflictError&) {
    FAIL("reported as a conflict");
  } catch (const sparseio::Error& e) {
    CHECK(std::string(e.what()).find("/some/dst") != std::string::npos);
  }
}
