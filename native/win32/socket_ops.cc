// Winsock behind the socket wrapper facades. Sockets are overlapped (for
// the completion port) and non-blocking (for the Reactor), as the POSIX
// ones are non-blocking; their handles cross to JavaScript as 32-bit
// numbers (see win32/win_errors.h).
#include "common/socket_ops.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>

#include <cerrno>
#include <cstddef>

#include "win32/win_errors.h"

namespace ace::sock {
namespace {

constexpr int kNoOption = -1;
constexpr int kReuseAddr = -2;

int Fail() { return win32::NegErrno(WSAGetLastError()); }
int Result(int r) { return r == SOCKET_ERROR ? Fail() : r; }
SOCKET S(int fd) { return static_cast<SOCKET>(win32::FromInt32(fd)); }

bool Started() {
  static const bool started = [] {
    WSADATA wsa;
    return WSAStartup(MAKEWORD(2, 2), &wsa) == 0;
  }();
  return started;
}

// A new socket as the number JavaScript holds: non-blocking, or -errno.
int Adopt(SOCKET s) {
  if (s == INVALID_SOCKET) return Fail();
  if (!win32::FitsInt32(s)) {
    closesocket(s);
    return -EMFILE;
  }
  u_long on = 1;
  if (ioctlsocket(s, FIONBIO, &on) != 0) {
    const int err = Fail();
    closesocket(s);
    return err;
  }
  return static_cast<int>(static_cast<intptr_t>(s));
}

}  // namespace

const Constants& GetConstants() {
  // Windows has no SO_REUSEPORT (kNoOption: setOption fails, EINVAL).
  // Its SO_REUSEADDR lets a second socket take a port in use, which is not
  // what POSIX's does; a port in TIME_WAIT can be bound again without it,
  // so POSIX's SO_REUSEADDR is kReuseAddr, which succeeds and does nothing.
  static const Constants c{
      AF_INET,     AF_INET6,     SOCK_STREAM,   SOCK_DGRAM,
      SOL_SOCKET,  kReuseAddr,   kNoOption,     SO_ERROR,
      SO_RCVBUF,   SO_SNDBUF,    SO_KEEPALIVE,  SO_LINGER,
      IPPROTO_TCP, TCP_NODELAY,  IPPROTO_IPV6,  IPV6_V6ONLY,
      SD_RECEIVE,  SD_SEND,      SD_BOTH,
      static_cast<int>(sizeof(sockaddr_storage)),
      static_cast<int>(sizeof(int)),
      SO_TYPE};
  return c;
}

int Open(int family, int type, int protocol) {
  if (!Started()) return -ENETDOWN;
  const int fd = Adopt(WSASocketW(family, type, protocol, nullptr, 0,
                                  WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
  if (fd >= 0 && type == SOCK_DGRAM) {
    // Windows fails a UDP socket's next receive with WSAECONNRESET when a
    // datagram it sent met a closed port; Linux reports nothing to an
    // unconnected socket. Turned off, as on Linux; a refusal changes
    // nothing.
    BOOL report = FALSE;
    DWORD bytes = 0;
    WSAIoctl(S(fd), SIO_UDP_CONNRESET, &report, sizeof report, nullptr, 0, &bytes, nullptr,
             nullptr);
  }
  return fd;
}

int SetOption(int fd, int level, int name, int value) {
  if (name == kNoOption) return -EINVAL;
  if (name == kReuseAddr) return 0;
  if (level == SOL_SOCKET && name == SO_LINGER) {
    linger l{static_cast<u_short>(value >= 0 ? 1 : 0), static_cast<u_short>(value >= 0 ? value : 0)};
    return Result(setsockopt(S(fd), level, name, reinterpret_cast<const char*>(&l), sizeof l));
  }
  return Result(setsockopt(S(fd), level, name, reinterpret_cast<const char*>(&value), sizeof value));
}

int GetOption(int fd, int level, int name) {
  if (name == kNoOption) return -EINVAL;
  if (name == kReuseAddr) return 1;
  int value = 0;
  int len = sizeof value;
  const int r = getsockopt(S(fd), level, name, reinterpret_cast<char*>(&value), &len);
  return r == SOCKET_ERROR ? Fail() : value;
}

int Bind(int fd, const void* addr, uint32_t len) {
  return Result(bind(S(fd), static_cast<const sockaddr*>(addr), static_cast<int>(len)));
}

int Listen(int fd, int backlog) { return Result(listen(S(fd), backlog)); }

int Accept(int fd, void* addr, uint32_t len) {
  int l = static_cast<int>(len);
  const SOCKET s = accept(S(fd), static_cast<sockaddr*>(addr), &l);
  if (s == INVALID_SOCKET) return Fail();
  return Adopt(s);
}

int LocalAddress(int fd, void* addr, uint32_t len) {
  int l = static_cast<int>(len);
  const int r = getsockname(S(fd), static_cast<sockaddr*>(addr), &l);
  return r == SOCKET_ERROR ? Fail() : l;
}

int RemoteAddress(int fd, void* addr, uint32_t len) {
  int l = static_cast<int>(len);
  const int r = getpeername(S(fd), static_cast<sockaddr*>(addr), &l);
  return r == SOCKET_ERROR ? Fail() : l;
}

int Shutdown(int fd, int how) { return Result(shutdown(S(fd), how)); }

int Close(int fd) { return Result(closesocket(S(fd))); }

int Pair(int fds[2]) {
  // No socketpair on Windows: a loopback TCP connection does.
  const int listener = Open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (listener < 0) return listener;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int alen = sizeof a;
  int r = Bind(listener, &a, sizeof a);
  if (r == 0) r = Listen(listener, 1);
  if (r == 0 && getsockname(S(listener), reinterpret_cast<sockaddr*>(&a), &alen) != 0) r = Fail();
  int client = -1;
  if (r == 0) {
    client = Open(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (client < 0) r = client;
  }
  if (r == 0 && connect(S(client), reinterpret_cast<sockaddr*>(&a), alen) != 0 &&
      WSAGetLastError() != WSAEWOULDBLOCK) {
    r = Fail();
  }
  int server = -1;
  for (int tries = 0; r == 0 && server < 0; ++tries) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(S(listener), &set);
    timeval tv{5, 0};
    if (select(0, &set, nullptr, nullptr, &tv) <= 0) {
      r = -ETIMEDOUT;
      break;
    }
    server = Accept(listener, nullptr, 0);
    if (server < 0 && server != -EAGAIN) r = server;
  }
  if (r == 0) {
    // The client's connect has finished once the server has it.
    fd_set set;
    FD_ZERO(&set);
    FD_SET(S(client), &set);
    timeval tv{5, 0};
    if (select(0, nullptr, &set, nullptr, &tv) <= 0) r = -ETIMEDOUT;
  }
  Close(listener);
  if (r != 0) {
    if (client >= 0) Close(client);
    if (server >= 0) Close(server);
    return r;
  }
  fds[0] = client;
  fds[1] = server;
  return 0;
}

int SendNow(int fd, const void* buf, size_t len) {
  return Result(send(S(fd), static_cast<const char*>(buf), static_cast<int>(len), 0));
}

int RecvNow(int fd, void* buf, size_t len) {
  return Result(recv(S(fd), static_cast<char*>(buf), static_cast<int>(len), 0));
}

// Winsock has no dup() for sockets (WSADuplicateSocket makes a handle for
// another process).
int Dup(int fd) {
  (void)fd;
  return -EOPNOTSUPP;
}

// A datagram's message block in Winsock's own header, WSAMSG. The
// caller's iovecs follow it in POSIX layout; the iocp backend points the
// WSAMSG at WSABUFs made of them when the operation starts.
const MessageLayout& GetMessageLayout() {
  static const MessageLayout m{
      static_cast<uint32_t>((sizeof(WSAMSG) + 7) & ~size_t{7}),
      static_cast<uint32_t>(sizeof(sockaddr_storage)),
      static_cast<uint32_t>(((sizeof(WSAMSG) + 7) & ~size_t{7}) + sizeof(sockaddr_storage)),
      static_cast<uint32_t>(offsetof(WSAMSG, namelen)),
      static_cast<uint32_t>(offsetof(WSAMSG, dwFlags)),
      MSG_TRUNC};
  return m;
}

void InitMessage(uint8_t* block, uint32_t namelen, uint32_t iovcnt) {
  const MessageLayout& m = GetMessageLayout();
  auto* h = reinterpret_cast<WSAMSG*>(block);
  *h = WSAMSG{};
  h->name = namelen > 0 ? reinterpret_cast<LPSOCKADDR>(block + m.name_offset) : nullptr;
  h->namelen = static_cast<INT>(namelen);
  h->dwBufferCount = iovcnt;
}

}  // namespace ace::sock
