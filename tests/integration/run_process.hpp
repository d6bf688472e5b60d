// Runs the real eslaunch binary and captures what it prints.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace eslaunch::testing {

struct RunResult {
    int status = -1;  // exit status, or 128+signal
    std::string out;
    std::string err;
};

// argv or envp for execve, pointing into `strings`, null-terminated; built
// before fork, so the child only execs.
inline std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& str : strings) out.push_back(str.data());
    out.push_back(nullptr);
    return out;
}

// One datagram as systemd's notify socket receives it: the text, the
// sender's pid and uid (when the socket has SO_PASSCRED) and the fds it
// carried (BARRIER=1's pipe), which the caller now owns.
struct ReceivedDatagram {
    std::string text;
    pid_t pid = 0;
    uid_t uid = static_cast<uid_t>(-1);
    std::vector<int> fds;
};

// recvmsg() of one datagram from `fd` (`flags`: MSG_DONTWAIT or 0); nullopt
// when recvmsg fails.
inline std::optional<ReceivedDatagram> receive_datagram(int fd, int flags) {
    char buf[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 16)];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(fd, &msg, flags | MSG_CMSG_CLOEXEC);
    if (n < 0) return std::nullopt;
    ReceivedDatagram d;
    d.text.assign(buf, static_cast<std::size_t>(n));
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_CREDENTIALS) {
            ucred cred{};
            std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
            d.pid = cred.pid;
            d.uid = cred.uid;
        } else if (c->cmsg_type == SCM_RIGHTS) {
            for (std::size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
                int carried = -1;
                std::memcpy(&carried, CMSG_DATA(c) + i * sizeof(int), sizeof carried);
                d.fds.push_back(carried);
            }
        }
    }
    return d;
}

// The binary under test, from the environment meson's test() sets.
inline std::string eslaunch_binary() {
    const char* path = std::getenv("ESLAUNCH_BINARY");
    if (path == nullptr) throw std::runtime_error("ESLAUNCH_BINARY is not set; run through meson test");
    return path;
}

// What a command started by run_command or spawn_command may hold.
// without_sys_resource: CAP_SYS_RESOURCE leaves the bounding and
// inheritable sets before the exec, so root runs without it, as on a
// machine that lacks it (for root, exec grants bounding | inheritable).
enum class Caps { inherit, without_sys_resource };

// In the child, before its exec; false when it could not be done. Not
// root and unable to drop it (no CAP_SETPCAP): its exec grants nothing.
inline bool drop_cap_sys_resource() {
    if (prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) == 1 &&
        prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) != 0 && (errno != EPERM || geteuid() == 0)) {
        return false;
    }
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &header, data) != 0) return false;
    const unsigned bit = 1U << (CAP_SYS_RESOURCE % 32);
    auto& d = data[CAP_SYS_RESOURCE / 32];
    d.inheritable &= ~bit;
    d.permitted &= ~bit;
    d.effective &= ~bit;
    return syscall(SYS_capset, &header, data) == 0;
}

// Whether this process may raise hard limits (CAP_SYS_RESOURCE effective),
// as eslaunch decides it (lib/launch/host.cpp).
inline bool have_cap_sys_resource() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &header, data) != 0) return false;
    return ((data[CAP_SYS_RESOURCE / 32].effective >> (CAP_SYS_RESOURCE % 32)) & 1U) != 0;
}

// A hard RLIMIT_NOFILE any root may set for a command (lowering needs no
// capability): `wanted`, or this process's own hard limit when lower.
inline rlim_t settable_nofile_hard(rlim_t wanted) {
    rlimit own{};
    if (getrlimit(RLIMIT_NOFILE, &own) != 0) throw std::runtime_error("getrlimit(RLIMIT_NOFILE)");
    return std::min(wanted, own.rlim_max);
}

// The start of every skip that depends on what this machine is, not on
// what is installed: scripts/test lists these with their reason and lets
// them pass, and fails on any other skip as root.
inline constexpr const char* machine_bound = "machine-bound: ";
inline constexpr const char* needs_cap_sys_resource =
    "machine-bound: needs CAP_SYS_RESOURCE, which this root lacks (CapEff in /proc/self/status): "
    "it cannot raise a hard limit here";

// Runs argv (argv[0] a path); `env` replaces the environment when not empty.
// `stderr_path`, when set, receives stderr instead of RunResult::err.
// `leak_fd`, when >= 3, is left open in the child without O_CLOEXEC, as a
// careless parent would. `caps`: see Caps.
inline RunResult run_command(const std::vector<std::string>& command, const std::vector<std::string>& env = {},
                             const std::string& cwd = {}, const std::string& stderr_path = {}, int leak_fd = -1,
                             Caps caps = Caps::inherit) {
    int out_pipe[2];
    int err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const std::string binary = command.front();
    std::vector<std::string> argv_storage = command;
    std::vector<char*> argv = c_strings(argv_storage);
    std::vector<std::string> env_storage = env;
    std::vector<char*> envp = c_strings(env_storage);

    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        dup2(out_pipe[1], 1);
        if (stderr_path.empty()) {
            dup2(err_pipe[1], 2);
        } else {
            const int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0 || dup2(fd, 2) < 0) _exit(125);
        }
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
        if (leak_fd >= 3) {
            const int fd = open("/dev/null", O_RDONLY);
            if (fd < 0 || dup2(fd, leak_fd) < 0) _exit(125);
        }
        if (caps == Caps::without_sys_resource && !drop_cap_sys_resource()) _exit(124);
        if (env.empty()) execv(binary.c_str(), argv.data());
        else execve(binary.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    RunResult result;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, 10'000) <= 0) break;
        for (auto& p : fds) {
            if (p.fd < 0 || (p.revents & (POLLIN | POLLHUP)) == 0) continue;
            char buf[4096];
            const ssize_t n = read(p.fd, buf, sizeof buf);
            if (n <= 0) {
                close(p.fd);
                p.fd = -1;
                --open_fds;
                continue;
            }
            (&p == &fds[0] ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
        }
    }
    for (auto& p : fds) {
        if (p.fd >= 0) close(p.fd);
    }
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    result.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return result;
}

