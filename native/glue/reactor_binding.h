// N-API face of one ReactorBackend: the interest set, a wait that fills a
// shared Int32Array with (fd, events) pairs, and the libuv watch on the
// backend's notification fd that drives post-reactive dispatch.
#ifndef ACE_PROACTOR_GLUE_REACTOR_BINDING_H_
#define ACE_PROACTOR_GLUE_REACTOR_BINDING_H_

#include <napi.h>

#include <memory>

#include "common/reactor_backend.h"
#include "glue/ready_watch.h"

namespace ace::glue {

class ReactorBinding : public Napi::ObjectWrap<ReactorBinding> {
 public:
  // The JS class: new ReactorBackend(name, events, onReady).
  static Napi::Function Define(Napi::Env env);
  explicit ReactorBinding(const Napi::CallbackInfo& info);
  ~ReactorBinding() override;

 private:
  // add/modify/remove(fd[, events]): 0 or -errno.
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Modify(const Napi::CallbackInfo& info);
  Napi::Value Remove(const Napi::CallbackInfo& info);
  // wait(ms): pairs written into the events array, 0 on timeout, -errno.
  Napi::Value Wait(const Napi::CallbackInfo& info);
  // Post-reactive: start/stop libuv watching the notification fd.
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  // Tears the backend down; idempotent.
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);

  // Ready-to-use backend or a thrown Error.
  ReactorBackend* Live(const Napi::Env& env);
  // The fd argument at i, or a thrown TypeError.
  static int Fd(const Napi::CallbackInfo& info, size_t i);
  // The interest bits argument at i, or a thrown TypeError.
  static uint32_t Interest(const Napi::CallbackInfo& info, size_t i);
  void Teardown();
  static void OnEnvCleanup(void* self);

  // the synchronous event demultiplexer
  std::unique_ptr<ReactorBackend> backend_;
  // the events array shared with JS: (fd, events) pairs
  Napi::Reference<Napi::Int32Array> events_ref_;
  int32_t* events_ = nullptr;
  int capacity_ = 0;
  // libuv's watch on backend_->NotifyFd(): post-reactive dispatch; closed,
  // never freed, before the binding is (a wake may be what closes it)
  std::unique_ptr<ReadyWatch> watch_;
  napi_env env_ = nullptr;
};

// Adds ReactorBackend and reactorBackends (the names, comma-separated) to
// exports.
void InitReactor(Napi::Env env, Napi::Object exports);

}  // namespace ace::glue

#endif  // ACE_PROACTOR_GLUE_REACTOR_BINDING_H_
