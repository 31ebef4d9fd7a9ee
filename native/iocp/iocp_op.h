// The iocp backend's per-operation record, shared by the files that start
// its verbs (iocp_backend.cc, iocp_transfer.cc).
#ifndef ACE_PROACTOR_IOCP_IOCP_OP_H_
#define ACE_PROACTOR_IOCP_IOCP_OP_H_

#include <winsock2.h>
#include <mswsock.h>
#include <windows.h>

#include <cstdint>
#include <vector>

#include "common/operation.h"
#include "iocp/iocp_backend.h"

namespace ace::iocp {

// Room AcceptEx needs for each address: the largest sockaddr plus 16.
constexpr DWORD kAcceptAddrLen = sizeof(sockaddr_storage) + 16;

// What a packet finishes; it decides what Finish() does besides reporting.
enum class Kind : uint8_t {
  kSocketIo,  // WSARecv / WSASend
  kMessage,   // WSARecvMsg / WSASendMsg: the WSAMSG in the caller's block
  kTransmit,  // TransmitFile, from a file handle of the operation's own
  kFileIo,    // ReadFile / WriteFile on a reopened handle
  kAccept,
  kConnect,
  kTimer,
  kPosted,    // its result was decided here and posted
  kClose,
};

// Node's fd -> its HANDLE (libuv's uv_get_osfhandle, exported by node.exe).
HANDLE OsHandle(int fd);

// An extension function of the socket's provider (AcceptEx, WSARecvMsg, …),
// or null with WSAGetLastError() set.
template <typename T>
T Extension(SOCKET s, GUID guid) {
  T fn = nullptr;
  DWORD bytes = 0;
  if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &fn, sizeof fn,
               &bytes, nullptr, nullptr) != 0) {
    return nullptr;
  }
  return fn;
}

struct IocpBackend::Op {
  // first: the packet's lpOverlapped is the Op
  OVERLAPPED ov;
  Operation op;
  Kind kind = Kind::kPosted;
  // the result of a posted completion
  int32_t res = 0;
  // the socket the kernel runs it on (counted in per_handle_)
  uintptr_t handle = 0;
  bool counted = false;
  // a file reopened for overlapped I/O (or for TransmitFile), closed when
  // the packet comes
  HANDLE file = INVALID_HANDLE_VALUE;
  // the socket AcceptEx accepts into, and the addresses it writes
  SOCKET accept_sock = INVALID_SOCKET;
  char accept_buf[2 * kAcceptAddrLen];
  // WSARecv's flags in and out
  DWORD flags = 0;
  // the buffers as Winsock wants them (WSARecvMsg/WSASendMsg point the
  // caller's WSAMSG here)
  std::vector<WSABUF> bufs;
  // a file readv/writev of several blocks goes through one buffer
  std::vector<char> bounce;
  // a timer's deadline (ns) while it is in timers_
  int64_t deadline = 0;
};

}  // namespace ace::iocp

#endif  // ACE_PROACTOR_IOCP_IOCP_OP_H_
