// libuv watching a notification fd for a binding: when the fd polls
// readable it calls a JS function in the binding's async context. Shared by
// the proactor (io_uring eventfd) and reactor (epoll fd, poll eventfd)
// bindings: the post-reactive dispatch strategy. On win32, where a
// completion port cannot be polled, the backend's own thread calls Wake()
// instead (glue/ready_watch.cc is POSIX's, win32/ready_watch.cc Windows';
// glue/ready_watch_dispatch.cc what both share).
#ifndef ACE_PROACTOR_GLUE_READY_WATCH_H_
#define ACE_PROACTOR_GLUE_READY_WATCH_H_

#include <napi.h>

#include <functional>
#include <memory>

struct uv_poll_s;

namespace ace::glue {

class ReadyWatch {
 public:
  // What a wake does around the JS call; each may be empty.
  struct Hooks {
    // whether the watched backend still exists (a wake after close is dropped)
    std::function<bool()> alive;
    // before the JS call (re-arm the fd's readiness: read the eventfd)
    std::function<void()> before;
    // after the JS call, if still alive (let a watcher thread go on)
    std::function<void()> after;
  };

  ReadyWatch(Napi::Env env, Napi::Function on_ready, const char* resource, Hooks hooks);
  ~ReadyWatch();
  ReadyWatch(const ReadyWatch&) = delete;
  ReadyWatch& operator=(const ReadyWatch&) = delete;

  // Starts (or resumes) watching fd; throws a JS Error naming the failed
  // call. An unreferenced watch does not keep the process alive.
  void Start(Napi::Env env, int fd, bool referenced = true);
  // Holds the callback strongly, or weakly so that it (and what it closes
  // over) can be collected; the watch must be stopped while weak.
  void Hold(bool strong);
  // Stops watching; the process may then exit.
  void Stop();
  // Stops for good and hands the uv handle to libuv to free.
  void Close();
  // From any thread: there is something to take (a backend without a
  // pollable fd: its waiter thread). Safe after Close().
  static void Wake(void* self);

 private:
  static void OnPoll(uv_poll_s* handle, int status, int events);
  // Calls on_ready_ as a wake does (hooks around it).
  void Dispatch(int status);

  // the environment the callback runs in
  napi_env env_;
  // called with the poll status on each wake
  Napi::FunctionReference on_ready_;
  // the async context wakes are dispatched in
  std::unique_ptr<Napi::AsyncContext> async_context_;
  Hooks hooks_;
  // owned until libuv's close callback frees it
  uv_poll_s* poll_ = nullptr;
  // win32: the thread-safe function Wake() calls through
  void* platform_ = nullptr;
  bool polling_ = false;
  // whether on_ready_ is a strong reference
  bool strong_ = true;
};

}  // namespace ace::glue

#endif  // ACE_PROACTOR_GLUE_READY_WATCH_H_
