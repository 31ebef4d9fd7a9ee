// N-API face of the synchronous socket calls (common/socket_ops.h).
#ifndef ACE_PROACTOR_GLUE_SOCKET_BINDING_H_
#define ACE_PROACTOR_GLUE_SOCKET_BINDING_H_

#include <napi.h>

namespace ace::glue {

// Adds the socket functions and constants to exports.socket.
void InitSocket(Napi::Env env, Napi::Object exports);

}  // namespace ace::glue

#endif  // ACE_PROACTOR_GLUE_SOCKET_BINDING_H_
