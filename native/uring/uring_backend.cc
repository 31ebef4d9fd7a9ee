#include "uring/uring_backend.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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
    case OpCode::kReadFixed: return IORING_OP_READ_FIXED;
    case OpCode::kWriteFixed: return IORING_OP_WRITE_FIXED;
    case OpCode::kAcceptMulti: return IORING_OP_ACCEPT;
    case OpCode::kRecvMulti: return IORING_OP_RECV;
    case OpCode::kSendZc: return IORING_OP_SEND_ZC;
    case OpCode::kRecvMsg: return IORING_OP_RECVMSG;
    case OpCode::kSendMsg: return IORING_OP_SENDMSG;
    case OpCode::kSendfile: return IORING_OP_SPLICE;
    case OpCode::kCount: break;
  }
  return IORING_OP_LAST;
}

// Verbs that work on a connected stream's fd, and so may use its
// registered-file slot.
bool IsStreamVerb(OpCode op) {
  switch (op) {
    case OpCode::kRead: case OpCode::kWrite: case OpCode::kReadv:
    case OpCode::kWritev: case OpCode::kRecv: case OpCode::kSend:
    case OpCode::kReadFixed: case OpCode::kWriteFixed:
    case OpCode::kRecvMulti: case OpCode::kSendZc:
      return true;
    default:
      return false;
  }
}

// The user_data of the internal CQE that says registered-file slot is free.
uint64_t FixedCloseToken(uint32_t slot) { return kInternalBit | slot; }

