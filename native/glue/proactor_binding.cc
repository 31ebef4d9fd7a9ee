#include "glue/proactor_binding.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/socket_ops.h"
#include "glue/values.h"

namespace ace::glue {
namespace {

// The backends of this thread's environment (each environment has its own
// thread), for ForgetFdEverywhere.
thread_local std::vector<Backend*> live_backends;

// The operands array's length: slot, gen, fd, offset, length, position.
constexpr size_t kOperands = 6;

// An operand from the operands array as a whole number in [lo, hi], or a
// RangeError naming it.
double Operand(const Napi::Env& env, double v, double lo, double hi,
               const char* name) {
  if (!(v >= lo && v <= hi) ||
      v != static_cast<double>(static_cast<int64_t>(v))) {
    throw Napi::RangeError::New(env, std::string("operand ") + name + " is out of range");
  }
  return v;
}

// Points op at length bytes of bytes from offset, or throws a RangeError.
void SetRange(const Napi::Env& env, const Bytes& bytes, uint32_t offset,
              uint32_t length, Operation* op) {
  if (static_cast<size_t>(offset) + length > bytes.length) {
    throw Napi::RangeError::New(env, "offset + length exceed the buffer");
  }
  op->addr = bytes.data + offset;
  op->len = length;
}

}  // namespace

Napi::Value AlignOffset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes bytes = GetBytes(env, info[0], "buffer");
  const uint32_t align = info[1].As<Napi::Number>().Uint32Value();
  if (align == 0 || (align & (align - 1)) != 0) {
    throw Napi::RangeError::New(env, "align must be a power of two");
  }
  const auto address = reinterpret_cast<uintptr_t>(bytes.data);
  return Napi::Number::New(env, static_cast<double>((align - address % align) % align));
}

void ForgetFdEverywhere(int fd) {
  for (Backend* b : live_backends) b->ForgetFd(fd);
}

Napi::Function ProactorBinding::Define(Napi::Env env) {
  return DefineClass(
      env, "Proactor",
      {InstanceMethod<&ProactorBinding::Read>("read"),
       InstanceMethod<&ProactorBinding::Write>("write"),
       InstanceMethod<&ProactorBinding::ReadPacked>("readPacked"),
       InstanceMethod<&ProactorBinding::WritePacked>("writePacked"),
       InstanceMethod<&ProactorBinding::RecvPacked>("recvPacked"),
       InstanceMethod<&ProactorBinding::SendPacked>("sendPacked"),
       InstanceMethod<&ProactorBinding::Recv>("recv"),
       InstanceMethod<&ProactorBinding::Send>("send"),
       InstanceMethod<&ProactorBinding::Readv>("readv"),
       InstanceMethod<&ProactorBinding::Writev>("writev"),
       InstanceMethod<&ProactorBinding::Accept>("accept"),
       InstanceMethod<&ProactorBinding::Connect>("connect"),
       InstanceMethod<&ProactorBinding::Close>("close"),
       InstanceMethod<&ProactorBinding::Nop>("nop"),
       InstanceMethod<&ProactorBinding::Timeout>("timeout"),
       InstanceMethod<&ProactorBinding::Cancel>("cancel"),
       InstanceMethod<&ProactorBinding::ReadFixed>("readFixed"),
       InstanceMethod<&ProactorBinding::WriteFixed>("writeFixed"),
       InstanceMethod<&ProactorBinding::AcceptMultishot>("acceptMultishot"),
       InstanceMethod<&ProactorBinding::RecvMultishot>("recvMultishot"),
       InstanceMethod<&ProactorBinding::SendZc>("sendZc"),
       InstanceMethod<&ProactorBinding::RecvMsg>("recvmsg"),
       InstanceMethod<&ProactorBinding::SendMsg>("sendmsg"),
       InstanceMethod<&ProactorBinding::Sendfile>("sendfile"),
       InstanceMethod<&ProactorBinding::RegisterBuffers>("registerBuffers"),
       InstanceMethod<&ProactorBinding::RegisterBufferRing>("registerBufferRing"),
       InstanceMethod<&ProactorBinding::ProvideBuffer>("provideBuffer"),
       InstanceMethod<&ProactorBinding::FixedFilesInUse>("fixedFilesInUse"),
       InstanceMethod<&ProactorBinding::Submit>("submit"),
       InstanceMethod<&ProactorBinding::Reap>("reap"),
       InstanceMethod<&ProactorBinding::Wait>("wait"),
       InstanceMethod<&ProactorBinding::Start>("start"),
       InstanceMethod<&ProactorBinding::Stop>("stop"),
       InstanceMethod<&ProactorBinding::Destroy>("destroy"),
       InstanceMethod<&ProactorBinding::Describe>("describe"),
       InstanceMethod<&ProactorBinding::Supports>("supports"),
       InstanceMethod<&ProactorBinding::Backlog>("backlog"),
       InstanceMethod<&ProactorBinding::Hold>("hold"),
       InstanceMethod<&ProactorBinding::NotifyFd>("notifyFd"),
       InstanceMethod<&ProactorBinding::ClearNotify>("clearNotify"),
       InstanceMethod<&ProactorBinding::FailNextSubmits>("failNextSubmits")});
}

