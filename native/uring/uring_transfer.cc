// kSendfile on io_uring: the file's pages go to the socket through a pipe,
// by two splices the kernel runs (file -> pipe, pipe -> socket), so the
// bytes never cross into user space. io_uring has no sendfile opcode.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "uring/uring_backend.h"

namespace ace::uring {
namespace {

// Internal tokens of a transfer's SQEs: the internal bit, a transfer bit
// (apart from the registered-file tokens, whose value is below 2^32), the
// transfer id and the kind of step.
constexpr uint64_t kTransferBit = uint64_t{1} << 62;
enum StepKind : uint64_t { kFill = 1, kDrain = 2, kPoll = 3 };

uint64_t TransferToken(uint32_t id, StepKind kind) {
  return kInternalBit | kTransferBit | (uint64_t{id} << 2) | kind;
}

bool IsTransferToken(uint64_t user_data) {
  return (user_data & (kInternalBit | kTransferBit)) == (kInternalBit | kTransferBit) &&
         user_data != kInternalUserData;
}

// A larger pipe moves more per splice; 256 KiB, not the 1 MiB allowed,
// because every pipe counts against the user's pipe quota
// (pipe-user-pages-soft: 64 MiB) whether it holds bytes or not. The default
// (64 KiB) is kept when the system says no.
constexpr int kPipeSize = 1 << 18;

}  // namespace

bool UringBackend::IsTransferCqe(uint64_t user_data) {
  return IsTransferToken(user_data);
}

int UringBackend::StartTransfer(const Operation& op) {
  if (op.len == 0 || op.offset < 0) return -EINVAL;
  IdlePipe p{};
  if (!idle_pipes_.empty()) {
    p = idle_pipes_.back();
    idle_pipes_.pop_back();
  } else {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
    p.r = fds[0];
    p.w = fds[1];
    fcntl(p.w, F_SETPIPE_SZ, kPipeSize);
    const int size = fcntl(p.w, F_GETPIPE_SZ);
    p.size = size > 0 ? static_cast<uint32_t>(size) : 65536;
  }
  const uint32_t id = next_transfer_++;
  Transfer& t = transfers_[id];
  t.user_data = op.user_data;
  t.sock = op.fd;
  t.file = op.fd2;
  t.offset = op.offset;
  t.to_read = op.len;
  t.pipe_r = p.r;
  t.pipe_w = p.w;
  t.pipe_size = p.size;
  transfer_of_[op.user_data] = id;
  return 0;
}

void UringBackend::Queue(const Operation& op) {
  // Order is kept: once anything waits, everything after it waits too.
  if (!backlog_.empty() || SqSpace() < SqesFor(op)) {
    backlog_.push_back(op);
    return;
  }
  Fill(op);
}

void UringBackend::FillTransferStep(const Operation& op) {
  auto found = transfer_of_.find(op.user_data);
  if (found == transfer_of_.end()) return;  // cancelled while it waited
  const uint32_t id = found->second;
  Transfer& t = transfers_[id];
  if (t.cancelled) {
    FinishTransfer(id, CancelledResult(t));
    return;
  }
  // One SQE per step, never linked: a linked splice or poll would name the
  // socket by its number only when it runs, which may be after a close and
  // after the number went to a new socket. Each step is submitted once the
  // one before it is reaped, when a close has already stopped the transfer.
  io_uring_sqe* sqe = NextSqe();
  if (t.want_poll) {
    // The socket was full (a splice into a non-blocking socket may say
    // EAGAIN rather than wait): drain again once it is writable.
    t.want_poll = false;
    t.step = kPoll;
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = t.sock;
    sqe->poll32_events = POLLOUT;
  } else if (t.in_pipe > 0) {
    // pipe -> socket: may be short (the socket took less); the rest stays
    // in the pipe for the next drain.
    t.step = kDrain;
    sqe->opcode = IORING_OP_SPLICE;
    sqe->fd = t.sock;
    sqe->splice_fd_in = t.pipe_r;
    sqe->splice_off_in = ~uint64_t{0};
    sqe->off = ~uint64_t{0};
    sqe->len = t.in_pipe;
    sqe->splice_flags = SPLICE_F_MOVE;
  } else {
    // file -> empty pipe, at most a pipe-full: may be short (the file
    // ended, or the page cache gave less); whatever came is drained.
    t.step = kFill;
    sqe->opcode = IORING_OP_SPLICE;
    sqe->fd = t.pipe_w;
    sqe->splice_fd_in = t.file;
    sqe->splice_off_in = static_cast<uint64_t>(t.offset);
    sqe->off = ~uint64_t{0};
    sqe->len = t.to_read < t.pipe_size ? t.to_read : t.pipe_size;
    sqe->splice_flags = SPLICE_F_MOVE;
  }
  sqe->user_data = TransferToken(id, static_cast<StepKind>(t.step));
  t.pending = 1;
}

void UringBackend::OnTransferCqe(uint64_t token, int32_t res) {
  const uint32_t id = static_cast<uint32_t>((token & ~(kInternalBit | kTransferBit)) >> 2);
  auto found = transfers_.find(id);
  if (found == transfers_.end()) return;
  Transfer& t = found->second;
  t.pending = 0;
  switch (static_cast<StepKind>(token & 3)) {
    case kFill:
      if (res > 0) {
        t.in_pipe += static_cast<uint32_t>(res);
        t.to_read -= static_cast<uint32_t>(res);
        t.offset += res;
      } else if (res == 0) {
        t.eof = true;
      } else {
        t.error = res;
      }
      break;
    case kDrain:
      if (res > 0) {
        t.in_pipe -= static_cast<uint32_t>(res);
        t.sent += static_cast<uint32_t>(res);
      } else if (res == -EAGAIN) {
        t.want_poll = true;
      } else if (res == 0) {
        t.error = -EPIPE;  // a socket that takes nothing without an error
      } else {
        t.error = res;
      }
      break;
    case kPoll:
      // Readiness (or POLLERR/POLLHUP: the next drain meets the error).
      if (res < 0) t.error = res;
      break;
  }
  StepTransfer(t);
}

void UringBackend::StepTransfer(Transfer& t) {
  const uint32_t id = transfer_of_[t.user_data];
  if (t.cancelled) return FinishTransfer(id, CancelledResult(t));
  // An error after progress is reported as a short send, as write(2) does;
  // the next send meets the error at once.
  if (t.error != 0) return FinishTransfer(id, t.sent > 0 ? static_cast<int32_t>(t.sent) : t.error);
  if (t.in_pipe == 0 && (t.to_read == 0 || t.eof)) {
    return FinishTransfer(id, static_cast<int32_t>(t.sent));
  }
  Operation step;
  step.code = OpCode::kSendfile;
  step.user_data = t.user_data;
  step.fd = t.sock;
  Queue(step);
  steps_queued_ = true;
}

int32_t UringBackend::CancelledResult(const Transfer& t) {
  return t.by_cancel && t.sent > 0 ? static_cast<int32_t>(t.sent) : -ECANCELED;
}

void UringBackend::FinishTransfer(uint32_t id, int32_t res) {
  auto found = transfers_.find(id);
  if (found == transfers_.end()) return;
  Transfer& t = found->second;
  if (t.pending > 0) {
    // The kernel still holds the pipe: finish when its step is reaped.
    t.cancelled = true;
    return;
  }
  finished_.push_back(Completion{t.user_data, res, 0});
  --inflight_;
  // Only an empty pipe can serve again; one that holds bytes is closed.
  if (t.in_pipe == 0 && t.error == 0 && !t.cancelled && idle_pipes_.size() < 8) {
    idle_pipes_.push_back(IdlePipe{t.pipe_r, t.pipe_w, t.pipe_size});
  } else {
    close(t.pipe_r);
    close(t.pipe_w);
  }
  transfer_of_.erase(t.user_data);
  transfers_.erase(found);
  if (!reaping_) {
    // Not from a CQE: make the notification fd readable for the reap.
    const uint64_t one = 1;
    while (write(event_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
}

void UringBackend::FillTransferCancel(uint32_t id, uint8_t sqe_flags) {
  io_uring_sqe* sqe = NextSqe();
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = -1;
  sqe->addr = TransferToken(id, static_cast<StepKind>(transfers_[id].step));
  sqe->user_data = kInternalUserData;
  sqe->flags = sqe_flags;
}

bool UringBackend::CancelTransfer(uint64_t target) {
  auto found = transfer_of_.find(target);
  if (found == transfer_of_.end()) return false;
  const uint32_t id = found->second;
  Transfer& t = transfers_[id];
  // A close before it has the last word: its handle is gone.
  if (!t.cancelled) t.by_cancel = true;
  t.cancelled = true;
  if (t.pending == 0) {
    FinishTransfer(id, CancelledResult(t));
  } else {
    FillTransferCancel(id, 0);
  }
  return true;
}

void UringBackend::CloseTransfers() {
  for (auto& [id, t] : transfers_) t.cancelled = true;
  std::vector<uint32_t> idle;
  for (auto& [id, t] : transfers_) {
    if (t.pending == 0) {
      idle.push_back(id);
    } else if (legacy_cancel_) {
      quiesce_pending_.push_back(TransferToken(id, static_cast<StepKind>(t.step)));
    }
  }
  for (uint32_t id : idle) FinishTransfer(id, -ECANCELED);
}

void UringBackend::ClosePipes() {
  for (const IdlePipe& p : idle_pipes_) {
    close(p.r);
    close(p.w);
  }
  idle_pipes_.clear();
  // Nothing is in the kernel any more; a transfer left is only a record.
  for (auto& [id, t] : transfers_) {
    close(t.pipe_r);
    close(t.pipe_w);
  }
  transfers_.clear();
  transfer_of_.clear();
}

}  // namespace ace::uring
