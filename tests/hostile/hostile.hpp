// The hostile suite's shared parts: issue 14's reproductions run as root
// against the real binaries, with an unprivileged attacker account beside
// the service user, and a way to measure what a run cost (wall time, CPU,
// peak memory of it and its reaped descendants).
#pragma once

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../integration/run_process.hpp"

namespace eslaunch::testing {

// The attacker: a system account with no privileges, created once.
inline constexpr const char* attacker_user = "eslaunch-attacker";
inline void ensure_attacker_user() {
    if (getpwnam(attacker_user) == nullptr) {
        command_output({"/usr/sbin/useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                        "/usr/sbin/nologin", attacker_user});
    }
}
inline uid_t uid_of(const char* user) {
    const passwd* pw = getpwnam(user);
    if (pw == nullptr) throw std::runtime_error(std::string{"no user "} + user);
    return pw->pw_uid;
}
inline gid_t gid_of(const char* user) {
    const passwd* pw = getpwnam(user);
    if (pw == nullptr) throw std::runtime_error(std::string{"no user "} + user);
    return pw->pw_gid;
}

#define HOSTILE_REQUIRE_ROOT()                                                      \
    do {                                                                            \
        if (geteuid() != 0) GTEST_SKIP() << "the hostile suite needs root";         \
        ::eslaunch::testing::ensure_test_user();                                    \
        ::eslaunch::testing::ensure_attacker_user();                                \
    } while (0)

// What one run of a command cost: wait4()'s rusage covers the command and
// every descendant it reaped (eslaunch-check, a reader child).
struct Usage {
    int status = -1;  // exit status, or 128+signal
    std::string err;  // stderr
    std::chrono::milliseconds wall{0};
    std::chrono::milliseconds cpu{0};  // user + system
    long max_rss_kib = 0;
};

// Runs `command` with `env`, stdout to /dev/null, stderr captured, and
// SIGKILLs it after `limit` (status then 128+9).
inline Usage run_measured(const std::vector<std::string>& command, const std::vector<std::string>& env,
                          std::chrono::milliseconds limit) {
    namespace fs = std::filesystem;
    char tmpl[] = "/tmp/eslaunch-hostile-err.XXXXXX";
    const int efd = mkstemp(tmpl);
    if (efd < 0) throw std::runtime_error("mkstemp");
    close(efd);
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = spawn_command(command, env, tmpl);
    Usage u;
    int wstatus = 0;
    rusage ru{};
    while (true) {
        const pid_t r = wait4(pid, &wstatus, WNOHANG, &ru);
        if (r == pid) break;
        if (std::chrono::steady_clock::now() - start > limit) {
            kill(pid, SIGKILL);
            wait4(pid, &wstatus, 0, &ru);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    u.wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    u.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    u.cpu = std::chrono::milliseconds{(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                                      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000};
    u.max_rss_kib = ru.ru_maxrss;
    std::ifstream in(tmpl);
    u.err.assign(std::istreambuf_iterator<char>(in), {});
    fs::remove(tmpl);
    return u;
}

// Writes `text` to `path` with `mode`, owned by uid:gid.
inline void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode = 0644,
                       uid_t uid = 0, gid_t gid = 0) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    if (chmod(path.c_str(), mode) != 0 || chown(path.c_str(), uid, gid) != 0) {
        throw std::runtime_error("chmod/chown " + path.string());
    }
}

}  // namespace eslaunch::testing
