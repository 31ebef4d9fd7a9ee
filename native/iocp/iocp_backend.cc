#include "iocp/iocp_backend.h"

#include <ws2tcpip.h>
#include <winternl.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>

#include "iocp/iocp_op.h"
#include "win32/win_errors.h"

namespace ace::iocp {
namespace {

// Completion keys: a packet the kernel queued for an overlapped call, one
// this backend posted with its result already decided, and the waiter
// thread's signal to stop.
constexpr ULONG_PTR kKeyIo = 0;
constexpr ULONG_PTR kKeyPosted = 1;
constexpr ULONG_PTR kKeyStop = 2;
// the earliest deadline changed: a waiter blocked in the port waits anew
constexpr ULONG_PTR kKeyTimers = 3;

// Packets taken by one GetQueuedCompletionStatusEx.
constexpr ULONG kBatch = 256;

// CLOCK_MONOTONIC as process.hrtime() reads it on Windows (libuv's
// uv_hrtime: the performance counter).
int64_t NowNs() {
  static const int64_t freq = [] {
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    return f.QuadPart;
  }();
  LARGE_INTEGER c;
  QueryPerformanceCounter(&c);
  return static_cast<int64_t>(static_cast<double>(c.QuadPart) * 1e9 / static_cast<double>(freq));
}

}  // namespace

HANDLE OsHandle(int fd) {
  // Node's C runtime keeps the fd table; an addon's runtime has another.
  using Fn = HANDLE (*)(int);
  static const Fn fn = reinterpret_cast<Fn>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(nullptr), "uv_get_osfhandle")));
  if (fn == nullptr) return INVALID_HANDLE_VALUE;
  return fn(fd);
}

std::unique_ptr<IocpBackend> IocpBackend::Create(const BackendOptions&, int* err,
                                                 std::string* what) {
  WSADATA wsa;
  const int w = WSAStartup(MAKEWORD(2, 2), &wsa);
  if (w != 0) {
    *err = win32::NegErrno(static_cast<unsigned long>(w));
    *what = "WSAStartup";
    return nullptr;
  }
  std::unique_ptr<IocpBackend> b(new IocpBackend());
  b->port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (b->port_ == nullptr) {
    *err = win32::NegErrno(GetLastError());
    *what = "CreateIoCompletionPort";
    return nullptr;
  }
  return b;
}

IocpBackend::~IocpBackend() {
  if (waiter_.joinable()) {
    PostQueuedCompletionStatus(port_, 0, kKeyStop, nullptr);
    waiter_.join();
  }
  waiting_ = false;
  for (Op* op : prepared_) FreeOp(op);
  prepared_.clear();
  // Nothing the kernel may still write into is let go before its packet
  // is back: cancel everything, then dequeue until every operation is.
  std::vector<uint64_t> tokens;
  for (const auto& [token, op] : ops_) tokens.push_back(token);
  for (uint64_t t : tokens) Cancel(t);
  Completion ignored;
  for (;;) {
    while (!ready_.empty()) {
      const OVERLAPPED_ENTRY e = ready_.front();
      ready_.pop_front();
      Finish(e, &ignored);
    }
    if (ops_.empty() || port_ == nullptr) break;
    Dequeue(1000);
  }
  if (port_) CloseHandle(port_);
  for (Op* op : free_ops_) delete op;
  WSACleanup();
}

std::string IocpBackend::Describe() const {
  return "iocp: completion port, GetQueuedCompletionStatusEx in batches of " +
         std::to_string(kBatch) + ", " + std::to_string(ops_.size()) + " operations in the kernel" +
         (waiting_ ? ", waiter thread for post-reactive dispatch" : "");
}