ProactorBinding::ProactorBinding(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<ProactorBinding>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsObject() ||
      !info[2].IsTypedArray() || !info[3].IsFunction()) {
    throw Napi::TypeError::New(
        env, "Proactor(backend: string, options: object, completions: "
             "Int32Array, onReady: function)");
  }
  auto completions = info[2].As<Napi::TypedArray>();
  if (completions.TypedArrayType() != napi_int32_array ||
      completions.ElementLength() < 4) {
    throw Napi::TypeError::New(env, "completions must be an Int32Array of 4n");
  }
  // Checked before the backend exists: a constructor that throws later
  // would leave it registered in live_backends.
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    if (!info[4].IsTypedArray() ||
        info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[4].As<Napi::TypedArray>().ElementLength() < kOperands) {
      throw Napi::TypeError::New(env, "operands must be a Float64Array of at least 6");
    }
    auto operands = info[4].As<Napi::Float64Array>();
    operands_ref_ = Napi::Persistent(operands);
    operands_ = operands.Data();
  }
  Napi::Object o = info[1].As<Napi::Object>();
  BackendOptions options;
  options.sq_entries = OptionalUint32(o, "sqEntries", options.sq_entries);
  options.cq_entries = OptionalUint32(o, "cqEntries", options.cq_entries);
  options.sqpoll = OptionalBool(o, "sqpoll", false);
  options.defer_taskrun = OptionalBool(o, "deferTaskrun", options.defer_taskrun);
  options.fixed_files = OptionalUint32(o, "fixedFiles", options.fixed_files);
  options.legacy_cancel = OptionalBool(o, "legacyCancel", false);

  int err = 0;
  std::string what;
  backend_ = CreateBackend(info[0].As<Napi::String>(), options, &err, &what);
  if (!backend_) throw SystemError(env, -err, what);

  auto array = completions.As<Napi::Int32Array>();
  completions_ref_ = Napi::Persistent(array);
  completions_ = array.Data();
  capacity_ = static_cast<int>(array.ElementLength() / 4);
  ReadyWatch::Hooks hooks;
  hooks.alive = [this] { return backend_ != nullptr; };
  hooks.before = [this] { backend_->ClearNotify(); };
  watch_ = std::make_unique<ReadyWatch>(env, info[3].As<Napi::Function>(),
                                        "ProactorCompletion", std::move(hooks));
  backend_->SetWaker(&ReadyWatch::Wake, watch_.get());
  // Nothing in flight yet: a proactor dropped now may be collected.
  watch_->Hold(false);
  // After everything that can throw but the push itself (bad_alloc), and
  // before the cleanup hook that must not outlive a failed construction.
  live_backends.push_back(backend_.get());
  napi_add_env_cleanup_hook(env, OnEnvCleanup, this);
}

ProactorBinding::~ProactorBinding() {
  napi_remove_env_cleanup_hook(env_, OnEnvCleanup, this);
  Teardown();
}

void ProactorBinding::OnEnvCleanup(void* self) {
  static_cast<ProactorBinding*>(self)->Teardown();
}

void ProactorBinding::Teardown() {
  if (watch_) {
    watch_->Close();
    // Nothing can wake a closed proactor: let the JS side be collected.
    watch_->Hold(false);
  }
  if (backend_) {
    auto& live = live_backends;
    live.erase(std::remove(live.begin(), live.end(), backend_.get()), live.end());
  }
  // The ring goes first: only then has the kernel let go of pinned memory.
  backend_.reset();
  pinned_.clear();
}

void ProactorBinding::Pin(const Napi::Value& v) {
  pinned_.push_back(Napi::Persistent(v));
}

