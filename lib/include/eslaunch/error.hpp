// Errors are values: the library never prints and never exits. Every error
// carries the systemd exit status of the step that failed (eslaunch(1),
// EXIT STATUS) and, for the spec file, the FILE:LINE it is about.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace eslaunch {

// systemd's exit status numbers, so `systemctl status` names the failure.
namespace status {
inline constexpr int ok = 0;
inline constexpr int usage = 64;
inline constexpr int oserr = 71;
inline constexpr int cantcreat = 73;  // an output file that cannot be created (migrate)
inline constexpr int config = 78;
inline constexpr int chdir = 200;
inline constexpr int exec = 203;
inline constexpr int limits = 205;
inline constexpr int group = 216;
inline constexpr int user = 217;
inline constexpr int no_new_privileges = 227;
}  // namespace status

struct Error {
    int status = status::config;
    std::string file;  // empty: not about a file
    int line = 0;      // 0: about the whole file (or no file)
    std::string what;  // what is wrong, naming the value
    std::string hint;  // what to do about it; may be empty

    // "FILE:LINE: what; hint" (parts that are empty are left out).
    [[nodiscard]] std::string str() const;
};

using Errors = std::vector<Error>;

// A value from input as a message shows it: at most `max` bytes, cut at a
// character boundary and followed by "... (N bytes)", so a hostile value
// (a million-digit port) cannot flood a log line.
[[nodiscard]] std::string cut(std::string_view value, std::size_t max = 64);

// A problem with one value, before it is placed at FILE:LINE.
struct Problem {
    std::string what;
    std::string hint;
};

template <class E>
struct Unexpected {
    E error;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

// A small std::expected (C++23) for C++20: a value or an error.
template <class T, class E>
class Expected {
public:
    Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
    Expected(Unexpected<E> e) : v_(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT

    [[nodiscard]] bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    E& error() & { return std::get<1>(v_); }
    const E& error() const& { return std::get<1>(v_); }

private:
    std::variant<T, E> v_;
};

template <class T>
using Result = Expected<T, Errors>;

template <class T>
using Parsed = Expected<T, Problem>;

inline Unexpected<Problem> problem(std::string what, std::string hint = {}) {
    return Unexpected<Problem>{Problem{std::move(what), std::move(hint)}};
}

inline Unexpected<Errors> failure(Error e) {
    return Unexpected<Errors>{Errors{std::move(e)}};
}

inline Unexpected<Errors> failure(Errors e) {
    return Unexpected<Errors>{std::move(e)};
}

// The status a list of errors exits with: the first error's.
[[nodiscard]] int exit_status(const Errors& errors);

// stderr is the journal when JOURNAL_STREAM names its device and inode:
// then each line the programs print carries sd-daemon's priority prefix.
[[nodiscard]] bool stderr_is_journal();

}  // namespace eslaunch