bool IocpBackend::Supports(OpCode op) const {
  switch (op) {
    case OpCode::kNop: case OpCode::kRead: case OpCode::kWrite:
    case OpCode::kReadv: case OpCode::kWritev: case OpCode::kRecv:
    case OpCode::kSend: case OpCode::kAccept: case OpCode::kConnect:
    case OpCode::kClose: case OpCode::kTimeout: case OpCode::kCancel:
    case OpCode::kRecvMsg: case OpCode::kSendMsg: case OpCode::kSendfile:
      return true;
    default:
      return false;
  }
}

IocpBackend::Op* IocpBackend::NewOp(const Operation& o) {
  Op* op;
  if (free_ops_.empty()) {
    op = new Op();
  } else {
    op = free_ops_.back();
    free_ops_.pop_back();
  }
  std::memset(&op->ov, 0, sizeof op->ov);
  op->op = o;
  op->kind = Kind::kPosted;
  op->res = 0;
  op->handle = 0;
  op->counted = false;
  op->file = INVALID_HANDLE_VALUE;
  op->accept_sock = INVALID_SOCKET;
  op->flags = 0;
  op->bufs.clear();
  op->bounce.clear();
  op->deadline = 0;
  return op;
}

void IocpBackend::FreeOp(Op* op) {
  if (free_ops_.size() < 1024) {
    free_ops_.push_back(op);
  } else {
    delete op;
  }
}

int IocpBackend::Prepare(const Operation& o) {
  if (!Supports(o.code)) return -EOPNOTSUPP;
  prepared_.push_back(NewOp(o));
  return 0;
}

int IocpBackend::Submit() {
  if (prepared_.empty()) return 0;
  std::vector<Op*> batch;
  batch.swap(prepared_);
  for (Op* op : batch) Start(op);
  return static_cast<int>(batch.size());
}

void IocpBackend::Start(Op* op) {
  switch (op->op.code) {
    case OpCode::kCancel:
      Cancel(op->op.target);
      FreeOp(op);
      return;
    case OpCode::kClose:
      ops_[op->op.user_data] = op;
      BeginClose(op);
      return;
    default:
      break;
  }
  ops_[op->op.user_data] = op;
  const int r = Begin(op);
  if (r != 0) {
    Post(op, r == INT_MIN ? op->res : r);
    return;
  }
  if (op->handle != 0) {
    op->counted = true;
    ++per_handle_[op->handle];
  }
}

// 0: the kernel has it and will queue its packet; INT_MIN: it finished
// here with op->res; otherwise the -errno it failed with.
int IocpBackend::Begin(Op* op) {
  const Operation& o = op->op;
  switch (o.code) {
    case OpCode::kNop:
      op->res = 0;
      return INT_MIN;
    case OpCode::kTimeout:
      return BeginTimer(op);
    case OpCode::kAccept:
      return BeginAccept(op);
    case OpCode::kConnect:
      return BeginConnect(op);
    case OpCode::kRead: case OpCode::kReadv:
      return o.offset >= 0 ? BeginFileIo(op, false) : BeginSocketIo(op, false);
    case OpCode::kWrite: case OpCode::kWritev:
      return o.offset >= 0 ? BeginFileIo(op, true) : BeginSocketIo(op, true);
    case OpCode::kRecv:
      return BeginSocketIo(op, false);
    case OpCode::kSend:
      return BeginSocketIo(op, true);
    case OpCode::kRecvMsg:
      return BeginMessage(op, false);
    case OpCode::kSendMsg:
      return BeginMessage(op, true);
    case OpCode::kSendfile:
      return BeginTransmit(op);
    default:
      return -EOPNOTSUPP;
  }
}

int IocpBackend::Associate(uintptr_t handle) {
  if (associated_.count(handle)) return 0;
  if (CreateIoCompletionPort(reinterpret_cast<HANDLE>(handle), port_, kKeyIo, 0) == nullptr) {
    const DWORD e = GetLastError();
    // Already associated (with this port: a number the cache forgot).
    if (e != ERROR_INVALID_PARAMETER) return win32::NegErrno(e);
  }
  associated_.insert(handle);
  return 0;
}

