// ReadyWatch on Windows: a completion port (or WSAPoll) has no fd libuv can
// poll, so the backend's waiter thread calls Wake() once per batch, and a
// thread-safe function brings that wake to the JS thread, where it is
// dispatched as libuv's poll callback is on POSIX. Start/Stop turn the
// delivery on and off; a wake that comes while stopped is kept and
// delivered at the next Start.
#include <mutex>

#include "glue/ready_watch.h"
#include "glue/values.h"

namespace ace::glue {
namespace {

struct Tsfn {
  std::mutex mu;
  napi_threadsafe_function fn = nullptr;
  // Close() ran: no call may reach fn any more
  bool closed = false;
  // the JS thread's view: delivering, and a wake kept while stopped
  bool polling = false;
  bool pending = false;
  bool referenced = false;
};

Tsfn* State(void* p) { return static_cast<Tsfn*>(p); }

}  // namespace

ReadyWatch::ReadyWatch(Napi::Env env, Napi::Function on_ready, const char* resource,
                       Hooks hooks)
    : env_(env),
      on_ready_(Napi::Persistent(on_ready)),
      async_context_(std::make_unique<Napi::AsyncContext>(env, resource)),
      hooks_(std::move(hooks)),
      platform_(new Tsfn()) {}

ReadyWatch::~ReadyWatch() {
  Close();
  delete State(platform_);
}

void ReadyWatch::Start(Napi::Env env, int fd, bool referenced) {
  if (fd < 0) throw SystemError(env, -fd, "notification thread");
  Tsfn* t = State(platform_);
  if (t->closed) return;
  if (t->fn == nullptr) {
    napi_value name = Napi::String::New(env, "ReadyWatch");
    auto call = [](napi_env call_env, napi_value, void* context, void*) {
      // A wake dropped by Close()'s abort: the watch may be gone.
      if (call_env == nullptr) return;
      auto* self = static_cast<ReadyWatch*>(context);
      Tsfn* state = State(self->platform_);
      if (state->closed) return;
      if (!state->polling) {
        std::lock_guard<std::mutex> lock(state->mu);
        state->pending = true;
        return;
      }
      self->Dispatch(0);
    };
    napi_threadsafe_function fn = nullptr;
    if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this,
                                        call, &fn) != napi_ok) {
      throw Napi::Error::New(env, "napi_create_threadsafe_function failed");
    }
    std::lock_guard<std::mutex> lock(t->mu);
    t->fn = fn;
    t->referenced = true;
  }
  if (referenced != t->referenced) {
    if (referenced) {
      napi_ref_threadsafe_function(env, t->fn);
    } else {
      napi_unref_threadsafe_function(env, t->fn);
    }
    t->referenced = referenced;
  }
  t->polling = true;
  polling_ = true;
  bool pending;
  {
    std::lock_guard<std::mutex> lock(t->mu);
    pending = t->pending;
    t->pending = false;
  }
  if (pending) Wake(this);
}

void ReadyWatch::Stop() {
  Tsfn* t = State(platform_);
  t->polling = false;
  polling_ = false;
  // Stopped, the watch does not keep the process alive.
  if (t->fn != nullptr && t->referenced && !t->closed) {
    napi_unref_threadsafe_function(env_, t->fn);
    t->referenced = false;
  }
}

void ReadyWatch::Close() {
  Tsfn* t = State(platform_);
  std::lock_guard<std::mutex> lock(t->mu);
  if (t->closed) return;
  t->closed = true;
  t->polling = false;
  polling_ = false;
  if (t->fn != nullptr) napi_release_threadsafe_function(t->fn, napi_tsfn_abort);
  t->fn = nullptr;
}

void ReadyWatch::Wake(void* self) {
  Tsfn* t = State(static_cast<ReadyWatch*>(self)->platform_);
  std::lock_guard<std::mutex> lock(t->mu);
  if (t->closed) return;
  if (t->fn == nullptr) {
    // A waiter started just before Start() made the function: kept.
    t->pending = true;
    return;
  }
  napi_call_threadsafe_function(t->fn, nullptr, napi_tsfn_nonblocking);
}

void ReadyWatch::OnPoll(uv_poll_s*, int, int) {}

}  // namespace ace::glue
