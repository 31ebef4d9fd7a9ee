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

// A larger pipe moves more per splice pair; the default (64 KiB) is kept
// when the system's pipe-max-size or the user's pipe quota says no.
constexpr int kPipeSize = 1 << 20;

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
    FinishTransfer(id, -ECANCELED);
    return;
  }
  if (t.in_pipe == 0) {
    // file -> pipe, linked to pipe -> socket. A short fill (the file ended,
    // or the page cache gave less) fails the link: the drain then
    // completes ECANCELED, and what is in the pipe goes by a drain alone.
    t.asked = t.to_read < t.pipe_size ? t.to_read : t.pipe_size;
    io_uring_sqe* fill = NextSqe();
    fill->opcode = IORING_OP_SPLICE;
    fill->fd = t.pipe_w;
    fill->splice_fd_in = t.file;
    fill->splice_off_in = static_cast<uint64_t>(t.offset);
    fill->off = ~uint64_t{0};
    fill->len = t.asked;
    fill->splice_flags = SPLICE_F_MOVE;
    fill->flags = IOSQE_IO_LINK;
    fill->user_data = TransferToken(id, kFill);
    ++t.pending;
  } else if (t.want_poll) {
    // The socket was full (a non-blocking socket makes the splice say
    // EAGAIN instead of waiting): drain when it is writable again.
    t.want_poll = false;
    io_uring_sqe* poll = NextSqe();
    poll->opcode = IORING_OP_POLL_ADD;
    poll->fd = t.sock;
    poll->poll32_events = POLLOUT;
    poll->flags = IOSQE_IO_LINK;
    poll->user_data = TransferToken(id, kPoll);
    ++t.pending;
  }
  io_uring_sqe* drain = NextSqe();
  drain->opcode = IORING_OP_SPLICE;
  drain->fd = t.sock;
  drain->splice_fd_in = t.pipe_r;
  drain->splice_off_in = ~uint64_t{0};
  drain->off = ~uint64_t{0};
  drain->len = t.in_pipe > 0 ? t.in_pipe : t.asked;
  drain->splice_flags = SPLICE_F_MOVE;
  drain->user_data = TransferToken(id, kDrain);
  ++t.pending;
}

void UringBackend::OnTransferCqe(uint64_t token, int32_t res) {
  const uint32_t id = static_cast<uint32_t>((token & ~(kInternalBit | kTransferBit)) >> 2);
  auto found = transfers_.find(id);
  if (found == transfers_.end()) return;
  Transfer& t = found->second;
  --t.pending;
  switch (static_cast<StepKind>(token & 3)) {
    case kFill:
      if (res > 0) {
        t.in_pipe += static_cast<uint32_t>(res);
        t.to_read -= static_cast<uint32_t>(res);
        t.offset += res;
      } else if (res == 0) {
        t.eof = true;
      } else if (t.error == 0) {
        t.error = res;
      }
      break;
    case kDrain:
      if (res > 0) {
        t.in_pipe -= static_cast<uint32_t>(res);
        t.sent += static_cast<uint32_t>(res);
      } else if (res == -EAGAIN) {
        t.want_poll = true;
      } else if (res == -ECANCELED && !t.cancelled && t.error == 0) {
        // The link broke: a short fill, or a poll that failed (its own
        // CQE says why). The next step drains what the pipe holds.
      } else if (res < 0 && t.error == 0) {
        t.error = res;
      }
      break;
    case kPoll:
      if (res < 0 && t.error == 0) t.error = res;
      break;
  }
  if (t.pending == 0) StepTransfer(t);
}

void UringBackend::StepTransfer(Transfer& t) {
  const uint32_t id = transfer_of_[t.user_data];
  if (t.cancelled) return FinishTransfer(id, -ECANCELED);
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

void UringBackend::FinishTransfer(uint32_t id, int32_t res) {
  auto found = transfers_.find(id);
  if (found == transfers_.end()) return;
  Transfer& t = found->second;
  if (t.pending > 0) {
    // The kernel still points at the pipe: finish when it lets go.
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

void UringBackend::FillTransferCancels(uint32_t id, uint8_t sqe_flags) {
  for (StepKind kind : {kFill, kPoll, kDrain}) {
    io_uring_sqe* sqe = NextSqe();
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = TransferToken(id, kind);
    sqe->user_data = kInternalUserData;
    sqe->flags = sqe_flags;
  }
}

unsigned UringBackend::TransfersInKernelOn(int fd) const {
  unsigned n = 0;
  for (const auto& entry : transfers_) {
    if (entry.second.sock == fd && entry.second.pending > 0) ++n;
  }
  return n;
}

bool UringBackend::CancelTransfer(uint64_t target) {
  auto found = transfer_of_.find(target);
  if (found == transfer_of_.end()) return false;
  const uint32_t id = found->second;
  Transfer& t = transfers_[id];
  t.cancelled = true;
  if (t.pending == 0) {
    FinishTransfer(id, -ECANCELED);
  } else {
    FillTransferCancels(id, 0);
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
      for (StepKind kind : {kFill, kPoll, kDrain}) {
        quiesce_pending_.push_back(TransferToken(id, kind));
      }
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