int IocpBackend::BeginSocketIo(Op* op, bool write) {
  const Operation& o = op->op;
  const uintptr_t s = win32::FromInt32(o.fd);
  if (const int r = Associate(s); r < 0) return r;
  op->kind = Kind::kSocketIo;
  op->handle = s;
  if (o.code == OpCode::kReadv || o.code == OpCode::kWritev) {
    const auto* iov = static_cast<const IoVec*>(o.addr);
    op->bufs.resize(o.len);
    for (uint32_t i = 0; i < o.len; ++i) {
      op->bufs[i].buf = static_cast<char*>(iov[i].base);
      op->bufs[i].len = static_cast<ULONG>(iov[i].len);
    }
  } else {
    op->bufs.resize(1);
    op->bufs[0].buf = static_cast<char*>(o.addr);
    op->bufs[0].len = o.len;
  }
  op->flags = o.msg_flags;
  const DWORD n = static_cast<DWORD>(op->bufs.size());
  const int rc = write ? WSASend(s, op->bufs.data(), n, nullptr, op->flags, &op->ov, nullptr)
                       : WSARecv(s, op->bufs.data(), n, nullptr, &op->flags, &op->ov, nullptr);
  // Done at once or pending, the packet comes through the port.
  if (rc == 0) return 0;
  const int e = WSAGetLastError();
  return e == WSA_IO_PENDING ? 0 : win32::NegErrno(e);
}

int IocpBackend::BeginFileIo(Op* op, bool write) {
  const Operation& o = op->op;
  HANDLE h = OsHandle(o.fd);
  if (h == INVALID_HANDLE_VALUE || h == nullptr) return -EBADF;
  // The second handle below is checked against the file, not against the
  // access this fd was opened with: a read on a write-only fd (or the
  // reverse) fails here, as it does on POSIX.
  PUBLIC_OBJECT_BASIC_INFORMATION info{};
  if (NtQueryObject(h, ObjectBasicInformation, &info, sizeof info, nullptr) >= 0 &&
      !(info.GrantedAccess & (write ? FILE_WRITE_DATA | FILE_APPEND_DATA : FILE_READ_DATA))) {
    return -EBADF;
  }
  op->kind = Kind::kFileIo;
  void* data = o.addr;
  DWORD len = o.len;
  if (o.code == OpCode::kReadv || o.code == OpCode::kWritev) {
    const auto* iov = static_cast<const IoVec*>(o.addr);
    size_t total = 0;
    for (uint32_t i = 0; i < o.len; ++i) total += iov[i].len;
    op->bounce.resize(total);
    if (write) {
      size_t at = 0;
      for (uint32_t i = 0; i < o.len; ++i) {
        std::memcpy(op->bounce.data() + at, iov[i].base, iov[i].len);
        at += iov[i].len;
      }
    }
    data = op->bounce.data();
    len = static_cast<DWORD>(total);
  }
  op->ov.Offset = static_cast<DWORD>(static_cast<uint64_t>(o.offset) & 0xffffffffu);
  op->ov.OffsetHigh = static_cast<DWORD>(static_cast<uint64_t>(o.offset) >> 32);
  // Node opens files for synchronous I/O; a second handle to the same file
  // opened overlapped is what the port can run.
  const DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
  op->file = ReOpenFile(h, write ? GENERIC_WRITE : GENERIC_READ, share, FILE_FLAG_OVERLAPPED);
  if (op->file != INVALID_HANDLE_VALUE &&
      CreateIoCompletionPort(op->file, port_, kKeyIo, 0) == nullptr) {
    CloseHandle(op->file);
    op->file = INVALID_HANDLE_VALUE;
  }
  if (op->file == INVALID_HANDLE_VALUE) {
    // No overlapped handle to be had: the call runs here, at the offset.
    OVERLAPPED at{};
    at.Offset = op->ov.Offset;
    at.OffsetHigh = op->ov.OffsetHigh;
    DWORD done = 0;
    const BOOL ok = write ? WriteFile(h, data, len, &done, &at) : ReadFile(h, data, len, &done, &at);
    const int r = ok ? static_cast<int>(done) : win32::NegErrno(GetLastError());
    op->res = r;
    if (r > 0 && !write && !op->bounce.empty()) {
      const auto* iov = static_cast<const IoVec*>(o.addr);
      size_t at_byte = 0;
      for (uint32_t i = 0; i < o.len && at_byte < static_cast<size_t>(r); ++i) {
        const size_t n = std::min(iov[i].len, static_cast<size_t>(r) - at_byte);
        std::memcpy(iov[i].base, op->bounce.data() + at_byte, n);
        at_byte += n;
      }
    }
    op->kind = Kind::kPosted;
    return INT_MIN;
  }
  const BOOL ok = write ? WriteFile(op->file, data, len, nullptr, &op->ov)
                        : ReadFile(op->file, data, len, nullptr, &op->ov);
  if (ok) return 0;
  const DWORD e = GetLastError();
  if (e == ERROR_IO_PENDING) return 0;
  CloseHandle(op->file);
  op->file = INVALID_HANDLE_VALUE;
  op->kind = Kind::kPosted;
  op->res = win32::NegErrno(e);  // a read at or past the end: 0 bytes
  return INT_MIN;
}

