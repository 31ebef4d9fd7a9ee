// The epoll demultiplexer: the kernel keeps the interest set, and the epoll
// fd itself polls readable while events are ready, so libuv can watch it.
#ifndef ACE_PROACTOR_REACTOR_EPOLL_REACTOR_H_
#define ACE_PROACTOR_REACTOR_EPOLL_REACTOR_H_

#include <sys/epoll.h>

#include <memory>
#include <string>
#include <vector>

#include "common/reactor_backend.h"

namespace ace::reactor {

class EpollReactor final : public ReactorBackend {
 public:
  // Creates the epoll set; on failure returns null with *err and *what.
  static std::unique_ptr<EpollReactor> Create(int* err, std::string* what);
  ~EpollReactor() override;

  const char* Name() const override { return "epoll"; }
  std::string Describe() const override;
  int Add(int fd, uint32_t events) override;
  int Modify(int fd, uint32_t events) override;
  int Remove(int fd) override;
  int Wait(int timeout_ms, int32_t* out, int max) override;
  int NotifyFd() override { return epoll_fd_; }
  void Rearm() override {}
  size_t Size() const override { return size_; }

 private:
  EpollReactor() = default;
  // epoll_ctl with the interest bits translated.
  int Control(int op, int fd, uint32_t events);

  // the epoll instance
  int epoll_fd_ = -1;
  // fds in the set
  size_t size_ = 0;
  // epoll_wait's output, grown to the largest max asked for
  std::vector<epoll_event> ready_;
};

}  // namespace ace::reactor

#endif  // ACE_PROACTOR_REACTOR_EPOLL_REACTOR_H_
