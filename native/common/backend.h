// The contract between the Proactor and an Asynchronous Operation Processor.
// native/<backend>/ implements it; native/<os>/backends.cc lists the ones an
// OS has. Every function returns -errno and never throws or sets errno.
#ifndef ACE_PROACTOR_COMMON_BACKEND_H_
#define ACE_PROACTOR_COMMON_BACKEND_H_

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/operation.h"

namespace ace {

// Tuning a caller may ask for; a backend takes what it can and says so in
// Describe().
struct BackendOptions {
  // submission queue entries
  uint32_t sq_entries = 1024;
  // completion queue entries (0: four times sq_entries)
  uint32_t cq_entries = 0;
  // io_uring: a kernel thread polls the SQ (burns a core)
  bool sqpoll = false;
  // io_uring: defer task work to the submitter (SINGLE_ISSUER|DEFER_TASKRUN)
  bool defer_taskrun = true;
  // io_uring: slots in the registered file table (0: none). Streams whose
  // fd has a slot skip the kernel's per-operation file lookup.
  uint32_t fixed_files = 0;
  // io_uring: tear down by cancelling operation by operation, as on kernels
  // before 5.19 (no cancel of everything); set by tests to run that path.
  bool legacy_cancel = false;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // The backend's name ("uring").
  virtual const char* Name() const = 0;
  // One line on what was set up: sizes and the features in use.
  virtual std::string Describe() const = 0;
  // Whether this backend can run op on this kernel.
  virtual bool Supports(OpCode op) const = 0;

  // Queues op without a system call. A full queue never fails: the
  // operation waits in user space and goes in at a later Submit().
  virtual int Prepare(const Operation& op) = 0;
  // Hands queued operations to the kernel; returns how many went in, or
  // -EAGAIN / -EBUSY when the kernel took only part and the rest waits for
  // a later Submit() (nothing is lost), or another -errno.
  virtual int Submit() = 0;
  // Copies up to max finished operations into out; never blocks.
  virtual int Reap(Completion* out, int max) = 0;
  // Submits, then blocks up to timeout_ms (-1: no limit) until a completion
  // is ready. Returns 1 ready, 0 timed out or interrupted, -errno on error.
  virtual int Wait(int timeout_ms) = 0;

  // The fd that polls readable while completions wait (post-reactive
  // dispatch), or -1 when the backend has none.
  virtual int NotifyFd() const = 0;
  // Re-arms NotifyFd() before the completions are drained.
  virtual void ClearNotify() = 0;
  // Operations waiting in user space for room in the kernel's queue.
  virtual size_t Backlog() const = 0;
  // Where the kernel's queue cannot be polled (an IOCP port), NotifyFd()
  // starts a thread of the backend's own that calls wake(arg) once per
  // batch it makes ready for Reap(); ClearNotify() lets it wake again.
  virtual void SetWaker(void (*wake)(void* arg), void* arg) {
    (void)wake;
    (void)arg;
  }

  // Registered buffers: the kernel maps iov[0..n) once, and kReadFixed /
  // kWriteFixed name them by index instead of mapping per operation. The
  // memory stays the caller's and must outlive the backend. Replaces any
  // earlier set. -ENOMEM: over the locked-memory limit.
  virtual int RegisterBuffers(const IoVec* iov, unsigned n) {
    (void)iov;
    (void)n;
    return -EOPNOTSUPP;
  }
  // A ring of count buffers of size bytes each at base (count a power of
  // two), known as group; kRecvMulti takes buffers from it. The memory stays
  // the caller's and must outlive the backend. Every buffer starts provided.
  virtual int RegisterBufferRing(uint16_t group, uint8_t* base, uint32_t count,
                                 uint32_t size) {
    (void)group;
    (void)base;
    (void)count;
    (void)size;
    return -EOPNOTSUPP;
  }
  // Gives buffer id of group back to the kernel; no system call.
  virtual int ProvideBuffer(uint16_t group, uint16_t id) {
    (void)group;
    (void)id;
    return -EOPNOTSUPP;
  }
  // Registered-file slots in use (fixed_files).
  virtual uint32_t FixedFilesInUse() const { return 0; }
  // fd was closed outside the backend (its number may come back for a new
  // file): forget what is known of it; operations still queued on it
  // complete with ECANCELED.
  virtual void ForgetFd(int fd) { (void)fd; }
  // For tests: the next count Submit() calls fail with err (-EAGAIN,
  // -EBUSY) before entering the kernel, as a kernel short of memory does.
  virtual void FailNextSubmits(int count, int err) {
    (void)count;
    (void)err;
  }
};

// Creates the named backend for this OS. On failure returns null, with
// *err = -errno and *what naming the call that failed ("io_uring_setup").
std::unique_ptr<Backend> CreateBackend(const std::string& name,
                                       const BackendOptions& options, int* err,
                                       std::string* what);

// The names CreateBackend() knows on this OS, most preferred first,
// separated by commas.
const char* BackendNames();
// The names tried when none is given, most preferred first: BackendNames()
// less those chosen only by name.
const char* DefaultBackendNames();

}  // namespace ace

#endif  // ACE_PROACTOR_COMMON_BACKEND_H_
