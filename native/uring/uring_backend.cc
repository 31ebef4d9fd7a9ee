#include "uring/uring_backend.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace ace::uring {
namespace {

template <typename T>
T LoadAcquire(const T* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

template <typename T>
void StoreRelease(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

// The io_uring opcode that runs each verb.
uint8_t OpcodeFor(OpCode op) {
  switch (op) {
    case OpCode::kNop: return IORING_OP_NOP;
    case OpCode::kRead: return IORING_OP_READ;
    case OpCode::kWrite: return IORING_OP_WRITE;
    case OpCode::kReadv: return IORING_OP_READV;
    case OpCode::kWritev: return IORING_OP_WRITEV;
    case OpCode::kRecv: return IORING_OP_RECV;
    case OpCode::kSend: return IORING_OP_SEND;
    case OpCode::kAccept: return IORING_OP_ACCEPT;
    case OpCode::kConnect: return IORING_OP_CONNECT;
    case OpCode::kClose: return IORING_OP_CLOSE;
    case OpCode::kTimeout: return IORING_OP_TIMEOUT;
    case OpCode::kCancel: return IORING_OP_ASYNC_CANCEL;
    case OpCode::kCount: break;
  }
  return IORING_OP_LAST;
}

}  // namespace

std::unique_ptr<UringBackend> UringBackend::Create(
    const BackendOptions& options, int* err, std::string* what) {
  std::unique_ptr<UringBackend> b(new UringBackend());
  *err = b->Init(options, what);
  if (*err < 0) return nullptr;
  return b;
}

int UringBackend::Init(const BackendOptions& options, std::string* what) {
  const unsigned sq = std::max(options.sq_entries, 8u);
  const unsigned cq = options.cq_entries ? options.cq_entries : sq * 4;
  unsigned wanted = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP |
                    IORING_SETUP_SUBMIT_ALL;
  if (options.sqpoll) wanted |= IORING_SETUP_SQPOLL;
  if (options.defer_taskrun) {
    wanted |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
              IORING_SETUP_TASKRUN_FLAG;
  }
  // Older kernels refuse flags they do not know (and SQPOLL excludes
  // DEFER_TASKRUN): drop the optional ones, newest first.
  const unsigned deferred = IORING_SETUP_SINGLE_ISSUER |
                            IORING_SETUP_DEFER_TASKRUN |
                            IORING_SETUP_TASKRUN_FLAG;
  const unsigned fallbacks[] = {
      wanted, wanted & ~deferred,
      wanted & ~deferred & ~IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP};
  int fd = -EINVAL;
  for (unsigned flags : fallbacks) {
    std::memset(&params_, 0, sizeof params_);
    params_.flags = flags;
    params_.cq_entries = cq;
    if (flags & IORING_SETUP_SQPOLL) params_.sq_thread_idle = 1000;
    fd = Setup(sq, &params_);
    if (fd != -EINVAL) break;
  }
  if (fd < 0) {
    *what = "io_uring_setup";
    return fd;
  }
  ring_fd_ = fd;
  defer_taskrun_ = params_.flags & IORING_SETUP_DEFER_TASKRUN;
  sqpoll_ = params_.flags & IORING_SETUP_SQPOLL;

  sq_ring_size_ = params_.sq_off.array + params_.sq_entries * sizeof(unsigned);
  cq_ring_size_ =
      params_.cq_off.cqes + params_.cq_entries * sizeof(io_uring_cqe);
  const bool single = params_.features & IORING_FEAT_SINGLE_MMAP;
  if (single) sq_ring_size_ = cq_ring_size_ = std::max(sq_ring_size_, cq_ring_size_);
  sq_ring_ = mmap(nullptr, sq_ring_size_, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_POPULATE, ring_fd_, IORING_OFF_SQ_RING);
  if (sq_ring_ == MAP_FAILED) {
    sq_ring_ = nullptr;
    *what = "mmap(IORING_OFF_SQ_RING)";
    return -errno;
  }
  if (single) {
    cq_ring_ = sq_ring_;
  } else {
    cq_ring_ = mmap(nullptr, cq_ring_size_, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_POPULATE, ring_fd_, IORING_OFF_CQ_RING);
    if (cq_ring_ == MAP_FAILED) {
      cq_ring_ = nullptr;
      *what = "mmap(IORING_OFF_CQ_RING)";
      return -errno;
    }
  }
  sqes_size_ = params_.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_POPULATE, ring_fd_, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    *what = "mmap(IORING_OFF_SQES)";
    return -errno;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);

  auto* sqb = static_cast<char*>(sq_ring_);
  sq_head_ = reinterpret_cast<unsigned*>(sqb + params_.sq_off.head);
  sq_tail_ = reinterpret_cast<unsigned*>(sqb + params_.sq_off.tail);
  sq_flags_ = reinterpret_cast<unsigned*>(sqb + params_.sq_off.flags);
  sq_array_ = reinterpret_cast<unsigned*>(sqb + params_.sq_off.array);
  sq_mask_ = *reinterpret_cast<unsigned*>(sqb + params_.sq_off.ring_mask);
  sq_entries_ = params_.sq_entries;
  sqe_tail_ = *sq_tail_;
  auto* cqb = static_cast<char*>(cq_ring_);
  cq_head_ = reinterpret_cast<unsigned*>(cqb + params_.cq_off.head);
  cq_tail_ = reinterpret_cast<unsigned*>(cqb + params_.cq_off.tail);
  cq_mask_ = *reinterpret_cast<unsigned*>(cqb + params_.cq_off.ring_mask);
  cqes_ = reinterpret_cast<io_uring_cqe*>(cqb + params_.cq_off.cqes);

  // Which opcodes this kernel runs: probed once, consulted by Supports().
  std::vector<char> probe_mem(sizeof(io_uring_probe) +
                              256 * sizeof(io_uring_probe_op));
  auto* probe = reinterpret_cast<io_uring_probe*>(probe_mem.data());
  if (Register(ring_fd_, IORING_REGISTER_PROBE, probe, 256) == 0) {
    for (unsigned i = 0; i < probe->ops_len && i < 256; ++i) {
      if (probe->ops[i].flags & IO_URING_OP_SUPPORTED) ops_.set(probe->ops[i].op);
    }
  } else {
    // Kernels before 5.6 cannot probe; they have the opcodes up to CONNECT.
    for (unsigned i = 0; i <= IORING_OP_CONNECT; ++i) ops_.set(i);
  }

  event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) {
    *what = "eventfd";
    return -errno;
  }
  int r = Register(ring_fd_, IORING_REGISTER_EVENTFD, &event_fd_, 1);
  if (r < 0) {
    *what = "io_uring_register(IORING_REGISTER_EVENTFD)";
    return r;
  }
  return 0;
}