int IocpBackend::BeginAccept(Op* op) {
  const SOCKET listener = static_cast<SOCKET>(win32::FromInt32(op->op.fd));
  if (const int r = Associate(listener); r < 0) return r;
  if (accept_ex_ == nullptr) {
    accept_ex_ = Extension<LPFN_ACCEPTEX>(listener, WSAID_ACCEPTEX);
    get_accept_ex_sockaddrs_ =
        Extension<LPFN_GETACCEPTEXSOCKADDRS>(listener, WSAID_GETACCEPTEXSOCKADDRS);
    if (accept_ex_ == nullptr || get_accept_ex_sockaddrs_ == nullptr) {
      accept_ex_ = nullptr;
      return win32::NegErrno(WSAGetLastError());
    }
  }
  sockaddr_storage local{};
  int len = sizeof local;
  if (getsockname(listener, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    return win32::NegErrno(WSAGetLastError());
  }
  op->accept_sock = WSASocketW(local.ss_family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                               WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (op->accept_sock == INVALID_SOCKET) return win32::NegErrno(WSAGetLastError());
  op->kind = Kind::kAccept;
  op->handle = listener;
  DWORD bytes = 0;
  if (accept_ex_(listener, op->accept_sock, op->accept_buf, 0, kAcceptAddrLen, kAcceptAddrLen,
                 &bytes, &op->ov)) {
    return 0;
  }
  const int e = WSAGetLastError();
  if (e == ERROR_IO_PENDING) return 0;
  closesocket(op->accept_sock);
  op->accept_sock = INVALID_SOCKET;
  return win32::NegErrno(e);
}

int IocpBackend::BeginConnect(Op* op) {
  const SOCKET s = static_cast<SOCKET>(win32::FromInt32(op->op.fd));
  if (const int r = Associate(s); r < 0) return r;
  if (connect_ex_ == nullptr) {
    connect_ex_ = Extension<LPFN_CONNECTEX>(s, WSAID_CONNECTEX);
    if (connect_ex_ == nullptr) return win32::NegErrno(WSAGetLastError());
  }
  // ConnectEx wants a bound socket: bind to any address of the family.
  sockaddr_storage local{};
  int len = sizeof local;
  if (getsockname(s, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    std::memset(&local, 0, sizeof local);
    local.ss_family = static_cast<const sockaddr*>(op->op.addr)->sa_family;
    len = local.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (bind(s, reinterpret_cast<sockaddr*>(&local), len) != 0) {
      return win32::NegErrno(WSAGetLastError());
    }
  }
  op->kind = Kind::kConnect;
  op->handle = s;
  if (connect_ex_(s, static_cast<const sockaddr*>(op->op.addr), static_cast<int>(op->op.len),
                  nullptr, 0, nullptr, &op->ov)) {
    return 0;
  }
  const int e = WSAGetLastError();
  return e == ERROR_IO_PENDING ? 0 : win32::NegErrno(e);
}

int IocpBackend::BeginTimer(Op* op) {
  const auto* ts = static_cast<const int64_t*>(op->op.addr);
  int64_t deadline = ts[0] * 1000000000 + ts[1];
  if (!(op->op.op_flags & kOpAbsolute)) deadline += NowNs();
  op->kind = Kind::kTimer;
  op->deadline = deadline;
  bool earliest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    earliest = timers_.empty() || deadline < timers_.begin()->first;
    timers_.emplace(deadline, op);
  }
  // A waiter blocked in the port is waiting for a later deadline.
  if (earliest && waiting_) PostQueuedCompletionStatus(port_, 0, kKeyTimers, nullptr);
  return 0;
}

void IocpBackend::FireDueLocked() {
  if (timers_.empty()) return;
  const int64_t now = NowNs();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    Op* op = timers_.begin()->second;
    timers_.erase(timers_.begin());
    op->res = -ETIME;
    OVERLAPPED_ENTRY e{};
    e.lpCompletionKey = kKeyPosted;
    e.lpOverlapped = &op->ov;
    ready_.push_back(e);
  }
}

DWORD IocpBackend::TimeoutLocked(DWORD ms) const {
  if (timers_.empty()) return ms;
  const int64_t ns = timers_.begin()->first - NowNs();
  const int64_t due = ns <= 0 ? 0 : (ns + 999999) / 1000000;
  return ms == INFINITE || due < static_cast<int64_t>(ms) ? static_cast<DWORD>(std::min<int64_t>(due, 0x7ffffffe)) : ms;
}

void IocpBackend::BeginClose(Op* op) {
  op->kind = Kind::kClose;
  const uintptr_t s = win32::FromInt32(op->op.fd);
  associated_.erase(s);
  auto it = per_handle_.find(s);
  if (it == per_handle_.end() || it->second == 0) {
    Post(op, closesocket(static_cast<SOCKET>(s)) == 0 ? 0 : win32::NegErrno(WSAGetLastError()));
    return;
  }
  // Every operation on it comes back (ECANCELED) before the close does;
  // the handle stays open until then, so its number cannot be reused.
  CancelIoEx(reinterpret_cast<HANDLE>(s), nullptr);
  closing_[s].push_back(op);
}

void IocpBackend::Cancel(uint64_t target) {
  auto it = ops_.find(target);
  if (it == ops_.end()) return;
  Op* op = it->second;
  switch (op->kind) {
    case Kind::kTimer: {
      // Still armed: it leaves the set and completes cancelled; already
      // queued as due, it completes as expired.
      bool armed = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto range = timers_.equal_range(op->deadline);
        for (auto t = range.first; t != range.second; ++t) {
          if (t->second != op) continue;
          timers_.erase(t);
          armed = true;
          break;
        }
      }
      if (armed) Post(op, -ECANCELED);
      return;
    }
    case Kind::kSocketIo: case Kind::kMessage: case Kind::kTransmit:
    case Kind::kAccept: case Kind::kConnect:
      CancelIoEx(reinterpret_cast<HANDLE>(op->handle), &op->ov);
      return;
    case Kind::kFileIo:
      if (op->file != INVALID_HANDLE_VALUE) CancelIoEx(op->file, &op->ov);
      return;
    default:
      return;  // posted already, or a close
  }
}

