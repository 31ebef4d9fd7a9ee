// POSIX asynchronous I/O (ACE's POSIX_CB_Proactor): reads and writes go to
// glibc's aio_read/aio_write, whose worker threads perform the blocking
// system calls; each finished request is announced by SIGEV_THREAD, whose
// function queues the completion and makes NotifyFd() readable. accept,
// connect, timers, wakeups and datagrams (recvmsg/sendmsg, with
// MSG_DONTWAIT) are not aio operations: an internal readiness helper (the
// epoll backend, as ACE's Asynch_Pseudo_Task is a reactor) runs them, and
// its fd is watched along with the completion eventfd. A transmit-file's
// file chunk is an aio_read of the file into a native bounce buffer and an
// aio_write of it to the socket (POSIX aio cannot splice).
//
// What glibc's aio does, and what this class does about it:
// - glibc serves the requests of one fd number in order, one at a time, so
//   a pending read would hold back a write on the same socket. Each fd gets
//   its own dup() per direction: reads and writes run in separate workers.
// - A request on a socket blocks a worker until data (or room) comes, so
//   the pool must hold two workers per busy socket: aio_init() raises its
//   limit once per process (BackendOptions::sq_entries × 2, at least 256).
// - A running request cannot be cancelled (aio_cancel says AIO_NOTCANCELED).
//   Sockets get SO_RCVTIMEO/SO_SNDTIMEO of kSliceMs, so a blocked call
//   returns in that time: the request is issued again, or, once cancelled,
//   completes with ECANCELED (or with the bytes it moved) — exactly once.
// - There are no vectored aio requests: readv/writev go through one bounce
//   buffer (a single read or write, so a short readv stays short).
#ifndef ACE_PROACTOR_AIO_AIO_BACKEND_H_
#define ACE_PROACTOR_AIO_AIO_BACKEND_H_

#include <aio.h>
#include <pthread.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/backend.h"
#include "epoll/epoll_backend.h"

namespace ace::aio {

class AioBackend final : public Backend {
 public:
  // How long a call on a socket may block a worker before it is issued
  // again (or completes, if cancelled).
  static constexpr int kSliceMs = 50;
  // The most file bytes one kSendfile moves through its bounce buffer; a
  // larger request completes short and the caller asks for the rest.
  static constexpr size_t kSendfileChunk = 1 << 20;

  static std::unique_ptr<AioBackend> Create(const BackendOptions& options,
                                            int* err, std::string* what);
  ~AioBackend() override;

  const char* Name() const override { return "aio"; }
  std::string Describe() const override;
  bool Supports(OpCode op) const override;
  int Prepare(const Operation& op) override;
  int Submit() override;
  int Reap(Completion* out, int max) override;
  int Wait(int timeout_ms) override;
  // An epoll fd over the completion eventfd and the helper's fd.
  int NotifyFd() const override { return epoll_fd_; }
  void ClearNotify() override;
  size_t Backlog() const override { return 0; }
  void ForgetFd(int fd) override;

  struct Core;
  struct FdState;
  struct Request;

 private:
  AioBackend() = default;
  // Starts an aio read or write (kRead, kWrite, kReadv, kWritev).
  void StartIo(const Operation& op);
  // Runs a kRecvMsg or kSendMsg on the readiness helper.
  void StartDgram(const Operation& op);
  // Cancels the aio request whose token is target; false if none is known.
  bool CancelIo(uint64_t target);
  // Cancels fd's requests and lets go of its dups; close_op (if any)
  // closes fd and completes once the running requests have returned.
  void Detach(int fd, const Operation* close_op);
  // Moves finished operations (helper and aio) into ready_.
  void Collect();

  std::shared_ptr<Core> core_;
  std::unique_ptr<epoll::EpollBackend> helper_;
  int epoll_fd_ = -1;
  std::vector<Operation> prepared_;
  // completions collected but not yet reaped
  std::deque<Completion> ready_;
  uint32_t max_threads_ = 0;
};

}  // namespace ace::aio

#endif  // ACE_PROACTOR_AIO_AIO_BACKEND_H_
