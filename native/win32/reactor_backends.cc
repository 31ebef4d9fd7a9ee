// The demultiplexers Windows has, in order of preference.
#include "common/reactor_backend.h"

#include <cerrno>

#include "win32/wsapoll_reactor.h"

namespace ace {

const char* ReactorBackendNames() { return "wsapoll"; }

std::unique_ptr<ReactorBackend> CreateReactorBackend(const std::string& name,
                                                     int* err,
                                                     std::string* what) {
  if (name == "wsapoll") return reactor::WsaPollReactor::Create(err, what);
  *err = -ENOENT;
  *what = "no reactor backend named '" + name + "' on win32 (have: " +
          ReactorBackendNames() + ")";
  return nullptr;
}

}  // namespace ace
