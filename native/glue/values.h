// Argument helpers shared by the glue files.
#ifndef ACE_PROACTOR_GLUE_VALUES_H_
#define ACE_PROACTOR_GLUE_VALUES_H_

#include <napi.h>

#include <cstring>
#include <string>

#include "common/operation.h"

namespace ace::glue {

// Accept's address block: a socklen at 0, the sockaddr from kAddressOffset.
constexpr size_t kAddressOffset = 8;
constexpr size_t kAddressBlockSize = kAddressOffset + 128;

// The JS names of the OpCode verbs, in OpCode order.
constexpr const char* kVerbNames[] = {
    "nop",  "read",   "write",   "readv", "writev",  "recv",
    "send", "accept", "connect", "close", "timeout", "cancel",
    "readFixed", "writeFixed", "acceptMultishot", "recvMultishot", "sendZc",
    "recvmsg", "sendmsg", "sendfile"};
static_assert(sizeof(kVerbNames) / sizeof(kVerbNames[0]) ==
                  static_cast<size_t>(OpCode::kCount),
              "a name for every verb");

// A view of a Buffer or Uint8Array's bytes.
struct Bytes {
  uint8_t* data;
  size_t length;
};

inline Bytes GetBytes(const Napi::Env& env, const Napi::Value& v,
                      const char* name) {
  void* data = nullptr;
  size_t length = 0;
  if (!v.IsTypedArray() ||
      napi_get_buffer_info(env, v, &data, &length) != napi_ok) {
    throw Napi::TypeError::New(env, std::string(name) + " must be a Buffer or Uint8Array");
  }
  if (data == nullptr && length > 0) {
    throw Napi::TypeError::New(env, std::string(name) + " is detached");
  }
  return Bytes{static_cast<uint8_t*>(data), length};
}

// The 64-bit token (slot | gen << 32) of a slot and its generation.
inline uint64_t Token(uint32_t slot, uint32_t gen) {
  // The top two bits belong to the backends (see common/operation.h).
  return slot | (static_cast<uint64_t>(gen & 0x3fffffffu) << 32);
}

// The token from two uint32 arguments at i, i+1.
inline uint64_t UserData(const Napi::CallbackInfo& info, size_t i) {
  return Token(info[i].As<Napi::Number>().Uint32Value(),
               info[i + 1].As<Napi::Number>().Uint32Value());
}

inline uint32_t OptionalUint32(const Napi::Object& o, const char* key,
                               uint32_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : fallback;
}

inline bool OptionalBool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

// An Error for a failed setup call: message "what: strerror", with errno
// and syscall properties for the TypeScript side to name the code.
inline Napi::Error SystemError(const Napi::Env& env, int err,
                               const std::string& what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, what));
  return e;
}

}  // namespace ace::glue

#endif  // ACE_PROACTOR_GLUE_VALUES_H_
