#include "win32/win_errors.h"

namespace ace::win32 {

int NegErrno(unsigned long error) {
  switch (error) {
    case 0: return 0;
    case ERROR_OPERATION_ABORTED:  // == WSA_OPERATION_ABORTED
    case ERROR_REQUEST_ABORTED:
      return -ECANCELED;
    case WSAEWOULDBLOCK: case ERROR_IO_PENDING: return -EAGAIN;
    case WSAECONNRESET: case ERROR_NETNAME_DELETED: return -ECONNRESET;
    case WSAECONNABORTED: case ERROR_CONNECTION_ABORTED: return -ECONNABORTED;
    case WSAECONNREFUSED: case ERROR_CONNECTION_REFUSED: return -ECONNREFUSED;
    case WSAENETUNREACH: case ERROR_NETWORK_UNREACHABLE: return -ENETUNREACH;
    case WSAEHOSTUNREACH: case ERROR_HOST_UNREACHABLE: return -EHOSTUNREACH;
    case WSAETIMEDOUT: case ERROR_SEM_TIMEOUT: return -ETIMEDOUT;
    case WSAEADDRINUSE: return -EADDRINUSE;
    case WSAEADDRNOTAVAIL: return -EADDRNOTAVAIL;
    case WSAENOTSOCK: return -ENOTSOCK;
    case WSAENOTCONN: return -ENOTCONN;
    case WSAESHUTDOWN: return -EPIPE;
    case WSAEISCONN: return -EISCONN;
    case WSAEINPROGRESS: return -EINPROGRESS;
    case WSAEALREADY: return -EALREADY;
    case WSAEMSGSIZE: return -EMSGSIZE;
    case WSAENOBUFS: return -ENOBUFS;
    case WSAEMFILE: case ERROR_TOO_MANY_OPEN_FILES: return -EMFILE;
    case WSAEAFNOSUPPORT: return -EAFNOSUPPORT;
    case WSAEPROTONOSUPPORT: return -EPROTONOSUPPORT;
    case WSAEOPNOTSUPP: return -EOPNOTSUPP;
    case WSAEFAULT: case ERROR_NOACCESS: return -EFAULT;
    case WSAEINVAL: case ERROR_INVALID_PARAMETER: return -EINVAL;
    case WSAEACCES: case ERROR_ACCESS_DENIED: return -EACCES;
    case WSAEINTR: return -EINTR;
    case WSAENETDOWN: return -ENETDOWN;
    case WSAEDISCON: case ERROR_BROKEN_PIPE: case ERROR_NO_DATA: return -EPIPE;
    case ERROR_INVALID_HANDLE: return -EBADF;
    case ERROR_HANDLE_EOF: return 0;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY: return -ENOMEM;
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: return -ENOENT;
    case ERROR_NOT_SUPPORTED: case ERROR_CALL_NOT_IMPLEMENTED: return -ENOSYS;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL: return -ENOSPC;
    default: return -EIO;
  }
}

}  // namespace ace::win32
