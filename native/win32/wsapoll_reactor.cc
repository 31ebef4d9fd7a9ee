#include "win32/wsapoll_reactor.h"

#include <cerrno>

#include "win32/win_errors.h"

namespace ace::reactor {
namespace {

SOCKET S(int fd) { return static_cast<SOCKET>(win32::FromInt32(fd)); }

SHORT ToPoll(uint32_t events) {
  SHORT e = 0;
  if (events & kReactorReadable) e |= POLLRDNORM;
  if (events & kReactorWritable) e |= POLLWRNORM;
  if (events & kReactorPriority) e |= POLLRDBAND;
  return e;
}

uint32_t FromPoll(SHORT e) {
  uint32_t events = 0;
  if (e & POLLRDNORM) events |= kReactorReadable;
  if (e & POLLWRNORM) events |= kReactorWritable;
  if (e & POLLRDBAND) events |= kReactorPriority;
  if (e & POLLHUP) events |= kReactorHangup | kReactorReadable;
  if (e & POLLERR) events |= kReactorError;
  if (e & POLLNVAL) events |= kReactorInvalid;
  return events;
}

}  // namespace

std::unique_ptr<WsaPollReactor> WsaPollReactor::Create(int* err, std::string* what) {
  WSADATA wsa;
  const int w = WSAStartup(MAKEWORD(2, 2), &wsa);
  if (w != 0) {
    *err = win32::NegErrno(static_cast<unsigned long>(w));
    *what = "WSAStartup";
    return nullptr;
  }
  return std::unique_ptr<WsaPollReactor>(new WsaPollReactor());
}

WsaPollReactor::~WsaPollReactor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (control_ != INVALID_SOCKET) Signal();
  }
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (control_ != INVALID_SOCKET) closesocket(control_);
  WSACleanup();
}

std::string WsaPollReactor::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::string("wsapoll, ") + std::to_string(set_.size()) + " sockets" +
         (watcher_.joinable() ? ", watcher thread for post-reactive dispatch" : "");
}

size_t WsaPollReactor::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return set_.size();
}

int WsaPollReactor::Add(int fd, uint32_t events) {
  if (fd < 0) return -EBADF;
  // WSAPoll reports a closed socket as POLLNVAL; refuse it now.
  int type = 0;
  int len = sizeof type;
  if (getsockopt(S(fd), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) != 0) {
    const int e = WSAGetLastError();
    return e == WSAENOTSOCK ? -EBADF : win32::NegErrno(e);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!set_.Add(WSAPOLLFD{S(fd), ToPoll(events), 0})) return -EEXIST;
  SetChanged();
  return 0;
}

int WsaPollReactor::Modify(int fd, uint32_t events) {
  std::lock_guard<std::mutex> lock(mu_);
  WSAPOLLFD* entry = set_.Find(fd);
  if (entry == nullptr) return -ENOENT;
  entry->events = ToPoll(events);
  SetChanged();
  return 0;
}

int WsaPollReactor::Remove(int fd) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!set_.Remove(fd)) return -ENOENT;
  if (polling_) {
    SetChanged();
    const uint64_t round = rounds_;
    cv_.wait(lock, [&] { return rounds_ != round; });
  }
  return 0;
}

int WsaPollReactor::Wait(int timeout_ms, int32_t* out, int max) {
  if (max <= 0) return -EINVAL;
  {
    std::lock_guard<std::mutex> lock(mu_);
    polled_ = set_.entries();
  }
  if (polled_.empty()) {
    // WSAPoll refuses an empty set: wait as it would have.
    if (timeout_ms != 0) Sleep(timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms));
    return 0;
  }
  const int r = WSAPoll(polled_.data(), static_cast<ULONG>(polled_.size()), timeout_ms);
  if (r == SOCKET_ERROR) return win32::NegErrno(WSAGetLastError());
  if (r == 0) return 0;
  return set_.ReadOut(polled_, out, max, FromPoll);
}

int WsaPollReactor::NotifyFd() {
  std::lock_guard<std::mutex> lock(mu_);
  if (watcher_.joinable()) return 0;
  control_ = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, WSA_FLAG_NO_HANDLE_INHERIT);
  if (control_ == INVALID_SOCKET) return win32::NegErrno(WSAGetLastError());
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof a;
  u_long on = 1;
  if (bind(control_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(control_, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
      connect(control_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ioctlsocket(control_, FIONBIO, &on) != 0) {
    const int err = win32::NegErrno(WSAGetLastError());
    closesocket(control_);
    control_ = INVALID_SOCKET;
    return err;
  }
  armed_ = true;
  watcher_ = std::thread(&WsaPollReactor::Watch, this);
  return 0;
}

void WsaPollReactor::SetWaker(void (*wake)(void*), void* arg) {
  wake_ = wake;
  wake_arg_ = arg;
}

void WsaPollReactor::Rearm() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (control_ == INVALID_SOCKET || armed_) return;
    armed_ = true;
  }
  cv_.notify_all();
}

void WsaPollReactor::SetChanged() {
  if (!polling_) return;
  changed_ = true;
  Signal();
}

void WsaPollReactor::Signal() {
  const char one = 1;
  send(control_, &one, 1, 0);
}

void WsaPollReactor::Drain() {
  char buf[64];
  while (recv(control_, buf, sizeof buf, 0) > 0) {
  }
}

void WsaPollReactor::Watch() {
  std::vector<WSAPOLLFD> copy;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || armed_; });
    if (stopping_) return;
    copy = set_.entries();
    copy.push_back(WSAPOLLFD{control_, POLLRDNORM, 0});
    changed_ = false;
    polling_ = true;
    lock.unlock();
    const int r = WSAPoll(copy.data(), static_cast<ULONG>(copy.size()), -1);
    if (copy.back().revents & POLLRDNORM) Drain();
    bool ready = false;
    for (size_t i = 0; r > 0 && i + 1 < copy.size(); ++i) {
      if (copy[i].revents != 0) ready = true;
    }
    lock.lock();
    polling_ = false;
    ++rounds_;
    cv_.notify_all();
    if (ready && !changed_ && !stopping_) {
      armed_ = false;
      lock.unlock();
      if (wake_ != nullptr) wake_(wake_arg_);
      lock.lock();
    }
  }
}

}  // namespace ace::reactor
