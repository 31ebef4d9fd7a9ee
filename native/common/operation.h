// The one description of an asynchronous operation that every backend accepts.
#ifndef ACE_PROACTOR_COMMON_OPERATION_H_
#define ACE_PROACTOR_COMMON_OPERATION_H_

#include <cstddef>
#include <cstdint>

namespace ace {

// The verbs a backend may run; each backend maps them to its kernel's calls.
enum class OpCode : uint8_t {
  kNop,      // completes at once; used for wakeups
  kRead,     // buf/len at offset (-1: the stream's current position)
  kWrite,    // buf/len at offset (-1: the stream's current position)
  kReadv,    // iov/iovcnt at offset
  kWritev,   // iov/iovcnt at offset
  kRecv,     // socket recv(buf, len, msg_flags)
  kSend,     // socket send(buf, len, msg_flags)
  kAccept,   // accept into addr/addrlen; res is the new fd
  kConnect,  // connect to addr (len bytes)
  kClose,    // cancel everything in flight on fd, then close it
  kTimeout,  // completes with -ETIME after the timespec at addr (or at it,
             // on CLOCK_MONOTONIC, with kOpAbsolute)
  kCancel,   // cancel the operation whose user_data is target
  kReadFixed,   // as kRead, into registered buffer buf_index
  kWriteFixed,  // as kWrite, from registered buffer buf_index
  kAcceptMulti,  // accepts until cancelled: one completion per connection
  kRecvMulti,    // receives until EOF or error into buffers of buf_group
                 // (once, with kOpOneShot)
  kSendZc,       // send without copying; a kCompletionNotif frees the buffer
  kRecvMsg,      // recvmsg(addr: a struct msghdr, msg_flags): a datagram and its sender
  kSendMsg,      // sendmsg(addr: a struct msghdr, msg_flags): a datagram to its msg_name
  kSendfile,     // up to len bytes of file fd2 from offset to socket fd, in
                 // the kernel; res is the bytes sent (short: the file ended,
                 // or an error or a kCancel followed some progress)
  kCount         // number of verbs
};

// Everything a backend needs to start one operation. The memory that addr,
// addr2 and the iovecs point at is owned by the caller (the JS in-flight
// table) and stays alive until this operation's completion is reaped.
struct Operation {
  OpCode code = OpCode::kNop;
  int32_t fd = -1;
  uint64_t user_data = 0;  // the Asynchronous Completion Token's slot
  void* addr = nullptr;    // buffer, iovec array, sockaddr, timespec or msghdr
  uint32_t len = 0;        // bytes, iovec count or sockaddr length
  int64_t offset = -1;     // file position; -1 for streams
  void* addr2 = nullptr;   // accept: socklen_t in/out
  uint32_t msg_flags = 0;  // recv/send flags
  uint64_t target = 0;     // cancel: user_data of the operation to cancel
  uint16_t buf_index = 0;  // read/write fixed: the registered buffer
  uint16_t buf_group = 0;  // recv multishot: the buffer ring to pick from
  uint32_t op_flags = 0;   // kOp* bits below
  int32_t fd2 = -1;        // sendfile: the file read from
};

// kRecvMsg / kSendMsg: addr is a POSIX struct msghdr in the caller's memory
// (common/socket_ops.h lays it out), as are its msg_name and iovecs; the
// kernel writes msg_namelen and msg_flags (MSG_TRUNC) back into it. Backends
// whose kernel wants another layout (WSAMSG) convert.

// Operation::op_flags bit: a kTimeout's timespec is an absolute
// CLOCK_MONOTONIC time, so a re-armed interval timer does not drift.
constexpr uint32_t kOpAbsolute = 1;
// Operation::op_flags bit: a kRecvMulti that completes once, into one buffer
// the kernel picks from buf_group when data arrives (a plain receive with
// buffer selection: an idle connection holds no buffer of its own).
constexpr uint32_t kOpOneShot = 2;

// One finished operation, as the kernel reported it.
struct Completion {
  uint64_t user_data;  // as given in Operation
  int32_t res;         // bytes or new fd on success, -errno on failure
  uint32_t flags;      // backend flags (io_uring CQE flags)
};

// One scatter/gather element, laid out as POSIX struct iovec; backends
// whose kernel wants another layout (WSABUF) convert.
struct IoVec {
  void* base;
  size_t len;
};

// Completion::flags bit: more completions will follow for this user_data
// (a multishot operation, or a zero-copy send's notification); its slot
// stays in flight.
constexpr uint32_t kCompletionMore = 1;
// Completion::flags bit: the kernel picked a buffer from the operation's
// buffer ring; its id is flags >> kCompletionBufferShift.
constexpr uint32_t kCompletionBuffer = 2;
// Completion::flags bit: a zero-copy send no longer needs its buffer.
constexpr uint32_t kCompletionNotif = 4;
constexpr uint32_t kCompletionBufferShift = 16;

// user_data values with the top bit set belong to the backend itself and
// are never reported to the caller. A caller's token (slot | gen << 32,
// gen below 2^30) never has it.
constexpr uint64_t kInternalBit = uint64_t{1} << 63;
constexpr uint64_t kInternalUserData = ~uint64_t{0};
inline bool IsInternal(uint64_t user_data) { return user_data & kInternalBit; }

}  // namespace ace

#endif  // ACE_PROACTOR_COMMON_OPERATION_H_
