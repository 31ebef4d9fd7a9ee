#include "glue/file_binding.h"

#include <string>

#include "common/file_ops.h"

namespace ace::glue {
namespace {

using OpenFn = int (*)(int, const char*, int);

// (dirFd, path, flags): the new fd or -errno.
template <OpenFn fn>
Napi::Value Open(const Napi::CallbackInfo& info) {
  const int dirfd = info[0].As<Napi::Number>().Int32Value();
  const std::string path = info[1].As<Napi::String>().Utf8Value();
  const int flags = info[2].As<Napi::Number>().Int32Value();
  // A NUL inside would cut the path short where the kernel reads it.
  if (path.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), "the path holds a NUL");
  return Napi::Number::New(info.Env(), fn(dirfd, path.c_str(), flags));
}

}  // namespace

void InitFile(Napi::Env env, Napi::Object exports) {
  Napi::Object f = Napi::Object::New(env);
  f.Set("openBeneath", Napi::Function::New<Open<file::OpenBeneath>>(env, "openBeneath"));
  f.Set("openBeneathByWalk", Napi::Function::New<Open<file::OpenBeneathByWalk>>(env, "openBeneathByWalk"));
  exports.Set("file", f);
}

}  // namespace ace::glue
