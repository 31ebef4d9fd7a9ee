// The io_uring Asynchronous Operation Processor: the kernel runs every
// operation; this class only fills SQEs and reads CQEs.
#ifndef ACE_PROACTOR_URING_URING_BACKEND_H_
#define ACE_PROACTOR_URING_URING_BACKEND_H_

#include <atomic>
#include <bitset>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

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
  int RegisterBuffers(const IoVec* iov, unsigned n) override;
  int RegisterBufferRing(uint16_t group, uint8_t* base, uint32_t count,
                         uint32_t size) override;
  int ProvideBuffer(uint16_t group, uint16_t id) override;
  uint32_t FixedFilesInUse() const override {
    return fixed_files_ - static_cast<uint32_t>(free_fixed_.size());
  }
  void FailNextSubmits(int count, int err) override {
    failing_submits_ = count;
    submit_fault_ = err;
  }

 private:
  // A provided-buffer ring: the kernel takes buffers from its head as data
  // arrives; ProvideBuffer() puts them back at its tail.
  struct BufferRing {
    io_uring_buf_ring* ring = nullptr;  // mapped, page-aligned
    size_t ring_size = 0;
    uint8_t* base = nullptr;  // the caller's buffers, size bytes apart
    uint32_t count = 0;
    uint32_t size = 0;
    uint16_t tail = 0;
  };

  // A kSendfile in progress: file -> pipe -> socket by splice, one pipe-full
  // at a time, until len bytes are sent, the file ends or an error stops it.
  // Its SQEs carry internal tokens; the caller's token completes once, from
  // finished_.
  struct Transfer {
    uint64_t user_data = 0;  // the caller's token
    int32_t sock = -1;
    int32_t file = -1;
    int64_t offset = 0;      // the next file byte to read
    uint32_t to_read = 0;    // file bytes not yet in the pipe
    uint32_t in_pipe = 0;    // bytes in the pipe, not yet sent
    uint32_t sent = 0;
    uint8_t step = 0;        // the kind of its SQE in the kernel
    int pipe_r = -1;
    int pipe_w = -1;
    uint32_t pipe_size = 0;
    int32_t error = 0;       // the first failure (-errno)
    bool eof = false;
    bool cancelled = false;
    // stopped by a kCancel (not a close): it completes with what it sent,
    // if anything, as a write the cancel came too late for would
    bool by_cancel = false;
    bool want_poll = false;  // the last drain found the socket full
    // a close too big for one SQ-full cancels this transfer's step by a
    // cancel queued ahead of the close's chain, not in it (see SplitClose)
    bool close_cancel_queued = false;
    unsigned pending = 0;    // 1 while its step's SQE is in the kernel
  };

  UringBackend() = default;
  // Queues op's SQEs now, or in the backlog behind what waits.
  void Queue(const Operation& op);
  // kSendfile: sets up the transfer (takes a pipe); 0 or -errno.
  int StartTransfer(const Operation& op);
  // Fills the SQE of the transfer's next step (fill, drain or poll), or
  // finishes it.
  void FillTransferStep(const Operation& op);
  // A CQE of one of a transfer's SQEs.
  void OnTransferCqe(uint64_t token, int32_t res);
  // What follows a transfer's step: the next one (queued), or its end.
  void StepTransfer(Transfer& t);
  // Ends a transfer: its completion goes to finished_, its pipe back to
  // the pool (or closed, if anything is left in it).
  void FinishTransfer(uint32_t id, int32_t res);
  // What a stopped transfer completes with: -ECANCELED, or after a kCancel
  // the bytes it sent.
  static int32_t CancelledResult(const Transfer& t);
  // The cancel SQE of the step a transfer has in the kernel.
  void FillTransferCancel(uint32_t id, uint8_t sqe_flags);
  // kCancel of a transfer's caller token: cancels its step in the kernel,
  // or finishes it; false if target is no transfer.
  bool CancelTransfer(uint64_t target);
  // Teardown: every transfer is cancelled; those with nothing in the
  // kernel finish now.
  void CloseTransfers();
  // Closes the idle pipes and any a transfer still holds.
  void ClosePipes();
  // Whether a CQE's token is one of a transfer's SQEs.
  static bool IsTransferCqe(uint64_t user_data);
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
  unsigned SqesFor(const Operation& op) const;
  // The registered-file slot for fd, registering it if there is room; -1
  // when fixed files are off or full.
  int FixedSlotFor(int fd);
  // Checks a fixed read/write stays inside its registered buffer.
  bool InsideRegistered(const Operation& op) const;
  // Fills the SQEs that cancel, unregister and close op.fd.
  void FillClose(const Operation& op);
  // Publishes the SQ tail to the kernel; returns SQEs not yet consumed.
  unsigned FlushSq();
  // Whether fd has a registered-file slot (a close empties it).
  bool HasFixedSlot(int fd) const;
  // Transfers on fd whose step in the kernel a close's chain cancels (those
  // not cancelled ahead of it by SplitClose).
  unsigned CloseTransferCount(int fd) const;
  // Whether a close cancels fd's operations by one cancel of everything on
  // the fd, not one by one: only when one by one would not fit in the SQ
  // (cancel by fd walks every request in flight) and the kernel has it.
  bool CloseCancelsByFd(int fd) const;
  // How many cancel SQEs of fd's tracked operations a close's chain holds,
  // and the hard-linked cancel SQEs for them.
  unsigned CloseCancelCount(int fd) const;
  void FillCloseCancels(int fd);
  // A close at the head of what waits (op, the backlog's front or, with
  // the backlog empty, about to be queued) whose chain would not fit in the
  // SQ: moves cancels out of the chain into separate cancel operations
  // queued ahead of it, until the chain fits. They reach the kernel before
  // the close, so every operation on the fd is asked to cancel before the
  // close runs.
  void SplitClose(const Operation& op);
  // Tracks op until its last completion; forgets it.
  void Track(const Operation& op);
  void Untrack(uint64_t user_data);
  // Puts in the SQ what cancels everything still in flight, as far as
  // there is room; true once all of it is in.
  bool FillQuiesceCancels();
  // Cancels everything in flight and reaps until the kernel holds no
  // caller memory it may still write (the destructor's first half).
  void Quiesce();

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
  // of those, zero-copy sends that have sent and wait only for their
  // notification: the kernel reads their pages, pinned, and never writes
  size_t awaiting_notif_ = 0;
  // cancel of everything is missing (before 5.19) or turned off: Quiesce()
  // cancels the tracked operations one by one
  bool legacy_cancel_ = false;
  // an operation in flight: its token and its fd
  struct Tracked {
    uint64_t user_data = kInternalUserData;  // kInternalUserData: free
    int32_t fd = -1;
  };
  // every operation in flight, and those of each fd by fd number: a close
  // cancels its fd's operations by their tokens, which the kernel finds by
  // hash, where cancelling by fd walks every request in flight (a close
  // would cost time in proportion to the connections open). Operations are
  // kept by their token's slot (its low 32 bits), which the caller's table
  // keeps dense: a flat array, because every submission and completion
  // looks here, and a hash map's node allocation and cold buckets cost more
  // than the rest of the native side of an echo. Slots past kFlatSlots, and
  // a slot taken again while its earlier generation is in flight, go to the
  // map.
  static constexpr uint32_t kFlatSlots = 1u << 20;
  std::vector<Tracked> tracked_;
  std::unordered_map<uint64_t, int32_t> tracked_far_;
  std::vector<std::vector<uint64_t>> on_fd_;
  // zero-copy sends in flight, whose completions Reap() counts above
  std::unordered_set<uint64_t> zero_copy_;
  // Quiesce(): whether the cancel-all is in, or how many tracked
  // operations have had their cancel (legacy cancel)
  bool quiesce_cancelled_ = false;
  std::vector<uint64_t> quiesce_pending_;
  // test hook: Submit() calls left to fail, and with what
  int failing_submits_ = 0;
  int submit_fault_ = 0;
  // kSendfile transfers by id, the id of each caller token, the next id
  std::unordered_map<uint32_t, Transfer> transfers_;
  std::unordered_map<uint64_t, uint32_t> transfer_of_;
  uint32_t next_transfer_ = 0;
  // idle pipes (read end, write end, size), empty, for the next transfer
  struct IdlePipe {
    int r;
    int w;
    uint32_t size;
  };
  std::vector<IdlePipe> idle_pipes_;
  // completions made here, not by a CQE (transfers), waiting for Reap()
  std::deque<Completion> finished_;
  // Reap() is running: a finished transfer needs no eventfd wake
  bool reaping_ = false;
  // a transfer queued its next step during Reap(): submit it there
  bool steps_queued_ = false;
  // operations waiting for room in the SQ, in submission order
  std::deque<Operation> backlog_;
  // registered buffers, by index
  std::vector<IoVec> buffers_;
  // provided-buffer rings, by group
  std::map<uint16_t, BufferRing> rings_;
  // registered-file table: size, fd -> slot (-1: none), and free slots
  uint32_t fixed_files_ = 0;
  std::vector<int32_t> fixed_of_fd_;
  std::vector<uint32_t> free_fixed_;
};

}  // namespace ace::uring

#endif  // ACE_PROACTOR_URING_URING_BACKEND_H_
