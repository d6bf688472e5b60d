// apply: the only code that changes the process. One function, in the order
// DESIGN.md gives, each step's failure with its own exit status; nothing runs
// after a failed step. The system calls go through `Syscalls` so tests can
// record the order and inject errors.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "eslaunch/error.hpp"
#include "eslaunch/plan.hpp"

namespace eslaunch {

// Each call returns 0 or an errno value.
class Syscalls {
public:
    virtual ~Syscalls() = default;
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
    // Starts eslaunch-watch (DESIGN.md, step 7) with fd 3 a handle on this
    // process and fd 4 the read end of a CLOEXEC pipe; exec() reports its
    // errno into that pipe when it fails.
    virtual int start_watcher(const std::string& path, const std::vector<std::string>& argv,
                              const std::vector<std::string>& envp) = 0;
    virtual int exec(const std::string& path, const std::vector<std::string>& argv,
                     const std::vector<std::string>& envp) = 0;  // returns only on failure
};

// The real system calls.
class RealSyscalls final : public Syscalls {
public:
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
    int start_watcher(const std::string& path, const std::vector<std::string>& argv,
                      const std::vector<std::string>& envp) override;
    int exec(const std::string& path, const std::vector<std::string>& argv,
             const std::vector<std::string>& envp) override;

private:
    int exec_status_fd_ = -1;  // the watcher's pipe, write end
};

// systemd's LISTEN_FDS range to keep open, from the program's environment:
// {3, n} when LISTEN_PID is this process, else {0, 0}.
struct KeptFds {
    unsigned from = 0;
    unsigned count = 0;
};
[[nodiscard]] KeptFds listen_fds(const EnvMap& env, pid_t self);

// Performs the plan and execs the program. Returns only on failure: the
// error of the step that failed.
[[nodiscard]] Error apply_plan(const LaunchPlan& plan, Syscalls& sys, KeptFds keep);

// The text for a limit setrlimit() refused (EPERM), naming the current hard
// limit and the ways to raise it. Shared by plan and apply.
[[nodiscard]] std::string limit_raise_hint(LimitResource r, std::uint64_t wanted_hard);

}  // namespace eslaunch
