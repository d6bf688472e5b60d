#include "child.hpp"

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

namespace {

// "N MiB" or "N bytes", for the answer limit.
std::string size_text(std::size_t bytes) {
    return bytes % (1U << 20) == 0 ? fmt::format("{} MiB", bytes >> 20) : fmt::format("{} bytes", bytes);
}

// The parent's side: what the child writes to `in` until EOF, the deadline
// or abort_fd; the child killed unless it finished, and always reaped. A
// child that exits non-zero after writing something: `failed`, with what it
// wrote as the reason. An answer over `max_answer`: `failed`, saying so.
ChildResult collect_child(pid_t pid, UniqueFd in, Clock::time_point deadline, int abort_fd, std::size_t max_answer) {
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
        if (result.output.size() + static_cast<std::size_t>(got) > max_answer) {
            // Not cut: a cut answer would read as a different one.
            result = {ChildResult::Status::failed, fmt::format("its answer was over {}", size_text(max_answer))};
            break;
        }
        result.output.append(buffer, static_cast<std::size_t>(got));
    }
    if (result.status != ChildResult::Status::done) ::kill(pid, SIGKILL);
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (result.status == ChildResult::Status::done) {
        if (WIFSIGNALED(wstatus)) {
            result = {ChildResult::Status::failed, fmt::format("killed by signal {}", WTERMSIG(wstatus))};
            result.signal = WTERMSIG(wstatus);
        } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
            std::string why = result.output.empty() ? std::string{"failed"} : std::move(result.output);
            while (!why.empty() && why.back() == '\n') why.pop_back();
            result = {ChildResult::Status::failed, std::move(why)};
        }
    }
    return result;
}

void write_all(int fd, std::string_view text) {
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
}

// A pipe and a fork: the child runs `body` with the pipe's write end (and
// must end in _exit: no atexit handlers, no stdio flush, those are the
// parent's); the parent collects what it writes.
ChildResult fork_and_collect(const std::function<void(int out)>& body, Clock::time_point deadline, int abort_fd,
                             std::size_t max_answer) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {ChildResult::Status::failed, fmt::format("pipe: {}", std::strerror(errno))};
    UniqueFd in{fds[0]};
    UniqueFd out{fds[1]};
    const pid_t pid = ::fork();
    if (pid < 0) return {ChildResult::Status::failed, fmt::format("fork: {}", std::strerror(errno))};
    if (pid == 0) {
        in.reset();
        body(out.get());
        ::_exit(127);
    }
    out.reset();
    return collect_child(pid, std::move(in), deadline, abort_fd, max_answer);
}

}  // namespace

ChildResult run_in_child(const std::function<std::string()>& work, Clock::time_point deadline, int abort_fd,
                         std::size_t max_answer) {
    return fork_and_collect(
        [&](int out) {
            std::string text;
            int status = 0;
            try {
                text = work();
            } catch (...) {
                status = 1;
            }
            write_all(out, text);
            ::_exit(status);
        },
        deadline, abort_fd, max_answer);
}

ChildResult run_program_in_child(const std::string& path, const std::vector<std::string>& argv,
                                 const std::vector<std::string>& envp, const std::function<std::string()>& setup,
                                 Clock::time_point deadline, std::size_t max_answer) {
    // Built before fork: after `setup` the child only calls execve.
    std::vector<char*> args = c_strings(argv);
    std::vector<char*> env = c_strings(envp);
    return fork_and_collect(
        [&](int out) {
            std::string problem;
            try {
                problem = setup();
            } catch (...) {
                problem = "the child's setup failed";
            }
            if (problem.empty()) {
                // Only stdin (/dev/null), stdout (the pipe) and stderr reach the
                // program: not what eslaunch inherited (fds of its parent,
                // systemd's LISTEN_FDS), which apply_plan has not swept yet.
                const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null < 0 || ::dup2(null, STDIN_FILENO) != STDIN_FILENO) {
                    problem = fmt::format("/dev/null: {}", std::strerror(errno));
                } else if (::dup2(out, STDOUT_FILENO) != STDOUT_FILENO) {  // dup2 clears CLOEXEC on the copy
                    problem = fmt::format("dup2: {}", std::strerror(errno));
                } else if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0 && errno != ENOSYS && errno != EINVAL) {
                    problem = fmt::format("close_range: {}", std::strerror(errno));
                } else {
                    ::execve(path.c_str(), args.data(), env.data());
                    problem = fmt::format("cannot execute {}: {}", path, std::strerror(errno));
                }
            }
            write_all(out, problem);
            ::_exit(127);
        },
        deadline, -1, max_answer);
}

}  // namespace eslaunch
