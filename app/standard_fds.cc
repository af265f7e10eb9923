#include "standard_fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace sparseio::cli {

void ensure_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() returns the lowest free descriptor: this one.
    int got = ::open("/dev/null", fd == 0 || fd == 1 ? O_RDONLY : O_WRONLY);
    if (got != fd && got >= 0) ::close(got);
  }
}

}  // namespace sparseio::cli
