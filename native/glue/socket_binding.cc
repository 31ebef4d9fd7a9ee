#include "glue/socket_binding.h"

#include "common/socket_ops.h"
#include "glue/proactor_binding.h"
#include "glue/values.h"

namespace ace::glue {
namespace {

int Int(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}

Napi::Value Num(const Napi::CallbackInfo& info, int r) {
  return Napi::Number::New(info.Env(), r);
}

// A byte range (buffer, offset, length) checked against the buffer.
Bytes Range(const Napi::CallbackInfo& info, size_t i) {
  Bytes b = GetBytes(info.Env(), info[i], "buffer");
  const size_t offset = info[i + 1].As<Napi::Number>().Uint32Value();
  const size_t length = info[i + 2].As<Napi::Number>().Uint32Value();
  if (offset + length > b.length) {
    throw Napi::RangeError::New(info.Env(), "offset + length exceed the buffer");
  }
  return Bytes{b.data + offset, length};
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  return Num(info, sock::Open(Int(info, 0), Int(info, 1), Int(info, 2)));
}
Napi::Value SetOption(const Napi::CallbackInfo& info) {
  return Num(info, sock::SetOption(Int(info, 0), Int(info, 1), Int(info, 2), Int(info, 3)));
}
Napi::Value GetOption(const Napi::CallbackInfo& info) {
  return Num(info, sock::GetOption(Int(info, 0), Int(info, 1), Int(info, 2)));
}
Napi::Value Bind(const Napi::CallbackInfo& info) {
  Bytes b = GetBytes(info.Env(), info[1], "sockaddr");
  return Num(info, sock::Bind(Int(info, 0), b.data, info[2].As<Napi::Number>().Uint32Value()));
}
Napi::Value Listen(const Napi::CallbackInfo& info) {
  return Num(info, sock::Listen(Int(info, 0), Int(info, 1)));
}
// accept(fd, sockaddr): the new fd or -errno (-EAGAIN: nothing pending).
Napi::Value Accept(const Napi::CallbackInfo& info) {
  Bytes b = GetBytes(info.Env(), info[1], "sockaddr");
  return Num(info, sock::Accept(Int(info, 0), b.data, static_cast<uint32_t>(b.length)));
}
Napi::Value LocalAddress(const Napi::CallbackInfo& info) {
  Bytes b = GetBytes(info.Env(), info[1], "sockaddr");
  return Num(info, sock::LocalAddress(Int(info, 0), b.data, static_cast<uint32_t>(b.length)));
}
Napi::Value RemoteAddress(const Napi::CallbackInfo& info) {
  Bytes b = GetBytes(info.Env(), info[1], "sockaddr");
  return Num(info, sock::RemoteAddress(Int(info, 0), b.data, static_cast<uint32_t>(b.length)));
}
Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  return Num(info, sock::Shutdown(Int(info, 0), Int(info, 1)));
}
Napi::Value Close(const Napi::CallbackInfo& info) {
  const int fd = Int(info, 0);
  ForgetFdEverywhere(fd);
  return Num(info, sock::Close(fd));
}
Napi::Value Dup(const Napi::CallbackInfo& info) { return Num(info, sock::Dup(Int(info, 0))); }
Napi::Value Pair(const Napi::CallbackInfo& info) {
  int fds[2];
  int r = sock::Pair(fds);
  if (r < 0) return Num(info, r);
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, fds[0]);
  a.Set(1u, fds[1]);
  return a;
}
Napi::Value SendNow(const Napi::CallbackInfo& info) {
  Bytes b = Range(info, 1);
  return Num(info, sock::SendNow(Int(info, 0), b.data, b.length));
}
Napi::Value RecvNow(const Napi::CallbackInfo& info) {
  Bytes b = Range(info, 1);
  return Num(info, sock::RecvNow(Int(info, 0), b.data, b.length));
}

Napi::Object ConstantsObject(Napi::Env env) {
  const sock::Constants& c = sock::GetConstants();
  Napi::Object o = Napi::Object::New(env);
  o.Set("AF_INET", c.af_inet);
  o.Set("AF_INET6", c.af_inet6);
  o.Set("SOCK_STREAM", c.sock_stream);
  o.Set("SOCK_DGRAM", c.sock_dgram);
  o.Set("SOL_SOCKET", c.sol_socket);
  o.Set("SO_REUSEADDR", c.so_reuseaddr);
  o.Set("SO_REUSEPORT", c.so_reuseport);
  o.Set("SO_ERROR", c.so_error);
  o.Set("SO_TYPE", c.so_type);
  o.Set("SO_RCVBUF", c.so_rcvbuf);
  o.Set("SO_SNDBUF", c.so_sndbuf);
  o.Set("SO_KEEPALIVE", c.so_keepalive);
  o.Set("SO_LINGER", c.so_linger);
  o.Set("IPPROTO_TCP", c.ipproto_tcp);
  o.Set("TCP_NODELAY", c.tcp_nodelay);
  o.Set("IPPROTO_IPV6", c.ipproto_ipv6);
  o.Set("IPV6_V6ONLY", c.ipv6_v6only);
  o.Set("SHUT_RD", c.shut_rd);
  o.Set("SHUT_WR", c.shut_wr);
  o.Set("SHUT_RDWR", c.shut_rdwr);
  o.Set("SOCKADDR_STORAGE_SIZE", c.sockaddr_storage_size);
  o.Set("ADDRESS_OFFSET", static_cast<double>(kAddressOffset));
  o.Set("ADDRESS_BLOCK_SIZE", static_cast<double>(kAddressBlockSize));
  o.Set("IOVEC_SIZE", static_cast<double>(sizeof(IoVec)));
  const sock::MessageLayout& m = sock::GetMessageLayout();
  o.Set("MSG_NAME_OFFSET", m.name_offset);
  o.Set("MSG_IOV_OFFSET", m.iov_offset);
  o.Set("MSG_NAMELEN_OFFSET", m.namelen_offset);
  o.Set("MSG_FLAGS_OFFSET", m.flags_offset);
  o.Set("MSG_TRUNC", m.msg_trunc);
  return o;
}

}  // namespace

void InitSocket(Napi::Env env, Napi::Object exports) {
  Napi::Object s = Napi::Object::New(env);
  s.Set("open", Napi::Function::New<Open>(env, "open"));
  s.Set("setOption", Napi::Function::New<SetOption>(env, "setOption"));
  s.Set("getOption", Napi::Function::New<GetOption>(env, "getOption"));
  s.Set("bind", Napi::Function::New<Bind>(env, "bind"));
  s.Set("listen", Napi::Function::New<Listen>(env, "listen"));
  s.Set("accept", Napi::Function::New<Accept>(env, "accept"));
  s.Set("localAddress", Napi::Function::New<LocalAddress>(env, "localAddress"));
  s.Set("remoteAddress", Napi::Function::New<RemoteAddress>(env, "remoteAddress"));
  s.Set("shutdown", Napi::Function::New<Shutdown>(env, "shutdown"));
  s.Set("close", Napi::Function::New<Close>(env, "close"));
  s.Set("dup", Napi::Function::New<Dup>(env, "dup"));
  s.Set("pair", Napi::Function::New<Pair>(env, "pair"));
  s.Set("sendNow", Napi::Function::New<SendNow>(env, "sendNow"));
  s.Set("recvNow", Napi::Function::New<RecvNow>(env, "recvNow"));
  s.Set("constants", ConstantsObject(env));
  exports.Set("socket", s);
}

}  // namespace ace::glue
