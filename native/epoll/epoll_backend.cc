#include "epoll/epoll_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ace::epoll {
namespace {

// epoll_data of the two internal fds; an I/O fd's is the fd itself.
constexpr uint64_t kTimerTag = uint64_t{1} << 40;
constexpr uint64_t kWakeTag = (uint64_t{1} << 40) + 1;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Verbs that wait for the fd to be writable; the rest wait to be readable.
bool IsWrite(OpCode op) {
  return op == OpCode::kWrite || op == OpCode::kWritev ||
         op == OpCode::kSend || op == OpCode::kConnect ||
         op == OpCode::kSendMsg || op == OpCode::kSendfile;
}

// A system call's result as -errno, retried on EINTR.
template <typename F>
int Retry(F call) {
  for (;;) {
    const long r = call();
    if (r >= 0) return static_cast<int>(r);
    if (errno != EINTR) return -errno;
  }
}

}  // namespace

std::unique_ptr<EpollBackend> EpollBackend::Create(const BackendOptions&,
                                                   int* err,
                                                   std::string* what) {
  std::unique_ptr<EpollBackend> b(new EpollBackend());
  b->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (b->epoll_fd_ < 0) {
    *err = -errno;
    *what = "epoll_create1";
    return nullptr;
  }
  b->timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (b->timer_fd_ < 0) {
    *err = -errno;
    *what = "timerfd_create";
    return nullptr;
  }
  b->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (b->wake_fd_ < 0) {
    *err = -errno;
    *what = "eventfd";
    return nullptr;
  }
  // Both level-triggered: the epoll fd stays readable while either is.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerTag;
  if (epoll_ctl(b->epoll_fd_, EPOLL_CTL_ADD, b->timer_fd_, &ev) < 0) {
    *err = -errno;
    *what = "epoll_ctl(timerfd)";
    return nullptr;
  }
  ev.data.u64 = kWakeTag;
  if (epoll_ctl(b->epoll_fd_, EPOLL_CTL_ADD, b->wake_fd_, &ev) < 0) {
    *err = -errno;
    *what = "epoll_ctl(eventfd)";
    return nullptr;
  }
  b->events_.resize(256);
  return b;
}

