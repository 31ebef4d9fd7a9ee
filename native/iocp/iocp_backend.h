// The Asynchronous Operation Processor on Windows: an I/O completion port.
// Sockets run overlapped WSARecv/WSASend, AcceptEx and ConnectEx,
// datagrams WSARecvMsg/WSASendMsg, a transmit-file's file bytes
// TransmitFile; files
// run overlapped ReadFile/WriteFile at offsets on a handle reopened for
// overlapped I/O; timers are a deadline-ordered set whose due entries are
// queued whenever the port is waited on (its wait times out at the
// earliest deadline); wakeups are PostQueuedCompletionStatus. Every operation finishes as one
// packet dequeued from the port (an error found at initiation is posted
// too), so each completes exactly once and its OVERLAPPED, and the memory
// it points at, stay alive until then.
#ifndef ACE_PROACTOR_IOCP_IOCP_BACKEND_H_
#define ACE_PROACTOR_IOCP_IOCP_BACKEND_H_

#include <winsock2.h>
#include <mswsock.h>
#include <windows.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/backend.h"

namespace ace::iocp {

class IocpBackend final : public Backend {
 public:
  // Creates the port; on failure returns null with
  // *err and *what ("CreateIoCompletionPort").
  static std::unique_ptr<IocpBackend> Create(const BackendOptions& options,
                                             int* err, std::string* what);
  ~IocpBackend() override;

  const char* Name() const override { return "iocp"; }
  std::string Describe() const override;
  bool Supports(OpCode op) const override;
  int Prepare(const Operation& op) override;
  int Submit() override;
  int Reap(Completion* out, int max) override;
  int Wait(int timeout_ms) override;
  // A port cannot be polled: the first call starts the waiter thread,
  // which dequeues in batches and wakes the JS thread once per batch.
  // Returns 0 (no fd), or -errno if the thread cannot start.
  int NotifyFd() const override;
  void ClearNotify() override;
  size_t Backlog() const override { return 0; }
  void ForgetFd(int fd) override;
  void SetWaker(void (*wake)(void* arg), void* arg) override;

  // One operation in the kernel: the OVERLAPPED first, then what it
  // points at. Lives until its packet is dequeued (iocp/iocp_op.h).
  struct Op;

 private:
  IocpBackend() = default;
  // Starts one prepared operation; any failure is posted as its completion.
  void Start(Op* op);
  // The system call that begins op; 0 when a packet will come, else -errno.
  int Begin(Op* op);
  int BeginSocketIo(Op* op, bool write);
  int BeginFileIo(Op* op, bool write);
  int BeginAccept(Op* op);
  int BeginConnect(Op* op);
  int BeginTimer(Op* op);
  // WSARecvMsg / WSASendMsg on the WSAMSG in the caller's message block
  // (iocp_transfer.cc).
  int BeginMessage(Op* op, bool send);
  // TransmitFile of a window of the file (iocp_transfer.cc).
  int BeginTransmit(Op* op);
  // A datagram's or a transmit-file's result from its packet's NTSTATUS
  // and byte count; for a receive, the message flags written back.
  int32_t FinishTransfer(Op* op, LONG status, int32_t res);
  // Cancels fd's operations, then closes it once they have all come back.
  void BeginClose(Op* op);
  void Cancel(uint64_t target);
  // Queues op's completion on the port with res, as the kernel would.
  void Post(Op* op, int32_t res);
  // Associates a socket with the port (once).
  int Associate(uintptr_t handle);
  // Turns one dequeued packet into a completion; false if it is not to be
  // reported (internal, or the backend's own).
  bool Finish(const OVERLAPPED_ENTRY& e, Completion* out);
  // Takes what the port has ready (or waits up to ms, or until the next
  // timer is due) into ready_, then the due timers.
  void Dequeue(DWORD ms);
  // Queues the timers whose deadline has passed, in deadline order (mu_ held).
  void FireDueLocked();
  // Milliseconds until the earliest deadline, capped at ms (mu_ held).
  DWORD TimeoutLocked(DWORD ms) const;
  // The waiter thread's loop.
  void Waiter();
  Op* NewOp(const Operation& o);
  void FreeOp(Op* op);

  // the completion port
  HANDLE port_ = nullptr;
  // the extension functions, looked up once
  LPFN_ACCEPTEX accept_ex_ = nullptr;
  LPFN_CONNECTEX connect_ex_ = nullptr;
  LPFN_GETACCEPTEXSOCKADDRS get_accept_ex_sockaddrs_ = nullptr;
  LPFN_WSARECVMSG recv_msg_ = nullptr;
  LPFN_TRANSMITFILE transmit_file_ = nullptr;
  // operations prepared since the last Submit(), in order
  std::vector<Op*> prepared_;
  // token -> operation, for every operation in the kernel
  std::unordered_map<uint64_t, Op*> ops_;
  // socket -> operations of it in the kernel; closes waiting for them
  std::unordered_map<uintptr_t, int> per_handle_;
  std::unordered_map<uintptr_t, std::vector<Op*>> closing_;
  // sockets associated with the port
  std::unordered_set<uintptr_t> associated_;
  // reused Op storage
  std::vector<Op*> free_ops_;

  // armed timers: deadline (ns, process.hrtime's clock) -> operation
  std::multimap<int64_t, Op*> timers_;
  // guards ready_, signalled_, timers_ (the waiter thread's side)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // packets dequeued and not yet reaped, in the port's order
  std::deque<OVERLAPPED_ENTRY> ready_;
  // a wake is on its way and the JS thread has not cleared it
  bool signalled_ = false;
  // the waiter thread (post-reactive dispatch); once it runs, it alone
  // dequeues, so completions keep the port's order
  mutable std::thread waiter_;
  mutable std::atomic<bool> waiting_{false};
  void (*wake_)(void*) = nullptr;
  void* wake_arg_ = nullptr;
};

}  // namespace ace::iocp

#endif  // ACE_PROACTOR_IOCP_IOCP_BACKEND_H_
