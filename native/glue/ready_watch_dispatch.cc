// What ReadyWatch does the same on every OS: holding the callback, and
// dispatching a wake to it. How a wake arrives differs (libuv's poll on
// POSIX, glue/ready_watch.cc; a thread-safe function on win32,
// win32/ready_watch.cc).
#include "glue/ready_watch.h"

namespace ace::glue {

void ReadyWatch::Hold(bool strong) {
  if (strong == strong_) return;
  strong_ = strong;
  if (strong) {
    on_ready_.Ref();
  } else {
    on_ready_.Unref();
  }
}

void ReadyWatch::Dispatch(int status) {
  const Hooks& hooks = hooks_;
  if (hooks.alive && !hooks.alive()) return;
  if (hooks.before) hooks.before();
  Napi::Env env(env_);
  {
    Napi::HandleScope scope(env);
    // A weakly held callback may be gone; nothing is left to wake.
    if (on_ready_.Value().IsEmpty()) return;
    try {
      on_ready_.MakeCallback(env.Global(), {Napi::Number::New(env, status)}, *async_context_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }
  // The callback may have closed the backend.
  if (hooks.after && (!hooks.alive || hooks.alive())) hooks.after();
}

}  // namespace ace::glue
