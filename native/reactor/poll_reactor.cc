#include "reactor/poll_reactor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace ace::reactor {
namespace {

short ToPoll(uint32_t events) {
  short e = 0;
  if (events & kReactorReadable) e |= POLLIN;
  if (events & kReactorWritable) e |= POLLOUT;
  if (events & kReactorPriority) e |= POLLPRI;
  return e;
}

uint32_t FromPoll(short e) {
  uint32_t events = 0;
  if (e & POLLIN) events |= kReactorReadable;
  if (e & POLLOUT) events |= kReactorWritable;
  if (e & POLLPRI) events |= kReactorPriority;
  if (e & POLLHUP) events |= kReactorHangup;
  if (e & POLLERR) events |= kReactorError;
  if (e & POLLNVAL) events |= kReactorInvalid;
  return events;
}

}  // namespace

std::unique_ptr<PollReactor> PollReactor::Create(int*, std::string*) {
  return std::unique_ptr<PollReactor>(new PollReactor());
}

PollReactor::~PollReactor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (control_fd_ >= 0) Signal(control_fd_);
  }
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (notify_fd_ >= 0) close(notify_fd_);
  if (control_fd_ >= 0) close(control_fd_);
}

std::string PollReactor::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::string("poll, ") + std::to_string(set_.size()) + " fds" +
         (watcher_.joinable() ? ", watcher thread for post-reactive dispatch"
                              : "");
}

size_t PollReactor::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return set_.size();
}

int PollReactor::Add(int fd, uint32_t events) {
  if (fd < 0) return -EBADF;
  // poll reports a closed fd as POLLNVAL; refuse it now, as epoll_ctl does.
  if (fcntl(fd, F_GETFD) < 0) return -errno;
  std::lock_guard<std::mutex> lock(mu_);
  if (!set_.Add(pollfd{fd, ToPoll(events), 0})) return -EEXIST;
  SetChanged();
  return 0;
}

int PollReactor::Modify(int fd, uint32_t events) {
  std::lock_guard<std::mutex> lock(mu_);
  pollfd* entry = set_.Find(fd);
  if (entry == nullptr) return -ENOENT;
  entry->events = ToPoll(events);
  SetChanged();
  return 0;
}

int PollReactor::Remove(int fd) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!set_.Remove(fd)) return -ENOENT;
  if (polling_) {
    SetChanged();
    const uint64_t round = rounds_;
    cv_.wait(lock, [&] { return rounds_ != round; });
  }
  return 0;
}

int PollReactor::Wait(int timeout_ms, int32_t* out, int max) {
  if (max <= 0) return -EINVAL;
  {
    std::lock_guard<std::mutex> lock(mu_);
    polled_ = set_.entries();
  }
  const int r = poll(polled_.data(), polled_.size(), timeout_ms);
  if (r < 0) return errno == EINTR ? 0 : -errno;
  if (r == 0) return 0;
  return set_.ReadOut(polled_, out, max, FromPoll);
}

int PollReactor::NotifyFd() {
  std::lock_guard<std::mutex> lock(mu_);
  if (notify_fd_ >= 0) return notify_fd_;
  notify_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (notify_fd_ < 0) return -errno;
  control_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (control_fd_ < 0) {
    const int err = -errno;
    close(notify_fd_);
    notify_fd_ = -1;
    return err;
  }
  armed_ = true;
  watcher_ = std::thread(&PollReactor::Watch, this);
  return notify_fd_;
}

void PollReactor::Rearm() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (notify_fd_ < 0 || armed_) return;
    Drain(notify_fd_);
    armed_ = true;
  }
  cv_.notify_all();
}

void PollReactor::SetChanged() {
  if (!polling_) return;
  changed_ = true;
  Signal(control_fd_);
}

void PollReactor::Signal(int fd) {
  const uint64_t one = 1;
  while (write(fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void PollReactor::Drain(int fd) {
  uint64_t v;
  while (read(fd, &v, sizeof v) < 0 && errno == EINTR) {
  }
}

void PollReactor::Watch() {
  // Signals belong to Node's thread; none may interrupt this one.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::vector<pollfd> copy;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || armed_; });
    if (stopping_) return;
    copy = set_.entries();
    copy.push_back(pollfd{control_fd_, POLLIN, 0});
    changed_ = false;
    polling_ = true;
    lock.unlock();
    const int r = poll(copy.data(), copy.size(), -1);
    if (copy.back().revents & POLLIN) Drain(control_fd_);
    bool ready = false;
    for (size_t i = 0; r > 0 && i + 1 < copy.size(); ++i) {
      if (copy[i].revents != 0) ready = true;
    }
    lock.lock();
    polling_ = false;
    ++rounds_;
    cv_.notify_all();
    // A changed set is polled again: what was ready in the old copy may be
    // gone (removed, closed) and what is still ready shows at once.
    if (ready && !changed_ && !stopping_) {
      armed_ = false;
      Signal(notify_fd_);
    }
  }
}

}  // namespace ace::reactor
