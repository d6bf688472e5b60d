// open_library (child.hpp): in eslaunch-watch's archive only, never in the
// launch layer's: the root-run launcher loads no libcurl or libsystemd.
#include <dlfcn.h>

#include <fmt/format.h>

#include "child.hpp"

namespace eslaunch {

void* open_library(const char* soname, const char* package, std::string& error) {
    void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        error = fmt::format("cannot load {} ({}): install Debian's {}", soname, why != nullptr ? why : "dlopen failed",
                            package);
    }
    return handle;
}

}  // namespace eslaunch
