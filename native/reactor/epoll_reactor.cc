#include "reactor/epoll_reactor.h"

#include <unistd.h>

#include <cerrno>

namespace ace::reactor {
namespace {

uint32_t ToEpoll(uint32_t events) {
  uint32_t e = 0;
  if (events & kReactorReadable) e |= EPOLLIN;
  if (events & kReactorWritable) e |= EPOLLOUT;
  if (events & kReactorPriority) e |= EPOLLPRI;
  return e;
}

uint32_t FromEpoll(uint32_t e) {
  uint32_t events = 0;
  if (e & EPOLLIN) events |= kReactorReadable;
  if (e & EPOLLOUT) events |= kReactorWritable;
  if (e & EPOLLPRI) events |= kReactorPriority;
  if (e & (EPOLLHUP | EPOLLRDHUP)) events |= kReactorHangup;
  if (e & EPOLLERR) events |= kReactorError;
  return events;
}

}  // namespace

std::unique_ptr<EpollReactor> EpollReactor::Create(int* err,
                                                   std::string* what) {
  std::unique_ptr<EpollReactor> r(new EpollReactor());
  r->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (r->epoll_fd_ < 0) {
    *err = -errno;
    *what = "epoll_create1";
    return nullptr;
  }
  return r;
}

EpollReactor::~EpollReactor() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

std::string EpollReactor::Describe() const {
  return "epoll (level-triggered), fd " + std::to_string(epoll_fd_);
}

int EpollReactor::Control(int op, int fd, uint32_t events) {
  if (fd < 0) return -EBADF;
  epoll_event ev{};
  ev.events = ToEpoll(events);
  ev.data.fd = fd;
  return epoll_ctl(epoll_fd_, op, fd, &ev) < 0 ? -errno : 0;
}

int EpollReactor::Add(int fd, uint32_t events) {
  const int r = Control(EPOLL_CTL_ADD, fd, events);
  if (r == 0) ++size_;
  return r;
}

int EpollReactor::Modify(int fd, uint32_t events) {
  return Control(EPOLL_CTL_MOD, fd, events);
}

int EpollReactor::Remove(int fd) {
  const int r = Control(EPOLL_CTL_DEL, fd, 0);
  // EBADF/ENOENT for an fd that was added: it was closed first and the
  // kernel dropped it from the set; either way it is no longer watched.
  if ((r == 0 || r == -EBADF || r == -ENOENT) && size_ > 0) --size_;
  return r;
}

int EpollReactor::Wait(int timeout_ms, int32_t* out, int max) {
  if (max <= 0) return -EINVAL;
  if (ready_.size() < static_cast<size_t>(max)) ready_.resize(max);
  const int n = epoll_wait(epoll_fd_, ready_.data(), max, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  for (int i = 0; i < n; ++i) {
    out[2 * i] = ready_[i].data.fd;
    out[2 * i + 1] = static_cast<int32_t>(FromEpoll(ready_[i].events));
  }
  return n;
}

}  // namespace ace::reactor
