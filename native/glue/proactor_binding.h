// N-API face of one Backend: prepare calls, submit, reap into a shared
// Int32Array, call-through wait, and the libuv watch that drives
// post-reactive dispatch.
#ifndef ACE_PROACTOR_GLUE_PROACTOR_BINDING_H_
#define ACE_PROACTOR_GLUE_PROACTOR_BINDING_H_

#include <napi.h>

#include <memory>
#include <vector>

#include "common/backend.h"
#include "glue/ready_watch.h"

namespace ace::glue {

// alignOffset(buffer, align): how many bytes into buffer its memory is
// aligned to align (a power of two), for O_DIRECT-ready blocks.
Napi::Value AlignOffset(const Napi::CallbackInfo& info);

// Tells every live backend of this thread that fd was closed outside it
// (socket.close): a backend that caches what it knows of an fd forgets it.
void ForgetFdEverywhere(int fd);

class ProactorBinding : public Napi::ObjectWrap<ProactorBinding> {
 public:
  // The JS class: new Proactor(backend, options, completions, onReady
  // [, operands]).
  static Napi::Function Define(Napi::Env env);
  explicit ProactorBinding(const Napi::CallbackInfo& info);
  ~ProactorBinding() override;

 private:
  // Prepare calls; each returns 0 or -errno and makes no system call.
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  // read and write with every operand but the buffer in the operands array.
  Napi::Value ReadPacked(const Napi::CallbackInfo& info);
  Napi::Value WritePacked(const Napi::CallbackInfo& info);
  // recv and send likewise, the sixth operand their msgFlags.
  Napi::Value RecvPacked(const Napi::CallbackInfo& info);
  Napi::Value SendPacked(const Napi::CallbackInfo& info);
  Napi::Value Recv(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Readv(const Napi::CallbackInfo& info);
  Napi::Value Writev(const Napi::CallbackInfo& info);
  Napi::Value Accept(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Nop(const Napi::CallbackInfo& info);
  Napi::Value Timeout(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value ReadFixed(const Napi::CallbackInfo& info);
  Napi::Value WriteFixed(const Napi::CallbackInfo& info);
  Napi::Value AcceptMultishot(const Napi::CallbackInfo& info);
  Napi::Value RecvMultishot(const Napi::CallbackInfo& info);
  Napi::Value SendZc(const Napi::CallbackInfo& info);
  Napi::Value RecvMsg(const Napi::CallbackInfo& info);
  Napi::Value SendMsg(const Napi::CallbackInfo& info);
  Napi::Value Sendfile(const Napi::CallbackInfo& info);
  // Registered memory: fixed buffers, provided-buffer rings.
  Napi::Value RegisterBuffers(const Napi::CallbackInfo& info);
  Napi::Value RegisterBufferRing(const Napi::CallbackInfo& info);
  Napi::Value ProvideBuffer(const Napi::CallbackInfo& info);
  Napi::Value FixedFilesInUse(const Napi::CallbackInfo& info);
  // Hands prepared operations to the kernel.
  Napi::Value Submit(const Napi::CallbackInfo& info);
  // Copies finished operations into the completions array; returns count.
  Napi::Value Reap(const Napi::CallbackInfo& info);
  // Call-through: blocks in the kernel up to ms for a completion.
  Napi::Value Wait(const Napi::CallbackInfo& info);
  // Post-reactive: start/stop libuv watching the notification fd.
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  // Tears the backend down; idempotent.
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Supports(const Napi::CallbackInfo& info);
  Napi::Value Backlog(const Napi::CallbackInfo& info);
  // Holds or lets go of the JS side (see proactor_binding.cc).
  Napi::Value Hold(const Napi::CallbackInfo& info);
  Napi::Value FailNextSubmits(const Napi::CallbackInfo& info);
  Napi::Value NotifyFd(const Napi::CallbackInfo& info);
  Napi::Value ClearNotify(const Napi::CallbackInfo& info);

  // Ready-to-use backend or a thrown Error.
  Backend* Live(const Napi::Env& env);
  // Prepares op, or throws on misuse; returns the backend's result.
  Napi::Value PrepareChecked(const Napi::Env& env, const Operation& op);
  // Parses (slot, gen, fd, buffer, offset, length) into op.
  void ParseBuffer(const Napi::CallbackInfo& info, Operation* op);
  Napi::Value ReadWrite(const Napi::CallbackInfo& info, OpCode code);
  Napi::Value Packed(const Napi::CallbackInfo& info, OpCode code);
  Napi::Value Fixed(const Napi::CallbackInfo& info, OpCode code);
  // Keeps v alive until the backend is gone: the kernel holds its pages.
  void Pin(const Napi::Value& v);
  Napi::Value Vectored(const Napi::CallbackInfo& info, OpCode code);
  // Writes the iovecs of a datagram (views at 3) into its message block
  // (at 4) and points op at the block; returns it, with the view count.
  uint8_t* ParseMessage(const Napi::CallbackInfo& info, Operation* op,
                        uint32_t* count);
  void Teardown();
  static void OnEnvCleanup(void* self);

  // the Asynchronous Operation Processor
  std::unique_ptr<Backend> backend_;
  // the completions array shared with JS: (slot, gen, res, flags) quads
  Napi::Reference<Napi::Int32Array> completions_ref_;
  int32_t* completions_ = nullptr;
  int capacity_ = 0;
  // the operands array shared with JS (kOperands doubles), or null
  Napi::Reference<Napi::Float64Array> operands_ref_;
  const double* operands_ = nullptr;
  // libuv's watch on backend_->NotifyFd(): post-reactive dispatch; closed,
  // never freed, before the binding is (a wake may be what closes it)
  std::unique_ptr<ReadyWatch> watch_;
  // memory registered with the kernel; released after backend_ is
  std::vector<Napi::Reference<Napi::Value>> pinned_;
  napi_env env_ = nullptr;
};

}  // namespace ace::glue

#endif  // ACE_PROACTOR_GLUE_PROACTOR_BINDING_H_
