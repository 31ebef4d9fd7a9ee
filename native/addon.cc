// The addon's entry point: N-API glue only. Context-aware (no process-wide
// state; the one registry, of live backends, is per thread, and each
// environment has its own thread), so each worker thread gets its own
// instance.
#include <napi.h>

#include "common/backend.h"
#include "glue/proactor_binding.h"
#if defined(__linux__)
#include "glue/file_binding.h"
#include "glue/memory_binding.h"
#endif  // defined(__linux__)
#include "glue/reactor_binding.h"
#include "glue/socket_binding.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Proactor", ace::glue::ProactorBinding::Define(env));
  exports.Set("backends", Napi::String::New(env, ace::BackendNames()));
  exports.Set("defaultBackends", Napi::String::New(env, ace::DefaultBackendNames()));
  exports.Set("alignOffset", Napi::Function::New<ace::glue::AlignOffset>(env, "alignOffset"));
  ace::glue::InitSocket(env, exports);
  ace::glue::InitReactor(env, exports);
  // Linux only (binding.gyp builds them there): elsewhere exports.file and
  // exports.releaseMemory are absent.
#if defined(__linux__)
  ace::glue::InitFile(env, exports);
  ace::glue::InitMemory(env, exports);
#endif  // defined(__linux__)
  return exports;
}

}  // namespace

NODE_API_MODULE(ace_proactor, Init)
