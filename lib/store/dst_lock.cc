#include "store/dst_lock.h"

#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "core/errors.h"

namespace sparseio {
namespace {

// Finds the pid holding a FLOCK on the file, from /proc/locks; 0 if unknown.
long flock_holder(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return 0;
  std::string want = fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev), st.st_ino);
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream in(line);
    std::string id, kind, advisory, mode, dev_ino;
    long pid = 0;
    in >> id >> kind;
    if (kind == "->") in >> kind;  // a waiter line
    in >> advisory >> mode >> pid >> dev_ino;
    if (kind == "FLOCK" && dev_ino == want && line.find("->") == std::string::npos) return pid;
  }
  return 0;
}

}  // namespace

void lock_file(int fd, const std::string& path, bool wait, const RunControl* control) {
  // With a control, waiting polls (a blocked flock cannot be told to stop);
  // 50 ms between tries costs nothing next to a run that holds the lock.
  const bool poll = wait && control != nullptr;
  bool told = false;
  for (;;) {
    if (::flock(fd, LOCK_EX | (wait && !poll ? 0 : LOCK_NB)) == 0) return;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) throw_errno(fmt::format("cannot lock {}", path), errno);
    long pid = flock_holder(fd);
    std::string holder = pid > 0 ? fmt::format(" (pid {})", pid) : "";
    // Another handle of this very process (sparseio::Object): one lock per
    // open of DST, as between processes, but a message that says so.
    const std::string who = pid == ::getpid() ? "another handle in this process" : "another sparseio process";
    if (!wait)
      throw DestinationConflictError(fmt::format("destination {} is in use by {}{}", path, who, holder),
                                     ErrorKind::kBusy);
    if (!told) {
      RunEvent e;
      e.kind = RunEvent::Kind::kLockWait;
      e.pid = pid;
      e.message = fmt::format("waiting for {}: it is in use by {}{}", path, who, holder);
      control->emit(e);
      told = true;
    }
    if (!control->sleep_for(0.05))
      throw InterruptedError(fmt::format("interrupted while waiting for the lock on {}", path));
  }
}

}  // namespace sparseio
