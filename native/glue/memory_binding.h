// N-API face of releaseMemory(): gives back to the system the memory a past
// load left behind. Linux only: binding.gyp builds it there, and addon.cc
// adds it there.
#ifndef ACE_PROACTOR_GLUE_MEMORY_BINDING_H_
#define ACE_PROACTOR_GLUE_MEMORY_BINDING_H_

#include <napi.h>

namespace ace::glue {

// Adds exports.releaseMemory.
void InitMemory(Napi::Env env, Napi::Object exports);

}  // namespace ace::glue

#endif  // ACE_PROACTOR_GLUE_MEMORY_BINDING_H_