UringBackend::~UringBackend() {
  if (ring_fd_ >= 0) {
    // The kernel may still point into caller memory: cancel everything and
    // reap until the in-flight operations are gone (bounded), so nothing is
    // written after the caller lets go of its buffers.
    for (const Operation& op : backlog_) {
      if (op.user_data != kInternalUserData) --inflight_;
    }
    backlog_.clear();
    if (sqes_ && SqSpace() > 0) {
      io_uring_sqe* sqe = NextSqe();
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->fd = -1;
      sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
      sqe->user_data = kInternalUserData;
      Submit();
      Completion sink[64];
      for (int i = 0; i < 100 && inflight_ > 0; ++i) {
        if (Wait(10) < 0) break;
        Reap(sink, 64);
      }
    }
  }
  if (sqes_) munmap(sqes_, sqes_size_);
  if (cq_ring_ && cq_ring_ != sq_ring_) munmap(cq_ring_, cq_ring_size_);
  if (sq_ring_) munmap(sq_ring_, sq_ring_size_);
  if (event_fd_ >= 0) close(event_fd_);
  if (ring_fd_ >= 0) close(ring_fd_);
}

std::string UringBackend::Describe() const {
  std::string s = "io_uring: sq " + std::to_string(params_.sq_entries) +
                  ", cq " + std::to_string(params_.cq_entries);
  if (params_.flags & IORING_SETUP_SUBMIT_ALL) s += ", submit-all";
  if (sqpoll_) s += ", sqpoll";
  if (defer_taskrun_) s += ", defer-taskrun";
  if (params_.features & IORING_FEAT_NODROP) s += ", nodrop";
  if (params_.features & IORING_FEAT_EXT_ARG) s += ", ext-arg";
  return s;
}

