// The WSAPoll demultiplexer: the Reactor's wait on Windows, over an
// interest set kept in user space (ACE's select reactor is the model).
// WSAPoll has no handle libuv can watch, so for post-reactive dispatch a
// watcher thread blocks in WSAPoll on a copy of the set plus a loopback
// control socket, calls the binding's waker when something is ready, then
// parks until the events were taken (Rearm) — the POSIX poll reactor's
// design with a socket in place of the eventfds.
#ifndef ACE_PROACTOR_WIN32_WSAPOLL_REACTOR_H_
#define ACE_PROACTOR_WIN32_WSAPOLL_REACTOR_H_

#include <winsock2.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/reactor_backend.h"
#include "reactor/poll_set.h"

namespace ace::reactor {

class WsaPollReactor final : public ReactorBackend {
 public:
  static std::unique_ptr<WsaPollReactor> Create(int* err, std::string* what);
  ~WsaPollReactor() override;

  const char* Name() const override { return "wsapoll"; }
  std::string Describe() const override;
  int Add(int fd, uint32_t events) override;
  int Modify(int fd, uint32_t events) override;
  int Remove(int fd) override;
  int Wait(int timeout_ms, int32_t* out, int max) override;
  // Starts the watcher thread; returns 0 (there is no fd), or -errno.
  int NotifyFd() override;
  void Rearm() override;
  size_t Size() const override;
  void SetWaker(void (*wake)(void* arg), void* arg) override;

 private:
  WsaPollReactor() = default;
  void Watch();
  // Tells a watcher blocked in WSAPoll that the set changed (lock held).
  void SetChanged();
  void Signal();
  void Drain();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // A SOCKET is indexed by the int it crosses the boundary as.
  static int KeyOf(const WSAPOLLFD& entry) { return static_cast<int>(static_cast<intptr_t>(entry.fd)); }
  // the interest set (reactor/poll_set.h)
  PollSet<WSAPOLLFD, KeyOf> set_;
  // Wait()'s copy of the set, polled without the lock
  std::vector<WSAPOLLFD> polled_;
  // a UDP socket bound to loopback that sends to itself: wakes the watcher
  SOCKET control_ = INVALID_SOCKET;
  std::thread watcher_;
  void (*wake_)(void*) = nullptr;
  void* wake_arg_ = nullptr;
  bool armed_ = true;
  bool polling_ = false;
  bool changed_ = false;
  uint64_t rounds_ = 0;
  bool stopping_ = false;
};

}  // namespace ace::reactor

#endif  // ACE_PROACTOR_WIN32_WSAPOLL_REACTOR_H_
