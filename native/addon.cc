// The addon's entry point: N-API glue only. Context-aware (no static state),
// so each worker thread gets its own instance.
#include <napi.h>

#include "common/backend.h"
#include "glue/proactor_binding.h"
#include "glue/reactor_binding.h"
#include "glue/socket_binding.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Proactor", ace::glue::ProactorBinding::Define(env));
  exports.Set("backends", Napi::String::New(env, ace::BackendNames()));
  ace::glue::InitSocket(env, exports);
  ace::glue::InitReactor(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(ace_proactor, Init)
