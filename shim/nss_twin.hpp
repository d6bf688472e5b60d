// The launcher's own arguments, kept by main() for nss_twin.cpp, which
// executes eslaunch-nss with them when only glibc's NSS can answer a lookup.
#pragma once

namespace eslaunch_cli {

inline char** launch_argv = nullptr;

}  // namespace eslaunch_cli