bool UringBackend::Supports(OpCode op) const {
  if (op == OpCode::kClose) {
    return ops_.test(IORING_OP_CLOSE) && ops_.test(IORING_OP_ASYNC_CANCEL);
  }
  uint8_t code = OpcodeFor(op);
  return code != IORING_OP_LAST && ops_.test(code);
}

unsigned UringBackend::SqSpace() const {
  return sq_entries_ - (sqe_tail_ - LoadAcquire(sq_head_));
}

unsigned UringBackend::SqesFor(const Operation& op) {
  return op.code == OpCode::kClose ? 2 : 1;
}

io_uring_sqe* UringBackend::NextSqe() {
  const unsigned index = sqe_tail_ & sq_mask_;
  io_uring_sqe* sqe = &sqes_[index];
  std::memset(sqe, 0, sizeof *sqe);
  sq_array_[index] = index;
  ++sqe_tail_;
  return sqe;
}

void UringBackend::Fill(const Operation& op) {
  io_uring_sqe* sqe = NextSqe();
  sqe->opcode = OpcodeFor(op.code);
  sqe->fd = op.fd;
  sqe->user_data = op.user_data;
  switch (op.code) {
    case OpCode::kNop:
      break;
    case OpCode::kRead:
    case OpCode::kWrite:
    case OpCode::kReadv:
    case OpCode::kWritev:
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->len = op.len;
      sqe->off = static_cast<uint64_t>(op.offset);
      break;
    case OpCode::kRecv:
    case OpCode::kSend:
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->len = op.len;
      sqe->msg_flags = op.msg_flags | MSG_NOSIGNAL;
      break;
    case OpCode::kAccept:
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->addr2 = reinterpret_cast<uint64_t>(op.addr2);
      sqe->accept_flags = SOCK_CLOEXEC | SOCK_NONBLOCK;
      break;
    case OpCode::kConnect:
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->off = op.len;
      break;
    case OpCode::kClose: {
      // Cancel what is in flight on fd, then close it. The hard link keeps
      // the fd number taken until the cancel has run, so no new socket can
      // reuse it and be cancelled by mistake.
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
      sqe->user_data = kInternalUserData;
      sqe->flags = IOSQE_IO_HARDLINK;
      io_uring_sqe* close_sqe = NextSqe();
      close_sqe->opcode = IORING_OP_CLOSE;
      close_sqe->fd = op.fd;
      close_sqe->user_data = op.user_data;
      break;
    }
    case OpCode::kTimeout:
      sqe->fd = -1;
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->len = 1;
      sqe->off = 0;
      break;
    case OpCode::kCancel:
      sqe->fd = -1;
      sqe->addr = op.target;
      break;
    case OpCode::kCount:
      break;
  }
}

int UringBackend::Prepare(const Operation& op) {
  if (!Supports(op.code)) return -EOPNOTSUPP;
  if (op.user_data != kInternalUserData) ++inflight_;
  // Order is kept: once anything waits, everything after it waits too.
  if (!backlog_.empty() || SqSpace() < SqesFor(op)) {
    backlog_.push_back(op);
    return 0;
  }
  Fill(op);
  return 0;
}

void UringBackend::DrainBacklog() {
  while (!backlog_.empty() && SqSpace() >= SqesFor(backlog_.front())) {
    Fill(backlog_.front());
    backlog_.pop_front();
  }
}

unsigned UringBackend::FlushSq() {
  StoreRelease(sq_tail_, sqe_tail_);
  return sqe_tail_ - LoadAcquire(sq_head_);
}