Backend* ProactorBinding::Live(const Napi::Env& env) {
  if (!backend_) throw Napi::Error::New(env, "the proactor is closed");
  return backend_.get();
}

Napi::Value ProactorBinding::PrepareChecked(const Napi::Env& env,
                                            const Operation& op) {
  return Napi::Number::New(env, Live(env)->Prepare(op));
}

void ProactorBinding::ParseBuffer(const Napi::CallbackInfo& info,
                                  Operation* op) {
  op->user_data = UserData(info, 0);
  op->fd = info[2].As<Napi::Number>().Int32Value();
  SetRange(info.Env(), GetBytes(info.Env(), info[3], "buffer"),
           info[4].As<Napi::Number>().Uint32Value(),
           info[5].As<Napi::Number>().Uint32Value(), op);
}

Napi::Value ProactorBinding::ReadWrite(const Napi::CallbackInfo& info,
                                       OpCode code) {
  Operation op;
  op.code = code;
  ParseBuffer(info, &op);
  op.offset = static_cast<int64_t>(info[6].As<Napi::Number>().DoubleValue());
  return PrepareChecked(info.Env(), op);
}

// readPacked(buffer) and writePacked(buffer): read and write with their
// other operands — slot, gen, fd, offset, length, position — in the
// operands array (recvPacked and sendPacked: msgFlags for position), so
// that the call carries one argument instead of seven (node-addon-api
// copies more than six into a heap array, and each is one more N-API call
// to convert).
Napi::Value ProactorBinding::Packed(const Napi::CallbackInfo& info,
                                    OpCode code) {
  const Napi::Env env = info.Env();
  if (operands_ == nullptr) {
    throw Napi::TypeError::New(env, "this Proactor was made without an operands array");
  }
  const double* a = operands_;
  constexpr double kU32 = 4294967295.0;
  Operation op;
  op.code = code;
  op.user_data = Token(static_cast<uint32_t>(Operand(env, a[0], 0, kU32, "slot")),
                       static_cast<uint32_t>(Operand(env, a[1], 0, kU32, "gen")));
  op.fd = static_cast<int32_t>(Operand(env, a[2], -2147483648.0, 2147483647.0, "fd"));
  SetRange(env, GetBytes(env, info[0], "buffer"),
           static_cast<uint32_t>(Operand(env, a[3], 0, kU32, "offset")),
           static_cast<uint32_t>(Operand(env, a[4], 0, kU32, "length")), &op);
  if (code == OpCode::kRecv || code == OpCode::kSend) {
    op.msg_flags = static_cast<uint32_t>(Operand(env, a[5], 0, kU32, "msgFlags"));
  } else {
    op.offset = static_cast<int64_t>(Operand(env, a[5], -1, 9007199254740991.0, "position"));
  }
  return PrepareChecked(env, op);
}

Napi::Value ProactorBinding::ReadPacked(const Napi::CallbackInfo& info) {
  return Packed(info, OpCode::kRead);
}

Napi::Value ProactorBinding::WritePacked(const Napi::CallbackInfo& info) {
  return Packed(info, OpCode::kWrite);
}

Napi::Value ProactorBinding::RecvPacked(const Napi::CallbackInfo& info) {
  return Packed(info, OpCode::kRecv);
}

Napi::Value ProactorBinding::SendPacked(const Napi::CallbackInfo& info) {
  return Packed(info, OpCode::kSend);
}

// read(slot, gen, fd, buffer, offset, length, position)
Napi::Value ProactorBinding::Read(const Napi::CallbackInfo& info) {
  return ReadWrite(info, OpCode::kRead);
}

// write(slot, gen, fd, buffer, offset, length, position)
Napi::Value ProactorBinding::Write(const Napi::CallbackInfo& info) {
  return ReadWrite(info, OpCode::kWrite);
}

// recv(slot, gen, fd, buffer, offset, length, msgFlags)
Napi::Value ProactorBinding::Recv(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kRecv;
  ParseBuffer(info, &op);
  op.msg_flags = info[6].As<Napi::Number>().Uint32Value();
  return PrepareChecked(info.Env(), op);
}

// send(slot, gen, fd, buffer, offset, length, msgFlags)
Napi::Value ProactorBinding::Send(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kSend;
  ParseBuffer(info, &op);
  op.msg_flags = info[6].As<Napi::Number>().Uint32Value();
  return PrepareChecked(info.Env(), op);
}

