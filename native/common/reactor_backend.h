// The contract between the Reactor and a synchronous event demultiplexer
// (epoll, poll). native/reactor/ implements it; CreateReactorBackend() in
// native/reactor/reactor_backends.cc lists the ones this OS has. Every
// function returns -errno and never throws or sets errno.
#ifndef ACE_PROACTOR_COMMON_REACTOR_BACKEND_H_
#define ACE_PROACTOR_COMMON_REACTOR_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ace {

// Event bits, the same in both directions (interest given, readiness
// reported) and shared with TypeScript.
// the fd is readable (data, EOF, a connection to accept)
constexpr uint32_t kReactorReadable = 1;
// the fd is writable (room to send, a connect finished)
constexpr uint32_t kReactorWritable = 2;
// urgent data (TCP out-of-band)
constexpr uint32_t kReactorPriority = 4;
// reported only: the peer hung up
constexpr uint32_t kReactorHangup = 8;
// reported only: an error is pending on the fd
constexpr uint32_t kReactorError = 16;
// reported only: the fd is not open (closed while still watched)
constexpr uint32_t kReactorInvalid = 32;
// the bits a caller may ask for
constexpr uint32_t kReactorInterest =
    kReactorReadable | kReactorWritable | kReactorPriority;

class ReactorBackend {
 public:
  virtual ~ReactorBackend() = default;

  // The demultiplexer's name: "epoll", "poll".
  virtual const char* Name() const = 0;
  // One line on what was set up.
  virtual std::string Describe() const = 0;

  // Starts watching fd for the interest bits; -EEXIST if it is watched.
  virtual int Add(int fd, uint32_t events) = 0;
  // Changes what fd is watched for; -ENOENT if it is not watched.
  virtual int Modify(int fd, uint32_t events) = 0;
  // Stops watching fd; -ENOENT if it is not watched.
  virtual int Remove(int fd) = 0;
  // Blocks up to timeout_ms (-1: no limit, 0: just look) until a watched fd
  // is ready, then writes up to max (fd, events) pairs into out. Returns the
  // number of pairs, 0 on timeout or interruption, -errno on error.
  virtual int Wait(int timeout_ms, int32_t* out, int max) = 0;

  // The fd that polls readable while events wait to be taken (post-reactive
  // dispatch), or -errno if it cannot be provided.
  virtual int NotifyFd() = 0;
  // The events a notification announced were taken (Wait(0) ran): the
  // backend may notify again.
  virtual void Rearm() = 0;
  // How many fds are watched.
  virtual size_t Size() const = 0;
  // Where the wait has no fd to poll (WSAPoll), NotifyFd() starts a
  // watcher thread that calls wake(arg) when events wait to be taken.
  virtual void SetWaker(void (*wake)(void* arg), void* arg) {
    (void)wake;
    (void)arg;
  }
};

// Creates the named demultiplexer. On failure returns null, with *err =
// -errno and *what naming the call that failed ("epoll_create1").
std::unique_ptr<ReactorBackend> CreateReactorBackend(const std::string& name,
                                                     int* err,
                                                     std::string* what);

// The names CreateReactorBackend() knows on this OS, most preferred first,
// separated by commas.
const char* ReactorBackendNames();

}  // namespace ace

#endif  // ACE_PROACTOR_COMMON_REACTOR_BACKEND_H_