void IocpBackend::Post(Op* op, int32_t res) {
  op->res = res;
  PostQueuedCompletionStatus(port_, 0, kKeyPosted, &op->ov);
}

bool IocpBackend::Finish(const OVERLAPPED_ENTRY& e, Completion* out) {
  if (e.lpOverlapped == nullptr) return false;
  Op* op = CONTAINING_RECORD(e.lpOverlapped, Op, ov);
  int32_t res;
  if (e.lpCompletionKey == kKeyPosted) {
    res = op->res;
  } else {
    // The OVERLAPPED holds the call's NTSTATUS; errors become Win32 codes,
    // then errno (a cancelled call: ERROR_OPERATION_ABORTED, ECANCELED).
    const LONG status = static_cast<LONG>(op->ov.Internal);
    res = status >= 0 ? static_cast<int32_t>(e.dwNumberOfBytesTransferred)
                      : win32::NegErrno(RtlNtStatusToDosError(status));
    if (op->kind == Kind::kMessage || op->kind == Kind::kTransmit) {
      res = FinishTransfer(op, status, static_cast<int32_t>(e.dwNumberOfBytesTransferred));
    }
  }
  switch (op->kind) {
    case Kind::kTransmit:
      if (op->file != INVALID_HANDLE_VALUE) CloseHandle(op->file);
      op->file = INVALID_HANDLE_VALUE;
      break;
    case Kind::kFileIo:
      CloseHandle(op->file);
      op->file = INVALID_HANDLE_VALUE;
      if (res > 0 && op->op.code == OpCode::kReadv) {
        const auto* iov = static_cast<const IoVec*>(op->op.addr);
        size_t at = 0;
        for (uint32_t i = 0; i < op->op.len && at < static_cast<size_t>(res); ++i) {
          const size_t n = std::min(iov[i].len, static_cast<size_t>(res) - at);
          std::memcpy(iov[i].base, op->bounce.data() + at, n);
          at += n;
        }
      }
      break;
    case Kind::kAccept: {
      const SOCKET listener = static_cast<SOCKET>(op->handle);
      const SOCKET s = op->accept_sock;
      op->accept_sock = INVALID_SOCKET;
      if (res >= 0 && setsockopt(s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                                 reinterpret_cast<const char*>(&listener), sizeof listener) != 0) {
        res = win32::NegErrno(WSAGetLastError());
      }
      if (res >= 0 && !win32::FitsInt32(s)) res = -EMFILE;
      if (res < 0 || IsInternal(op->op.user_data)) {
        closesocket(s);
        break;
      }
      sockaddr* local = nullptr;
      sockaddr* remote = nullptr;
      int local_len = 0;
      int remote_len = 0;
      get_accept_ex_sockaddrs_(op->accept_buf, 0, kAcceptAddrLen, kAcceptAddrLen, &local,
                               &local_len, &remote, &remote_len);
      auto* cap = static_cast<uint32_t*>(op->op.addr2);
      if (cap != nullptr && op->op.addr != nullptr && remote != nullptr) {
        const uint32_t n = std::min<uint32_t>(*cap, static_cast<uint32_t>(remote_len));
        std::memcpy(op->op.addr, remote, n);
        *cap = static_cast<uint32_t>(remote_len);
      }
      // Accepted sockets are non-blocking, as on every platform here.
      u_long on = 1;
      ioctlsocket(s, FIONBIO, &on);
      res = static_cast<int32_t>(static_cast<intptr_t>(s));
      break;
    }
    case Kind::kConnect:
      if (res >= 0) {
        setsockopt(static_cast<SOCKET>(op->handle), SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT,
                   nullptr, 0);
        res = 0;
      }
      break;
    default:
      break;
  }
  const uint64_t user_data = op->op.user_data;
  auto it = ops_.find(user_data);
  if (it != ops_.end() && it->second == op) ops_.erase(it);
  if (op->counted) {
    auto count = per_handle_.find(op->handle);
    if (count != per_handle_.end() && --count->second == 0) {
      per_handle_.erase(count);
      auto waiting = closing_.find(op->handle);
      if (waiting != closing_.end()) {
        const SOCKET s = static_cast<SOCKET>(op->handle);
        const int r = closesocket(s) == 0 ? 0 : win32::NegErrno(WSAGetLastError());
        for (Op* close : waiting->second) Post(close, r);
        closing_.erase(waiting);
      }
    }
  }
  FreeOp(op);
  if (IsInternal(user_data)) return false;
  *out = Completion{user_data, res, 0};
  return true;
}

