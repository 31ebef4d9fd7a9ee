/* Reference echo server in C on io_uring (raw syscalls, no liburing), the
 * yardstick for the framework's io_uring backend: accept → recv → send all
 * (short sends resumed) → recv again, one ring, one thread. It does what the
 * framework's echo service does, with nothing in between.
 *
 * Usage: c_uring_echo [--port P]   (0: any; the port is printed on stdout)
 * Build: cc -O2 -o c_uring_echo c_uring_echo.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "uring_min.h"

enum { OP_ACCEPT = 0, OP_RECV = 1, OP_SEND = 2 };
#define BUF_SIZE (64 * 1024)
#define UD(fd, op) (((uint64_t)(fd) << 2) | (op))

struct conn {
  unsigned len, off; /* bytes received, bytes of them sent back */
  unsigned char *buf;
};

static struct ring ring;
static struct conn **conns;
static size_t nconns;

static struct conn *conn_for(int fd) {
  if ((size_t)fd >= nconns) {
    size_t n = nconns ? nconns : 1024;
    while (n <= (size_t)fd) n *= 2;
    conns = realloc(conns, n * sizeof *conns);
    memset(conns + nconns, 0, (n - nconns) * sizeof *conns);
    nconns = n;
  }
  if (!conns[fd]) {
    conns[fd] = calloc(1, sizeof **conns);
    conns[fd]->buf = malloc(BUF_SIZE);
  }
  return conns[fd];
}

static void conn_close(int fd) {
  close(fd);
  free(conns[fd]->buf);
  free(conns[fd]);
  conns[fd] = NULL;
}

static void on_accept(int listen_fd, int res) {
  prep_accept(&ring, listen_fd, UD(listen_fd, OP_ACCEPT));
  if (res < 0) return;
  int one = 1;
  setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct conn *c = conn_for(res);
  prep_recv(&ring, res, c->buf, BUF_SIZE, UD(res, OP_RECV));
}

static void on_recv(int fd, int res) {
  struct conn *c = conns[fd];
  if (res <= 0) return conn_close(fd);
  c->len = (unsigned)res;
  c->off = 0;
  prep_send(&ring, fd, c->buf, c->len, UD(fd, OP_SEND));
}

static void on_send(int fd, int res) {
  struct conn *c = conns[fd];
  if (res < 0) return conn_close(fd);
  c->off += (unsigned)res;
  if (c->off < c->len) prep_send(&ring, fd, c->buf + c->off, c->len - c->off, UD(fd, OP_SEND));
  else prep_recv(&ring, fd, c->buf, BUF_SIZE, UD(fd, OP_RECV));
}

int main(int argc, char **argv) {
  int port = 0;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4096) < 0 ||
      getsockname(lfd, (struct sockaddr *)&sa, &len) < 0) {
    perror("c_uring_echo: bind/listen");
    return 1;
  }
  int rc = ring_init(&ring, 4096, 16384);
  if (rc < 0) {
    fprintf(stderr, "c_uring_echo: io_uring_setup: %s\n", strerror(-rc));
    return 1;
  }
  for (int i = 0; i < 16; i++) prep_accept(&ring, lfd, UD(lfd, OP_ACCEPT));
  printf("%d\n", ntohs(sa.sin_port));
  fflush(stdout);

  for (;;) {
    rc = ring_enter(&ring, 1, 0);
    if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
      fprintf(stderr, "c_uring_echo: io_uring_enter: %s\n", strerror(-rc));
      return 1;
    }
    RING_FOR_EACH_CQE(&ring, cqe, {
      int fd = (int)(cqe->user_data >> 2);
      switch (cqe->user_data & 3) {
        case OP_ACCEPT: on_accept(fd, cqe->res); break;
        case OP_RECV: on_recv(fd, cqe->res); break;
        case OP_SEND: on_send(fd, cqe->res); break;
      }
    });
  }
}
