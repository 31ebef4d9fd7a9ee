// The proactor over a readiness engine (Asio's Linux design): each
// operation is tried at once; one that would block waits in a per-fd queue
// until epoll says the fd is ready, then its system call runs and its
// completion is queued for Reap(). The kernel performs the I/O; this class
// decides when.
#ifndef ACE_PROACTOR_EPOLL_EPOLL_BACKEND_H_
#define ACE_PROACTOR_EPOLL_EPOLL_BACKEND_H_

#include <sys/epoll.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/backend.h"

namespace ace::epoll {

class EpollBackend final : public Backend {
 public:
  // Creates the epoll set, the timer fd and the wake eventfd; on failure
  // returns null with *err and *what.
  static std::unique_ptr<EpollBackend> Create(const BackendOptions& options,
                                              int* err, std::string* what);
  ~EpollBackend() override;

  const char* Name() const override { return "epoll"; }
  std::string Describe() const override;
  bool Supports(OpCode op) const override;
  int Prepare(const Operation& op) override;
  int Submit() override;
  int Reap(Completion* out, int max) override;
  int Wait(int timeout_ms) override;
  // The epoll fd: readable while an fd, the timer or queued completions
  // are ready.
  int NotifyFd() const override { return epoll_fd_; }
  void ClearNotify() override;
  size_t Backlog() const override { return 0; }
  void ForgetFd(int fd) override;
  int RegisterBufferRing(uint16_t group, uint8_t* base, uint32_t count,
                         uint32_t size) override;
  int ProvideBuffer(uint16_t group, uint16_t id) override;

 private:
  // An operation waiting its turn on an fd.
  struct Pending {
    Operation op;
    // a connect that has begun (connect() said EINPROGRESS)
    bool connecting = false;
  };
  // One fd's queues: reads (read, readv, recv, recvmsg, accept) and writes
  // (write, writev, send, sendmsg, connect) each run in order, one system
  // call at a time.
  struct FdState {
    std::deque<Pending> reads;
    std::deque<Pending> writes;
    // in the epoll set (edge-triggered, both directions, once)
    bool registered = false;
    // epoll refused it (a regular file): always ready
    bool always_ready = false;
    // O_NONBLOCK has been checked and set
    bool nonblocking = false;
  };

  // A provided-buffer ring, kept here: the ids of the buffers a receive
  // may take, oldest given back first, as io_uring's ring hands them out.
  struct BufferRing {
    uint8_t* base = nullptr;
    uint32_t count = 0;
    uint32_t size = 0;
    std::deque<uint16_t> free;
  };

  EpollBackend() = default;
  // Starts one prepared operation: completes it, queues it, or arms a timer.
  void Start(const Operation& op);
  // Runs the queue's operations in order until one would block.
  void Run(int fd, FdState& state, std::deque<Pending>& queue);
  // The operation's system call; -EAGAIN when it would block.
  int Perform(Pending& p);
  // A kRecvMulti's receive into a buffer of its ring: the bytes, with the
  // buffer's id in *buffer (-1 when none was used); -ENOBUFS when data
  // waits and the ring is empty, as io_uring says.
  int ReceiveIntoRing(const Operation& op, int* buffer);
  // Puts fd in the epoll set if it is not: 0, or -errno if it cannot wait
  // there (-EAGAIN for a file that is always ready and still said EAGAIN).
  int Register(int fd, FdState& state);
  // Cancels fd's queued operations and forgets fd (close, or a number the
  // kernel no longer knows).
  void Drop(int fd);
  // Runs what epoll says is ready; timeout_ms as epoll_wait's.
  int Poll(int timeout_ms);
  // Cancels the operation whose token is target; false if none is queued.
  bool Cancel(uint64_t target);
  // Cancels every queued operation of fd, then closes it.
  void Close(const Operation& op);
  // Fires the timers whose deadline has passed and re-arms the timer fd.
  void RunTimers();
  void ArmTimerFd();
  // Queues a completion and makes NotifyFd() readable.
  void Complete(uint64_t user_data, int32_t res, uint32_t flags);
  // Milliseconds until the next timer, or -1.
  int NextTimerMs() const;

  // the epoll set
  int epoll_fd_ = -1;
  // CLOCK_MONOTONIC timer fd armed for the earliest timer
  int timer_fd_ = -1;
  // written when completions are queued, so NotifyFd() polls readable
  int wake_fd_ = -1;
  bool wake_signalled_ = false;
  // operations prepared since the last Submit(), in order
  std::vector<Operation> prepared_;
  // per-fd queues
  std::unordered_map<int, FdState> fds_;
  // token -> fd of each queued I/O operation (cancel finds it here)
  std::unordered_map<uint64_t, int> where_;
  // timers: deadline (ns, CLOCK_MONOTONIC) -> token, and token -> deadline
  std::multimap<int64_t, uint64_t> timers_;
  std::unordered_map<uint64_t, int64_t> timer_of_;
  // the deadline the timer fd is armed for (0: disarmed)
  int64_t timer_fd_deadline_ = 0;
  // provided-buffer rings by group
  std::unordered_map<uint16_t, BufferRing> rings_;
  // finished operations not yet reaped
  std::deque<Completion> done_;
  // epoll_wait's output
  std::vector<epoll_event> events_;
};

}  // namespace ace::epoll

#endif  // ACE_PROACTOR_EPOLL_EPOLL_BACKEND_H_