void IocpBackend::Dequeue(DWORD ms) {
  OVERLAPPED_ENTRY batch[kBatch];
  ULONG got = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ms = TimeoutLocked(ms);
  }
  if (!GetQueuedCompletionStatusEx(port_, batch, kBatch, &got, ms, FALSE)) got = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (ULONG i = 0; i < got; ++i) {
    const ULONG_PTR key = batch[i].lpCompletionKey;
    if (key != kKeyStop && key != kKeyTimers) ready_.push_back(batch[i]);
  }
  FireDueLocked();
}

void IocpBackend::Waiter() {
  OVERLAPPED_ENTRY batch[kBatch];
  for (;;) {
    ULONG got = 0;
    DWORD ms;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ms = TimeoutLocked(INFINITE);
    }
    if (!GetQueuedCompletionStatusEx(port_, batch, kBatch, &got, ms, FALSE)) {
      if (GetLastError() != WAIT_TIMEOUT) return;  // the port is gone
      got = 0;
    }
    bool stop = false;
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (ULONG i = 0; i < got; ++i) {
        const ULONG_PTR key = batch[i].lpCompletionKey;
        if (key == kKeyStop) {
          stop = true;
        } else if (key != kKeyTimers) {
          ready_.push_back(batch[i]);
        }
      }
      FireDueLocked();
      // One wake per batch: the JS thread takes all that is ready.
      if (!ready_.empty() && !signalled_) {
        signalled_ = true;
        wake = true;
      }
    }
    cv_.notify_all();
    if (wake && wake_ != nullptr) wake_(wake_arg_);
    if (stop) return;
  }
}

