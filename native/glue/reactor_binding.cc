#include "glue/reactor_binding.h"

#include <string>

#include "glue/values.h"

namespace ace::glue {

Napi::Function ReactorBinding::Define(Napi::Env env) {
  return DefineClass(env, "ReactorBackend",
                     {InstanceMethod<&ReactorBinding::Add>("add"),
                      InstanceMethod<&ReactorBinding::Modify>("modify"),
                      InstanceMethod<&ReactorBinding::Remove>("remove"),
                      InstanceMethod<&ReactorBinding::Wait>("wait"),
                      InstanceMethod<&ReactorBinding::Start>("start"),
                      InstanceMethod<&ReactorBinding::Stop>("stop"),
                      InstanceMethod<&ReactorBinding::Destroy>("destroy"),
                      InstanceMethod<&ReactorBinding::Describe>("describe"),
                      InstanceMethod<&ReactorBinding::Size>("size")});
}

ReactorBinding::ReactorBinding(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<ReactorBinding>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsTypedArray() ||
      !info[2].IsFunction()) {
    throw Napi::TypeError::New(
        env, "ReactorBackend(name: string, events: Int32Array, onReady: "
             "function)");
  }
  auto events = info[1].As<Napi::TypedArray>();
  if (events.TypedArrayType() != napi_int32_array ||
      events.ElementLength() < 2) {
    throw Napi::TypeError::New(env, "events must be an Int32Array of 2n");
  }
  int err = 0;
  std::string what;
  backend_ = CreateReactorBackend(info[0].As<Napi::String>(), &err, &what);
  if (!backend_) throw SystemError(env, -err, what);

  auto array = events.As<Napi::Int32Array>();
  events_ref_ = Napi::Persistent(array);
  events_ = array.Data();
  capacity_ = static_cast<int>(array.ElementLength() / 2);
  on_ready_ = Napi::Persistent(info[2].As<Napi::Function>());
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "ReactorEvents");
  napi_add_env_cleanup_hook(env, OnEnvCleanup, this);
}

ReactorBinding::~ReactorBinding() {
  napi_remove_env_cleanup_hook(env_, OnEnvCleanup, this);
  Teardown();
}

void ReactorBinding::OnEnvCleanup(void* self) {
  static_cast<ReactorBinding*>(self)->Teardown();
}

void ReactorBinding::Teardown() {
  // libuv must stop polling an fd before it is closed.
  if (poll_) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) {
      delete reinterpret_cast<uv_poll_t*>(h);
    });
    poll_ = nullptr;
    polling_ = false;
  }
  backend_.reset();
}

ReactorBackend* ReactorBinding::Live(const Napi::Env& env) {
  if (!backend_) throw Napi::Error::New(env, "the reactor is closed");
  return backend_.get();
}

int ReactorBinding::Fd(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "fd must be a number");
  }
  return info[i].As<Napi::Number>().Int32Value();
}

uint32_t ReactorBinding::Interest(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "events must be a number");
  }
  const uint32_t events = info[i].As<Napi::Number>().Uint32Value();
  if (events & ~kReactorInterest) {
    throw Napi::TypeError::New(info.Env(),
                               "events may only hold readable (1), writable "
                               "(2) and priority (4)");
  }
  return events;
}

Napi::Value ReactorBinding::Add(const Napi::CallbackInfo& info) {
  ReactorBackend* b = Live(info.Env());
  return Napi::Number::New(info.Env(), b->Add(Fd(info, 0), Interest(info, 1)));
}

Napi::Value ReactorBinding::Modify(const Napi::CallbackInfo& info) {
  ReactorBackend* b = Live(info.Env());
  return Napi::Number::New(info.Env(),
                           b->Modify(Fd(info, 0), Interest(info, 1)));
}

Napi::Value ReactorBinding::Remove(const Napi::CallbackInfo& info) {
  ReactorBackend* b = Live(info.Env());
  return Napi::Number::New(info.Env(), b->Remove(Fd(info, 0)));
}

Napi::Value ReactorBinding::Wait(const Napi::CallbackInfo& info) {
  ReactorBackend* b = Live(info.Env());
  const int ms = info[0].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), b->Wait(ms, events_, capacity_));
}

void ReactorBinding::OnPoll(uv_poll_t* handle, int status, int) {
  auto* self = static_cast<ReactorBinding*>(handle->data);
  if (!self->backend_) return;
  Napi::Env env(self->env_);
  {
    Napi::HandleScope scope(env);
    try {
      self->on_ready_.MakeCallback(env.Global(),
                                   {Napi::Number::New(env, status)},
                                   *self->async_context_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }
  // The callback may have destroyed the backend (Reactor.close()).
  if (self->backend_) self->backend_->Rearm();
}

Napi::Value ReactorBinding::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReactorBackend* b = Live(env);
  if (polling_) return env.Undefined();
  if (!poll_) {
    const int fd = b->NotifyFd();
    if (fd < 0) throw SystemError(env, -fd, "reactor notification fd");
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
  int r = uv_poll_start(poll_, UV_READABLE, OnPoll);
  if (r < 0) throw SystemError(env, -r, "uv_poll_start");
  polling_ = true;
  return env.Undefined();
}

Napi::Value ReactorBinding::Stop(const Napi::CallbackInfo& info) {
  if (poll_ && polling_) uv_poll_stop(poll_);
  polling_ = false;
  return info.Env().Undefined();
}

Napi::Value ReactorBinding::Destroy(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

Napi::Value ReactorBinding::Describe(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Live(info.Env())->Describe());
}

Napi::Value ReactorBinding::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(Live(info.Env())->Size()));
}

void InitReactor(Napi::Env env, Napi::Object exports) {
  exports.Set("ReactorBackend", ReactorBinding::Define(env));
  exports.Set("reactorBackends", Napi::String::New(env, ReactorBackendNames()));
}

}  // namespace ace::glue