Napi::Value ProactorBinding::Fixed(const Napi::CallbackInfo& info,
                                   OpCode code) {
  Operation op;
  op.code = code;
  ParseBuffer(info, &op);
  op.offset = static_cast<int64_t>(info[6].As<Napi::Number>().DoubleValue());
  op.buf_index = static_cast<uint16_t>(info[7].As<Napi::Number>().Uint32Value());
  return PrepareChecked(info.Env(), op);
}

// readFixed(slot, gen, fd, buffer, offset, length, position, bufIndex): the
// bytes must lie inside registered buffer bufIndex (else -EFAULT).
Napi::Value ProactorBinding::ReadFixed(const Napi::CallbackInfo& info) {
  return Fixed(info, OpCode::kReadFixed);
}

// writeFixed(slot, gen, fd, buffer, offset, length, position, bufIndex)
Napi::Value ProactorBinding::WriteFixed(const Napi::CallbackInfo& info) {
  return Fixed(info, OpCode::kWriteFixed);
}

// acceptMultishot(slot, gen, listenFd): one completion per connection, each
// flagged "more", until cancelled or failed.
Napi::Value ProactorBinding::AcceptMultishot(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kAcceptMulti;
  op.user_data = UserData(info, 0);
  op.fd = info[2].As<Napi::Number>().Int32Value();
  return PrepareChecked(info.Env(), op);
}

// recvMultishot(slot, gen, fd, group, oneShot = false): one completion per
// arrival, each naming the ring buffer it filled, until EOF, an error or an
// empty ring; with oneShot, one completion only.
Napi::Value ProactorBinding::RecvMultishot(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kRecvMulti;
  op.user_data = UserData(info, 0);
  op.fd = info[2].As<Napi::Number>().Int32Value();
  op.buf_group = static_cast<uint16_t>(info[3].As<Napi::Number>().Uint32Value());
  if (info.Length() > 4 && info[4].ToBoolean().Value()) op.op_flags |= kOpOneShot;
  return PrepareChecked(info.Env(), op);
}

// sendZc(slot, gen, fd, buffer, offset, length, msgFlags): completes with
// the bytes sent ("more"), then again ("notif") when the buffer is free.
Napi::Value ProactorBinding::SendZc(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kSendZc;
  ParseBuffer(info, &op);
  op.msg_flags = info[6].As<Napi::Number>().Uint32Value();
  return PrepareChecked(info.Env(), op);
}

uint8_t* ProactorBinding::ParseMessage(const Napi::CallbackInfo& info,
                                       Operation* op, uint32_t* count) {
  Napi::Env env = info.Env();
  const sock::MessageLayout& m = sock::GetMessageLayout();
  op->user_data = UserData(info, 0);
  op->fd = info[2].As<Napi::Number>().Int32Value();
  if (!info[3].IsArray()) throw Napi::TypeError::New(env, "views must be an array");
  auto views = info[3].As<Napi::Array>();
  *count = views.Length();
  Bytes block = GetBytes(env, info[4], "messageBlock");
  if (block.length < m.iov_offset + static_cast<size_t>(*count) * sizeof(IoVec)) {
    throw Napi::RangeError::New(env, "message block too small for the views");
  }
  auto* iov = reinterpret_cast<IoVec*>(block.data + m.iov_offset);
  for (uint32_t i = 0; i < *count; ++i) {
    Bytes b = GetBytes(env, views.Get(i), "view");
    iov[i] = IoVec{b.data, b.length};
  }
  op->addr = block.data;
  op->len = 1;
  return block.data;
}

// recvmsg(slot, gen, fd, views: Uint8Array[], messageBlock, msgFlags): one
// datagram scattered over the views; the kernel writes the sender's address,
// its length and the message flags into the block (see socket_ops.h).
Napi::Value ProactorBinding::RecvMsg(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kRecvMsg;
  uint32_t count = 0;
  uint8_t* block = ParseMessage(info, &op, &count);
  // Room for a sender of any family.
  sock::InitMessage(block, sock::GetMessageLayout().name_size, count);
  op.msg_flags = info[5].As<Napi::Number>().Uint32Value();
  return PrepareChecked(info.Env(), op);
}

