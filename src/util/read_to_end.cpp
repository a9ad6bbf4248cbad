#include "util/read_to_end.h"

#include <unistd.h>

#include <cerrno>

namespace baton {

int read_to_end(int fd, std::string& out) {
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace baton
