// Internal to the library (not installed): the POSIX pieces several modules
// share, so each fd has one owner type and each execve one way to build its
// arrays.
#pragma once

#include <unistd.h>

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

}  // namespace eslaunch