int UringBackend::Submit() {
  int total = 0;
  for (;;) {
    const unsigned pending = FlushSq();
    if (pending == 0) {
      if (backlog_.empty()) return total;
      DrainBacklog();
      continue;
    }
    unsigned flags = 0;
    if (sqpoll_) {
      // The kernel thread consumes the SQ; wake it only if it sleeps.
      if (!(LoadAcquire(sq_flags_) & IORING_SQ_NEED_WAKEUP)) {
        total += pending;
        if (backlog_.empty()) return total;
        DrainBacklog();
        if (SqSpace() == 0) return total;
        continue;
      }
      flags |= IORING_ENTER_SQ_WAKEUP;
    }
    int r = Enter(ring_fd_, pending, 0, flags, nullptr, 0);
    if (r == -EINTR) continue;
    // The CQ is full (EBUSY) or memory is short (EAGAIN): what was not
    // taken stays queued and goes in after the next reap.
    if (r == -EAGAIN || r == -EBUSY) return total;
    if (r < 0) return r;
    total += r;
    if (backlog_.empty() || r == 0) return total;
    DrainBacklog();
  }
}

int UringBackend::Reap(Completion* out, int max) {
  int n = 0;
  bool entered = false;
  for (;;) {
    unsigned head = *cq_head_;
    const unsigned tail = LoadAcquire(cq_tail_);
    while (head != tail && n < max) {
      const io_uring_cqe& cqe = cqes_[head & cq_mask_];
      ++head;
      if (cqe.user_data == kInternalUserData) continue;
      const bool more = cqe.flags & IORING_CQE_F_MORE;
      if (!more) --inflight_;
      out[n++] = Completion{cqe.user_data, cqe.res, more ? kCompletionMore : 0};
    }
    StoreRelease(cq_head_, head);
    if (n == max || head != tail || entered) return n;
    // Completions may wait in the kernel: overflowed, or task work that
    // only runs when we enter (DEFER_TASKRUN).
    const unsigned sqf = LoadAcquire(sq_flags_);
    if (!(sqf & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN))) return n;
    entered = true;
    int r = Enter(ring_fd_, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
    if (r < 0 && r != -EINTR && r != -EBUSY) return n ? n : r;
  }
}

int UringBackend::Wait(int timeout_ms) {
  int r = Submit();
  if (r < 0) return r;
  if (*cq_head_ != LoadAcquire(cq_tail_)) return 1;
  if (timeout_ms == 0) {
    if (defer_taskrun_ || (LoadAcquire(sq_flags_) & IORING_SQ_CQ_OVERFLOW)) {
      Enter(ring_fd_, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
    }
    return *cq_head_ != LoadAcquire(cq_tail_) ? 1 : 0;
  }
  if (timeout_ms > 0 && !(params_.features & IORING_FEAT_EXT_ARG)) {
    // Kernels before 5.11 cannot time a wait: poll the eventfd instead.
    pollfd p{event_fd_, POLLIN, 0};
    r = poll(&p, 1, timeout_ms);
    if (r < 0) return errno == EINTR ? 0 : -errno;
    return *cq_head_ != LoadAcquire(cq_tail_) ? 1 : 0;
  }
  __kernel_timespec ts{timeout_ms / 1000,
                       static_cast<long long>(timeout_ms % 1000) * 1000000};
  io_uring_getevents_arg arg{};
  arg.sigmask_sz = _NSIG / 8;
  arg.ts = reinterpret_cast<uint64_t>(&ts);
  unsigned flags = IORING_ENTER_GETEVENTS;
  const void* argp = nullptr;
  size_t argsz = 0;
  if (timeout_ms > 0) {
    flags |= IORING_ENTER_EXT_ARG;
    argp = &arg;
    argsz = sizeof arg;
  }
  r = Enter(ring_fd_, 0, 1, flags, argp, argsz);
  if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY) return r;
  return *cq_head_ != LoadAcquire(cq_tail_) ? 1 : 0;
}

void UringBackend::ClearNotify() {
  uint64_t v;
  while (read(event_fd_, &v, sizeof v) < 0 && errno == EINTR) {
  }
}

}  // namespace ace::uring
