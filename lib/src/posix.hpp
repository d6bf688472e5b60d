// Internal to the library (not installed): the POSIX pieces several modules
// share, so each fd has one owner type and each execve one way to build its
// arrays.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <string>
#include <utility>
#include <vector>

namespace eslaunch {

// An fd, closed when its owner goes (DESIGN.md: RAII for every fd).
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
