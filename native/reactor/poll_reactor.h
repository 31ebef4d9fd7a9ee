// The poll(2) demultiplexer: the classic Reactor's wait over an interest
// set kept in user space. poll has no fd of its own to hand to libuv, so
// for post-reactive dispatch a watcher thread blocks in poll on a copy of
// the set and signals an eventfd when something is ready; it then parks
// until the events were taken (Rearm), so a level-triggered fd that stays
// ready never makes it spin. The Reactor takes the events itself with a
// fresh poll(0) on its own thread: the watcher only says "look now".
// poll holds a reference to every file it sleeps on, so Remove waits for
// the watcher to leave its poll: a handle closed after Remove is closed.
#ifndef ACE_PROACTOR_REACTOR_POLL_REACTOR_H_
#define ACE_PROACTOR_REACTOR_POLL_REACTOR_H_

#include <poll.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/reactor_backend.h"
#include "reactor/poll_set.h"

namespace ace::reactor {

class PollReactor final : public ReactorBackend {
 public:
  static std::unique_ptr<PollReactor> Create(int* err, std::string* what);
  ~PollReactor() override;

  const char* Name() const override { return "poll"; }
  std::string Describe() const override;
  int Add(int fd, uint32_t events) override;
  int Modify(int fd, uint32_t events) override;
  int Remove(int fd) override;
  int Wait(int timeout_ms, int32_t* out, int max) override;
  int NotifyFd() override;
  void Rearm() override;
  size_t Size() const override;

 private:
  PollReactor() = default;
  // The watcher thread's loop.
  void Watch();
  // Tells a watcher blocked in poll that the set changed (lock held).
  void SetChanged();
  // Writes 1 to an eventfd.
  static void Signal(int fd);
  // Reads an eventfd back to 0.
  static void Drain(int fd);

  // guards everything the watcher thread reads
  mutable std::mutex mu_;
  std::condition_variable cv_;
  static int KeyOf(const pollfd& entry) { return entry.fd; }
  // the interest set
  PollSet<pollfd, KeyOf> set_;
  // Wait()'s copy of the set, polled without the lock
  std::vector<pollfd> polled_;
  // readable while events wait to be taken; -1 until NotifyFd()
  int notify_fd_ = -1;
  // wakes the watcher out of poll when the set changes or on shutdown
  int control_fd_ = -1;
  // the watcher; started by the first NotifyFd()
  std::thread watcher_;
  // the watcher may poll (not waiting for the last notification's Rearm)
  bool armed_ = true;
  // the watcher is blocked in poll
  bool polling_ = false;
  // the set changed while the watcher was polling an older copy
  bool changed_ = false;
  // how many times the watcher has come out of poll
  uint64_t rounds_ = 0;
  bool stopping_ = false;
};

}  // namespace ace::reactor

#endif  // ACE_PROACTOR_REACTOR_POLL_REACTOR_H_
