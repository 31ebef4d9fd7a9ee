// Win32 and Winsock error codes as the -errno values the backend contract
// speaks (the CRT's numbering, which is Node's os.constants.errno on win32).
#ifndef ACE_PROACTOR_WIN32_WIN_ERRORS_H_
#define ACE_PROACTOR_WIN32_WIN_ERRORS_H_

#include <winsock2.h>
#include <windows.h>

#include <cerrno>
#include <cstdint>

namespace ace::win32 {

// -errno for a GetLastError() or WSAGetLastError() code; 0 for 0.
int NegErrno(unsigned long error);

// A kernel handle (SOCKET, HANDLE) as the 32-bit number JavaScript holds.
// 64-bit Windows keeps handles to 32 significant bits, sign-extended, so
// that they can cross to 32-bit processes; the round trip is checked.
inline bool FitsInt32(uintptr_t h) {
  return static_cast<uintptr_t>(static_cast<intptr_t>(static_cast<int32_t>(h))) == h;
}
inline uintptr_t FromInt32(int64_t v) {
  return static_cast<uintptr_t>(static_cast<intptr_t>(static_cast<int32_t>(v)));
}

}  // namespace ace::win32

#endif  // ACE_PROACTOR_WIN32_WIN_ERRORS_H_
