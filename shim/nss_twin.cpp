// nss_glibc.hpp's lookups in the statically linked launcher: glibc's NSS
// cannot load its modules into a static program, so where only it can
// answer (a user or group that NssFiles cannot prove /etc/passwd or
// /etc/group give alone), the launcher becomes eslaunch-nss, the same
// launcher linked dynamically (shim/meson.build), by executing it with its
// own arguments and environment. The lookups happen while the host facts
// are gathered: nothing is applied yet (limits, umask, identity, fds), the
// process id stays (systemd's MAINPID, LISTEN_PID), and every fd eslaunch
// has opened is close-on-exec, so eslaunch-nss starts where eslaunch
// started, and does the whole launch.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "eslaunch/error.hpp"
#include "eslaunch/host.hpp"
#include "cli.hpp"
#include "nss_glibc.hpp"
#include "nss_twin.hpp"

extern char** environ;

namespace eslaunch {
namespace {

[[noreturn]] void become_twin(const std::string& what) {
    std::string expected;
    const auto twin = find_helper({ESLAUNCH_BINDIR, ESLAUNCH_LIBEXECDIR}, "eslaunch-nss", expected);
    std::string why;
    if (!twin) {
        why = fmt::format("is not at {}: reinstall eslaunch", expected);
    } else if (eslaunch_cli::launch_argv == nullptr) {
        why = "was not given eslaunch's arguments";  // main() sets them first: a bug if seen
    } else {
        ::execve(twin->c_str(), eslaunch_cli::launch_argv, environ);
        why = fmt::format("cannot be executed ({}): {}", *twin, std::strerror(errno));
    }
    eslaunch_cli::log_line(3, "error",
                           fmt::format("{}: only glibc's NSS can look this up here, and eslaunch-nss, which asks it, {}",
                                       what, why));
    ::_exit(status::oserr);
}

}  // namespace

std::optional<UserEntry> glibc_lookup_user(const IdRef& ref, std::string&) {
    become_twin(fmt::format("user '{}'", ref.text));
}

std::optional<GroupEntry> glibc_lookup_group(const IdRef& ref, std::string&) {
    become_twin(fmt::format("group '{}'", ref.text));
}

std::vector<gid_t> glibc_getgrouplist(const std::string& user, gid_t) {
    become_twin(fmt::format("the groups of user '{}'", user));
}

}  // namespace eslaunch
