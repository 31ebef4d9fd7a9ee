// The demultiplexers Linux has, in order of preference.
#include "common/reactor_backend.h"

#include <cerrno>

#include "reactor/epoll_reactor.h"
#include "reactor/poll_reactor.h"

namespace ace {

const char* ReactorBackendNames() { return "epoll,poll"; }

std::unique_ptr<ReactorBackend> CreateReactorBackend(const std::string& name,
                                                     int* err,
                                                     std::string* what) {
  if (name == "epoll") return reactor::EpollReactor::Create(err, what);
  if (name == "poll") return reactor::PollReactor::Create(err, what);
  *err = -ENOENT;
  *what = "no reactor backend named '" + name + "' on linux (have: " +
          ReactorBackendNames() + ")";
  return nullptr;
}

}  // namespace ace
