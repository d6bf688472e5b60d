// Internal to the library (not installed): work done in a short-lived
// child process. eslaunch-watch uses it so that what the work loads never
// counts in the long-lived watcher: the https:// probe (libcurl and its TLS
// stack, about 10 MiB) and the unit self-check (libsystemd's sd-bus) dlopen()
// their library in such a child, and the watcher itself maps only libc
// (bench/RESULTS.md, "Readiness"). The launch and check's preflight use it
// to read elasticsearch.yml as the service's user, not as root
// (plan_launch_reading_node_settings, gather_preflight_facts).
#pragma once

#include <dlfcn.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace eslaunch {

struct ChildResult {
    enum class Status {
        done,     // the child wrote `output` and exited 0
        timeout,  // killed at the deadline
        aborted,  // killed because abort_fd became readable (the program died)
        failed,   // fork failed, or the child died without finishing: `output` says how
    };
    Status status = Status::failed;
    std::string output;
    int signal = 0;      // `failed` because a signal killed the child: which
    int exit_code = 0;   // `failed` because it exited non-zero: the status
    int exec_errno = 0;  // run_program_in_child: `failed` because execve failed with this
};

// The most a child's answer may hold unless its caller says otherwise.
inline constexpr std::size_t default_max_answer = std::size_t{1} << 20;

// Forks; the child runs `work` and sends back the string it returns. The
// caller must be single-threaded (the child may dlopen). The child is killed
// (SIGKILL) and reaped at `deadline` or as soon as `abort_fd` (when >= 0) is
// readable; it is always reaped before this returns. An answer longer than
// `max_answer` is not cut: the child is killed, and the result is `failed`,
// "its answer was over N MiB".
[[nodiscard]] ChildResult run_in_child(const std::function<std::string()>& work,
                                       std::chrono::steady_clock::time_point deadline, int abort_fd,
                                       std::size_t max_answer = default_max_answer);

// A program to run in a child: `setup` runs first, as the child (e.g.
// dropping privileges; it returns why it cannot go on, or ""), then `path`
// is executed with its stdin /dev/null, its stdout a pipe to us (and its
// stderr too with `stderr_too`, else ours) and no other fd.
struct ChildProgram {
    std::string path;
    std::vector<std::string> argv;
    std::vector<std::string> envp;
    std::function<std::string()> setup;
    bool stderr_too = false;
};

// Runs `program` in a process group of its own and returns what it wrote,
// as run_in_child does (`max_answer` too). A setup that fails: `failed`
// with its reason; an execve that fails: `failed`, `exec_errno` set. At
// `deadline` the whole group is killed, and the child reaped.
[[nodiscard]] ChildResult run_program_in_child(const ChildProgram& program,
                                               std::chrono::steady_clock::time_point deadline,
                                               std::size_t max_answer = default_max_answer);

// dlopen() of a library by its soname, or a message that names it and the
// Debian package that has it. Only ever called in a child of run_in_child.
// Defined in dlopen.cpp, which only eslaunch-watch's archive holds: the
// root-run launcher loads no libcurl or libsystemd.
[[nodiscard]] void* open_library(const char* soname, const char* package, std::string& error);

// Looks `name` up in `lib` (opened by open_library as `soname`) into `fn`,
// typed as the library's header declares it; the first name missing goes
// into `error`.
template <class Fn>
void find_symbol(void* lib, const char* soname, Fn& fn, const char* name, std::string& error) {
    if (void* p = ::dlsym(lib, name); p != nullptr) {
        fn = reinterpret_cast<Fn>(p);
    } else if (error.empty()) {
        error = std::string{soname} + " has no " + name;
    }
}

}  // namespace eslaunch
