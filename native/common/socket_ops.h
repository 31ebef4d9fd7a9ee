// Synchronous socket calls behind the wrapper facades (SockAcceptor,
// SockConnector, SockStream). Each returns its result or -errno.
#ifndef ACE_PROACTOR_COMMON_SOCKET_OPS_H_
#define ACE_PROACTOR_COMMON_SOCKET_OPS_H_

#include <cstddef>
#include <cstdint>

namespace ace::sock {

// The platform's numbers the TypeScript side encodes addresses with.
struct Constants {
  int af_inet, af_inet6, sock_stream, sock_dgram;
  int sol_socket, so_reuseaddr, so_reuseport, so_error, so_rcvbuf, so_sndbuf,
      so_keepalive, so_linger;
  int ipproto_tcp, tcp_nodelay, ipproto_ipv6, ipv6_v6only;
  int shut_rd, shut_wr, shut_rdwr;
  int sockaddr_storage_size, socklen_size;
  int so_type;
};
const Constants& GetConstants();

// A non-blocking, close-on-exec socket.
int Open(int family, int type, int protocol);
int SetOption(int fd, int level, int name, int value);
int GetOption(int fd, int level, int name);
int Bind(int fd, const void* addr, uint32_t len);
int Listen(int fd, int backlog);
// Takes a pending connection without blocking (-EAGAIN: none); the new fd is
// non-blocking and close-on-exec; the peer's address goes into addr.
int Accept(int fd, void* addr, uint32_t len);
// Writes the address into addr (capacity len); returns its length.
int LocalAddress(int fd, void* addr, uint32_t len);
int RemoteAddress(int fd, void* addr, uint32_t len);
int Shutdown(int fd, int how);
int Close(int fd);
// Another fd for the same open socket (F_DUPFD_CLOEXEC); the new fd, or -errno.
int Dup(int fd);
// A connected pair of stream sockets, for tests and in-process pipes.
int Pair(int fds[2]);
// Sends what fits without blocking; for tests that need a peer's RST (with
// SO_LINGER 0 then Close) or raw bytes.
int SendNow(int fd, const void* buf, size_t len);
int RecvNow(int fd, void* buf, size_t len);

// A datagram's message block (kRecvMsg, kSendMsg), in the caller's memory:
// the system's message header at 0, the address at name_offset (room for
// name_size bytes), then the iovecs at iov_offset.
struct MessageLayout {
  uint32_t name_offset, name_size, iov_offset;
  // where the kernel writes the address length and the message flags back
  uint32_t namelen_offset, flags_offset;
  // the flag that says a datagram was longer than the buffers
  uint32_t msg_trunc;
};
const MessageLayout& GetMessageLayout();
// Points the header at block to its own address (namelen bytes, 0: none)
// and its iovcnt iovecs.
void InitMessage(uint8_t* block, uint32_t namelen, uint32_t iovcnt);

}  // namespace ace::sock

#endif  // ACE_PROACTOR_COMMON_SOCKET_OPS_H_
