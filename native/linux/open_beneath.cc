// ace::file::OpenBeneath on Linux: openat2(2), else a walk with openat(2).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include "common/file_ops.h"

namespace ace::file {
namespace {

// Set once openat2 said ENOSYS: the kernel has none, every later open walks.
std::atomic<bool> no_openat2{false};

// The components of path without "." and empty ones; -EXDEV for an
// absolute path or a "..", which the walk does not take and openat2 is
// not asked to judge (it would let "a/../b" through), so both answer alike.
// *dir (if given) says the last component was followed by a "/" or a "/.",
// which names a directory: the walk takes it as one, as openat2 resolves
// it (a file so named: -ENOTDIR; a link: -ELOOP).
int Components(const char* path, std::vector<std::string>* out, bool* dir = nullptr) {
  if (path[0] == '/') return -EXDEV;
  std::string part;
  bool trailing = false;
  for (const char* p = path;; ++p) {
    if (*p == '/' || *p == '\0') {
      if (part == "..") return -EXDEV;
      if (!part.empty() && part != ".") {
        out->push_back(part);
        trailing = false;
      }
      if (*p == '/' || part == ".") trailing = true;
      part.clear();
      if (*p == '\0') break;
    } else {
      part.push_back(*p);
    }
  }
  if (dir != nullptr) *dir = trailing;
  return 0;
}

int Openat2(int dirfd, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
  // BENEATH: nothing resolves above dirfd; NO_SYMLINKS: no link is
  // followed, the last component's included (ELOOP); NO_MAGICLINKS: no
  // /proc/<pid>/fd-style jump, which NO_SYMLINKS already forbids but is
  // named so that the rule holds if the other is ever dropped.
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  } while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int OpenAt(int dirfd, const char* name, int flags) {
  int fd;
  do {
    fd = openat(dirfd, name, flags);
  } while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : fd;
}

}  // namespace

int OpenBeneath(int dirfd, const char* path, int flags) {
  std::vector<std::string> parts;
  if (int r = Components(path, &parts); r < 0) return r;
  if (!no_openat2.load(std::memory_order_relaxed)) {
    const int fd = Openat2(dirfd, parts.empty() ? "." : path, flags);
    if (fd != -ENOSYS && fd != -EPERM) return fd;
    if (fd == -ENOSYS) no_openat2.store(true, std::memory_order_relaxed);
  }
  return OpenBeneathByWalk(dirfd, path, flags);
}

int OpenBeneathByWalk(int dirfd, const char* path, int flags) {
  std::vector<std::string> parts;
  bool dir = false;
  if (int r = Components(path, &parts, &dir); r < 0) return r;
  if (parts.empty()) return OpenAt(dirfd, ".", flags | O_CLOEXEC);
  // "a/": a is walked into as a directory (a link: -ELOOP, a file:
  // -ENOTDIR), then opened as itself.
  if (dir) parts.push_back(".");
  int at = dirfd;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    // O_PATH with O_NOFOLLOW opens a link itself rather than failing: the
    // fstat tells a link (refused) from a directory (walked into).
    const int fd = OpenAt(at, parts[i].c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (at != dirfd) close(at);
    if (fd < 0) return fd;
    struct stat st;
    const int r = fstat(fd, &st) < 0 ? -errno : S_ISLNK(st.st_mode) ? -ELOOP : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
    if (r < 0) {
      close(fd);
      return r;
    }
    at = fd;
  }
  const int fd = OpenAt(at, parts.back().c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
  if (at != dirfd) close(at);
  return fd;
}

}  // namespace ace::file
