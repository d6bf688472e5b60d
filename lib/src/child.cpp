#include "child.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "posix.hpp"

namespace eslaunch {

using Clock = std::chrono::steady_clock;

ChildResult run_in_child(const std::function<std::string()>& work, Clock::time_point deadline, int abort_fd) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {ChildResult::Status::failed, fmt::format("pipe: {}", std::strerror(errno))};
    UniqueFd in{fds[0]};
    UniqueFd out{fds[1]};
    const pid_t pid = ::fork();
    if (pid < 0) return {ChildResult::Status::failed, fmt::format("fork: {}", std::strerror(errno))};
    if (pid == 0) {
        in.reset();
        std::string text;
        int status = 0;
        try {
            text = work();
        } catch (...) {
            status = 1;
        }
        for (std::size_t done = 0; done < text.size();) {
            const ssize_t n = ::write(out.get(), text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ::_exit(status);  // no atexit handlers, no stdio flush: those are the parent's
    }
    out.reset();

    ChildResult result;
    result.status = ChildResult::Status::done;
    char buffer[4096];
    while (true) {
        const Waited w = wait_fd(in.get(), POLLIN, abort_fd, deadline);
        if (w == Waited::failed) {
            result = {ChildResult::Status::failed, fmt::format("poll: {}", std::strerror(errno))};
            break;
        }
        if (w == Waited::timeout) {
            result.status = ChildResult::Status::timeout;
            break;
        }
        if (w == Waited::aborted) {
            result.status = ChildResult::Status::aborted;
            break;
        }
        const ssize_t got = ::read(in.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;  // EOF: the child finished (or died)
        result.output.append(buffer, static_cast<std::size_t>(got));
    }
    if (result.status != ChildResult::Status::done) ::kill(pid, SIGKILL);
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (result.status == ChildResult::Status::done) {
        if (WIFSIGNALED(wstatus)) {
            result = {ChildResult::Status::failed, fmt::format("killed by signal {}", WTERMSIG(wstatus))};
        } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
            result = {ChildResult::Status::failed, "failed"};
        }
    }
    return result;
}

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
