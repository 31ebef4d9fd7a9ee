#include "aio/aio_backend.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace ace::aio {

// Reads (read, readv) and writes (write, writev): one direction each.
enum Direction { kIn = 0, kOut = 1 };

// One direction of one fd: its own dup (so glibc gives it its own worker),
// and the requests waiting their turn; one runs at a time, so two writes
// never interleave and a write is never split by another.
struct Lane {
  int fd = -1;
  // fd is the FdState's own fd, not a dup (none was left): not closed with
  // the lane
  bool shared = false;
  std::deque<AioBackend::Request*> queue;
  AioBackend::Request* running = nullptr;
};

struct AioBackend::FdState {
  int fd = -1;
  Lane lanes[2];
  bool socket = false;
  // a regular file: a stream position (offset -1) is kept with lseek
  bool regular = false;
  // closed or forgotten: nothing more starts; the dups go when the running
  // requests are back
  bool detached = false;
  bool has_close = false;
  Operation close_op;
  // the file the dups are of
  dev_t dev = 0;
  ino_t ino = 0;
  bool Running() const { return lanes[kIn].running || lanes[kOut].running; }
};

struct AioBackend::Request {
  std::shared_ptr<Core> core;
  std::shared_ptr<FdState> state;
  Operation op;
  Direction dir = kIn;
  aiocb cb{};
  // readv/writev: the one buffer the single aio call uses
  std::vector<uint8_t> bounce;
  size_t total = 0;
  // bytes moved by earlier calls of this request (a write goes on after a
  // slice that moved part of it)
  size_t moved = 0;
  // file position of the first byte (-1: none, a socket or a pipe)
  int64_t pos = -1;
  bool cancelled = false;
  // kSendfile: its own dup of the file, and whether the aio_read of the
  // file into bounce (true) or the aio_write of bounce to the socket runs
  int file_fd = -1;
  bool reading = false;
  ~Request() {
    if (file_fd >= 0) close(file_fd);
  }
};

struct AioBackend::Core {
  std::mutex mu;
  std::condition_variable idle;
  int wake_fd = -1;
  bool wake_signalled = false;
  std::deque<Completion> done;
  std::unordered_map<int, std::shared_ptr<FdState>> fds;
  // token -> its request, queued or running
  std::unordered_map<uint64_t, Request*> where;
  // requests in glibc's hands (their notification not yet run)
  size_t running = 0;
  bool destroying = false;
  // requests issued again after a slice (for Describe())
  uint64_t reissued = 0;
  pthread_attr_t attr;

  Core() {
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
  }
  ~Core() {
    pthread_attr_destroy(&attr);
    if (wake_fd >= 0) close(wake_fd);
  }