int IocpBackend::NotifyFd() const {
  if (waiter_.joinable()) return 0;
  try {
    auto* self = const_cast<IocpBackend*>(this);
    waiting_ = true;
    waiter_ = std::thread(&IocpBackend::Waiter, self);
  } catch (const std::system_error&) {
    waiting_ = false;
    return -EAGAIN;
  }
  return 0;
}

void IocpBackend::SetWaker(void (*wake)(void*), void* arg) {
  wake_ = wake;
  wake_arg_ = arg;
}

void IocpBackend::ClearNotify() {
  std::lock_guard<std::mutex> lock(mu_);
  signalled_ = false;
}

void IocpBackend::ForgetFd(int fd) { associated_.erase(win32::FromInt32(fd)); }

int IocpBackend::Reap(Completion* out, int max) {
  if (!waiting_) {
    Dequeue(0);
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    FireDueLocked();
  }
  int n = 0;
  while (n < max) {
    OVERLAPPED_ENTRY e;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ready_.empty()) break;
      e = ready_.front();
      ready_.pop_front();
    }
    if (Finish(e, &out[n])) ++n;
  }
  // Taken all: the waiter may wake the JS thread again (call-through
  // takes completions without a wake, so no ClearNotify comes).
  std::lock_guard<std::mutex> lock(mu_);
  if (ready_.empty()) signalled_ = false;
  return n;
}

int IocpBackend::Wait(int timeout_ms) {
  Submit();
  if (waiting_) {
    std::unique_lock<std::mutex> lock(mu_);
    auto ready = [this] { return !ready_.empty(); };
    FireDueLocked();
    if (timeout_ms < 0) {
      cv_.wait(lock, ready);
    } else {
      cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready);
    }
    FireDueLocked();
    return ready_.empty() ? 0 : 1;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ready_.empty()) return 1;
  }
  Dequeue(timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms));
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.empty() ? 0 : 1;
}

}  // namespace ace::iocp
