// N-API face of the file calls (common/file_ops.h). Linux only: binding.gyp
// builds it there, and addon.cc adds it there.
#ifndef ACE_PROACTOR_GLUE_FILE_BINDING_H_
#define ACE_PROACTOR_GLUE_FILE_BINDING_H_

#include <napi.h>

namespace ace::glue {

// Adds the file functions to exports.file.
void InitFile(Napi::Env env, Napi::Object exports);

}  // namespace ace::glue

#endif  // ACE_PROACTOR_GLUE_FILE_BINDING_H_