// The CQE flags the caller sees.
uint32_t CompletionFlags(uint32_t cqe_flags) {
  uint32_t f = 0;
  if (cqe_flags & IORING_CQE_F_MORE) f |= kCompletionMore;
  if (cqe_flags & IORING_CQE_F_NOTIF) f |= kCompletionNotif;
  if (cqe_flags & IORING_CQE_F_BUFFER) {
    f |= kCompletionBuffer | (cqe_flags >> IORING_CQE_BUFFER_SHIFT) << kCompletionBufferShift;
  }
  return f;
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
  unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP |
                  IORING_SETUP_SUBMIT_ALL;
  if (options.sqpoll) base |= IORING_SETUP_SQPOLL;
  // Task work (the kernel's half of each completion) is deferred to our
  // next reap (6.1), or at least not forced on us by an interrupt
  // (COOP_TASKRUN, 5.19). Older kernels refuse flags they do not know, and
  // SQPOLL excludes both: drop the optional ones, newest first.
  const unsigned deferred = IORING_SETUP_SINGLE_ISSUER |
                            IORING_SETUP_DEFER_TASKRUN |
                            IORING_SETUP_TASKRUN_FLAG;
  const unsigned coop = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  const unsigned fallbacks[] = {
      base | (options.defer_taskrun ? deferred : coop), base | coop, base,
      base & ~IORING_SETUP_SUBMIT_ALL,
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
  legacy_cancel_ = options.legacy_cancel;
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
  // Cancel by fd and of everything came with SOCKET (5.19); before it,
  // every operation is tracked so that each can be cancelled by its token.
  if (!ops_.test(IORING_OP_SOCKET)) legacy_cancel_ = true;

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
  if (options.fixed_files > 0) {
    // An empty table; fds take slots as streams start on them. A kernel
    // that cannot register files runs without them.
    std::vector<int> empty(options.fixed_files, -1);
    if (Register(ring_fd_, IORING_REGISTER_FILES, empty.data(),
                 options.fixed_files) == 0) {
      fixed_files_ = options.fixed_files;
      free_fixed_.reserve(fixed_files_);
      for (uint32_t i = fixed_files_; i > 0; --i) free_fixed_.push_back(i - 1);
    }
  }
  return 0;
}

UringBackend::~UringBackend() {
  if (ring_fd_ >= 0 && sqes_) Quiesce();
  ClosePipes();
  for (auto& [group, r] : rings_) munmap(r.ring, r.ring_size);
  if (sqes_) munmap(sqes_, sqes_size_);
  if (cq_ring_ && cq_ring_ != sq_ring_) munmap(cq_ring_, cq_ring_size_);
  if (sq_ring_) munmap(sq_ring_, sq_ring_size_);
  if (event_fd_ >= 0) close(event_fd_);
  if (ring_fd_ >= 0) close(ring_fd_);
}

bool UringBackend::FillQuiesceCancels() {
  if (!legacy_cancel_) {
    if (!quiesce_cancelled_ && SqSpace() > 0) {
      io_uring_sqe* sqe = NextSqe();
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->fd = -1;
      sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
      sqe->user_data = kInternalUserData;
      quiesce_cancelled_ = true;
    }
    return quiesce_cancelled_;
  }
  while (!quiesce_pending_.empty() && SqSpace() > 0) {
    io_uring_sqe* sqe = NextSqe();
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = quiesce_pending_.back();
    sqe->user_data = kInternalUserData;
    quiesce_pending_.pop_back();
  }
  return quiesce_pending_.empty();
}

void UringBackend::Quiesce() {
  // The kernel may still point into caller memory, which the caller frees
  // once this returns: cancel everything, then reap until nothing the
  // kernel could write into is left. Closing the ring would cancel too, but
  // asynchronously: an operation running in the kernel's workers could
  // still write after close() returned.
  for (const Operation& op : backlog_) {
    // A transfer's caller op is counted until CloseTransfers ends it.
    if (IsInternal(op.user_data) || op.code == OpCode::kSendfile) continue;
    --inflight_;
    Untrack(op.user_data);
    zero_copy_.erase(op.user_data);
  }
  backlog_.clear();  // never reached the kernel
  CloseTransfers();
  failing_submits_ = 0;
  if (legacy_cancel_) {
    for (const Tracked& t : tracked_) {
      if (t.user_data != kInternalUserData) quiesce_pending_.push_back(t.user_data);
    }
    for (const auto& entry : tracked_far_) quiesce_pending_.push_back(entry.first);
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto warn_at = start + std::chrono::seconds(2);
  Completion sink[64];
  // What waits in the SQ goes in first; that also makes room for the
  // cancels, which go in as room allows.
  bool cancels_in = false;
  for (;;) {
    if (inflight_ == 0) return;
    if (!cancels_in) cancels_in = FillQuiesceCancels();
    const int r = Wait(100);
    if (r < 0 && r != -EAGAIN && r != -EBUSY) {
      std::fprintf(stderr,
                   "ace-proactor: io_uring teardown: wait failed (%s) with "
                   "%zu operations in flight\n",
                   std::strerror(-r), inflight_);
      return;
    }
    while (Reap(sink, 64) > 0) {
    }
    // Zero-copy sends that only wait for their notification hold no memory
    // the kernel writes; their pages are pinned and only read. They are
    // given a moment (a peer that closes or reads frees them), no more.
    if (cancels_in && inflight_ <= awaiting_notif_ &&
        Clock::now() - start >= std::chrono::seconds(1)) {
      return;
    }
    if (inflight_ > awaiting_notif_ && Clock::now() >= warn_at) {
      std::fprintf(stderr,
                   "ace-proactor: io_uring teardown waits for %zu operations "
                   "the kernel has not given back\n",
                   inflight_ - awaiting_notif_);
      warn_at += std::chrono::seconds(5);
    }
  }
}

std::string UringBackend::Describe() const {
  std::string s = "io_uring: sq " + std::to_string(params_.sq_entries) +
                  ", cq " + std::to_string(params_.cq_entries);
  if (params_.flags & IORING_SETUP_SUBMIT_ALL) s += ", submit-all";
  if (sqpoll_) s += ", sqpoll";
  if (defer_taskrun_) s += ", defer-taskrun";
  if (params_.features & IORING_FEAT_NODROP) s += ", nodrop";
  if (params_.flags & IORING_SETUP_COOP_TASKRUN) s += ", coop-taskrun";
  if (params_.features & IORING_FEAT_EXT_ARG) s += ", ext-arg";
  if (fixed_files_) s += ", fixed-files " + std::to_string(fixed_files_);
  if (legacy_cancel_) s += ", cancel by token";
  if (!buffers_.empty()) {
    size_t bytes = 0;
    for (const IoVec& v : buffers_) bytes += v.len;
    s += ", registered buffers " + std::to_string(bytes >> 10) + " KiB";
  }
  if (!rings_.empty()) s += ", buffer rings " + std::to_string(rings_.size());
  return s;
}

bool UringBackend::Supports(OpCode op) const {
  switch (op) {
    case OpCode::kClose:
      return ops_.test(IORING_OP_CLOSE) && ops_.test(IORING_OP_ASYNC_CANCEL);
    // No probe reports the multishot flags: each came with an opcode that
    // did not exist before it (SOCKET in 5.19, SEND_ZC in 6.0).
    case OpCode::kAcceptMulti:
      return ops_.test(IORING_OP_ACCEPT) && ops_.test(IORING_OP_SOCKET);
    case OpCode::kRecvMulti:
      return ops_.test(IORING_OP_RECV) && ops_.test(IORING_OP_SEND_ZC);
    case OpCode::kSendfile:
      return ops_.test(IORING_OP_SPLICE) && ops_.test(IORING_OP_POLL_ADD) &&
             ops_.test(IORING_OP_ASYNC_CANCEL);
    default:
      break;
  }
  uint8_t code = OpcodeFor(op);
  return code != IORING_OP_LAST && ops_.test(code);
}

unsigned UringBackend::SqSpace() const {
  return sq_entries_ - (sqe_tail_ - LoadAcquire(sq_head_));
}

unsigned UringBackend::SqesFor(const Operation& op) const {
  if (op.code != OpCode::kClose) return 1;
  // Never more than the SQ holds once SplitClose has run on it.
  return CloseCancelCount(op.fd) + CloseTransferCount(op.fd) +
         (HasFixedSlot(op.fd) ? 2u : 1u);
}

int UringBackend::FixedSlotFor(int fd) {
  if (fixed_files_ == 0 || fd < 0) return -1;
  if (static_cast<size_t>(fd) < fixed_of_fd_.size() && fixed_of_fd_[fd] >= 0) {
    return fixed_of_fd_[fd];
  }
  if (free_fixed_.empty()) return -1;
  const uint32_t slot = free_fixed_.back();
  io_uring_files_update update{};
  update.offset = slot;
  update.fds = reinterpret_cast<uint64_t>(&fd);
  if (Register(ring_fd_, IORING_REGISTER_FILES_UPDATE, &update, 1) != 1) {
    return -1;
  }
  free_fixed_.pop_back();
  if (static_cast<size_t>(fd) >= fixed_of_fd_.size()) {
    fixed_of_fd_.resize(static_cast<size_t>(fd) + 1, -1);
  }
  fixed_of_fd_[fd] = static_cast<int32_t>(slot);
  return static_cast<int>(slot);
}

bool UringBackend::InsideRegistered(const Operation& op) const {
  if (op.buf_index >= buffers_.size()) return false;
  const IoVec& v = buffers_[op.buf_index];
  auto* start = static_cast<uint8_t*>(v.base);
  auto* at = static_cast<uint8_t*>(op.addr);
  return at >= start && at + op.len <= start + v.len;
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
  if (op.code == OpCode::kClose) {
    FillClose(op);
    return;
  }
  if (op.code == OpCode::kSendfile) {
    FillTransferStep(op);
    return;
  }
  if (op.code == OpCode::kCancel && CancelTransfer(op.target)) return;
  io_uring_sqe* sqe = NextSqe();
  sqe->opcode = OpcodeFor(op.code);
  sqe->fd = op.fd;
  sqe->user_data = op.user_data;
  if (fixed_files_ && IsStreamVerb(op.code)) {
    const int slot = FixedSlotFor(op.fd);
    if (slot >= 0) {
      sqe->fd = slot;
      sqe->flags |= IOSQE_FIXED_FILE;
    }
  }
  switch (op.code) {
    case OpCode::kNop:
      break;
    case OpCode::kRead:
    case OpCode::kWrite:
    case OpCode::kReadv:
    case OpCode::kWritev:
    case OpCode::kReadFixed:
    case OpCode::kWriteFixed:
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->len = op.len;
      sqe->off = static_cast<uint64_t>(op.offset);
      sqe->buf_index = op.buf_index;
      break;
    case OpCode::kRecv:
    case OpCode::kSend:
    case OpCode::kSendZc:
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->len = op.len;
      sqe->msg_flags = op.msg_flags | MSG_NOSIGNAL;
      break;
    case OpCode::kRecvMsg:
    case OpCode::kSendMsg:
      // The kernel reads the msghdr (and, for a receive, writes msg_namelen
      // and msg_flags back) in the caller's memory, which outlives the CQE.
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->len = 1;
      sqe->msg_flags = op.msg_flags | MSG_NOSIGNAL;
      break;
    case OpCode::kRecvMulti:
      // No buffer yet: the kernel picks one from the ring per completion
      // (for a one-shot receive, at its one completion).
      sqe->ioprio = (op.op_flags & kOpOneShot) != 0 ? 0 : IORING_RECV_MULTISHOT;
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = op.buf_group;
      sqe->msg_flags = op.msg_flags | MSG_NOSIGNAL;
      break;
    case OpCode::kAccept:
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->addr2 = reinterpret_cast<uint64_t>(op.addr2);
      sqe->accept_flags = SOCK_CLOEXEC | SOCK_NONBLOCK;
      break;
    case OpCode::kAcceptMulti:
      sqe->ioprio = IORING_ACCEPT_MULTISHOT;
      sqe->accept_flags = SOCK_CLOEXEC | SOCK_NONBLOCK;
      break;
    case OpCode::kConnect:
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->off = op.len;
      break;
    case OpCode::kClose:
      break;
    case OpCode::kTimeout:
      sqe->fd = -1;
      sqe->addr = reinterpret_cast<uint64_t>(op.addr);
      sqe->len = 1;
      sqe->off = 0;
      // The default clock of a timeout is CLOCK_MONOTONIC.
      if (op.op_flags & kOpAbsolute) sqe->timeout_flags = IORING_TIMEOUT_ABS;
      break;
    case OpCode::kCancel:
      sqe->fd = -1;
      sqe->addr = op.target;
      break;
    case OpCode::kSendfile:
    case OpCode::kCount:
      break;
  }
}

bool UringBackend::HasFixedSlot(int fd) const {
  return fd >= 0 && static_cast<size_t>(fd) < fixed_of_fd_.size() &&
         fixed_of_fd_[fd] >= 0;
}

unsigned UringBackend::CloseTransferCount(int fd) const {
  unsigned n = 0;
  for (const auto& entry : transfers_) {
    const Transfer& t = entry.second;
    if (t.sock == fd && t.pending > 0 && !t.close_cancel_queued) ++n;
  }
  return n;
}

bool UringBackend::CloseCancelsByFd(int fd) const {
  if (legacy_cancel_ || fd < 0 || static_cast<size_t>(fd) >= on_fd_.size()) {
    return false;
  }
  const size_t ops = on_fd_[fd].size();
  if (ops <= 1) return false;
  return ops + CloseTransferCount(fd) + (HasFixedSlot(fd) ? 2u : 1u) >
         sq_entries_;
}

unsigned UringBackend::CloseCancelCount(int fd) const {
  if (fd < 0 || static_cast<size_t>(fd) >= on_fd_.size()) return 0;
  if (CloseCancelsByFd(fd)) return 1;
  return static_cast<unsigned>(on_fd_[fd].size());
}

void UringBackend::FillCloseCancels(int fd) {
  if (CloseCancelsByFd(fd)) {
    // More than fit one by one: every request on the file, whether it named
    // the fd or its registered slot (the kernel matches the file).
    io_uring_sqe* sqe = NextSqe();
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = fd;
    sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
    sqe->user_data = kInternalUserData;
    sqe->flags = IOSQE_IO_HARDLINK;
    return;
  }
  const unsigned n = CloseCancelCount(fd);
  for (unsigned i = 0; i < n; ++i) {
    io_uring_sqe* sqe = NextSqe();
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = on_fd_[fd][i];
    sqe->user_data = kInternalUserData;
    sqe->flags = IOSQE_IO_HARDLINK;
  }
}

void UringBackend::SplitClose(const Operation& op) {
  if (op.code != OpCode::kClose || SqesFor(op) <= sq_entries_) return;
  // The cancels taken out of the chain, as operations of one SQE each. A
  // cancel by token needs no fd, so one that runs before the chain cannot
  // hit a new file that took the number.
  std::vector<Operation> ahead;
  auto cancel_of = [](uint64_t target) {
    Operation c;
    c.code = OpCode::kCancel;
    c.user_data = kInternalUserData;
    c.fd = -1;
    c.target = target;
    return c;
  };
  while (SqesFor(op) > sq_entries_) {
    // Legacy cancel: the fd's operations one by one, the chain keeping
    // what fits. (With cancel by fd they take one SQE already.) A token
    // taken out of on_fd_ is no longer the close's to cancel; tracked_
    // still has it.
    if (legacy_cancel_ && op.fd >= 0 &&
        static_cast<size_t>(op.fd) < on_fd_.size() && !on_fd_[op.fd].empty()) {
      ahead.push_back(cancel_of(on_fd_[op.fd].back()));
      on_fd_[op.fd].pop_back();
      continue;
    }
    // Then transfers: stopped now (it takes no further step), its step in
    // the kernel cancelled by its caller token (CancelTransfer names the
    // step it has then).
    Transfer* found = nullptr;
    for (auto& entry : transfers_) {
      Transfer& t = entry.second;
      if (t.sock == op.fd && t.pending > 0 && !t.close_cancel_queued) {
        found = &t;
        break;
      }
    }
    if (found == nullptr) break;  // cannot happen: a bare close takes 2
    found->cancelled = true;
    found->by_cancel = false;
    found->close_cancel_queued = true;
    ahead.push_back(cancel_of(found->user_data));
  }
  backlog_.insert(backlog_.begin(), ahead.begin(), ahead.end());
}

void UringBackend::FillClose(const Operation& op) {
  // Cancel what is in flight on fd, then close it. The hard links keep the
  // fd number taken until the cancels have run, so no new socket can reuse
  // it and be cancelled by mistake. A cancel by token finds its operation
  // whether it named the fd or its registered slot. (A cancel that finds
  // nothing, the operation having ended meanwhile, does not break the
  // chain: the links are hard.)
  // A transfer's step is cancelled by its token (a fill's file is its
  // pipe, and a splice names its socket only once a worker runs it), and
  // the transfer takes no further step.
  std::vector<uint32_t> idle;
  for (auto& [id, t] : transfers_) {
    if (t.sock != op.fd) continue;
    t.cancelled = true;
    t.by_cancel = false;
    if (t.close_cancel_queued) {
      // Its cancel went ahead of this chain (SplitClose).
      if (t.pending == 0) idle.push_back(id);
    } else if (t.pending > 0) {
      FillTransferCancel(id, IOSQE_IO_HARDLINK);
    } else {
      idle.push_back(id);
    }
  }
  for (uint32_t id : idle) FinishTransfer(id, -ECANCELED);
  FillCloseCancels(op.fd);
  if (HasFixedSlot(op.fd)) {
    // The registered slot holds the file open too: empty it. The slot is
    // reused only once this has run (see Reap), never while it may still
    // name this file.
    const uint32_t slot = static_cast<uint32_t>(fixed_of_fd_[op.fd]);
    fixed_of_fd_[op.fd] = -1;
    io_uring_sqe* unregister = NextSqe();
    unregister->opcode = IORING_OP_CLOSE;
    unregister->file_index = slot + 1;
    unregister->user_data = FixedCloseToken(slot);
    unregister->flags = IOSQE_IO_HARDLINK;
  }
  io_uring_sqe* close_sqe = NextSqe();
  close_sqe->opcode = IORING_OP_CLOSE;
  close_sqe->fd = op.fd;
  close_sqe->user_data = op.user_data;
}

void UringBackend::Track(const Operation& op) {
  const uint32_t slot = static_cast<uint32_t>(op.user_data);
  if (slot < kFlatSlots && slot >= tracked_.size()) {
    tracked_.resize(std::max<size_t>(slot + 1, tracked_.size() * 2));
  }
  if (slot < kFlatSlots && tracked_[slot].user_data == kInternalUserData) {
    tracked_[slot] = Tracked{op.user_data, op.fd};
  } else {
    // A slot past the array, or one whose earlier generation is still in
    // flight (a caller may reuse a slot before its last completion).
    tracked_far_.emplace(op.user_data, op.fd);
  }
  if (op.fd < 0) return;
  if (static_cast<size_t>(op.fd) >= on_fd_.size()) {
    on_fd_.resize(static_cast<size_t>(op.fd) + 1);
  }
  on_fd_[op.fd].push_back(op.user_data);
}

void UringBackend::Untrack(uint64_t user_data) {
  const uint32_t slot = static_cast<uint32_t>(user_data);
  int32_t fd;
  if (slot < tracked_.size() && tracked_[slot].user_data == user_data) {
    fd = tracked_[slot].fd;
    tracked_[slot] = Tracked{};
  } else {
    if (tracked_far_.empty()) return;
    auto it = tracked_far_.find(user_data);
    if (it == tracked_far_.end()) return;
    fd = it->second;
    tracked_far_.erase(it);
  }
  if (fd < 0) return;
  // An fd has a few operations at a time: a linear search is the cheapest.
  std::vector<uint64_t>& ops = on_fd_[fd];
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i] != user_data) continue;
    ops[i] = ops.back();
    ops.pop_back();
    break;
  }
  // A closed connection's list gives its memory back.
  if (ops.empty() && ops.capacity() > 4) std::vector<uint64_t>().swap(ops);
}

