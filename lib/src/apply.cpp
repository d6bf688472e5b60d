// The privileged part of eslaunch: short enough to audit in one sitting.
#include "eslaunch/apply.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "eslaunch/values.hpp"
#include "posix.hpp"

namespace eslaunch {
namespace {

rlim_t to_rlim(std::uint64_t v) { return v == limit_infinity ? RLIM_INFINITY : static_cast<rlim_t>(v); }

std::string groups_text(const std::vector<gid_t>& groups) {
    std::string out;
    for (gid_t g : groups) out += (out.empty() ? "" : ",") + std::to_string(g);
    return out;
}

}  // namespace

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

Error apply_plan(const LaunchPlan& plan, Syscalls& sys, KeptFds keep) {
    auto fail = [&](int status, std::string what, std::string hint) {
        return Error{status, plan.file, 0, std::move(what), std::move(hint)};
    };

    // 1. Limits first, while still root: raising a hard limit needs it.
    for (const auto& l : plan.limits) {
        const rlimit value{to_rlim(l.planned.soft), to_rlim(l.planned.hard)};
        if (int err = sys.set_rlimit(limit_rlimit_number(l.resource), value); err != 0) {
            return fail(status::limits,
                        fmt::format("cannot set {} to {} (hard limit now {}): {}", limit_key(l.resource),
                                    format_limit(l.resource, l.planned),
                                    format_limit_number(l.resource, l.current.hard), std::strerror(err)),
                        err == EPERM ? limit_raise_hint(l.resource, l.planned.hard) : "");
        }
    }

    // 2. The umask, before anything creates files.
    if (plan.umask) sys.set_umask(*plan.umask);

    // 3. Groups before the gid, the gid before the uid: each needs root.
    if (plan.change_identity) {
        if (int err = sys.set_groups(plan.groups); err != 0) {
            return fail(status::group, fmt::format("setgroups({}): {}", groups_text(plan.groups), std::strerror(err)),
                        "eslaunch must start as root to switch groups");
        }
        if (int err = sys.set_resgid(plan.gid); err != 0) {
            return fail(status::group, fmt::format("setresgid({}): {}", plan.gid, std::strerror(err)),
                        "eslaunch must start as root to switch groups");
        }
        if (int err = sys.set_resuid(plan.uid); err != 0) {
            return fail(status::user,
                        fmt::format("setresuid({}) for user {}: {}", plan.uid, plan.user_name, std::strerror(err)),
                        err == EAGAIN ? "the user is at its process limit (RLIMIT_NPROC)"
                                      : "eslaunch must start as root to switch users");
        }
        // 4. Check that the kernel did what was asked, and that there is no way back.
        uid_t ru = 0, eu = 0, su = 0;
        gid_t rg = 0, eg = 0, sg = 0;
        if (sys.get_resuid(ru, eu, su) != 0 || ru != plan.uid || eu != plan.uid || su != plan.uid) {
            return fail(status::user, fmt::format("after setresuid({}) the ids are {}/{}/{}", plan.uid, ru, eu, su),
                        "refusing to start the program with unexpected ids");
        }
        if (sys.get_resgid(rg, eg, sg) != 0 || rg != plan.gid || eg != plan.gid || sg != plan.gid) {
            return fail(status::group, fmt::format("after setresgid({}) the ids are {}/{}/{}", plan.gid, rg, eg, sg),
                        "refusing to start the program with unexpected ids");
        }
        if (plan.uid != 0 && sys.try_setuid_root() == 0) {
            return fail(status::user, fmt::format("setuid(0) still works after dropping to uid {}", plan.uid),
                        "refusing to start the program with a way back to root");
        }
    }

    // 5. No setuid binary or file capability can give the program more.
    if (plan.no_new_privileges) {
        if (int err = sys.set_no_new_privs(); err != 0) {
            return fail(status::no_new_privileges, fmt::format("prctl(PR_SET_NO_NEW_PRIVS): {}", std::strerror(err)),
                        "set no_new_privileges=false if this kernel cannot do it");
        }
    }

    // 6. As the user, so the directory's permissions are checked for the user.
    if (plan.directory) {
        if (int err = sys.change_dir(*plan.directory); err != 0) {
            return fail(status::chdir,
                        fmt::format("cannot enter directory {} as {}: {}", *plan.directory, plan.user_name,
                                    std::strerror(err)),
                        "create it, or give the user access to it, or fix directory=");
        }
    }

    // 7. Only 0, 1, 2 (and systemd's sockets) reach the program.
    if (int err = sys.cloexec_inherited_fds(keep.from, keep.count); err != 0) {
        return fail(status::oserr, fmt::format("cannot close inherited file descriptors: {}", std::strerror(err)), "");
    }

    // 8. The readiness watcher, as the user, re-parented so the program never
    //    has a child of ours to reap; it learns from a pipe whether the exec
    //    below worked and from a pidfd when the program dies.
    if (plan.readiness.watcher) {
        if (int err = sys.start_watcher(*plan.readiness.watcher, plan.readiness.watcher_argv,
                                        plan.readiness.watcher_environment.to_envp_strings());
            err != 0) {
            return fail(status::oserr,
                        fmt::format("cannot start {}: {}", *plan.readiness.watcher, std::strerror(err)),
                        "the program was not started");
        }
    }

    // 9. The program takes our place: same PID, signals reach it directly.
    const int err = sys.exec(plan.executable, plan.argv, plan.environment.to_envp_strings());
    return fail(status::exec, fmt::format("cannot execute {} as {}: {}", plan.executable, plan.user_name, std::strerror(err)),
                err == ENOENT ? "check command=" : "check that the user may execute it (and the directories above it)");
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

// A handle on this process that outlives its exec: a pidfd, or before Linux
// 5.3 a /proc/PID directory fd (reading through it fails once the PID is gone).
int open_self_handle() {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));  // pidfds are CLOEXEC
    if (fd >= 0 || errno != ENOSYS) return fd;
    return ::open(fmt::format("/proc/{}", ::getpid()).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

}  // namespace

int RealSyscalls::start_watcher(const std::string& path, const std::vector<std::string>& argv,
                                const std::vector<std::string>& envp) {
    std::vector<char*> args = c_strings(argv);
    std::vector<char*> env = c_strings(envp);
    const int handle = open_self_handle();
    if (handle < 0) return errno;
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        const int err = errno;
        ::close(handle);
        return err;
    }
    const pid_t child = ::fork();
    if (child == 0) {
        // Fork again and leave: the watcher is re-parented at once.
        const pid_t watcher = ::fork();
        if (watcher != 0) ::_exit(watcher < 0 ? 1 : 0);
        // Move both fds out of the way, then to 3 and 4 (dup2 clears CLOEXEC).
        const int h = ::fcntl(handle, F_DUPFD, 10);
        const int r = ::fcntl(pipe_fds[0], F_DUPFD, 10);
        if (h < 0 || r < 0 || ::dup2(h, 3) != 3 || ::dup2(r, 4) != 4) ::_exit(127);
        ::close_range(5, ~0U, 0);  // LISTEN_FDS are the program's; on failure CLOEXEC still holds
        ::execve(path.c_str(), args.data(), env.data());
        const std::string line = fmt::format("eslaunch: cannot execute {}: {}\n", path, std::strerror(errno));
        [[maybe_unused]] ssize_t ignored = ::write(2, line.data(), line.size());
        ::_exit(127);
    }
    const int fork_err = child < 0 ? errno : 0;
    ::close(handle);
    ::close(pipe_fds[0]);
    if (child < 0) {
        ::close(pipe_fds[1]);
        return fork_err;
    }
    int wstatus = 0;
    while (::waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {  // its fork failed
        ::close(pipe_fds[1]);
        return EAGAIN;
    }
    exec_status_fd_ = pipe_fds[1];
    return 0;
}

int RealSyscalls::exec(const std::string& path, const std::vector<std::string>& argv,
                       const std::vector<std::string>& envp) {
    std::vector<char*> args = c_strings(argv);
    std::vector<char*> env = c_strings(envp);
    ::execve(path.c_str(), args.data(), env.data());
    const int err = errno;
    if (exec_status_fd_ >= 0) {  // the watcher tells systemd why
        [[maybe_unused]] ssize_t ignored = ::write(exec_status_fd_, &err, sizeof err);
    }
    return err;
}

}  // namespace eslaunch
