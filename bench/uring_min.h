/* A minimal io_uring ring over raw syscalls (<linux/io_uring.h>, no
 * liburing), shared by the benchmark's load generator and its reference C
 * echo server. Single-threaded use only. */
#ifndef BENCH_URING_MIN_H
#define BENCH_URING_MIN_H

#include <errno.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct ring {
  int fd;
  unsigned flags;
  /* SQ ring */
  unsigned *sq_head, *sq_tail, *sq_array, sq_mask, sq_entries;
  unsigned sqe_tail; /* our tail, published by ring_enter */
  struct io_uring_sqe *sqes;
  /* CQ ring */
  unsigned *cq_head, *cq_tail, cq_mask;
  struct io_uring_cqe *cqes;
};

static inline int sys_io_uring_setup(unsigned entries, struct io_uring_params *p) {
  return (int)syscall(__NR_io_uring_setup, entries, p);
}

static inline int sys_io_uring_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                                     const void *arg, size_t argsz) {
  return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz);
}

/* Sets the ring up with the fastest flags the kernel accepts; returns 0 or -errno. */
static int ring_init(struct ring *r, unsigned entries, unsigned cq_entries) {
  static const unsigned tries[] = {
      IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN,
      IORING_SETUP_CQSIZE,
  };
  struct io_uring_params p;
  int fd = -EINVAL;
  for (unsigned i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    memset(&p, 0, sizeof p);
    p.flags = tries[i];
    p.cq_entries = cq_entries;
    fd = sys_io_uring_setup(entries, &p);
    if (fd >= 0) break;
    fd = -errno;
    if (fd != -EINVAL) return fd;
  }
  if (fd < 0) return fd;
  memset(r, 0, sizeof *r);
  r->fd = fd;
  r->flags = p.flags;
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && cq_size > sq_size) sq_size = cq_size;
  char *sq = mmap(0, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) return -errno;
  char *cq = sq;
  if (!single) {
    cq = mmap(0, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) return -errno;
  }
  r->sqes = mmap(0, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                 fd, IORING_OFF_SQES);
  if (r->sqes == MAP_FAILED) return -errno;
  r->sq_head = (unsigned *)(sq + p.sq_off.head);
  r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
  r->sq_array = (unsigned *)(sq + p.sq_off.array);
  r->sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
  r->sq_entries = *(unsigned *)(sq + p.sq_off.ring_entries);
  r->sqe_tail = *r->sq_tail;
  r->cq_head = (unsigned *)(cq + p.cq_off.head);
  r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
  r->cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
  return 0;
}

/* SQEs filled but not yet consumed by the kernel. */
static inline unsigned ring_pending(const struct ring *r) {
  return r->sqe_tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
}

/* Publishes the SQ tail and enters the kernel: submits, and waits for
 * min_complete completions (at most timeout_ns if > 0). Returns the
 * io_uring_enter result or -errno. */
static int ring_enter(struct ring *r, unsigned min_complete, long long timeout_ns) {
  unsigned tail = r->sqe_tail;
  __atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
  unsigned to_submit = ring_pending(r);
  unsigned flags = min_complete || (r->flags & IORING_SETUP_DEFER_TASKRUN) ? IORING_ENTER_GETEVENTS : 0;
  struct __kernel_timespec ts;
  struct io_uring_getevents_arg arg;
  const void *argp = NULL;
  size_t argsz = 0;
  if (min_complete && timeout_ns > 0) {
    ts.tv_sec = timeout_ns / 1000000000LL;
    ts.tv_nsec = timeout_ns % 1000000000LL;
    memset(&arg, 0, sizeof arg);
    arg.ts = (uint64_t)(uintptr_t)&ts;
    argp = &arg;
    argsz = sizeof arg;
    flags |= IORING_ENTER_EXT_ARG;
  }
  int rc = sys_io_uring_enter(r->fd, to_submit, min_complete, flags, argp, argsz);
  return rc < 0 ? -errno : rc;
}

/* The next SQE, zeroed; submits first if the SQ is full. */
static struct io_uring_sqe *ring_sqe(struct ring *r) {
  while (ring_pending(r) >= r->sq_entries) ring_enter(r, 0, 0);
  unsigned idx = r->sqe_tail & r->sq_mask;
  struct io_uring_sqe *sqe = &r->sqes[idx];
  memset(sqe, 0, sizeof *sqe);
  r->sq_array[idx] = idx;
  r->sqe_tail++;
  return sqe;
}

static inline void prep_rw(struct ring *r, int op, int fd, const void *buf, unsigned len, int msg_flags,
                           uint64_t user_data) {
  struct io_uring_sqe *sqe = ring_sqe(r);
  sqe->opcode = (uint8_t)op;
  sqe->fd = fd;
  sqe->addr = (uint64_t)(uintptr_t)buf;
  sqe->len = len;
  sqe->msg_flags = (uint32_t)msg_flags;
  sqe->user_data = user_data;
}

static inline void prep_send(struct ring *r, int fd, const void *buf, unsigned len, uint64_t ud) {
  prep_rw(r, IORING_OP_SEND, fd, buf, len, MSG_NOSIGNAL, ud);
}

static inline void prep_recv(struct ring *r, int fd, void *buf, unsigned len, uint64_t ud) {
  prep_rw(r, IORING_OP_RECV, fd, buf, len, 0, ud);
}

static inline void prep_accept(struct ring *r, int listen_fd, uint64_t ud) {
  prep_rw(r, IORING_OP_ACCEPT, listen_fd, NULL, 0, 0, ud);
}

/* Runs body with cqe bound to each completion ready, then releases them. */
#define RING_FOR_EACH_CQE(r, cqe, body)                                  \
  do {                                                                   \
    unsigned head_ = *(r)->cq_head;                                      \
    unsigned tail_ = __atomic_load_n((r)->cq_tail, __ATOMIC_ACQUIRE);    \
    for (; head_ != tail_; head_++) {                                    \
      struct io_uring_cqe *cqe = &(r)->cqes[head_ & (r)->cq_mask];       \
      body;                                                              \
    }                                                                    \
    __atomic_store_n((r)->cq_head, head_, __ATOMIC_RELEASE);             \
  } while (0)

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif /* BENCH_URING_MIN_H */