int UringBackend::Prepare(const Operation& op) {
  if (!Supports(op.code)) return -EOPNOTSUPP;
  if (op.code == OpCode::kSendfile) {
    const int r = StartTransfer(op);
    if (r < 0) return r;
    ++inflight_;
    Queue(op);
    return 0;
  }
  if ((op.code == OpCode::kReadFixed || op.code == OpCode::kWriteFixed) &&
      !InsideRegistered(op)) {
    return -EFAULT;
  }
  if (op.code == OpCode::kRecvMulti && rings_.count(op.buf_group) == 0) {
    return -ENOENT;
  }
  if (!IsInternal(op.user_data)) {
    ++inflight_;
    if (op.code != OpCode::kClose) Track(op);
    // Known apart so that Reap() can count the sends that wait only for
    // their notification (see Quiesce).
    if (op.code == OpCode::kSendZc) zero_copy_.insert(op.user_data);
  }
  // A close too big for the SQ puts part of its cancels in the backlog,
  // ahead of it (and so the close waits too).
  if (backlog_.empty()) SplitClose(op);
  // Order is kept: once anything waits, everything after it waits too.
  if (!backlog_.empty() || SqSpace() < SqesFor(op)) {
    backlog_.push_back(op);
    return 0;
  }
  Fill(op);
  return 0;
}