// sendmsg(slot, gen, fd, views: Uint8Array[], messageBlock, sockaddr | null,
// msgFlags): one datagram gathered from the views, to sockaddr (copied into
// the block) or, with null, to the connected peer.
Napi::Value ProactorBinding::SendMsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const sock::MessageLayout& m = sock::GetMessageLayout();
  Operation op;
  op.code = OpCode::kSendMsg;
  uint32_t count = 0;
  uint8_t* block = ParseMessage(info, &op, &count);
  uint32_t namelen = 0;
  if (!info[5].IsNull() && !info[5].IsUndefined()) {
    Bytes name = GetBytes(env, info[5], "sockaddr");
    if (name.length > m.name_size) throw Napi::RangeError::New(env, "sockaddr too long");
    std::memcpy(block + m.name_offset, name.data, name.length);
    namelen = static_cast<uint32_t>(name.length);
  }
  sock::InitMessage(block, namelen, count);
  op.msg_flags = info[6].As<Napi::Number>().Uint32Value();
  return PrepareChecked(env, op);
}

// sendfile(slot, gen, socketFd, fileFd, position, length): sends up to
// length bytes of the file from position without copying them through user
// space; completes with the bytes sent.
Napi::Value ProactorBinding::Sendfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Operation op;
  op.code = OpCode::kSendfile;
  op.user_data = UserData(info, 0);
  op.fd = info[2].As<Napi::Number>().Int32Value();
  op.fd2 = info[3].As<Napi::Number>().Int32Value();
  const double position = info[4].As<Napi::Number>().DoubleValue();
  const double length = info[5].As<Napi::Number>().DoubleValue();
  if (!(position >= 0) || position > 9007199254740991.0) {
    throw Napi::RangeError::New(env, "position must be from 0 to 2^53 - 1");
  }
  if (!(length > 0) || length > 0x7ffff000) {
    throw Napi::RangeError::New(env, "length must be from 1 to 0x7ffff000");
  }
  op.offset = static_cast<int64_t>(position);
  op.len = static_cast<uint32_t>(length);
  return PrepareChecked(env, op);
}

// registerBuffers(buffers: Uint8Array[]): 0 or -errno (-ENOMEM: over the
// locked-memory limit). The buffers are held until the proactor is destroyed.
Napi::Value ProactorBinding::RegisterBuffers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Backend* b = Live(env);
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "buffers must be an array");
  auto list = info[0].As<Napi::Array>();
  std::vector<IoVec> iov(list.Length());
  for (uint32_t i = 0; i < iov.size(); ++i) {
    Bytes bytes = GetBytes(env, list.Get(i), "buffer");
    iov[i] = IoVec{bytes.data, bytes.length};
  }
  const int r = b->RegisterBuffers(iov.data(), static_cast<unsigned>(iov.size()));
  if (r == 0) {
    for (uint32_t i = 0; i < iov.size(); ++i) Pin(list.Get(i));
  }
  return Napi::Number::New(env, r);
}

// registerBufferRing(group, buffer, count, size): count buffers of size
// bytes carved from buffer, all given to the kernel. 0 or -errno.
Napi::Value ProactorBinding::RegisterBufferRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Backend* b = Live(env);
  const uint32_t group = info[0].As<Napi::Number>().Uint32Value();
  Bytes bytes = GetBytes(env, info[1], "buffer");
  const uint32_t count = info[2].As<Napi::Number>().Uint32Value();
  const uint32_t size = info[3].As<Napi::Number>().Uint32Value();
  if (group > 0xffff) throw Napi::RangeError::New(env, "group must be below 65536");
  if (static_cast<uint64_t>(count) * size > bytes.length) {
    throw Napi::RangeError::New(env, "count * size exceed the buffer");
  }
  const int r = b->RegisterBufferRing(static_cast<uint16_t>(group), bytes.data,
                                      count, size);
  if (r == 0) Pin(info[1]);
  return Napi::Number::New(env, r);
}

// provideBuffer(group, id): gives ring buffer id back to the kernel.
Napi::Value ProactorBinding::ProvideBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t group = info[0].As<Napi::Number>().Uint32Value();
  const uint32_t id = info[1].As<Napi::Number>().Uint32Value();
  if (group > 0xffff || id > 0xffff) return Napi::Number::New(env, -EINVAL);
  return Napi::Number::New(env, Live(env)->ProvideBuffer(static_cast<uint16_t>(group),
                                                          static_cast<uint16_t>(id)));
}

Napi::Value ProactorBinding::FixedFilesInUse(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Live(info.Env())->FixedFilesInUse());
}

