#include "common/socket_ops.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace ace::sock {
namespace {

int Result(int r) { return r < 0 ? -errno : r; }

}  // namespace

const Constants& GetConstants() {
  static const Constants c{
      AF_INET,     AF_INET6,     SOCK_STREAM,   SOCK_DGRAM,
      SOL_SOCKET,  SO_REUSEADDR, SO_REUSEPORT,  SO_ERROR,
      SO_RCVBUF,   SO_SNDBUF,    SO_KEEPALIVE,  SO_LINGER,
      IPPROTO_TCP, TCP_NODELAY,  IPPROTO_IPV6,  IPV6_V6ONLY,
      SHUT_RD,     SHUT_WR,      SHUT_RDWR,
      static_cast<int>(sizeof(sockaddr_storage)),
      static_cast<int>(sizeof(socklen_t)),
      SO_TYPE};
  return c;
}

int Open(int family, int type, int protocol) {
  return Result(socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
}

int SetOption(int fd, int level, int name, int value) {
  if (level == SOL_SOCKET && name == SO_LINGER) {
    linger l{value >= 0 ? 1 : 0, value >= 0 ? value : 0};
    return Result(setsockopt(fd, level, name, &l, sizeof l));
  }
  return Result(setsockopt(fd, level, name, &value, sizeof value));
}

int GetOption(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  int r = getsockopt(fd, level, name, &value, &len);
  return r < 0 ? -errno : value;
}

int Bind(int fd, const void* addr, uint32_t len) {
  return Result(bind(fd, static_cast<const sockaddr*>(addr), len));
}

int Listen(int fd, int backlog) { return Result(listen(fd, backlog)); }

int Accept(int fd, void* addr, uint32_t len) {
  socklen_t l = len;
  return Result(accept4(fd, static_cast<sockaddr*>(addr), &l,
                        SOCK_NONBLOCK | SOCK_CLOEXEC));
}

int LocalAddress(int fd, void* addr, uint32_t len) {
  socklen_t l = len;
  int r = getsockname(fd, static_cast<sockaddr*>(addr), &l);
  return r < 0 ? -errno : static_cast<int>(l);
}

int RemoteAddress(int fd, void* addr, uint32_t len) {
  socklen_t l = len;
  int r = getpeername(fd, static_cast<sockaddr*>(addr), &l);
  return r < 0 ? -errno : static_cast<int>(l);
}

int Shutdown(int fd, int how) { return Result(shutdown(fd, how)); }

int Close(int fd) { return Result(close(fd)); }

int Dup(int fd) { return Result(fcntl(fd, F_DUPFD_CLOEXEC, 0)); }

int Pair(int fds[2]) {
  return Result(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                           0, fds));
}

int SendNow(int fd, const void* buf, size_t len) {
  return Result(static_cast<int>(send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)));
}

int RecvNow(int fd, void* buf, size_t len) {
  return Result(static_cast<int>(recv(fd, buf, len, MSG_DONTWAIT)));
}

const MessageLayout& GetMessageLayout() {
  // Each part 8-byte aligned, as the header's pointers and the iovecs need.
  static const MessageLayout m{
      static_cast<uint32_t>((sizeof(msghdr) + 7) & ~size_t{7}),
      static_cast<uint32_t>(sizeof(sockaddr_storage)),
      static_cast<uint32_t>(((sizeof(msghdr) + 7) & ~size_t{7}) + sizeof(sockaddr_storage)),
      static_cast<uint32_t>(offsetof(msghdr, msg_namelen)),
      static_cast<uint32_t>(offsetof(msghdr, msg_flags)),
      MSG_TRUNC};
  return m;
}

void InitMessage(uint8_t* block, uint32_t namelen, uint32_t iovcnt) {
  const MessageLayout& m = GetMessageLayout();
  auto* h = reinterpret_cast<msghdr*>(block);
  *h = msghdr{};
  h->msg_name = namelen > 0 ? block + m.name_offset : nullptr;
  h->msg_namelen = namelen;
  h->msg_iov = reinterpret_cast<iovec*>(block + m.iov_offset);
  h->msg_iovlen = iovcnt;
}

}  // namespace ace::sock