void UringBackend::DrainBacklog() {
  while (!backlog_.empty()) {
    // A close reaching the head is split, if need be, with the operations
    // on its fd as they are now: after that, its chain fits in an empty SQ,
    // so the backlog always drains.
    if (backlog_.front().code == OpCode::kClose) {
      const Operation close = backlog_.front();  // SplitClose inserts
      SplitClose(close);
    }
    if (SqSpace() < SqesFor(backlog_.front())) break;
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
    if (failing_submits_ > 0 && (pending > 0 || !backlog_.empty())) {
      --failing_submits_;
      return submit_fault_;
    }
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
    // taken stays queued, and the caller must submit again later.
    if (r == -EAGAIN || r == -EBUSY) return r;
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
      if (IsTransferCqe(cqe.user_data)) {
        reaping_ = true;
        OnTransferCqe(cqe.user_data, cqe.res);
        reaping_ = false;
        while (!finished_.empty() && n < max) {
          out[n++] = finished_.front();
          finished_.pop_front();
        }
        continue;
      }
      if (IsInternal(cqe.user_data)) {
        if (cqe.user_data != kInternalUserData) {
          free_fixed_.push_back(static_cast<uint32_t>(cqe.user_data));
        }
        continue;
      }
      const uint64_t user_data = cqe.user_data;
      if (!zero_copy_.empty() && zero_copy_.count(user_data)) {
        // A zero-copy send: its first completion promises a notification.
        if (cqe.flags & IORING_CQE_F_NOTIF) {
          --awaiting_notif_;
        } else if (cqe.flags & IORING_CQE_F_MORE) {
          ++awaiting_notif_;
        }
        if (!(cqe.flags & IORING_CQE_F_MORE)) zero_copy_.erase(user_data);
      }
      if (!(cqe.flags & IORING_CQE_F_MORE)) {
        --inflight_;
        Untrack(user_data);
      }
      out[n++] = Completion{user_data, cqe.res, CompletionFlags(cqe.flags)};
    }
    StoreRelease(cq_head_, head);
    while (!finished_.empty() && n < max) {
      out[n++] = finished_.front();
      finished_.pop_front();
    }
    if (steps_queued_) {
      // Transfers' next steps: nobody else submits after a reap that
      // returned no caller completion.
      steps_queued_ = false;
      Submit();
    }
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
  // A kernel short of memory or CQ room: the wait below reaps what frees it.
  if (r < 0 && r != -EAGAIN && r != -EBUSY) return r;
  if (*cq_head_ != LoadAcquire(cq_tail_) || !finished_.empty()) return 1;
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


int UringBackend::RegisterBuffers(const IoVec* iov, unsigned n) {
  if (!ops_.test(IORING_OP_READ_FIXED)) return -EOPNOTSUPP;
  if (!buffers_.empty()) {
    int r = Register(ring_fd_, IORING_UNREGISTER_BUFFERS, nullptr, 0);
    if (r < 0) return r;
    buffers_.clear();
  }
  if (n == 0) return 0;
  static_assert(sizeof(IoVec) == sizeof(iovec), "IoVec is struct iovec");
  int r = Register(ring_fd_, IORING_REGISTER_BUFFERS, iov, n);
  if (r < 0) return r;
  buffers_.assign(iov, iov + n);
  return 0;
}

int UringBackend::RegisterBufferRing(uint16_t group, uint8_t* base,
                                     uint32_t count, uint32_t size) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) return -EINVAL;
  if (size == 0 || rings_.count(group)) return -EINVAL;
  BufferRing r;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  r.ring_size = (count * sizeof(io_uring_buf) + page - 1) / page * page;
  void* mem = mmap(nullptr, r.ring_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mem == MAP_FAILED) return -errno;
  r.ring = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = count;
  reg.bgid = group;
  int rc = Register(ring_fd_, IORING_REGISTER_PBUF_RING, &reg, 1);
  if (rc < 0) {
    munmap(mem, r.ring_size);
    return rc;
  }
  r.base = base;
  r.count = count;
  r.size = size;
  rings_.emplace(group, r);
  for (uint32_t id = 0; id < count; ++id) {
    ProvideBuffer(group, static_cast<uint16_t>(id));
  }
  return 0;
}

int UringBackend::ProvideBuffer(uint16_t group, uint16_t id) {
  auto it = rings_.find(group);
  if (it == rings_.end()) return -ENOENT;
  BufferRing& r = it->second;
  if (id >= r.count) return -EINVAL;
  io_uring_buf& buf = BufAt(r.ring, r.tail & (r.count - 1));
  buf.addr = reinterpret_cast<uint64_t>(r.base + static_cast<size_t>(id) * r.size);
  buf.len = r.size;
  buf.bid = id;
  ++r.tail;
  // The kernel reads the entry only after it sees the new tail.
  StoreRelease(&r.ring->tail, r.tail);
  return 0;
}

}  // namespace ace::uring
