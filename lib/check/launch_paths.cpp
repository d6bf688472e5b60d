// What the launch itself needs before the program runs, asked as the node's
// user: directory= (apply's chdir, status 200) and the program (its execve,
// status 203). `check` used to say "is valid" for a command= that did not
// exist, and the launch then exited 203.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "eslaunch/preflight.hpp"
#include "child.hpp"
#include "node_settings.hpp"
#include "stdin_file.hpp"

namespace eslaunch {
namespace {

using Severity = Finding::Severity;

// What the launch's chdir and execve would meet: 0, or their errno.
struct LaunchErrnos {
    int directory = 0;
    int program = 0;
    bool program_tested = false;  // a relative command= is not, once chdir failed
    int tmpdir_noexec = -1;       // the tmpdir's file system: 1 noexec, 0 not, -1 unknown (or no tmpdir)
};

// Whether the file system of `path`, or of its deepest existing parent
// (the launch creates it), is mounted noexec: 1, 0, or -1 when statvfs
// cannot tell (the user may not search a parent).
int noexec_of(std::string path) {
    while (!path.empty()) {
        struct statvfs vfs {};
        if (::statvfs(path.c_str(), &vfs) == 0) return (vfs.f_flag & ST_NOEXEC) != 0 ? 1 : 0;
        if (errno != ENOENT || path == "/") return -1;
        const std::size_t slash = path.rfind('/');
        path = slash == 0 ? std::string{"/"} : path.substr(0, slash);
    }
    return -1;
}

// execve's answer for `path`, as far as the caller's identity decides it:
// a missing file or directory, a directory it cannot search, a file that is
// not regular or not executable by it (faccessat with the effective ids).
int exec_errno_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno;
    if (!S_ISREG(st.st_mode)) return EACCES;
    return ::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) == 0 ? 0 : errno;
}

// The launch's steps 6 and 9 as the plan's user, in a child that drops to
// it the launch's way (become_planned_user); nullopt with `why` otherwise.
std::optional<LaunchErrnos> errnos_as_user(const LaunchPlan& plan, std::string& why) {
    const ChildResult r = run_in_child(
        [&]() -> std::string {
            if (std::string problem = become_planned_user(plan); !problem.empty()) return "!" + problem;
            LaunchErrnos e;
            if (plan.directory && ::chdir(plan.directory->c_str()) != 0) e.directory = errno;
            e.program_tested = !plan.executable.empty() && (e.directory == 0 || plan.executable.starts_with('/'));
            if (e.program_tested) e.program = exec_errno_of(plan.executable);
            if (!plan.tmpdir.path.empty()) e.tmpdir_noexec = noexec_of(plan.tmpdir.path);
            return fmt::format("{} {} {} {}", e.directory, e.program, e.program_tested ? 1 : 0, e.tmpdir_noexec);
        },
        std::chrono::steady_clock::now() + std::chrono::seconds{5}, -1);
    LaunchErrnos e;
    int tested = 0;
    std::istringstream in{r.output};
    if (r.status == ChildResult::Status::done && (in >> e.directory >> e.program >> tested >> e.tmpdir_noexec)) {
        e.program_tested = tested == 1;
        return e;
    }
    why = r.status == ChildResult::Status::timeout ? "took more than 5 s"
          : r.output.starts_with('!')              ? r.output.substr(1)
                                                   : r.output;
    return std::nullopt;
}

class PathChecker {
public:
    PathChecker(const Spec& spec, const LaunchPlan& plan, const AsUser& as) : spec_(spec), plan_(plan), as_(as) {}
    std::vector<Finding> run();

private:
    [[nodiscard]] std::string where(std::string_view key) const {
        const int line = spec_.line_of(key);
        return line > 0 ? fmt::format("{}:{}", spec_.file, line) : spec_.file;
    }
    void directory_error(int err);
    void program_error(int err);
    void by_mode_bits();
    void tmpdir_noexec_error();
    void unknown_for_user(const std::string& path, const struct stat& st, std::string_view key, std::string_view verb);

    const Spec& spec_;
    const LaunchPlan& plan_;
    const AsUser& as_;
    std::vector<Finding> out_;
};

void PathChecker::directory_error(int err) {
    out_.push_back({Severity::error, "directory",
                    fmt::format("cannot enter directory {} as {}: {}: the launch would exit 200 (CHDIR)",
                                *plan_.directory, as_.user, std::strerror(err)),
                    err == ENOENT ? "create it, or fix directory="
                                  : "give the user access to it (o+x, or a group of the user, on it and every "
                                    "directory above it), or fix directory=",
                    where("directory"), status::chdir});
}

void PathChecker::program_error(int err) {
    out_.push_back({Severity::error, "program",
                    fmt::format("cannot execute {} as {}: {}: the launch would exit 203 (EXEC)", plan_.executable,
                                as_.user, std::strerror(err)),
                    err == ENOENT || err == ENOTDIR
                        ? "fix the program's path in command= (the launch executes it as written)"
                        : "make it a regular file the user may execute (o+x, or a group of the user), in directories "
                          "the user may search, or fix command=",
                    where("command"), status::exec});
}

void PathChecker::tmpdir_noexec_error() {
    out_.push_back({Severity::error, "tmpdir",
                    fmt::format("tmpdir {} is on a file system mounted noexec (statvfs as {}): JNA and libffi map code "
                                "from it, and the node fails to start (\"failed to map segment from shared object\")",
                                cut(plan_.tmpdir.path, 200), as_.user),
                    "set tmpdir= to a directory on a file system without noexec (the default is under /var/lib/"
                    "eslaunch), or remount that one without noexec",
                    spec_.line_of("tmpdir") > 0 ? where("tmpdir") : spec_.file, 0});
}

