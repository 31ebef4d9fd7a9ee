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
  ReadyWatch::Hooks hooks;
  hooks.alive = [this] { return backend_ != nullptr; };
  // A poll watcher thread waits until JS has taken its batch.
  hooks.after = [this] { backend_->Rearm(); };
  watch_ = std::make_unique<ReadyWatch>(env, info[2].As<Napi::Function>(),
                                        "ReactorEvents", std::move(hooks));
  backend_->SetWaker(&ReadyWatch::Wake, watch_.get());
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
  if (watch_) watch_->Close();
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

Napi::Value ReactorBinding::Start(const Napi::CallbackInfo& info) {
  watch_->Start(info.Env(), Live(info.Env())->NotifyFd());
  return info.Env().Undefined();
}

Napi::Value ReactorBinding::Stop(const Napi::CallbackInfo& info) {
  watch_->Stop();
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
