// The backends Windows has, in order of preference.
#include "common/backend.h"
#include "iocp/iocp_backend.h"

namespace ace {

const char* BackendNames() { return "iocp"; }
const char* DefaultBackendNames() { return "iocp"; }

std::unique_ptr<Backend> CreateBackend(const std::string& name,
                                       const BackendOptions& options, int* err,
                                       std::string* what) {
  if (name == "iocp") return iocp::IocpBackend::Create(options, err, what);
  *err = -ENOENT;
  *what = "no backend named '" + name + "' on win32 (have: " + BackendNames() + ")";
  return nullptr;
}

}  // namespace ace