// A variable meson test sets, or an exception that says so.
inline std::string getenv_or_fail(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) throw std::runtime_error(std::string{name} + " is not set; run through meson test");
    return v;
}

// What a helper command printed, without its last newlines; it must succeed.
inline std::string command_output(const std::vector<std::string>& argv) {
    auto r = run_command(argv, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
    if (r.status != 0) throw std::runtime_error(argv[0] + " failed: " + r.err);
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
}

// The system user the launch tests run programs as (in group
// eslaunch-extra besides its own), created once if missing; root only.
inline constexpr const char* test_user = "eslaunch-test";
inline constexpr const char* test_extra_group = "eslaunch-extra";
inline void ensure_test_user() {
    if (getgrnam(test_extra_group) == nullptr) command_output({"/usr/sbin/groupadd", "--system", test_extra_group});
    if (getpwnam(test_user) == nullptr) {
        command_output({"/usr/sbin/useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                        "/usr/sbin/nologin", "--groups", test_extra_group, test_user});
    }
}

inline RunResult run_eslaunch(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                              const std::string& cwd = {}) {
    std::vector<std::string> command{eslaunch_binary()};
    command.insert(command.end(), args.begin(), args.end());
    return run_command(command, env, cwd);
}

// JOURNAL_STREAM=DEV:INODE naming `path` (which must exist), as systemd
// sets it when stderr is the journal's stream.
inline std::string journal_stream_naming(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) throw std::runtime_error("stat " + path);
    return "JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// The lines of `text`, without their newlines; a last line without one too.
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// Starts argv (argv[0] a path) without waiting for it: stdin and stdout from
// and to /dev/null, stderr appended to `stderr_path`, the environment
// replaced by `env`. For programs that keep running (eslaunch becomes the
// program it launches); pair with wait_exit or kill_and_reap. `caps`: see Caps.
inline pid_t spawn_command(const std::vector<std::string>& command, const std::vector<std::string>& env,
                           const std::string& stderr_path, Caps caps = Caps::inherit) {
    std::vector<std::string> argv_storage = command;
    std::vector<char*> argv = c_strings(argv_storage);
    std::vector<std::string> env_storage = env;
    std::vector<char*> envp = c_strings(env_storage);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (null < 0 || err < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(err, 2) < 0) _exit(125);
        if (caps == Caps::without_sys_resource && !drop_cap_sys_resource()) _exit(124);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    return pid;
}

// Waits up to `timeout` for `pid`, a child of ours, to exit and reaps it:
// its exit status (128+signal when killed), or nothing when it still runs.
inline std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int wstatus = 0;
        const pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid) return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        if (r < 0 && errno != EINTR) throw std::runtime_error("waitpid " + std::to_string(pid) + ": not our child");
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds{2});
    }
}

// SIGKILL to `pid`, a child of ours, and reap it (no-op when already reaped).
inline void kill_and_reap(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

// A TCP port on loopback that nothing listens on right now: the kernel picks
// it (bind to port 0), so parallel tests do not collide. `ipv6`: on ::1.
inline std::uint16_t free_port(bool ipv6 = false) {
    const int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket");
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (ipv6) {
        auto& a6 = reinterpret_cast<sockaddr_in6&>(addr);
        a6.sin6_family = AF_INET6;
        a6.sin6_addr = in6addr_loopback;
        len = sizeof a6;
    } else {
        auto& a4 = reinterpret_cast<sockaddr_in&>(addr);
        a4.sin_family = AF_INET;
        a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof a4;
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        close(fd);
        throw std::runtime_error(std::string{"cannot bind a free port on "} + (ipv6 ? "::1" : "127.0.0.1"));
    }
    close(fd);
    return ntohs(ipv6 ? reinterpret_cast<sockaddr_in6&>(addr).sin6_port : reinterpret_cast<sockaddr_in&>(addr).sin_port);
}

// A root-owned 0755 directory for a launch test, as eslaunch wants the
// spec's directories, with out/ (1777) where the program, as any user, writes.
// Empty when mkdtemp fails.
inline std::filesystem::path make_launch_dir(const std::string& name) {
    namespace fs = std::filesystem;
    std::string tmpl = "/tmp/eslaunch-" + name + ".XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return {};
    const fs::path dir = tmpl;
    fs::permissions(dir, fs::perms(0755));
    fs::create_directory(dir / "out");
    fs::permissions(dir / "out", fs::perms(01777));
    return dir;
}

}  // namespace eslaunch::testing