// readv/writev(slot, gen, fd, views: Uint8Array[], iovecs: Buffer, position)
// The iovec array is written into the caller's buffer, which the in-flight
// table keeps alive with the operation.
Napi::Value ProactorBinding::Vectored(const Napi::CallbackInfo& info,
                                      OpCode code) {
  Napi::Env env = info.Env();
  Operation op;
  op.code = code;
  op.user_data = UserData(info, 0);
  op.fd = info[2].As<Napi::Number>().Int32Value();
  if (!info[3].IsArray()) throw Napi::TypeError::New(env, "views must be an array");
  auto views = info[3].As<Napi::Array>();
  const uint32_t count = views.Length();
  Bytes iov_bytes = GetBytes(env, info[4], "iovecs");
  if (count == 0 || iov_bytes.length < count * sizeof(IoVec)) {
    throw Napi::RangeError::New(env, "iovecs buffer too small for the views");
  }
  auto* iov = reinterpret_cast<IoVec*>(iov_bytes.data);
  for (uint32_t i = 0; i < count; ++i) {
    Bytes b = GetBytes(env, views.Get(i), "view");
    iov[i] = IoVec{b.data, b.length};
  }
  op.addr = iov;
  op.len = count;
  op.offset = static_cast<int64_t>(info[5].As<Napi::Number>().DoubleValue());
  return PrepareChecked(env, op);
}

Napi::Value ProactorBinding::Readv(const Napi::CallbackInfo& info) {
  return Vectored(info, OpCode::kReadv);
}

Napi::Value ProactorBinding::Writev(const Napi::CallbackInfo& info) {
  return Vectored(info, OpCode::kWritev);
}

// accept(slot, gen, listenFd, addressBlock): the block holds a socklen then
// the peer's sockaddr, filled in by the kernel.
Napi::Value ProactorBinding::Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Operation op;
  op.code = OpCode::kAccept;
  op.user_data = UserData(info, 0);
  op.fd = info[2].As<Napi::Number>().Int32Value();
  Bytes block = GetBytes(env, info[3], "addressBlock");
  if (block.length < kAddressBlockSize) {
    throw Napi::RangeError::New(env, "address block too small");
  }
  auto* len = reinterpret_cast<uint32_t*>(block.data);
  *len = static_cast<uint32_t>(block.length - kAddressOffset);
  op.addr2 = len;
  op.addr = block.data + kAddressOffset;
  return PrepareChecked(env, op);
}

// connect(slot, gen, fd, sockaddr: Uint8Array, addrlen)
Napi::Value ProactorBinding::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Operation op;
  op.code = OpCode::kConnect;
  op.user_data = UserData(info, 0);
  op.fd = info[2].As<Napi::Number>().Int32Value();
  Bytes addr = GetBytes(env, info[3], "sockaddr");
  op.len = info[4].As<Napi::Number>().Uint32Value();
  if (op.len > addr.length) throw Napi::RangeError::New(env, "addrlen exceeds the sockaddr");
  op.addr = addr.data;
  return PrepareChecked(env, op);
}

// close(slot, gen, fd): cancels what is in flight on fd, then closes it.
Napi::Value ProactorBinding::Close(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kClose;
  op.user_data = UserData(info, 0);
  op.fd = info[2].As<Napi::Number>().Int32Value();
  return PrepareChecked(info.Env(), op);
}

// nop(slot, gen): completes at once with 0.
Napi::Value ProactorBinding::Nop(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kNop;
  op.user_data = UserData(info, 0);
  return PrepareChecked(info.Env(), op);
}

// timeout(slot, gen, timespecBlock, ms, absolute): completes with -ETIME
// after ms, or, when absolute, at ms on the CLOCK_MONOTONIC clock (the
// clock of process.hrtime).
Napi::Value ProactorBinding::Timeout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Operation op;
  op.code = OpCode::kTimeout;
  op.user_data = UserData(info, 0);
  Bytes block = GetBytes(env, info[2], "timespecBlock");
  if (block.length < 16) throw Napi::RangeError::New(env, "timespec block too small");
  const double ms = info[3].As<Napi::Number>().DoubleValue();
  auto* ts = reinterpret_cast<int64_t*>(block.data);
  const int64_t whole = static_cast<int64_t>(ms < 0 ? 0 : ms);
  ts[0] = whole / 1000;
  ts[1] = (whole % 1000) * 1000000 +
          static_cast<int64_t>((ms - static_cast<double>(whole)) * 1e6);
  if (ts[1] >= 1000000000) {
    ts[0] += 1;
    ts[1] -= 1000000000;
  }
  op.addr = block.data;
  if (info.Length() > 4 && info[4].ToBoolean()) op.op_flags |= kOpAbsolute;
  return PrepareChecked(env, op);
}

