// Owns a file descriptor and closes it on every return path, for code that
// uses sockets directly (native-protocol clients) rather than through Asio.
#ifndef QILIAN_CORE_UNIQUE_FD_H_
#define QILIAN_CORE_UNIQUE_FD_H_

#include <unistd.h>

namespace qilian {

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace qilian

#endif  // QILIAN_CORE_UNIQUE_FD_H_