EpollBackend::~EpollBackend() {
  // Nothing is in the kernel: every system call has returned, and what
  // waits is only queued here. The caller's fds stay open.
  if (wake_fd_ >= 0) close(wake_fd_);
  if (timer_fd_ >= 0) close(timer_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

std::string EpollBackend::Describe() const {
  return "epoll: edge-triggered readiness, system calls on this thread, " +
         std::to_string(fds_.size()) + " fds known";
}

bool EpollBackend::Supports(OpCode op) const {
  switch (op) {
    case OpCode::kNop: case OpCode::kRead: case OpCode::kWrite:
    case OpCode::kReadv: case OpCode::kWritev: case OpCode::kRecv:
    case OpCode::kSend: case OpCode::kAccept: case OpCode::kConnect:
    case OpCode::kClose: case OpCode::kTimeout: case OpCode::kCancel:
    case OpCode::kAcceptMulti: case OpCode::kRecvMsg: case OpCode::kSendMsg:
    case OpCode::kSendfile: case OpCode::kRecvMulti:
      return true;
    default:
      return false;
  }
}

int EpollBackend::Prepare(const Operation& op) {
  if (!Supports(op.code)) return -EOPNOTSUPP;
  prepared_.push_back(op);
  return 0;
}

int EpollBackend::Submit() {
  if (prepared_.empty()) return 0;
  std::vector<Operation> batch;
  batch.swap(prepared_);
  for (const Operation& op : batch) Start(op);
  return static_cast<int>(batch.size());
}

void EpollBackend::Start(const Operation& op) {
  switch (op.code) {
    case OpCode::kNop:
      Complete(op.user_data, 0, 0);
      return;
    case OpCode::kTimeout: {
      const auto* ts = static_cast<const int64_t*>(op.addr);
      int64_t deadline = ts[0] * 1000000000 + ts[1];
      if (!(op.op_flags & kOpAbsolute)) deadline += NowNs();
      timers_.emplace(deadline, op.user_data);
      timer_of_[op.user_data] = deadline;
      ArmTimerFd();
      return;
    }
    case OpCode::kCancel:
      Cancel(op.target);
      return;
    case OpCode::kClose:
      Close(op);
      return;
    default:
      break;
  }
  FdState& state = fds_[op.fd];
  if (!state.nonblocking) {
    // A readiness engine must never block the thread in a system call.
    // An fd fcntl cannot see is not cached as checked: its operations fail
    // (EBADF) and the entry goes, so a file given the number later is
    // checked afresh.
    const int flags = fcntl(op.fd, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) fcntl(op.fd, F_SETFL, flags | O_NONBLOCK);
    state.nonblocking = flags >= 0;
  }
  std::deque<Pending>& queue = IsWrite(op.code) ? state.writes : state.reads;
  queue.push_back(Pending{op});
  where_[op.user_data] = op.fd;
  // Only the head of a queue runs: two writes never interleave.
  if (queue.size() == 1) Run(op.fd, state, queue);
}

void EpollBackend::Run(int fd, FdState& state, std::deque<Pending>& queue) {
  while (!queue.empty()) {
    Pending& p = queue.front();
    int buffer = -1;
    int r = p.op.code == OpCode::kRecvMulti ? ReceiveIntoRing(p.op, &buffer) : Perform(p);
    if (r == -EAGAIN) {
      r = Register(fd, state);
      if (r == 0) return;  // epoll says when
    }
    const uint64_t user_data = p.op.user_data;
    const uint32_t flags =
        buffer < 0 ? 0 : kCompletionBuffer | static_cast<uint32_t>(buffer) << kCompletionBufferShift;
    if (buffer >= 0 && !(p.op.op_flags & kOpOneShot)) {
      // Bytes in a ring buffer: a multishot receive stays at the head and
      // tries again (until EAGAIN, then the next edge), as an accept does.
      Complete(user_data, r, flags | kCompletionMore);
      continue;
    }
    // A sendfile's EBADF may be its file's: the socket is gone only if
    // fcntl cannot see it either.
    const bool fd_gone = r == -EBADF && (p.op.code != OpCode::kSendfile ||
                                         fcntl(fd, F_GETFD) < 0);
    if (p.op.code == OpCode::kAcceptMulti && r >= 0) {
      Complete(user_data, r, kCompletionMore);
      continue;
    }
    queue.pop_front();
    where_.erase(user_data);
    Complete(user_data, r, flags);
    if (fd_gone) {
      // The number is not an open file: nothing known of it holds.
      Drop(fd);
      return;
    }
  }
}

void EpollBackend::Drop(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  for (std::deque<Pending>* queue : {&it->second.reads, &it->second.writes}) {
    for (const Pending& p : *queue) {
      where_.erase(p.op.user_data);
      Complete(p.op.user_data, -ECANCELED, 0);
    }
  }
  if (it->second.registered) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  fds_.erase(it);
}

void EpollBackend::ForgetFd(int fd) { Drop(fd); }

int EpollBackend::ReceiveIntoRing(const Operation& op, int* buffer) {
  auto ring = rings_.find(op.buf_group);
  if (ring == rings_.end()) return -ENOENT;
  BufferRing& r = ring->second;
  if (r.free.empty()) {
    // A buffer is taken only once data is there (an idle socket holds none):
    // ENOBUFS if data waits, else wait for it as any receive does.
    char byte;
    const int peeked = Retry([&] { return recv(op.fd, &byte, 1, MSG_PEEK); });
    return peeked > 0 ? -ENOBUFS : peeked;  // EOF (0), EAGAIN or the error
  }
  const uint16_t id = r.free.front();
  const int n = Retry([&] {
    return recv(op.fd, r.base + static_cast<size_t>(id) * r.size, r.size,
                static_cast<int>(op.msg_flags));
  });
  if (n <= 0) return n;  // the buffer stays first in line
  r.free.pop_front();
  *buffer = id;
  return n;
}

int EpollBackend::RegisterBufferRing(uint16_t group, uint8_t* base, uint32_t count,
                                     uint32_t size) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) return -EINVAL;
  if (size == 0 || rings_.count(group)) return -EINVAL;
  BufferRing& r = rings_[group];
  r.base = base;
  r.count = count;
  r.size = size;
  for (uint32_t id = 0; id < count; ++id) r.free.push_back(static_cast<uint16_t>(id));
  return 0;
}

int EpollBackend::ProvideBuffer(uint16_t group, uint16_t id) {
  auto it = rings_.find(group);
  if (it == rings_.end()) return -ENOENT;
  if (id >= it->second.count) return -EINVAL;
  it->second.free.push_back(id);
  return 0;
}

