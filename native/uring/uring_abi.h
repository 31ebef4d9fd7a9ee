// The io_uring system calls and the few constants newer than the oldest
// <linux/io_uring.h> we build against (Linux 6.1 headers).
#ifndef ACE_PROACTOR_URING_URING_ABI_H_
#define ACE_PROACTOR_URING_URING_ABI_H_

#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif  // __NR_io_uring_setup
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif  // __NR_io_uring_enter
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif  // __NR_io_uring_register

#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY (1U << 16)
#endif  // IORING_SETUP_NO_SQARRAY

namespace ace::uring {

// Entry i of a provided-buffer ring. The header's flexible array `bufs`
// sits 8 bytes too far in C++ (its empty placeholder struct has size 1 there,
// not 0 as in C), so the entries are addressed from the ring's start.
inline io_uring_buf& BufAt(io_uring_buf_ring* ring, unsigned i) {
  static_assert(sizeof(io_uring_buf) == 16, "io_uring_buf layout");
  return reinterpret_cast<io_uring_buf*>(ring)[i];
}

// io_uring_setup(2); returns the ring fd or -errno.
inline int Setup(unsigned entries, io_uring_params* p) {
  long r = syscall(__NR_io_uring_setup, entries, p);
  return r < 0 ? -errno : static_cast<int>(r);
}

// io_uring_enter(2); returns the SQEs consumed or -errno.
inline int Enter(int fd, unsigned to_submit, unsigned min_complete,
                 unsigned flags, const void* arg, size_t argsz) {
  long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags,
                   arg, argsz);
  return r < 0 ? -errno : static_cast<int>(r);
}

// io_uring_register(2); returns its result or -errno.
inline int Register(int fd, unsigned opcode, const void* arg, unsigned nr) {
  long r = syscall(__NR_io_uring_register, fd, opcode, arg, nr);
  return r < 0 ? -errno : static_cast<int>(r);
}

}  // namespace ace::uring

#endif  // ACE_PROACTOR_URING_URING_ABI_H_
