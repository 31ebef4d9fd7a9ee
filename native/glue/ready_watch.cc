#include "glue/ready_watch.h"

#include <uv.h>

#include "glue/values.h"

namespace ace::glue {

ReadyWatch::ReadyWatch(Napi::Env env, Napi::Function on_ready,
                       const char* resource, Hooks hooks)
    : env_(env),
      on_ready_(Napi::Persistent(on_ready)),
      async_context_(std::make_unique<Napi::AsyncContext>(env, resource)),
      hooks_(std::move(hooks)) {}

ReadyWatch::~ReadyWatch() { Close(); }

void ReadyWatch::Start(Napi::Env env, int fd, bool referenced) {
  if (polling_) {
    if (referenced) {
      uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    } else {
      uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    }
    return;
  }
  if (!poll_) {
    if (fd < 0) throw SystemError(env, -fd, "notification fd");
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      throw Napi::Error::New(env, "no libuv loop for this environment");
    }
    poll_ = new uv_poll_t;
    int r = uv_poll_init(loop, poll_, fd);
    if (r < 0) {
      delete poll_;
      poll_ = nullptr;
      throw SystemError(env, -r, "uv_poll_init");
    }
    poll_->data = this;
  }
  if (referenced) {
    uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }
  int r = uv_poll_start(poll_, UV_READABLE, OnPoll);
  if (r < 0) throw SystemError(env, -r, "uv_poll_start");
  polling_ = true;
}

void ReadyWatch::Stop() {
  if (poll_ && polling_) uv_poll_stop(poll_);
  polling_ = false;
}

void ReadyWatch::Close() {
  if (!poll_) return;
  // libuv must stop polling an fd before the backend closes it.
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
  polling_ = false;
}

void ReadyWatch::OnPoll(uv_poll_t* handle, int status, int) {
  static_cast<ReadyWatch*>(handle->data)->Dispatch(status);
}

void ReadyWatch::Wake(void*) {}

}  // namespace ace::glue