int EpollBackend::Perform(Pending& p) {
  const Operation& op = p.op;
  const int fd = op.fd;
  switch (op.code) {
    case OpCode::kRead:
      return Retry([&] {
        return op.offset < 0 ? read(fd, op.addr, op.len)
                             : pread(fd, op.addr, op.len, op.offset);
      });
    case OpCode::kWrite:
      return Retry([&] {
        return op.offset < 0 ? write(fd, op.addr, op.len)
                             : pwrite(fd, op.addr, op.len, op.offset);
      });
    case OpCode::kReadv: {
      const auto* iov = static_cast<const iovec*>(op.addr);
      const int n = static_cast<int>(op.len);
      return Retry([&] {
        return op.offset < 0 ? readv(fd, iov, n) : preadv(fd, iov, n, op.offset);
      });
    }
    case OpCode::kWritev: {
      const auto* iov = static_cast<const iovec*>(op.addr);
      const int n = static_cast<int>(op.len);
      return Retry([&] {
        return op.offset < 0 ? writev(fd, iov, n) : pwritev(fd, iov, n, op.offset);
      });
    }
    case OpCode::kRecv:
      return Retry([&] { return recv(fd, op.addr, op.len, static_cast<int>(op.msg_flags)); });
    case OpCode::kSend:
      return Retry([&] {
        return send(fd, op.addr, op.len, static_cast<int>(op.msg_flags) | MSG_NOSIGNAL);
      });
    case OpCode::kRecvMsg:
      return Retry([&] {
        return recvmsg(fd, static_cast<msghdr*>(op.addr), static_cast<int>(op.msg_flags));
      });
    case OpCode::kSendMsg:
      return Retry([&] {
        return sendmsg(fd, static_cast<const msghdr*>(op.addr),
                       static_cast<int>(op.msg_flags) | MSG_NOSIGNAL);
      });
    case OpCode::kSendfile: {
      // One call, as a write: the kernel copies file pages to the socket
      // without user space; a short count is completed as it is.
      off_t offset = static_cast<off_t>(op.offset);
      return Retry([&] { return sendfile(fd, op.fd2, &offset, op.len); });
    }
    case OpCode::kAccept:
      return Retry([&] {
        return accept4(fd, static_cast<sockaddr*>(op.addr),
                       static_cast<socklen_t*>(op.addr2),
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
      });
    case OpCode::kAcceptMulti:
      return Retry([&] { return accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); });
    case OpCode::kConnect: {
      if (!p.connecting) {
        const int r = Retry([&] {
          return connect(fd, static_cast<const sockaddr*>(op.addr), op.len);
        });
        if (r != -EINPROGRESS) return r;
        p.connecting = true;
        return -EAGAIN;
      }
      // SO_ERROR reads 0 while the connect is still under way: ask poll
      // whether it has finished first.
      pollfd pfd{fd, POLLOUT, 0};
      if (poll(&pfd, 1, 0) == 0) return -EAGAIN;
      int error = 0;
      socklen_t len = sizeof error;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) return -errno;
      return -error;
    }
    default:
      return -EOPNOTSUPP;
  }
}

int EpollBackend::Register(int fd, FdState& state) {
  if (state.registered) return 0;
  if (state.always_ready) return -EAGAIN;
  // Once, for both directions, edge-triggered: no epoll_ctl per operation.
  // An operation that saw EAGAIN waits for the next edge, which comes with
  // the next change of readiness.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = static_cast<uint32_t>(fd);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0 ||
      (errno == EEXIST && epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0)) {
    state.registered = true;
    return 0;
  }
  // EPERM: a regular file or a directory, which epoll cannot watch and
  // which never says EAGAIN. Anything else (ENOSPC: max_user_watches,
  // ENOMEM) is the operation's error.
  if (errno == EPERM) {
    state.always_ready = true;
    return -EAGAIN;
  }
  return -errno;
}

int EpollBackend::Poll(int timeout_ms) {
  const int n = epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()),
                           timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  for (int i = 0; i < n; ++i) {
    const uint64_t tag = events_[i].data.u64;
    const uint32_t e = events_[i].events;
    if (tag == kTimerTag) {
      uint64_t expirations;
      while (read(timer_fd_, &expirations, sizeof expirations) < 0 && errno == EINTR) {
      }
      timer_fd_deadline_ = 0;
      continue;
    }
    if (tag == kWakeTag) {
      // Reap() clears it once the completions are taken; cleared here only
      // if none are left, so that it cannot keep a wait from blocking.
      if (done_.empty()) ClearNotify();
      continue;
    }
    const int fd = static_cast<int>(tag);
    auto it = fds_.find(fd);
    if (it == fds_.end()) continue;
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      Run(fd, it->second, it->second.reads);
      it = fds_.find(fd);  // a read that found the fd gone dropped it
      if (it == fds_.end()) continue;
    }
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) Run(fd, it->second, it->second.writes);
  }
  RunTimers();
  return n;
}

