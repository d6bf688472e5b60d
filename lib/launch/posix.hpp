// Internal to the library (not installed): the POSIX pieces several modules
// share, so each fd has one owner type and each execve one way to build its
// arrays.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <string>
#include <utility>
#include <vector>

namespace eslaunch {

// An fd, closed when its owner goes: RAII for every fd.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] int release() { return std::exchange(fd_, -1); }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

// argv or envp for execve: pointers into `strings` (which must outlive
// them), then the null that ends the array. Built before fork, so the child
// only execs.
inline std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));  // execve's signature
    out.push_back(nullptr);
    return out;
}

// Milliseconds until `deadline`, rounded up, 0 once past, at most a minute:
// a poll() timeout.
inline int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

enum class Waited { ready, timeout, aborted, failed };

// Waits for `events` (or an error or hang-up) on fd, or for abort_fd (when
// >= 0) to become readable, until `deadline`: poll() for remaining_ms() at a
// time, EINTR retried. A deadline already past still polls once without
// waiting, so what is ready then counts. failed: poll() itself failed, errno
// says why.
inline Waited wait_fd(int fd, short events, int abort_fd, std::chrono::steady_clock::time_point deadline) {
    while (true) {
        pollfd fds[2] = {{fd, events, 0}, {abort_fd, POLLIN, 0}};
        const int n = ::poll(fds, abort_fd >= 0 ? 2 : 1, remaining_ms(deadline));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Waited::failed;
        if (abort_fd >= 0 && fds[1].revents != 0) return Waited::aborted;
        if (n > 0 && fds[0].revents != 0) return Waited::ready;
        if (std::chrono::steady_clock::now() >= deadline) return Waited::timeout;
    }
}

// A small file's text, /proc files included (their size says 0): up to
// about 1 MiB; empty when it cannot be opened. O_CLOEXEC, as every fd
// eslaunch opens, so none can reach the program.
inline std::string read_small_file(const std::string& path) {
    const UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
    std::string text;
    if (fd.get() < 0) return text;
    char buf[4096];
    while (text.size() <= (1 << 20)) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

}  // namespace eslaunch
