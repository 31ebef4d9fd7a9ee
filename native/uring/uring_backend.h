// The io_uring Asynchronous Operation Processor: the kernel runs every
// operation; this class only fills SQEs and reads CQEs.
#ifndef ACE_PROACTOR_URING_URING_BACKEND_H_
#define ACE_PROACTOR_URING_URING_BACKEND_H_

#include <atomic>
#include <bitset>
#include <deque>
#include <memory>
#include <string>

#include "common/backend.h"
#include "uring/uring_abi.h"

namespace ace::uring {

class UringBackend final : public Backend {
 public:
  // Sets up the ring; on failure returns null with *err and *what.
  static std::unique_ptr<UringBackend> Create(const BackendOptions& options,
                                              int* err, std::string* what);
  ~UringBackend() override;

  const char* Name() const override { return "uring"; }
  std::string Describe() const override;
  bool Supports(OpCode op) const override;
  int Prepare(const Operation& op) override;
  int Submit() override;
  int Reap(Completion* out, int max) override;
  int Wait(int timeout_ms) override;
  int NotifyFd() const override { return event_fd_; }
  void ClearNotify() override;
  size_t Backlog() const override { return backlog_.size(); }

 private:
  UringBackend() = default;
  // Maps the rings, probes opcodes, registers the eventfd.
  int Init(const BackendOptions& options, std::string* what);
  // Room left in the SQ.
  unsigned SqSpace() const;
  // Fills the next SQE(s) for op; the caller checked there is room.
  void Fill(const Operation& op);
  // The next free SQE, zeroed.
  io_uring_sqe* NextSqe();
  // Moves backlogged operations into the SQ while there is room.
  void DrainBacklog();
  // SQEs one operation takes.
  static unsigned SqesFor(const Operation& op);
  // Publishes the SQ tail to the kernel; returns SQEs not yet consumed.
  unsigned FlushSq();

  // the ring's fd
  int ring_fd_ = -1;
  // eventfd registered for completion notification
  int event_fd_ = -1;
  // the parameters the kernel returned
  io_uring_params params_{};
  // whether the ring was set up with DEFER_TASKRUN
  bool defer_taskrun_ = false;
  // whether SQPOLL is on
  bool sqpoll_ = false;
  // the mapped SQ ring, CQ ring (may be the same mapping) and SQE array
  void* sq_ring_ = nullptr;
  size_t sq_ring_size_ = 0;
  void* cq_ring_ = nullptr;
  size_t cq_ring_size_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  // SQ ring fields
  unsigned* sq_head_ = nullptr;
  unsigned* sq_tail_ = nullptr;
  unsigned* sq_flags_ = nullptr;
  unsigned* sq_array_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned sq_entries_ = 0;
  // our SQ tail, published to *sq_tail_ by FlushSq()
  unsigned sqe_tail_ = 0;
  // CQ ring fields
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned cq_mask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
  // opcodes the kernel supports (IORING_REGISTER_PROBE)
  std::bitset<256> ops_;
  // operations the caller started whose last completion is not reaped
  size_t inflight_ = 0;
  // operations waiting for room in the SQ, in submission order
  std::deque<Operation> backlog_;
};

}  // namespace ace::uring

#endif  // ACE_PROACTOR_URING_URING_BACKEND_H_
