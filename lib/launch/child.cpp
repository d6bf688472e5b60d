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

#include "eslaunch/values.hpp"
#include "posix.hpp"
#include "text.hpp"

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
ChildResult collect_child(pid_t pid, UniqueFd in, Clock::time_point deadline, int abort_fd, std::size_t max_answer,
                          bool group) {
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
    if (result.status != ChildResult::Status::done) ::kill(group ? -pid : pid, SIGKILL);
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
            result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 0;
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
// parent's); the parent collects what it writes. `group`: the child leads a
// process group of its own, and a kill reaches what it started too.
ChildResult fork_and_collect(const std::function<void(int out)>& body, Clock::time_point deadline, int abort_fd,
                             std::size_t max_answer, bool group = false) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {ChildResult::Status::failed, fmt::format("pipe: {}", std::strerror(errno))};
    UniqueFd in{fds[0]};
    UniqueFd out{fds[1]};
    const pid_t pid = ::fork();
    if (pid < 0) return {ChildResult::Status::failed, fmt::format("fork: {}", std::strerror(errno))};
    if (pid == 0) {
        if (group) ::setpgid(0, 0);
        in.reset();
        body(out.get());
        ::_exit(127);
    }
    if (group) ::setpgid(pid, pid);  // here too: whichever runs first, the group exists before a kill
    out.reset();
    return collect_child(pid, std::move(in), deadline, abort_fd, max_answer, group);
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

namespace {

// The child's side of run_program_in_child: "" once `program` runs (execve
// does not return), else why not; `exec_errno` set when execve failed.
std::string start_program(const ChildProgram& program, char* const* args, char* const* env, int out, int& exec_errno) {
    std::string problem;
    try {
        problem = program.setup ? program.setup() : "";
    } catch (...) {
        problem = "the child's setup failed";
    }
    if (!problem.empty()) return problem;
    // Only stdin (/dev/null), stdout (the pipe) and stderr reach the
    // program: not what eslaunch inherited (fds of its parent, systemd's
    // LISTEN_FDS), which apply_plan has not swept yet.
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, STDIN_FILENO) != STDIN_FILENO) return fmt::format("/dev/null: {}", std::strerror(errno));
    // dup2 clears CLOEXEC on the copy.
    if (::dup2(out, STDOUT_FILENO) != STDOUT_FILENO || (program.stderr_too && ::dup2(out, STDERR_FILENO) != STDERR_FILENO)) {
        return fmt::format("dup2: {}", std::strerror(errno));
    }
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0 && errno != ENOSYS && errno != EINVAL) {
        return fmt::format("close_range: {}", std::strerror(errno));
    }
    ::execve(program.path.c_str(), args, env);
    exec_errno = errno;
    return fmt::format("cannot execute {}: {}", program.path, std::strerror(errno));
}

}  // namespace

ChildResult run_program_in_child(const ChildProgram& program, Clock::time_point deadline, std::size_t max_answer) {
    // Built before fork: after `setup` the child only calls execve.
    std::vector<char*> args = c_strings(program.argv);
    std::vector<char*> env = c_strings(program.envp);
    // Why the program did not start comes on a pipe of its own (closed at
    // exec), so that nothing the program writes can pass for it.
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {ChildResult::Status::failed, fmt::format("pipe: {}", std::strerror(errno))};
    UniqueFd why_in{fds[0]};
    UniqueFd why_out{fds[1]};
    ChildResult r = fork_and_collect(
        [&](int out) {
            int exec_errno = 0;
            const std::string problem = start_program(program, args.data(), env.data(), out, exec_errno);
            std::string report;
            put_field(report, std::to_string(exec_errno));
            put_field(report, problem);
            write_all(why_out.get(), report);
            ::_exit(127);
        },
        deadline, -1, max_answer, true);
    why_out.reset();
    std::string report;
    char buffer[512];
    for (ssize_t n; (n = ::read(why_in.get(), buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        report.append(buffer, static_cast<std::size_t>(n));
    }
    std::string_view rest = report;
    std::string exec_errno, problem;
    if (take_field(rest, exec_errno) && take_field(rest, problem)) {
        r = {ChildResult::Status::failed, std::move(problem)};
        r.exec_errno = static_cast<int>(parse_decimal(exec_errno).value_or(0));
    }
    return r;
}

}  // namespace eslaunch