// cancel(slot, gen): asks the kernel to cancel that operation; it then
// completes with -ECANCELED (or finishes normally if it was too late).
Napi::Value ProactorBinding::Cancel(const Napi::CallbackInfo& info) {
  Operation op;
  op.code = OpCode::kCancel;
  op.user_data = kInternalUserData;
  op.target = UserData(info, 0);
  return PrepareChecked(info.Env(), op);
}

Napi::Value ProactorBinding::Submit(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Live(info.Env())->Submit());
}

Napi::Value ProactorBinding::Reap(const Napi::CallbackInfo& info) {
  Backend* b = Live(info.Env());
  static_assert(sizeof(Completion) == 16, "completion layout");
  Completion batch[256];
  int total = 0;
  while (total < capacity_) {
    const int want = std::min(capacity_ - total, 256);
    const int n = b->Reap(batch, want);
    if (n < 0) return Napi::Number::New(info.Env(), total ? total : n);
    for (int i = 0; i < n; ++i) {
      int32_t* q = completions_ + 4 * (total + i);
      q[0] = static_cast<int32_t>(batch[i].user_data & 0xffffffffu);
      q[1] = static_cast<int32_t>(batch[i].user_data >> 32);
      q[2] = batch[i].res;
      q[3] = static_cast<int32_t>(batch[i].flags);
    }
    total += n;
    if (n < want) break;
  }
  return Napi::Number::New(info.Env(), total);
}

Napi::Value ProactorBinding::Wait(const Napi::CallbackInfo& info) {
  const int ms = info[0].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), Live(info.Env())->Wait(ms));
}

// start(unref): libuv watches the notification fd; with unref the watch
// does not keep the process alive.
Napi::Value ProactorBinding::Start(const Napi::CallbackInfo& info) {
  const bool unref = info.Length() > 0 && info[0].ToBoolean();
  watch_->Start(info.Env(), Live(info.Env())->NotifyFd(), !unref);
  return info.Env().Undefined();
}

// hold(on): whether the wake callback (and through it the JS proactor) is
// held strongly. The JS side holds it while operations are in flight or
// the watch is on, and lets go otherwise, so that a dropped, unclosed
// proactor can be collected (its finalizer closes the ring).
Napi::Value ProactorBinding::Hold(const Napi::CallbackInfo& info) {
  watch_->Hold(info[0].ToBoolean());
  return info.Env().Undefined();
}

// notifyFd(): the fd that polls readable while completions wait.
Napi::Value ProactorBinding::NotifyFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Live(info.Env())->NotifyFd());
}

// clearNotify(): re-arms notifyFd() before a drain its watcher asked for.
Napi::Value ProactorBinding::ClearNotify(const Napi::CallbackInfo& info) {
  Live(info.Env())->ClearNotify();
  return info.Env().Undefined();
}

// failNextSubmits(count, negErrno): a test hook; see Backend.
Napi::Value ProactorBinding::FailNextSubmits(const Napi::CallbackInfo& info) {
  Live(info.Env())->FailNextSubmits(info[0].As<Napi::Number>().Int32Value(),
                                    info[1].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value ProactorBinding::Stop(const Napi::CallbackInfo& info) {
  watch_->Stop();
  return info.Env().Undefined();
}

Napi::Value ProactorBinding::Destroy(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

Napi::Value ProactorBinding::Describe(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Live(info.Env())->Describe());
}

// supports(verb): whether the kernel runs that verb ("read", "accept", ...).
Napi::Value ProactorBinding::Supports(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string verb = info[0].As<Napi::String>();
  for (int i = 0; i < static_cast<int>(OpCode::kCount); ++i) {
    if (verb == kVerbNames[i]) {
      return Napi::Boolean::New(env, Live(env)->Supports(static_cast<OpCode>(i)));
    }
  }
  throw Napi::TypeError::New(env, "unknown verb '" + verb + "'");
}

Napi::Value ProactorBinding::Backlog(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(Live(info.Env())->Backlog()));
}

}  // namespace ace::glue
