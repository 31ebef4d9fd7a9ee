#include "glue/memory_binding.h"

#include <dlfcn.h>
#include <malloc.h>

namespace ace::glue {
namespace {

// V8's v8::Isolate::GetCurrent() and v8::Isolate::LowMemoryNotification(),
// looked up in the running process by their Itanium C++ ABI names rather
// than linked: N-API has no call for a collection, and a link against V8's
// C++ symbols would tie the addon to runtimes that export them (the prebuild
// is an N-API one, for any Node version). Where they are missing, only the
// malloc part is done. A non-static member function is called with the
// object as its first argument in that ABI.
using GetCurrentFn = void* (*)();
using LowMemoryNotificationFn = void (*)(void*);

struct V8Calls {
  GetCurrentFn get_current = nullptr;
  LowMemoryNotificationFn low_memory_notification = nullptr;
};

const V8Calls& LookUpV8() {
  static const V8Calls calls = [] {
    V8Calls c;
    c.get_current = reinterpret_cast<GetCurrentFn>(dlsym(RTLD_DEFAULT, "_ZN2v87Isolate10GetCurrentEv"));
    c.low_memory_notification =
        reinterpret_cast<LowMemoryNotificationFn>(dlsym(RTLD_DEFAULT, "_ZN2v87Isolate21LowMemoryNotificationEv"));
    return c;
  }();
  return calls;
}

// releaseMemory(): on the calling thread's isolate, V8's low-memory
// collection (every unreachable object, the young generation shrunk to its
// least, free pages unmapped: what Node does not do by itself while idle),
// then glibc's malloc_trim(0), which returns the free parts of every malloc
// arena (the collection has just freed what the collected Buffers held).
// Blocks the thread while it runs. Returns whether the heap was collected
// (false where the runtime has no such V8 call).
Napi::Value ReleaseMemory(const Napi::CallbackInfo& info) {
  const V8Calls& v8 = LookUpV8();
  void* isolate = v8.get_current != nullptr ? v8.get_current() : nullptr;
  const bool collected = isolate != nullptr && v8.low_memory_notification != nullptr;
  if (collected) v8.low_memory_notification(isolate);
#if defined(__GLIBC__)
  malloc_trim(0);
#endif  // defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), collected);
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("releaseMemory", Napi::Function::New<ReleaseMemory>(env, "releaseMemory"));
}

}  // namespace ace::glue