// Mode bits that let only the owner or the group in: whether the user is
// one of them is what could not be asked here.
void PathChecker::unknown_for_user(const std::string& path, const struct stat& st, std::string_view key,
                                   std::string_view verb) {
    if ((st.st_mode & 01) != 0) return;
    out_.push_back({Severity::warning, std::string{key},
                    fmt::format("only uid {} and gid {} may {} {} (mode {:04o}); whether user {} may was not tested "
                                "here",
                                st.st_uid, st.st_gid, verb, path, static_cast<unsigned>(st.st_mode & 07777), as_.user),
                    "run eslaunch check as root where the user exists", where(key == "program" ? "command" : key)});
}

// Without the user: what stat() says for every user (missing, wrong type,
// no execute bit at all).
void PathChecker::by_mode_bits() {
    struct stat st {};
    bool entered = true;
    if (plan_.directory) {
        const int err = ::stat(plan_.directory->c_str(), &st) == 0 ? 0 : errno;
        if (err == ENOENT || err == ENOTDIR) {
            directory_error(err);
            entered = false;
        } else if (err != 0) {
            // What check's own user cannot see says nothing about the node's user.
        } else if (!S_ISDIR(st.st_mode)) {
            directory_error(ENOTDIR);
            entered = false;
        } else {
            unknown_for_user(*plan_.directory, st, "directory", "enter");
        }
    }
    const std::string& exe = plan_.executable;
    if (exe.empty() || (!entered && !exe.starts_with('/'))) return;
    if (::stat(exe.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) program_error(errno);
    } else if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
        program_error(EACCES);
    } else {
        unknown_for_user(exe, st, "program", "execute");
    }
}

std::vector<Finding> PathChecker::run() {
    if (!as_.possible) {
        out_.push_back({Severity::warning, "as-user",
                        fmt::format("the checks as user {} were skipped: {}; whether it may enter directory=, execute "
                                    "the program and java, and use path.data and path.logs is not known here",
                                    as_.user, as_.why_not),
                        fmt::format("run eslaunch check as root on a host where user {} exists", as_.user),
                        where("user")});
        by_mode_bits();
        return std::move(out_);
    }
    std::string why;
    const auto e = errnos_as_user(plan_, why);
    if (!e) {
        out_.push_back({Severity::warning, "as-user",
                        fmt::format("cannot test directory= and the program as user {}: {}", as_.user, why),
                        "run eslaunch check as the launch runs (as root, for user=)", where("user")});
        by_mode_bits();
        return std::move(out_);
    }
    if (e->directory != 0) directory_error(e->directory);
    if (e->program_tested && e->program != 0) program_error(e->program);
    if (e->tmpdir_noexec == 1) tmpdir_noexec_error();
    return std::move(out_);
}

// stdin=file:PATH as apply's first step opens it. Check as root judges
// what the launch will; as another user only what that user may open.
void check_stdin_file(const Spec& spec, const LaunchPlan& plan, std::vector<Finding>& out) {
    if (plan.stdin_file.empty()) return;
    const std::string where = fmt::format("{}:{}", spec.file, plan.stdin_line);
    auto fd = open_program_stdin(plan);
    if (!fd) {
        const Error& e = fd.error();
        if (::geteuid() != 0 && e.what.find(std::strerror(EACCES)) != std::string::npos) {
            out.push_back({Severity::warning, "stdin",
                           fmt::format("{}: not tested: check runs as uid {}, the launch opens it as root", e.what,
                                       ::geteuid()),
                           "run eslaunch check as root", where});
            return;
        }
        out.push_back({Severity::error, "stdin", fmt::format("{}: the launch would exit {}", e.what, e.status), e.hint,
                       where, e.status});
        return;
    }
    // 7.x's bin/elasticsearch reads the passphrase with `read`, which fails
    // at an EOF that ends no line: the start then fails.
    struct stat st {};
    char last = 0;
    const bool ends_line = ::fstat(fd->get(), &st) == 0 && st.st_size > 0 &&
                           ::pread(fd->get(), &last, 1, st.st_size - 1) == 1 && last == '\n';
    if (search_node(plan.profile) && !ends_line) {
        out.push_back({Severity::warning, "stdin",
                       fmt::format("stdin: file:{} {}: {}'s launch script reads the keystore passphrase as "
                                   "one line and stops at an EOF without a newline (\"Failed to read keystore "
                                   "password on console\")",
                                   cut(plan.stdin_file), st.st_size == 0 ? "is empty" : "does not end with a newline",
                                   plan.profile == Profile::opensearch ? "OpenSearch" : "Elasticsearch"),
                       fmt::format("write the passphrase and a newline: printf '%s\\n' \"$PASSPHRASE\" > {}",
                                   cut(plan.stdin_file)),
                       where});
    }
}

}  // namespace

AsUser as_user_here(const Spec& spec, const LaunchPlan& plan, const Errors& plan_errors) {
    AsUser as;
    as.user = spec.user ? spec.user->text : plan.user_name.empty() ? std::string{"root"} : plan.user_name;
    for (const auto& e : plan_errors) {
        if (e.status != status::user && e.status != status::group) continue;
        as.possible = false;
        as.why_not = fmt::format("{} (status {}, above)", e.what, e.status);
        break;
    }
    return as;
}

std::vector<Finding> check_launch_paths(const Spec& spec, const LaunchPlan& plan, const AsUser& as) {
    std::vector<Finding> found = PathChecker{spec, plan, as}.run();
    check_stdin_file(spec, plan, found);
    std::stable_sort(found.begin(), found.end(),
                     [](const Finding& a, const Finding& b) { return a.severity < b.severity; });  // errors first
    return found;
}

}  // namespace eslaunch
