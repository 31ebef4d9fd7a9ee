// Opening a file beneath a directory, so that no name inside it can lead
// out of it. Linux only (native/linux/open_beneath.cc); win32 has no such
// call in this build. Each returns the new fd or -errno.
#ifndef ACE_PROACTOR_COMMON_FILE_OPS_H_
#define ACE_PROACTOR_COMMON_FILE_OPS_H_

namespace ace::file {

// Opens path, relative to the directory dirfd, with open(2) flags (plus
// O_NOFOLLOW and O_CLOEXEC), crossing no symbolic link on the way: a link
// anywhere in path fails with -ELOOP, an absolute path or a ".." component
// with -EXDEV. openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS makes the kernel hold to that; where openat2 is
// missing (ENOSYS, or EPERM from a seccomp filter that does not know it)
// it is OpenBeneathByWalk.
int OpenBeneath(int dirfd, const char* path, int flags);

// The same, one component at a time: each directory is opened with
// O_PATH | O_NOFOLLOW relative to the one before and checked to be a
// directory (a link: -ELOOP), the last component with O_NOFOLLOW.
int OpenBeneathByWalk(int dirfd, const char* path, int flags);

}  // namespace ace::file

#endif  // ACE_PROACTOR_COMMON_FILE_OPS_H_
