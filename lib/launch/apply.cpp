// The privileged part of eslaunch: short enough to audit in one sitting.
#include "eslaunch/apply.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

#include "eslaunch/values.hpp"
#include "path_walk.hpp"
#include "posix.hpp"
#include "stdin_file.hpp"
#include "text.hpp"

namespace eslaunch {
namespace {

rlim_t to_rlim(std::uint64_t v) { return v == limit_infinity ? RLIM_INFINITY : static_cast<rlim_t>(v); }

Error step_error(const LaunchPlan& plan, int status, std::string what, std::string hint) {
    return Error{status, plan.file, 0, std::move(what), std::move(hint)};
}


// The watcher's words as a message shows them: its first line, control
// characters as '?', cut; it runs as the service user, which may forge them.
std::string shown(std::string_view reason) {
    std::string line{reason.substr(0, reason.find('\n'))};
    for (char& c : line) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return cut(line, 160);
}

Error watcher_start_error(const LaunchPlan& plan, const WatcherStart& w) {
    const std::string& path = *plan.readiness.watcher;
    if (w.outcome == WatcherStart::Outcome::exec_failed) return watcher_exec_error(plan, w.err);
    if (w.outcome == WatcherStart::Outcome::refused) {
        return Error{status::oserr, plan.file, 0, fmt::format("{} refused to start: {}", path, shown(w.reason)),
                     "the program was not started; reinstall eslaunch (its watcher must be of the same build) and "
                     "check that /proc is mounted"};
    }
    return Error{status::oserr, plan.file, 0,
                 fmt::format("cannot start {}: {}", path, w.reason.empty() ? std::strerror(w.err) : w.reason),
                 "the program was not started"};
}

}  // namespace

Error watcher_exec_error(const LaunchPlan& plan, int err) {
    const std::string& path = plan.readiness.watcher.value_or("eslaunch-watch");
    return Error{status::exec, plan.file, 0,
                 fmt::format("cannot execute {} as user {}: {}", path, plan.user_name, std::strerror(err)),
                 err == ENOENT ? "reinstall eslaunch, or set ready=none; the program starts only once its watcher runs"
                               : fmt::format("make it a regular file the user may execute (chmod 0755 {}, and every "
                                             "directory above it searchable), or reinstall eslaunch; the program "
                                             "starts only once its watcher runs", path)};
}

std::string limit_raise_hint(LimitResource r, std::uint64_t wanted_hard) {
    const std::string n = format_limit_number(r, wanted_hard);
    std::string hint = fmt::format("raise the hard limit where eslaunch starts: {}={} in the unit", limit_unit_directive(r), n);
    if (r == LimitResource::nofile) hint += fmt::format(", or minfds={} in [supervisord]", n);
    else if (r == LimitResource::nproc) hint += fmt::format(", or minprocs={} in [supervisord]", n);
    return hint + ", or run eslaunch as root with CAP_SYS_RESOURCE";
}

KeptFds listen_fds(const EnvMap& env, pid_t self) {
    const std::string* pid = env.get("LISTEN_PID");
    const std::string* fds = env.get("LISTEN_FDS");
    if (pid == nullptr || fds == nullptr) return {};
    auto p = parse_decimal(*pid);
    auto n = parse_decimal(*fds);
    if (!p || !n || static_cast<pid_t>(*p) != self || *n > 4096) return {};
    return {3, static_cast<unsigned>(*n)};
}

std::optional<Error> drop_privileges(const LaunchPlan& plan, Syscalls& sys, bool no_new_privs) {
    // Groups before the gid, the gid before the uid: each needs root.
    if (plan.change_identity) {
        if (int err = sys.set_groups(plan.groups); err != 0) {
            return step_error(plan, status::group,
                              fmt::format("setgroups({}): {}", gid_list(plan.groups), std::strerror(err)),
                              "eslaunch must start as root to switch groups");
        }
        if (int err = sys.set_resgid(plan.gid); err != 0) {
            return step_error(plan, status::group, fmt::format("setresgid({}): {}", plan.gid, std::strerror(err)),
                              "eslaunch must start as root to switch groups");
        }
        if (int err = sys.set_resuid(plan.uid); err != 0) {
            return step_error(plan, status::user,
                              fmt::format("setresuid({}) for user {}: {}", plan.uid, plan.user_name,
                                          std::strerror(err)),
                              err == EAGAIN ? "the user is at its process limit (RLIMIT_NPROC)"
                                            : "eslaunch must start as root to switch users");
        }
        // Check that the kernel did what was asked, and that there is no way back.
        uid_t ru = 0, eu = 0, su = 0;
        gid_t rg = 0, eg = 0, sg = 0;
        if (sys.get_resuid(ru, eu, su) != 0 || ru != plan.uid || eu != plan.uid || su != plan.uid) {
            return step_error(plan, status::user,
                              fmt::format("after setresuid({}) the ids are {}/{}/{}", plan.uid, ru, eu, su),
                              "refusing to start the program with unexpected ids");
        }
        if (sys.get_resgid(rg, eg, sg) != 0 || rg != plan.gid || eg != plan.gid || sg != plan.gid) {
            return step_error(plan, status::group,
                              fmt::format("after setresgid({}) the ids are {}/{}/{}", plan.gid, rg, eg, sg),
                              "refusing to start the program with unexpected ids");
        }
        if (plan.uid != 0 && sys.try_setuid_root() == 0) {
            return step_error(plan, status::user,
                              fmt::format("setuid(0) still works after dropping to uid {}", plan.uid),
                              "refusing to start the program with a way back to root");
        }
    }

    // No setuid binary or file capability can give the program more.
    if (no_new_privs) {
        if (int err = sys.set_no_new_privs(); err != 0) {
            return step_error(plan, status::no_new_privileges,
                              fmt::format("prctl(PR_SET_NO_NEW_PRIVS): {}", std::strerror(err)),
                              "set no_new_privileges=false if this kernel cannot do it");
        }
    }
    return std::nullopt;
}

namespace {

std::optional<Error> set_limits(const LaunchPlan& plan, Syscalls& sys) {
    for (const auto& l : plan.limits) {
        const rlimit value{to_rlim(l.planned.soft), to_rlim(l.planned.hard)};
        if (int err = sys.set_rlimit(limit_rlimit_number(l.resource), value); err != 0) {
            return step_error(plan, status::limits,
                              fmt::format("cannot set {} to {} (hard limit now {}): {}", limit_key(l.resource),
                                          format_limit(l.resource, l.planned),
                                          format_limit_number(l.resource, l.current.hard), std::strerror(err)),
                              err != EPERM       ? std::string{}
                              : !l.why.empty()   ? fmt::format("{} needs it: {}", l.why, memory_lock_hint(l.why))
                                                 : limit_raise_hint(l.resource, l.planned.hard));
        }
    }
    return std::nullopt;
}

std::optional<Error> enter_directory(const LaunchPlan& plan, Syscalls& sys) {
    if (!plan.directory) return std::nullopt;
    if (int err = sys.change_dir(*plan.directory); err != 0) {
        return step_error(plan, status::chdir,
                          fmt::format("cannot enter directory {} as {}: {}", *plan.directory, plan.user_name,
                                      std::strerror(err)),
                          "create it, or give the user access to it, or fix directory=");
    }
    return std::nullopt;
}

std::optional<Error> close_inherited_fds(const LaunchPlan& plan, Syscalls& sys, KeptFds keep) {
    if (int err = sys.cloexec_inherited_fds(keep.from, keep.count); err != 0) {
        return step_error(plan, status::oserr,
                          fmt::format("cannot close inherited file descriptors: {}", std::strerror(err)), "");
    }
    return std::nullopt;
}

std::optional<Error> start_readiness_watcher(const LaunchPlan& plan, Syscalls& sys) {
    if (!plan.readiness.watcher) return std::nullopt;
    const WatcherStart w = sys.start_watcher(*plan.readiness.watcher, plan.readiness.watcher_argv,
                                             plan.readiness.watcher_environment.to_envp_strings());
    if (w.outcome != WatcherStart::Outcome::running) return watcher_start_error(plan, w);
    return std::nullopt;
}

// Onto fd 0 only now: the watcher, started before, keeps eslaunch's own.
std::optional<Error> give_stdin(const LaunchPlan& plan, Syscalls& sys) {
    if (int err = sys.set_stdin(); err != 0) {
        return Error{status::oserr, plan.file, plan.stdin_line,
                     fmt::format("cannot make the program's stdin: dup2: {}", std::strerror(err)), ""};
    }
    return std::nullopt;
}

// execve returns only when it failed.
Error exec_program(const LaunchPlan& plan, Syscalls& sys) {
    const int err = sys.exec(plan.executable, plan.argv, plan.environment.to_envp_strings());
    return step_error(plan, status::exec,
                      fmt::format("cannot execute {} as {}: {}", plan.executable, plan.user_name, std::strerror(err)),
                      err == ENOENT ? "check command="
                                    : "check that the user may execute it (and the directories above it)");
}

}  // namespace

// The steps in order, each one call that returns its error; nothing runs
// after a failed step.
Error apply_plan(const LaunchPlan& plan, Syscalls& sys, KeptFds keep) {
    // 0. stdin=, opened as root before anything changes: a file that fails
    //    its checks stops the launch with nothing applied.
    if (auto error = sys.open_stdin(plan)) return *error;
    // 1. Limits first, while still root: raising a hard limit needs it.
    if (auto error = set_limits(plan, sys)) return *error;
    // 2. The umask, before anything creates files.
    if (plan.umask) sys.set_umask(*plan.umask);
    // 2b. The node's tmpdir, as root: its parents are root's.
    if (!plan.tmpdir.path.empty()) {
        if (auto error = sys.make_tmpdir(plan)) return *error;
    }
    // 3-5. The node's user, for good (drop_privileges).
    if (auto error = drop_privileges(plan, sys, plan.no_new_privileges)) return *error;
    // 6. As the user, so the directory's permissions are checked for the user.
    if (auto error = enter_directory(plan, sys)) return *error;
    // 7. Only 0, 1, 2 (and systemd's sockets) reach the program.
    if (auto error = close_inherited_fds(plan, sys, keep)) return *error;
    // 8. The readiness watcher, as the user, re-parented so the program never
    //    has a child of ours to reap; the program only once it has reported
    //    that it runs and can watch it: without it, nothing reports READY=1.
    if (auto error = start_readiness_watcher(plan, sys)) return *error;
    // 9. stdin= onto fd 0, for the program alone.
    if (auto error = give_stdin(plan, sys)) return *error;
    // 10. The program takes our place: same PID, signals reach it directly.
    return exec_program(plan, sys);
}

std::optional<Error> Syscalls::make_tmpdir(const LaunchPlan& plan) {
    return make_private_dir(plan.tmpdir.path, plan.uid, plan.gid, plan.file);
}

RealSyscalls::~RealSyscalls() {
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
}

std::optional<Error> RealSyscalls::open_stdin(const LaunchPlan& plan) {
    auto fd = open_program_stdin(plan);
    if (!fd) return std::move(fd.error());
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    stdin_fd_ = fd->release();
    return std::nullopt;
}

int RealSyscalls::set_stdin() {
    if (stdin_fd_ < 0) return EBADF;
    return ::dup2(stdin_fd_, STDIN_FILENO) == STDIN_FILENO ? 0 : errno;
}

int RealSyscalls::set_rlimit(int resource, const rlimit& limit) {
    return ::setrlimit(static_cast<__rlimit_resource>(resource), &limit) == 0 ? 0 : errno;
}

void RealSyscalls::set_umask(mode_t mask) { ::umask(mask); }

int RealSyscalls::set_groups(const std::vector<gid_t>& groups) {
    return ::setgroups(groups.size(), groups.data()) == 0 ? 0 : errno;
}

int RealSyscalls::set_resgid(gid_t gid) { return ::setresgid(gid, gid, gid) == 0 ? 0 : errno; }
int RealSyscalls::set_resuid(uid_t uid) { return ::setresuid(uid, uid, uid) == 0 ? 0 : errno; }
int RealSyscalls::get_resuid(uid_t& r, uid_t& e, uid_t& s) { return ::getresuid(&r, &e, &s) == 0 ? 0 : errno; }
int RealSyscalls::get_resgid(gid_t& r, gid_t& e, gid_t& s) { return ::getresgid(&r, &e, &s) == 0 ? 0 : errno; }
int RealSyscalls::try_setuid_root() { return ::setuid(0) == 0 ? 0 : errno; }
int RealSyscalls::set_no_new_privs() { return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno; }
int RealSyscalls::change_dir(const std::string& dir) { return ::chdir(dir.c_str()) == 0 ? 0 : errno; }

int RealSyscalls::cloexec_inherited_fds(unsigned keep_from, unsigned keep_count) {
    // CLOEXEC rather than close: if execve fails, stderr and the rest still work.
    auto mark = [](unsigned first, unsigned last) -> int {
        if (first > last) return 0;
        if (::close_range(first, last, CLOSE_RANGE_CLOEXEC) == 0) return 0;
        if (errno != ENOSYS && errno != EINVAL) return errno;
        // Kernels before 5.11: walk /proc/self/fd.
        DIR* dir = ::opendir("/proc/self/fd");
        if (dir == nullptr) return errno;
        const int skip = ::dirfd(dir);
        while (dirent* entry = ::readdir(dir)) {
            auto fd = parse_decimal(entry->d_name);
            if (!fd || static_cast<int>(*fd) == skip || *fd < first || *fd > last) continue;
            const int flags = ::fcntl(static_cast<int>(*fd), F_GETFD);
            if (flags >= 0) ::fcntl(static_cast<int>(*fd), F_SETFD, flags | FD_CLOEXEC);
        }
        ::closedir(dir);
        return 0;
    };
    if (keep_count == 0) return mark(3, ~0U);
    if (int err = mark(3, keep_from - 1); err != 0) return err;
    return mark(keep_from + keep_count, ~0U);
}

namespace {

using Clock = std::chrono::steady_clock;

// A handle on this process that outlives its exec: a pidfd, or before Linux
// 5.3 a /proc/PID directory fd (reading through it fails once the PID is gone).
int open_self_handle() {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));  // pidfds are CLOEXEC
    if (fd >= 0 || errno != ENOSYS) return fd;
    return ::open(fmt::format("/proc/{}", ::getpid()).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

// What the watcher's process writes on its spawn pipe (fd 6, CLOEXEC) when
// it cannot become the watcher; the pipe's EOF means its execve worked.
struct SpawnFailure {
    int execve = 0;  // 0: setting up fds 3 to 6 failed; 1: execve itself
    int err = 0;
};

// The grandchild: fds 3, 4 and 5 as the watcher takes them, 6 the spawn
// pipe, nothing else (LISTEN_FDS are the program's); then execve.
[[noreturn]] void become_watcher(const char* path, char* const* argv, char* const* envp, int handle, int exec_in,
                                 int report_out, int spawn_out) {
    // Moved out of the way first (CLOEXEC copies; dup2 clears it on 3 to 5).
    const int h = ::fcntl(handle, F_DUPFD_CLOEXEC, 10);
    const int e = ::fcntl(exec_in, F_DUPFD_CLOEXEC, 10);
    const int r = ::fcntl(report_out, F_DUPFD_CLOEXEC, 10);
    const int s = ::fcntl(spawn_out, F_DUPFD_CLOEXEC, 10);
    SpawnFailure failure;
    if (h >= 0 && e >= 0 && r >= 0 && s >= 0 && ::dup2(h, watch_program_fd) == watch_program_fd &&
        ::dup2(e, watch_exec_status_fd) == watch_exec_status_fd && ::dup2(r, watch_report_fd) == watch_report_fd &&
        ::dup3(s, 6, O_CLOEXEC) == 6) {
        ::close_range(7, ~0U, 0);  // on failure CLOEXEC still holds
        ::execve(path, argv, envp);
        failure.execve = 1;
    }
    failure.err = errno;
    [[maybe_unused]] ssize_t ignored = ::write(failure.execve == 1 ? 6 : s, &failure, sizeof failure);
    ::_exit(127);
}

enum class Read { done, timeout, failed };

// What `fd` gives until EOF, `max` bytes, a newline (`line`) or `deadline`,
// appended to `out`. Bounded: the watcher's side runs as the service user.
Read read_bounded(int fd, std::string& out, std::size_t max, bool line, Clock::time_point deadline) {
    char buf[256];
    while (out.size() < max && !(line && out.find('\n') != std::string::npos)) {
        const Waited w = wait_fd(fd, POLLIN, -1, deadline);
        if (w != Waited::ready) return w == Waited::timeout ? Read::timeout : Read::failed;
        const ssize_t n = ::read(fd, buf, std::min(sizeof buf, max - out.size()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Read::failed;
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return Read::done;
}

// The watcher's start-up, by `deadline`: first the spawn pipe (our code
// before its execve), then the watcher's own report, one short line.
WatcherStart await_report(int spawn_in, int report_in, Clock::time_point deadline) {
    using Outcome = WatcherStart::Outcome;
    const std::string late = fmt::format("it did not report its start-up within {} s", watch_report_timeout_s);
    std::string spawned;
    Read r = read_bounded(spawn_in, spawned, sizeof(SpawnFailure), false, deadline);
    if (r != Read::done) return {Outcome::failed, errno, r == Read::timeout ? late : ""};
    if (spawned.size() == sizeof(SpawnFailure)) {
        SpawnFailure f;
        std::memcpy(&f, spawned.data(), sizeof f);
        if (f.execve == 1) return {Outcome::exec_failed, f.err, ""};
        return {Outcome::failed, f.err, fmt::format("setting up its file descriptors: {}", std::strerror(f.err))};
    }
    std::string report;
    r = read_bounded(report_in, report, 256, true, deadline);
    if (r != Read::done) return {Outcome::failed, errno, r == Read::timeout ? late : ""};
    if (report.empty()) return {Outcome::failed, 0, "it exited without reporting its start-up"};
    if (report == "ok\n" || report == "ok") return {};
    return {Outcome::refused, 0, report};
}

// A pipe whose ends are both CLOEXEC.
bool make_pipe(UniqueFd& in, UniqueFd& out) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    in = UniqueFd{fds[0]};
    out = UniqueFd{fds[1]};
    return true;
}

// One int on the program's exec-status pipe, for a watcher waiting on fd 4.
// eslaunch exits after it: ignoring SIGPIPE (a watcher already gone) then
// changes nothing the program would inherit.
void send_exec_status(int fd, int value) {
    ::signal(SIGPIPE, SIG_IGN);
    [[maybe_unused]] ssize_t ignored = ::write(fd, &value, sizeof value);
}

}  // namespace

WatcherStart RealSyscalls::start_watcher(const std::string& path, const std::vector<std::string>& argv,
                                         const std::vector<std::string>& envp) {
    using Outcome = WatcherStart::Outcome;
    const auto deadline = Clock::now() + std::chrono::seconds{watch_report_timeout_s};
    std::vector<char*> args = c_strings(argv);
    std::vector<char*> env = c_strings(envp);
    UniqueFd handle{open_self_handle()};
    UniqueFd exec_in, exec_out, report_in, report_out, spawn_in, spawn_out;
    if (handle.get() < 0 || !make_pipe(exec_in, exec_out) || !make_pipe(report_in, report_out) ||
        !make_pipe(spawn_in, spawn_out)) {
        return {Outcome::failed, errno, ""};
    }
    const pid_t child = ::fork();
    if (child == 0) {
        // Fork again and leave: the watcher is re-parented at once.
        const pid_t watcher = ::fork();
        if (watcher != 0) ::_exit(watcher < 0 ? 1 : 0);
        become_watcher(path.c_str(), args.data(), env.data(), handle.get(), exec_in.get(), report_out.get(),
                       spawn_out.get());
    }
    if (child < 0) return {Outcome::failed, errno, ""};
    // Only the watcher keeps these: EOF on the spawn and report pipes then
    // means it exec'd, or exited.
    handle.reset();
    exec_in.reset();
    report_out.reset();
    spawn_out.reset();
    int wstatus = 0;
    while (::waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
    }
    WatcherStart started{Outcome::failed, EAGAIN, ""};  // the middle process's fork failed
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        started = await_report(spawn_in.get(), report_in.get(), deadline);
    }
    if (started.outcome != Outcome::running) {
        report_in.reset();  // a late watcher's report then fails, and it exits
        send_exec_status(exec_out.get(), watch_not_started);
        return started;
    }
    exec_status_fd_ = ::fcntl(exec_out.get(), F_DUPFD_CLOEXEC, 3);  // kept until exec(), which closes it
    if (exec_status_fd_ < 0) {
        send_exec_status(exec_out.get(), watch_not_started);
        return {Outcome::failed, errno, ""};
    }
    return started;
}

int RealSyscalls::exec(const std::string& path, const std::vector<std::string>& argv,
                       const std::vector<std::string>& envp) {
    std::vector<char*> args = c_strings(argv);
    std::vector<char*> env = c_strings(envp);
    ::execve(path.c_str(), args.data(), env.data());
    const int err = errno;
    if (exec_status_fd_ >= 0) send_exec_status(exec_status_fd_, err);  // the watcher tells systemd why
    return err;
}

}  // namespace eslaunch