  // Queues a completion and makes the eventfd readable; mu held.
  void Complete(uint64_t user_data, int32_t res) {
    if (IsInternal(user_data)) return;
    done.push_back(Completion{user_data, res, 0});
    if (!wake_signalled && wake_fd >= 0) {
      const uint64_t one = 1;
      while (write(wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
      }
      wake_signalled = true;
    }
  }
};

namespace {

using Core = AioBackend::Core;
using FdState = AioBackend::FdState;
using Request = AioBackend::Request;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void OnDone(sigval value);

// Hands req to glibc; -errno if it would not take it. mu held.
int Issue(Request* req) {
  Lane& lane = req->state->lanes[req->dir];
  aiocb& cb = req->cb;
  std::memset(&cb, 0, sizeof cb);
  cb.aio_fildes = lane.fd;
  if (req->reading) {
    // A transmit-file's file chunk: read into the bounce buffer first.
    cb.aio_fildes = req->file_fd;
    cb.aio_buf = req->bounce.data();
    cb.aio_nbytes = req->total;
    cb.aio_offset = static_cast<off_t>(req->op.offset);
    cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
    cb.aio_sigevent.sigev_value.sival_ptr = req;
    cb.aio_sigevent.sigev_notify_function = OnDone;
    cb.aio_sigevent.sigev_notify_attributes = &req->core->attr;
    return aio_read(&cb) < 0 ? -errno : 0;
  }
  uint8_t* base = req->bounce.empty() ? static_cast<uint8_t*>(req->op.addr)
                                      : req->bounce.data();
  cb.aio_buf = base + req->moved;
  cb.aio_nbytes = req->total - req->moved;
  // A socket or a pipe: glibc's pread says ESPIPE and it falls back to read.
  cb.aio_offset = req->pos >= 0 ? static_cast<off_t>(req->pos + req->moved) : 0;
  cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
  cb.aio_sigevent.sigev_value.sival_ptr = req;
  cb.aio_sigevent.sigev_notify_function = OnDone;
  cb.aio_sigevent.sigev_notify_attributes = &req->core->attr;
  const int r = req->dir == kOut ? aio_write(&cb) : aio_read(&cb);
  return r < 0 ? -errno : 0;
}

// Completes req (the readv's bytes scattered) and frees it. mu held.
void Finish(Request* req, int32_t res) {
  if (res > 0 && !req->bounce.empty() && req->op.code == OpCode::kReadv) {
    const auto* iov = static_cast<const iovec*>(req->op.addr);
    size_t left = static_cast<size_t>(res), at = 0;
    for (uint32_t i = 0; i < req->op.len && left > 0; ++i) {
      const size_t n = std::min(left, iov[i].iov_len);
      std::memcpy(iov[i].iov_base, req->bounce.data() + at, n);
      at += n;
      left -= n;
    }
  }
  if (res > 0 && req->op.offset < 0 && req->pos >= 0) {
    // A stream read or write on a regular file: the position moves on.
    lseek(req->state->lanes[req->dir].fd, static_cast<off_t>(req->pos + res),
          SEEK_SET);
  }
  req->core->where.erase(req->op.user_data);
  req->core->Complete(req->op.user_data, res);
  delete req;
}

// Lets go of a detached fd once nothing of it runs: closes the dups, and
// the fd itself with the close that asked for it. mu held.
void Release(Core& core, FdState& state) {
  if (!state.detached || state.Running()) return;
  for (Lane& lane : state.lanes) {
    if (lane.fd >= 0 && !lane.shared) close(lane.fd);
    lane.fd = -1;
  }
  if (state.has_close) {
    state.has_close = false;
    // Linux frees the fd even when close() says EINTR: never retry it.
    const int r = close(state.fd) < 0 && errno != EINTR ? -errno : 0;
    core.Complete(state.close_op.user_data, r);
  }
}

// Starts the next request of a lane if none runs. mu held.
void Pump(Core& core, FdState& state, Lane& lane) {
  while (!lane.running && !lane.queue.empty() && !state.detached) {
    Request* req = lane.queue.front();
    lane.queue.pop_front();
    if (req->op.offset < 0 && state.regular) {
      const off_t at = lseek(lane.fd, 0, SEEK_CUR);
      req->pos = at < 0 ? 0 : at;
    }
    const int r = Issue(req);
    if (r < 0) {
      Finish(req, r);
      continue;
    }
    lane.running = req;
    core.running++;
  }
}

// SIGEV_THREAD: runs on a thread of glibc's making once req is done.
void OnDone(sigval value) {
  auto* req = static_cast<Request*>(value.sival_ptr);
  std::shared_ptr<Core> core = req->core;
  std::shared_ptr<FdState> state = req->state;
  std::lock_guard<std::mutex> lock(core->mu);
  const int e = aio_error(&req->cb);
  const ssize_t n = aio_return(&req->cb);
  int32_t res = e == 0 ? static_cast<int32_t>(n) : -e;
  const bool go_on = !req->cancelled && !core->destroying && !state->detached;
  bool read_failed = false;
  if (req->reading) {
    // A transmit-file's chunk is in the bounce buffer: write it to the
    // socket (0: the file ended, which completes it with 0; an error of
    // the read is the operation's).
    req->reading = false;
    if (res > 0 && go_on) {
      req->total = static_cast<size_t>(res);
      const int r = Issue(req);
      if (r == 0) return;
      res = r;
    } else if (res > 0) {
      res = -ECANCELED;
    }
    read_failed = res <= 0;
  }
  if (state->socket && go_on && !read_failed) {
    // A slice ran out (SO_RCVTIMEO/SO_SNDTIMEO) with nothing moved, or a
    // write moved part of its bytes: the same request goes again.
    const bool again = res == -EAGAIN || res == -EWOULDBLOCK;
    const bool partial = req->dir == kOut && res > 0 &&
                         req->moved + static_cast<size_t>(res) < req->total;
    if (again || partial) {
      core->reissued++;
      if (partial) req->moved += static_cast<size_t>(res);
      const int r = Issue(req);
      if (r == 0) return;
      res = r;
    }
  }
  Lane& lane = state->lanes[req->dir];
  lane.running = nullptr;
  core->running--;
  if (res >= 0) {
    res = static_cast<int32_t>(req->moved + static_cast<size_t>(res));
  } else if (req->moved > 0) {
    res = static_cast<int32_t>(req->moved);
  } else if (req->cancelled && (res == -EAGAIN || res == -EWOULDBLOCK)) {
    res = -ECANCELED;
  }
  if (req->op.code == OpCode::kSendfile && state->detached && res >= 0 &&
      static_cast<size_t>(res) < req->total) {
    // A transmit-file's chunk cut off by its socket's close ends as
    // cancelled (the bytes sent before that chunk are the caller's count);
    // a kCancel's cut-off chunk completes with its bytes, as a write does.
    res = -ECANCELED;
  }
  Finish(req, res);
  Pump(*core, *state, lane);
  Release(*core, *state);
  if (core->running == 0) core->idle.notify_all();
}

// Cancels req: a queued one at once, a running one through aio_cancel (or
// at the end of its slice). mu held.
void CancelRequest(Core& core, Request* req) {
  Lane& lane = req->state->lanes[req->dir];
  if (lane.running != req) {
    lane.queue.erase(std::find(lane.queue.begin(), lane.queue.end(), req));
    Finish(req, -ECANCELED);
    return;
  }
  (void)core;
  req->cancelled = true;
  // AIO_CANCELED: glibc notifies with ECANCELED. AIO_NOTCANCELED: the
  // call runs on and OnDone completes it when it returns. Either way, once.
  // (A transmit-file's read is on its file's dup, not on the lane's.)
  aio_cancel(req->cb.aio_fildes, &req->cb);
}

// Ends a file's requests (queued ones at once, running ones when they
// return) and lets go of its dups; close_op closes fd too. mu held, state
// already out of the table.
void DetachLocked(Core& core, FdState& state, const Operation* close_op) {
  state.detached = true;
  if (close_op) {
    state.has_close = true;
    state.close_op = *close_op;
  }
  for (Lane& lane : state.lanes) {
    while (!lane.queue.empty()) {
      Request* req = lane.queue.front();
      lane.queue.pop_front();
      Finish(req, -ECANCELED);
    }
    if (lane.running) CancelRequest(core, lane.running);
  }
  Release(core, state);
}

}  // namespace

std::unique_ptr<AioBackend> AioBackend::Create(const BackendOptions& options,
                                               int* err, std::string* what) {
  std::unique_ptr<AioBackend> b(new AioBackend());
  // glibc takes the limits before its first request only: the first
  // backend of the process sizes the pool, and probes once that glibc's
  // aio takes a request (a write of 0 bytes to a pipe).
  static std::once_flag sized;
  static int probe_err = 0;
  static const char* probe_what = "";
  const uint32_t threads = std::max<uint32_t>(256, options.sq_entries * 2);
  std::call_once(sized, [threads] {
    aioinit init{};
    init.aio_threads = static_cast<int>(threads);
    init.aio_num = static_cast<int>(threads);
    init.aio_idle_time = 10;
    aio_init(&init);
    int probe[2];
    if (pipe2(probe, O_CLOEXEC) < 0) {
      probe_err = -errno;
      probe_what = "pipe2";
      return;
    }
    static char none;
    aiocb cb{};
    cb.aio_fildes = probe[1];
    cb.aio_buf = &none;
    cb.aio_nbytes = 0;
    cb.aio_sigevent.sigev_notify = SIGEV_NONE;
    if (aio_write(&cb) < 0) {
      probe_err = -errno;
      probe_what = "aio_write";
    } else {
      const aiocb* list[1] = {&cb};
      while (aio_error(&cb) == EINPROGRESS) aio_suspend(list, 1, nullptr);
      aio_return(&cb);
    }
    close(probe[0]);
    close(probe[1]);
  });
  if (probe_err < 0) {
    *err = probe_err;
    *what = probe_what;
    return nullptr;
  }
  b->max_threads_ = threads;
  b->helper_ = epoll::EpollBackend::Create(options, err, what);
  if (!b->helper_) return nullptr;
  b->core_ = std::make_shared<Core>();
  b->core_->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (b->core_->wake_fd < 0) {
    *err = -errno;
    *what = "eventfd";
    return nullptr;
  }
  b->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (b->epoll_fd_ < 0) {
    *err = -errno;
    *what = "epoll_create1";
    return nullptr;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  if (epoll_ctl(b->epoll_fd_, EPOLL_CTL_ADD, b->core_->wake_fd, &ev) < 0 ||
      epoll_ctl(b->epoll_fd_, EPOLL_CTL_ADD, b->helper_->NotifyFd(), &ev) < 0) {
    *err = -errno;
    *what = "epoll_ctl";
    return nullptr;
  }
  return b;
}

AioBackend::~AioBackend() {
  if (core_) {
    std::unique_lock<std::mutex> lock(core_->mu);
    core_->destroying = true;
    std::vector<int> fds;
    for (auto& entry : core_->fds) fds.push_back(entry.first);
    lock.unlock();
    for (int fd : fds) Detach(fd, nullptr);
    lock.lock();
    // The callers' buffers must outlive glibc's calls into them; a socket's
    // call returns within a slice.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (core_->running > 0 &&
           core_->idle.wait_until(lock, deadline) != std::cv_status::timeout) {
    }
    // A notification thread may hold the core a moment longer: the fd
    // goes now, with the backend.
    close(core_->wake_fd);
    core_->wake_fd = -1;
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
  helper_.reset();
}

std::string AioBackend::Describe() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return "aio: glibc POSIX aio, SIGEV_THREAD notification, up to " +
         std::to_string(max_threads_) +
         " workers, a dup per fd and direction, " + std::to_string(kSliceMs) +
         " ms socket slices; accept, connect, timers and datagrams on an epoll helper; "
         "transmit-file through a native bounce buffer; " +
         std::to_string(core_->fds.size()) + " fds known (" +
         std::to_string(core_->running) + " running, " +
         std::to_string(core_->where.size()) + " known, " +
         std::to_string(core_->done.size()) + " done, " +
         std::to_string(ready_.size()) + " ready, signalled " +
         std::to_string(core_->wake_signalled) + ", " + std::to_string(core_->reissued) + " reissued)";
}

bool AioBackend::Supports(OpCode op) const {
  switch (op) {
    case OpCode::kNop: case OpCode::kRead: case OpCode::kWrite:
    case OpCode::kReadv: case OpCode::kWritev: case OpCode::kAccept:
    case OpCode::kConnect: case OpCode::kClose: case OpCode::kTimeout:
    case OpCode::kCancel: case OpCode::kAcceptMulti: case OpCode::kRecvMsg:
    case OpCode::kSendMsg: case OpCode::kSendfile:
      return true;
    default:
      return false;
  }
}

int AioBackend::Prepare(const Operation& op) {
  if (!Supports(op.code)) return -EOPNOTSUPP;
  prepared_.push_back(op);
  return 0;
}

int AioBackend::Submit() {
  if (prepared_.empty()) return 0;
  std::vector<Operation> batch;
  batch.swap(prepared_);
  for (const Operation& op : batch) {
    switch (op.code) {
      case OpCode::kRead: case OpCode::kWrite:
      case OpCode::kReadv: case OpCode::kWritev: case OpCode::kSendfile:
        StartIo(op);
        break;
      case OpCode::kRecvMsg: case OpCode::kSendMsg:
        StartDgram(op);
        break;
      case OpCode::kCancel:
        if (CancelIo(op.target)) break;
        helper_->Prepare(op);
        helper_->Submit();
        break;
      case OpCode::kClose:
        Detach(op.fd, &op);
        break;
      default:
        helper_->Prepare(op);
        helper_->Submit();
        break;
    }
  }
  return static_cast<int>(batch.size());
}

void AioBackend::StartIo(const Operation& op) {
  std::lock_guard<std::mutex> lock(core_->mu);
  Core& core = *core_;
  // One fstat per operation (cheap beside a worker and a thread): a number
  // closed outside the framework and given to a new file must not reach
  // the old file through the dups.
  struct stat st;
  if (fstat(op.fd, &st) < 0) {
    core.Complete(op.user_data, -errno);
    return;
  }
  auto it = core.fds.find(op.fd);
  if (it != core.fds.end() &&
      (it->second->dev != st.st_dev || it->second->ino != st.st_ino)) {
    // The old file's requests end as cancelled; its dups go when they are back.
    std::shared_ptr<FdState> old = it->second;
    core.fds.erase(it);
    DetachLocked(core, *old, nullptr);
    it = core.fds.end();
  }
  if (it == core.fds.end()) {
    auto state = std::make_shared<FdState>();
    state->dev = st.st_dev;
    state->ino = st.st_ino;
    state->fd = op.fd;
    state->socket = S_ISSOCK(st.st_mode);
    state->regular = S_ISREG(st.st_mode);
    if (!state->regular) {
      // glibc's workers make blocking calls: a non-blocking socket or pipe
      // would only say EAGAIN.
      const int flags = fcntl(op.fd, F_GETFL);
      if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(op.fd, F_SETFL, flags & ~O_NONBLOCK);
    }
    if (state->socket) {
      timeval slice{0, kSliceMs * 1000};
      setsockopt(op.fd, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof slice);
      setsockopt(op.fd, SOL_SOCKET, SO_SNDTIMEO, &slice, sizeof slice);
    }
    for (Lane& lane : state->lanes) {
      lane.fd = fcntl(op.fd, F_DUPFD_CLOEXEC, 0);
      if (lane.fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        // Out of descriptors (a connection accepted at the limit): the lane
        // uses the fd itself. glibc then runs the fd's reads and writes one
        // at a time, a write waiting at most a slice behind a read, but the
        // connection is served instead of failing its first operation.
        lane.fd = op.fd;
        lane.shared = true;
      }
      if (lane.fd < 0) {
        const int r = -errno;
        for (Lane& l : state->lanes) {
          if (l.fd >= 0 && !l.shared) close(l.fd);
        }
        core.Complete(op.user_data, r);
        return;
      }
    }
    it = core.fds.emplace(op.fd, std::move(state)).first;
  }
  std::shared_ptr<FdState> state = it->second;
  auto* req = new Request();
  req->core = core_;
  req->state = state;
  req->op = op;
  req->dir = op.code == OpCode::kWrite || op.code == OpCode::kWritev ||
                     op.code == OpCode::kSendfile
                 ? kOut
                 : kIn;
  req->pos = op.offset >= 0 ? op.offset : -1;
  if (op.code == OpCode::kSendfile) {
    // POSIX aio cannot splice: a chunk of the file goes through native
    // memory, an aio_read into the bounce buffer and then an aio_write of
    // it to the socket, in the socket's write lane (after the writes
    // before it). The file gets its own dup: a number closed and reused
    // meanwhile does not change what is read.
    req->pos = -1;
    req->reading = true;
    req->total = std::min<size_t>(op.len, kSendfileChunk);
    req->file_fd = fcntl(op.fd2, F_DUPFD_CLOEXEC, 0);
    if (req->file_fd < 0 || req->total == 0) {
      const int r = req->file_fd < 0 ? -errno : 0;
      delete req;
      core.Complete(op.user_data, r);
      return;
    }
    req->bounce.resize(req->total);
  } else if (op.code == OpCode::kReadv || op.code == OpCode::kWritev) {
    const auto* iov = static_cast<const iovec*>(op.addr);
    size_t total = 0;
    for (uint32_t i = 0; i < op.len; ++i) total += iov[i].iov_len;
    req->total = total;
    req->bounce.resize(std::max<size_t>(total, 1));
    if (op.code == OpCode::kWritev) {
      size_t at = 0;
      for (uint32_t i = 0; i < op.len; ++i) {
        std::memcpy(req->bounce.data() + at, iov[i].iov_base, iov[i].iov_len);
        at += iov[i].iov_len;
      }
    }
  } else {
    req->total = op.len;
  }
  core.where[op.user_data] = req;
  Lane& lane = state->lanes[req->dir];
  lane.queue.push_back(req);
  Pump(core, *state, lane);
}

void AioBackend::StartDgram(const Operation& op) {
  // POSIX aio has no recvmsg/sendmsg: the readiness helper runs them, as it
  // runs accept and connect, in the fd's order of its own queue. The
  // helper makes the socket non-blocking; a socket that aio reads or writes
  // too must stay blocking for glibc's workers, so the call says
  // MSG_DONTWAIT itself and the blocking mode is put back.
  Operation dgram = op;
  dgram.msg_flags |= MSG_DONTWAIT;
  helper_->Prepare(dgram);
  helper_->Submit();
  std::lock_guard<std::mutex> lock(core_->mu);
  auto it = core_->fds.find(op.fd);
  if (it != core_->fds.end() && !it->second->regular && !it->second->detached) {
    const int flags = fcntl(op.fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(op.fd, F_SETFL, flags & ~O_NONBLOCK);
  }
}

bool AioBackend::CancelIo(uint64_t target) {
  std::lock_guard<std::mutex> lock(core_->mu);
  auto at = core_->where.find(target);
  if (at == core_->where.end()) return false;
  CancelRequest(*core_, at->second);
  return true;
}

void AioBackend::Detach(int fd, const Operation* close_op) {
  // The helper's operations on fd (accept, connect) end as cancelled.
  helper_->ForgetFd(fd);
  std::lock_guard<std::mutex> lock(core_->mu);
  Core& core = *core_;
  auto it = core.fds.find(fd);
  if (it == core.fds.end()) {
    if (close_op) {
      const int r = close(fd) < 0 && errno != EINTR ? -errno : 0;
      core.Complete(close_op->user_data, r);
    }
    return;
  }
  std::shared_ptr<FdState> state = it->second;
  core.fds.erase(it);
  DetachLocked(core, *state, close_op);
}

void AioBackend::ForgetFd(int fd) { Detach(fd, nullptr); }

void AioBackend::Collect() {
  Completion buf[256];
  for (;;) {
    const int n = helper_->Reap(buf, 256);
    if (n <= 0) break;
    ready_.insert(ready_.end(), buf, buf + n);
    if (n < 256) break;
  }
  std::lock_guard<std::mutex> lock(core_->mu);
  while (!core_->done.empty()) {
    ready_.push_back(core_->done.front());
    core_->done.pop_front();
  }
  if (core_->wake_signalled) {
    uint64_t v;
    while (read(core_->wake_fd, &v, sizeof v) < 0 && errno == EINTR) {
    }
    core_->wake_signalled = false;
  }
}

void AioBackend::ClearNotify() {
  helper_->ClearNotify();
  std::lock_guard<std::mutex> lock(core_->mu);
  uint64_t v;
  while (read(core_->wake_fd, &v, sizeof v) < 0 && errno == EINTR) {
  }
  core_->wake_signalled = false;
}

int AioBackend::Reap(Completion* out, int max) {
  if (static_cast<int>(ready_.size()) < max) Collect();
  int n = 0;
  while (n < max && !ready_.empty()) {
    out[n++] = ready_.front();
    ready_.pop_front();
  }
  return n;
}

int AioBackend::Wait(int timeout_ms) {
  Submit();
  const int64_t deadline = timeout_ms < 0 ? -1 : NowNs() + int64_t{timeout_ms} * 1000000;
  for (;;) {
    Collect();
    if (!ready_.empty()) return 1;
    int wait_ms = -1;
    if (deadline >= 0) {
      const int64_t left = deadline - NowNs();
      if (left <= 0) return 0;
      wait_ms = static_cast<int>((left + 999999) / 1000000);
    }
    epoll_event ev[2];
    const int n = epoll_wait(epoll_fd_, ev, 2, wait_ms);
    if (n < 0) {
      if (errno == EINTR) return 0;
      return -errno;
    }
  }
}

}  // namespace ace::aio
