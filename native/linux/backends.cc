// The backends Linux has, in order of preference.
#include "aio/aio_backend.h"
#include "common/backend.h"
#include "epoll/epoll_backend.h"
#include "uring/uring_backend.h"

namespace ace {

const char* BackendNames() { return "uring,epoll,aio"; }

// aio only by name: its workers block one thread per pending socket call,
// so it is no default for a server.
const char* DefaultBackendNames() { return "uring,epoll"; }

std::unique_ptr<Backend> CreateBackend(const std::string& name,
                                       const BackendOptions& options, int* err,
                                       std::string* what) {
  if (name == "uring") return uring::UringBackend::Create(options, err, what);
  if (name == "epoll") return epoll::EpollBackend::Create(options, err, what);
  if (name == "aio") return aio::AioBackend::Create(options, err, what);
  *err = -ENOENT;
  *what = "no backend named '" + name + "' on linux (have: " + BackendNames() + ")";
  return nullptr;
}

}  // namespace ace
