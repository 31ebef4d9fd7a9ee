// The iocp backend's datagram verbs (kRecvMsg, kSendMsg: overlapped
// WSARecvMsg and WSASendMsg on the caller's WSAMSG) and its transmit-file
// verb (kSendfile: overlapped TransmitFile from a handle of its own).
#include <winsock2.h>
#include <winternl.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "common/socket_ops.h"
#include "iocp/iocp_backend.h"
#include "iocp/iocp_op.h"
#include "win32/win_errors.h"

namespace ace::iocp {
namespace {

// A datagram longer than the buffers: a warning, not an error. The bytes
// that fitted arrive, and the packet is queued even when the call
// returns at once (WSAEMSGSIZE).
constexpr LONG kStatusBufferOverflow = static_cast<LONG>(0x80000005L);
// A call stopped by CancelIoEx; its byte count is what went before.
constexpr LONG kStatusCancelled = static_cast<LONG>(0xC0000120L);

// The message flags a receive reports; what else is in dwFlags on
// completion is what was asked for.
constexpr DWORD kReportedFlags = MSG_TRUNC | MSG_CTRUNC | MSG_BCAST | MSG_MCAST;

}  // namespace

int IocpBackend::BeginMessage(Op* op, bool send) {
  const Operation& o = op->op;
  const SOCKET s = static_cast<SOCKET>(win32::FromInt32(o.fd));
  // Winsock cannot say how long a cut datagram was (Linux's MSG_TRUNC
  // asked for); a receive that wants it fails rather than lie.
  if (!send && (o.msg_flags & MSG_TRUNC)) return -EOPNOTSUPP;
  if (const int r = Associate(s); r < 0) return r;
  if (!send && recv_msg_ == nullptr) {
    recv_msg_ = Extension<LPFN_WSARECVMSG>(s, WSAID_WSARECVMSG);
    if (recv_msg_ == nullptr) return win32::NegErrno(WSAGetLastError());
  }
  // The block holds the WSAMSG, then the address, then POSIX iovecs
  // (common/socket_ops.h); the WSAMSG is pointed at WSABUFs made of them.
  auto* block = static_cast<uint8_t*>(o.addr);
  auto* msg = reinterpret_cast<WSAMSG*>(block);
  const auto* iov = reinterpret_cast<const IoVec*>(block + sock::GetMessageLayout().iov_offset);
  op->bufs.resize(msg->dwBufferCount);
  for (DWORD i = 0; i < msg->dwBufferCount; ++i) {
    op->bufs[i].buf = static_cast<char*>(iov[i].base);
    op->bufs[i].len = static_cast<ULONG>(iov[i].len);
  }
  msg->lpBuffers = op->bufs.data();
  op->kind = Kind::kMessage;
  op->handle = s;
  int rc;
  if (send) {
    rc = WSASendMsg(s, msg, o.msg_flags, nullptr, &op->ov, nullptr);
  } else {
    msg->dwFlags = o.msg_flags;
    rc = recv_msg_(s, msg, nullptr, &op->ov, nullptr);
  }
  if (rc == 0) return 0;
  const int e = WSAGetLastError();
  // Pending, or cut at once: either way the packet comes through the port.
  if (e == WSA_IO_PENDING || (!send && e == WSAEMSGSIZE)) return 0;
  return win32::NegErrno(e);
}

int IocpBackend::BeginTransmit(Op* op) {
  const Operation& o = op->op;
  const SOCKET s = static_cast<SOCKET>(win32::FromInt32(o.fd));
  HANDLE h = OsHandle(o.fd2);
  if (h == INVALID_HANDLE_VALUE || h == nullptr) return -EBADF;
  // As sendfile(2): the file must be open for reading.
  PUBLIC_OBJECT_BASIC_INFORMATION info{};
  if (NtQueryObject(h, ObjectBasicInformation, &info, sizeof info, nullptr) >= 0 &&
      !(info.GrantedAccess & FILE_READ_DATA)) {
    return -EBADF;
  }
  // sendfile(2) stops at the end of the file: so does the window asked for.
  LARGE_INTEGER size;
  if (!GetFileSizeEx(h, &size)) return win32::NegErrno(GetLastError());
  if (o.offset >= size.QuadPart) {
    op->res = 0;
    return INT_MIN;
  }
  const DWORD len = static_cast<DWORD>(std::min<int64_t>(o.len, size.QuadPart - o.offset));
  if (const int r = Associate(s); r < 0) return r;
  if (transmit_file_ == nullptr) {
    transmit_file_ = Extension<LPFN_TRANSMITFILE>(s, WSAID_TRANSMITFILE);
    if (transmit_file_ == nullptr) return win32::NegErrno(WSAGetLastError());
  }
  // A handle of the operation's own: the transfer does not depend on the
  // caller's fd staying open, nor move its file position. Where none can
  // be had, the fd's handle serves (the offset is the OVERLAPPED's).
  const DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
  op->file = ReOpenFile(h, GENERIC_READ, share, FILE_FLAG_OVERLAPPED | FILE_FLAG_SEQUENTIAL_SCAN);
  op->ov.Offset = static_cast<DWORD>(static_cast<uint64_t>(o.offset) & 0xffffffffu);
  op->ov.OffsetHigh = static_cast<DWORD>(static_cast<uint64_t>(o.offset) >> 32);
  op->kind = Kind::kTransmit;
  op->handle = s;
  const HANDLE from = op->file != INVALID_HANDLE_VALUE ? op->file : h;
  if (transmit_file_(s, from, len, 0, &op->ov, nullptr, 0)) return 0;
  const int e = WSAGetLastError();
  return e == WSA_IO_PENDING ? 0 : win32::NegErrno(e);
}

int32_t IocpBackend::FinishTransfer(Op* op, LONG status, int32_t bytes) {
  if (op->kind == Kind::kTransmit) {
    // Cancelled after some bytes went: they count, as after a cancel of a
    // sendfile on Linux, and the caller sees its cancel. A reset or another
    // error is reported as it is: a next call on the socket would not
    // name it (under Wine it says WSAENOTCONN after a reset).
    if (status == kStatusCancelled && bytes > 0) return bytes;
    return status >= 0 ? bytes : win32::NegErrno(RtlNtStatusToDosError(status));
  }
  const bool cut = status == kStatusBufferOverflow;
  if (status < 0 && !cut) return win32::NegErrno(RtlNtStatusToDosError(status));
  if (op->op.code == OpCode::kRecvMsg) {
    auto* msg = static_cast<WSAMSG*>(op->op.addr);
    msg->dwFlags = (msg->dwFlags & kReportedFlags) | (cut ? MSG_TRUNC : 0);
  }
  return bytes;
}

}  // namespace ace::iocp
