#include "stdin_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "path_walk.hpp"

namespace eslaunch {

Expected<UniqueFd, Error> open_program_stdin(const LaunchPlan& plan) {
    UniqueFd fd;
    if (plan.stdin_file.empty()) {
        fd = UniqueFd{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
        if (fd.get() < 0) {
            return Unexpected{Error{status::oserr, plan.file, plan.stdin_line,
                                    fmt::format("cannot open /dev/null for the program's stdin: {}",
                                                std::strerror(errno)),
                                    ""}};
        }
    } else {
        // Whoever could change the file, or swap it by a directory above
        // it, would choose what the node reads: its keystore passphrase.
        static constexpr WalkText text{"whoever can change it chooses what the program reads on stdin",
                                       "create it (root:root, mode 0600), or fix stdin=",
                                       "stdin=file: takes a regular file"};
        auto opened = open_walking(plan.stdin_file, Trust::root_only, plan.stdin_file, text, false);
        if (!opened) {
            Error e = std::move(opened.error());
            return Unexpected{Error{e.status, plan.file, plan.stdin_line,
                                    fmt::format("stdin: file:{}: {}", cut(plan.stdin_file), e.what),
                                    std::move(e.hint)}};
        }
        fd = std::move(opened->fd);
    }
    // Never 0, 1 or 2 (eslaunch may have been started without them): the
    // dup2 onto fd 0 just before the execve is then what clears CLOEXEC.
    if (fd.get() < 3) {
        UniqueFd moved{::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3)};
        if (moved.get() < 0) {
            return Unexpected{Error{status::oserr, plan.file, plan.stdin_line,
                                    fmt::format("cannot move the program's stdin: {}", std::strerror(errno)), ""}};
        }
        fd = std::move(moved);
    }
    return fd;
}

}  // namespace eslaunch
