// apply: the only code that changes the process. One function, in the order
// eslaunch(1) gives, each step's failure with its own exit status; nothing runs
// after a failed step. The system calls go through `Syscalls` so tests can
// record the order and inject errors.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "eslaunch/error.hpp"
#include "eslaunch/plan.hpp"

namespace eslaunch {

// eslaunch-watch's file descriptors (eslaunch(1), READINESS, the start handshake):
//   3  a handle on this process, which becomes the program: a pidfd, or
//      before Linux 5.3 a /proc/PID directory fd
//   4  the read end of a CLOEXEC pipe: EOF once the program's exec worked,
//      else one int, the errno of the failed execve or `watch_not_started`
//   5  the write end of the start-up report pipe: the watcher writes "ok\n",
//      or one line saying why it cannot watch, before eslaunch goes on
inline constexpr int watch_program_fd = 3;
inline constexpr int watch_exec_status_fd = 4;
inline constexpr int watch_report_fd = 5;
// On fd 4: eslaunch exits without executing the program (its watcher's
// start-up failed); a watcher still there exits without a word to systemd.
inline constexpr int watch_not_started = -1;

// How starting eslaunch-watch went.
struct WatcherStart {
    enum class Outcome {
        running,      // it was executed and reported "ok"
        exec_failed,  // its execve failed: `err`
        refused,      // it ran and reported `reason` instead (its own words: untrusted)
        failed,       // a system call failed (`err`), or no report came (`reason`)
    };
    Outcome outcome = Outcome::running;
    int err = 0;
    std::string reason;
};

// Each call but start_watcher returns 0 or an errno value.
class Syscalls {
public:
    virtual ~Syscalls() = default;
    // The program's stdin (stdin=, opened as root and kept until
    // set_stdin): the error (78, or 71), or nothing.
    virtual std::optional<Error> open_stdin(const LaunchPlan& plan) = 0;
    virtual int set_rlimit(int resource, const rlimit& limit) = 0;
    virtual void set_umask(mode_t mask) = 0;
    virtual int set_groups(const std::vector<gid_t>& groups) = 0;
    virtual int set_resgid(gid_t gid) = 0;
    virtual int set_resuid(uid_t uid) = 0;
    virtual int get_resuid(uid_t& r, uid_t& e, uid_t& s) = 0;
    virtual int get_resgid(gid_t& r, gid_t& e, gid_t& s) = 0;
    virtual int try_setuid_root() = 0;  // must fail once privileges are dropped
    virtual int set_no_new_privs() = 0;
    virtual int change_dir(const std::string& dir) = 0;
    virtual int cloexec_inherited_fds(unsigned keep_from, unsigned keep_count) = 0;  // all >= 3 but a kept range
    virtual int set_stdin() = 0;  // dup2 of what open_stdin opened onto fd 0
    // Starts eslaunch-watch with the fds above and returns once it has
    // reported its start-up (or failed to); exec() reports its errno on fd 4
    // when it fails.
    virtual WatcherStart start_watcher(const std::string& path, const std::vector<std::string>& argv,
                                       const std::vector<std::string>& envp) = 0;
    virtual int exec(const std::string& path, const std::vector<std::string>& argv,
                     const std::vector<std::string>& envp) = 0;  // returns only on failure
    // Creates the plan's tmpdir for its user, as root, following no link
    // (the real one unless a test replaces it). The error, or nothing.
    virtual std::optional<Error> make_tmpdir(const LaunchPlan& plan);
};

// The real system calls.
class RealSyscalls final : public Syscalls {
public:
    RealSyscalls() = default;
    RealSyscalls(const RealSyscalls&) = delete;
    RealSyscalls& operator=(const RealSyscalls&) = delete;
    ~RealSyscalls() override;
    std::optional<Error> open_stdin(const LaunchPlan& plan) override;
    int set_rlimit(int resource, const rlimit& limit) override;
    void set_umask(mode_t mask) override;
    int set_groups(const std::vector<gid_t>& groups) override;
    int set_resgid(gid_t gid) override;
    int set_resuid(uid_t uid) override;
    int get_resuid(uid_t& r, uid_t& e, uid_t& s) override;
    int get_resgid(gid_t& r, gid_t& e, gid_t& s) override;
    int try_setuid_root() override;
    int set_no_new_privs() override;
    int change_dir(const std::string& dir) override;
    int cloexec_inherited_fds(unsigned keep_from, unsigned keep_count) override;
    int set_stdin() override;
    WatcherStart start_watcher(const std::string& path, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp) override;
    int exec(const std::string& path, const std::vector<std::string>& argv,
             const std::vector<std::string>& envp) override;

private:
    int exec_status_fd_ = -1;  // the watcher's pipe, write end
    int stdin_fd_ = -1;        // open_stdin's, close-on-exec
};

// systemd's LISTEN_FDS range to keep open, from the program's environment:
// {3, n} when LISTEN_PID is this process, else {0, 0}.
struct KeptFds {
    unsigned from = 0;
    unsigned count = 0;
};
[[nodiscard]] KeptFds listen_fds(const EnvMap& env, pid_t self);

// Becomes the plan's user for good, the one way every process that runs as
// the node's user does it (the program, the reader of elasticsearch.yml,
// check's java -version): setgroups, setresgid, setresuid when the plan
// changes identity, then the check that the ids took and that setuid(0)
// fails, then PR_SET_NO_NEW_PRIVS when `no_new_privs`. The error, with
// apply's status for the step, or nothing.
[[nodiscard]] std::optional<Error> drop_privileges(const LaunchPlan& plan, Syscalls& sys, bool no_new_privs);

// Performs the plan and execs the program. Returns only on failure: the
// error of the step that failed.
[[nodiscard]] Error apply_plan(const LaunchPlan& plan, Syscalls& sys, KeptFds keep);

// How long start_watcher waits for the watcher's report: its start-up is an
// execve of a libc-only program and two reads of /proc, milliseconds on an
// idle host; 10 s tolerates a loaded one, well within systemd's start timeout.
inline constexpr int watch_report_timeout_s = 10;

// The error of a watcher that cannot be executed as the plan's user (errno
// `err`), with the fix: the launch exits with it (203), and `check`, which
// asks the same as that user, reports it.
[[nodiscard]] Error watcher_exec_error(const LaunchPlan& plan, int err);

// The text for a limit setrlimit() refused (EPERM), naming the current hard
// limit and the ways to raise it. Shared by plan and apply.
[[nodiscard]] std::string limit_raise_hint(LimitResource r, std::uint64_t wanted_hard);

}  // namespace eslaunch