bool EpollBackend::Cancel(uint64_t target) {
  auto at = where_.find(target);
  if (at != where_.end()) {
    const int fd = at->second;
    where_.erase(at);
    FdState& state = fds_[fd];
    for (std::deque<Pending>* queue : {&state.reads, &state.writes}) {
      for (auto p = queue->begin(); p != queue->end(); ++p) {
        if (p->op.user_data != target) continue;
        const bool was_head = p == queue->begin();
        queue->erase(p);
        Complete(target, -ECANCELED, 0);
        // The next in line may be able to go now.
        if (was_head && !queue->empty()) Run(fd, state, *queue);
        return true;
      }
    }
    return false;
  }
  auto timer = timer_of_.find(target);
  if (timer == timer_of_.end()) return false;
  auto range = timers_.equal_range(timer->second);
  for (auto t = range.first; t != range.second; ++t) {
    if (t->second != target) continue;
    timers_.erase(t);
    break;
  }
  timer_of_.erase(timer);
  Complete(target, -ECANCELED, 0);
  ArmTimerFd();
  return true;
}

void EpollBackend::Close(const Operation& op) {
  Drop(op.fd);
  // Linux frees the fd even when close() says EINTR: never retry it.
  const int r = close(op.fd) < 0 && errno != EINTR ? -errno : 0;
  Complete(op.user_data, r, 0);
}

void EpollBackend::RunTimers() {
  if (timers_.empty()) return;
  const int64_t now = NowNs();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const uint64_t user_data = timers_.begin()->second;
    timers_.erase(timers_.begin());
    timer_of_.erase(user_data);
    Complete(user_data, -ETIME, 0);
  }
  ArmTimerFd();
}

void EpollBackend::ArmTimerFd() {
  // 0 means disarmed: a deadline at or before the clock's start fires at 1 ns.
  const int64_t deadline = timers_.empty() ? 0 : std::max<int64_t>(timers_.begin()->first, 1);
  if (deadline == timer_fd_deadline_) return;
  itimerspec spec{};
  if (deadline > 0) {
    spec.it_value.tv_sec = deadline / 1000000000;
    spec.it_value.tv_nsec = deadline % 1000000000;
  }
  timerfd_settime(timer_fd_, deadline > 0 ? TFD_TIMER_ABSTIME : 0, &spec, nullptr);
  timer_fd_deadline_ = deadline;
}

int EpollBackend::NextTimerMs() const {
  if (timers_.empty()) return -1;
  const int64_t ns = timers_.begin()->first - NowNs();
  if (ns <= 0) return 0;
  const int64_t ms = (ns + 999999) / 1000000;
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

void EpollBackend::Complete(uint64_t user_data, int32_t res, uint32_t flags) {
  if (IsInternal(user_data)) return;
  done_.push_back(Completion{user_data, res, flags});
  if (!wake_signalled_) {
    const uint64_t one = 1;
    while (write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
    wake_signalled_ = true;
  }
}

void EpollBackend::ClearNotify() {
  uint64_t v;
  while (read(wake_fd_, &v, sizeof v) < 0 && errno == EINTR) {
  }
  wake_signalled_ = false;
  // An expired timerfd is read here too, so that the epoll fd stops
  // polling readable; the next Reap() fires the due timers (it compares
  // deadlines with the clock, not the timerfd) and re-arms it.
  if (read(timer_fd_, &v, sizeof v) == sizeof v) timer_fd_deadline_ = 0;
}

int EpollBackend::Reap(Completion* out, int max) {
  // What is ready now runs first, so one reap sees it.
  if (static_cast<int>(done_.size()) < max) {
    const int r = Poll(0);
    if (r < 0 && done_.empty()) return r;
  }
  int n = 0;
  while (n < max && !done_.empty()) {
    out[n++] = done_.front();
    done_.pop_front();
  }
  if (done_.empty() && wake_signalled_) ClearNotify();
  return n;
}

int EpollBackend::Wait(int timeout_ms) {
  Submit();
  const int64_t deadline = timeout_ms < 0 ? -1 : NowNs() + int64_t{timeout_ms} * 1000000;
  // An edge that ran nothing (a write-ready fd with no writes queued) is
  // no completion: wait on until one comes or the time is up.
  while (done_.empty()) {
    int wait_ms = -1;
    if (deadline >= 0) {
      const int64_t left = deadline - NowNs();
      wait_ms = left <= 0 ? 0 : static_cast<int>((left + 999999) / 1000000);
    }
    const int next = NextTimerMs();
    if (next >= 0 && (wait_ms < 0 || next < wait_ms)) wait_ms = next;
    const int r = Poll(wait_ms);
    if (r < 0) return r;
    if (wait_ms == 0) break;
  }
  return done_.empty() ? 0 : 1;
}

}  // namespace ace::epoll
