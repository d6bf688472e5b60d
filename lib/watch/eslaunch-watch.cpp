// eslaunch-watch: the readiness watcher. eslaunch starts it as the service
// user just before it execs the program (eslaunch(1), READINESS), with
//   fd 3  a handle on the program: a pidfd, or a /proc/PID directory fd
//   fd 4  the read end of a CLOEXEC pipe: EOF when the exec worked, an errno
//         when it failed, watch_not_started when eslaunch gave up on it
//   fd 5  the start-up report pipe: "ok", or why it cannot watch; eslaunch
//         execs the program only after "ok" (apply.hpp)
// and the options on its command line (readiness.hpp, watch_args). It probes
// the program, tells systemd (READY=1, MAINPID, STATUS, EXTEND_TIMEOUT_USEC,
// WATCHDOG=1) or, without NOTIFY_SOCKET, writes a line on stderr; and it exits
// at once when the program dies.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "eslaunch/apply.hpp"  // the fds eslaunch passes
#include "eslaunch/environment.hpp"
#include "eslaunch/readiness.hpp"
#include "eslaunch/values.hpp"
#include "notify.hpp"
#include "posix.hpp"  // read_small_file: /proc without stdio
#include "probe.hpp"
#include "status.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Outcome = eslaunch::ProbeResult::Outcome;
using eslaunch::format_elapsed;

constexpr int program_fd = eslaunch::watch_program_fd;
constexpr int exec_status_fd = eslaunch::watch_exec_status_fd;
constexpr int report_fd = eslaunch::watch_report_fd;
constexpr int exit_usage = 64;
// While nothing listens on the port, look again this often: on this host
// the look is one sock_diag request (probe.cpp), so readiness is seen within
// a few milliseconds of the port opening at well under 1% of a core
// (bench/RESULTS.md, "Readiness").
constexpr milliseconds port_watch_interval{10};
// The longest one probe try may take.
constexpr milliseconds try_budget{5s};
// The self-check over sd-bus holds up the first probe and EXTEND_TIMEOUT_USEC
// at most this long. A busy node beside it delays systemd's answer to 0.25 s
// here; past this the unit's TimeoutStartSec and warnings go unread.
constexpr milliseconds self_check_budget{2s};

// One line on stderr, written at once. Not through stdio: the watcher lives
// beside the node as long as it runs, and every part of libc it touches
// stays resident (bench/RESULTS.md, "Readiness").
void log_line(int priority, std::string_view text) {
    static const bool journal = eslaunch::stderr_is_journal();
    const std::string line = journal ? fmt::format("<{}>eslaunch: {}\n", priority, text)
                                     : fmt::format("eslaunch: {}\n", text);
    for (std::size_t done = 0; done < line.size();) {
        const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
}

milliseconds since(Clock::time_point t) { return std::chrono::duration_cast<milliseconds>(Clock::now() - t); }

// The program's PID and whether fd 3 is a pidfd (poll says when it exits) or
// a /proc/PID directory (read through it to see whether it still exists).
struct Program {
    pid_t pid = 0;
    bool pidfd = false;

    [[nodiscard]] int poll_fd() const { return pidfd ? program_fd : -1; }
    [[nodiscard]] bool gone() const {
        if (pidfd) {
            pollfd p{program_fd, POLLIN, 0};
            return ::poll(&p, 1, 0) > 0;
        }
        const int fd = ::openat(program_fd, "stat", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return true;  // ESRCH: that process is gone, even if the PID was reused
        ::close(fd);
        return false;
    }
    // Sleeps up to `d`; false when the program died meanwhile.
    [[nodiscard]] bool sleep(milliseconds d) const {
        const auto until = Clock::now() + d;
        while (true) {
            const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
            if (pidfd) {
                pollfd p{program_fd, POLLIN, 0};
                const int n = ::poll(&p, 1, static_cast<int>(std::max(left, milliseconds{0}).count()));
                if (n > 0) return false;
                if (n == 0 || errno != EINTR) return true;
            } else {
                if (left > 0ms) ::usleep(static_cast<useconds_t>(std::min(left, milliseconds{100}).count() * 1000));
                if (gone()) return false;
                if (left <= 0ms) return true;
            }
        }
    }
};

// The decimal number (with an optional '-') right after `key` in `text`.
std::optional<long> number_after(std::string_view text, std::string_view key) {
    const std::size_t at = text.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(at + key.size());
    const bool negative = !rest.empty() && rest.front() == '-';
    if (negative) rest.remove_prefix(1);
    long n = 0;
    std::size_t digits = 0;
    for (; digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9' && digits < 10; ++digits) {
        n = n * 10 + (rest[digits] - '0');
    }
    if (digits == 0) return std::nullopt;
    return negative ? -n : n;
}

std::optional<Program> find_program() {
    Program p;
    const std::string fd = std::to_string(program_fd);
    // A pidfd's fdinfo has "Pid:\t1234" (-1 once the process was reaped).
    if (auto pid = number_after(eslaunch::read_small_file("/proc/self/fdinfo/" + fd), "\nPid:\t")) {
        p.pid = static_cast<pid_t>(*pid);
        p.pidfd = true;
        return p;
    }
    char target[64] = {};
    if (::readlink(("/proc/self/fd/" + fd).c_str(), target, sizeof target - 1) > 0) {
        if (auto pid = number_after(target, "/proc/"); pid && *pid > 0) {
            p.pid = static_cast<pid_t>(*pid);
            return p;
        }
    }
    return std::nullopt;
}

// Why fd 3 is not the program's handle, for the report.
std::string program_fd_problem() {
    std::string text = "fd 3 is not the program's pidfd or /proc directory";
    if (::access("/proc/self/fdinfo", F_OK) != 0) {
        text += fmt::format(" (/proc/self/fdinfo: {}; is /proc mounted?)", std::strerror(errno));
    }
    return text;
}

// Whether `fd` is a pipe open for `mode` (O_RDONLY, O_WRONLY).
bool is_pipe(int fd, int mode) {
    struct stat st {};
    const int flags = ::fcntl(fd, F_GETFL);
    return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && flags >= 0 && (flags & O_ACCMODE) == mode;
}

// The start-up report on fd 5, one line, then the pipe closed (no probe child
// inherits it). False when eslaunch no longer reads it: it gave up on us.
bool report(std::string_view line) {
    const std::string text = fmt::format("{}\n", line);
    ssize_t n = 0;
    do {
        n = ::write(report_fd, text.data(), text.size());
    } while (n < 0 && errno == EINTR);
    ::close(report_fd);
    return n == static_cast<ssize_t>(text.size());
}

// What must hold before eslaunch may exec the program, "" when it does:
// the options parse, fd 3 is the program's handle (`program`), fd 4 the
// exec-status pipe.
std::string start_up_problem(const eslaunch::Parsed<eslaunch::WatchOptions>& options,
                             std::optional<Program>& program) {
    if (!options) {
        const eslaunch::Problem& p = options.error();
        return fmt::format("{}{}", p.what, p.hint.empty() ? "" : "; " + p.hint);
    }
    program = find_program();
    if (!program) return program_fd_problem();
    if (!is_pipe(exec_status_fd, O_RDONLY)) return "fd 4 is not the exec-status pipe";
    return {};
}

// Blocks until the exec happened: 0 (EOF: the exec closed eslaunch's end),
// the errno of the failed execve, or watch_not_started (also for anything
// but one int: only an exec that worked gives EOF).
int wait_for_exec() {
    int err = 0;
    ssize_t n = 0;
    do {
        n = ::read(exec_status_fd, &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    ::close(exec_status_fd);
    if (n == 0) return 0;
    return n == static_cast<ssize_t>(sizeof err) && err != 0 ? err : eslaunch::watch_not_started;
}

std::vector<std::string> exec_probe_environment() {
    eslaunch::EnvMap env = eslaunch::EnvMap::from_envp(environ);
    for (std::string_view name : eslaunch::notify_variables) env.erase(name);
    return env.to_envp_strings();
}

std::optional<std::uint64_t> env_usec(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    auto n = eslaunch::parse_decimal(v);
    if (!n || *n == 0) return std::nullopt;
    return *n;
}

class Watcher {
public:
    Watcher(eslaunch::WatchOptions o, Program program, std::unique_ptr<eslaunch::Probe> probe,
            const eslaunch::Notifier& notify)
        : o_(std::move(o)), program_(program), probe_(std::move(probe)), probe_text_(o_.probe.str()), notify_(notify) {}

    int run() {
        std::optional<std::uint64_t> start_timeout;
        if (std::getenv("NOTIFY_SOCKET") != nullptr || std::getenv("INVOCATION_ID") != nullptr) {
            self_check(start_timeout);
        }
        if (o_.probe.kind == eslaunch::ReadyProbe::Kind::none) return ready("started");

        // next_extend from after the self-check: no burst to catch up.
        Waiting w{eslaunch::extend_cadence(start_timeout), Clock::now(), start_};
        while (true) {
            const auto elapsed = since(start_);
            if (!o_.timeout.infinite() && elapsed >= *o_.timeout.value) return timed_out(w.last);
            tell_waiting(w, elapsed);
            const eslaunch::ProbeResult r = try_once(w.port_open);
            if (r.outcome == Outcome::aborted) return program_died();
            if (r.outcome == Outcome::ready) return ready(r.text);
            remember(w, r);
            if (!program_.sleep(std::min(wait_after(r), until_timeout()))) return program_died();
        }
    }

private:
    // The wait for readiness: when systemd is told next, and the last try.
    struct Waiting {
        eslaunch::ExtendCadence cadence;
        Clock::time_point next_extend;
        Clock::time_point next_status;
        std::string last{};        // what the STATUS= line says of the last try
        bool last_failed = false;  // `last` is a try's failure, not a refused connect
        bool port_open = false;
    };

    // EXTEND_TIMEOUT_USEC at its cadence, and STATUS= once a second.
    void tell_waiting(Waiting& w, milliseconds elapsed) const {
        if (w.cadence.every > 0us && Clock::now() >= w.next_extend) {
            notify_.send(fmt::format("EXTEND_TIMEOUT_USEC={}", w.cadence.extend_by.count()));
            w.next_extend += w.cadence.every;
        }
        if (Clock::now() >= w.next_status) {
            notify_.send("STATUS=" + eslaunch::waiting_line(o_.program, elapsed, probe_text_, w.last));
            w.next_status = Clock::now() + 1s;
        }
    }

    // A try that did not find the program ready.
    void remember(Waiting& w, const eslaunch::ProbeResult& r) const {
        if (r.outcome == Outcome::refused) w.port_open = false;
        // A try that ready_timeout cut short ("timed out after 1 ms")
        // says less than a failed one before it, which the line keeps.
        const bool cut = r.outcome == Outcome::failed && w.last_failed && until_timeout() == 0ms;
        if (r.text != w.last && !cut) w.next_status = Clock::now();  // say it at once when it changes
        if (!cut) {
            w.last = r.text;
            w.last_failed = r.outcome == Outcome::failed;
        }
    }

    // While nothing listens on the port, it is looked at more often.
    [[nodiscard]] milliseconds wait_after(const eslaunch::ProbeResult& r) const {
        return r.outcome == Outcome::refused ? std::min(port_watch_interval, *o_.interval.value) : *o_.interval.value;
    }

    // One try: while the port is not known to listen, a connect first.
    eslaunch::ProbeResult try_once(bool& port_open) {
        if (!probe_->has_port() || port_open) return probe_->run(next_budget(), program_.poll_fd());
        eslaunch::ProbeResult r = probe_->connect_only(next_budget(), program_.poll_fd());
        if (r.outcome != Outcome::ready) return r;
        port_open = true;
        if (o_.probe.kind == eslaunch::ReadyProbe::Kind::tcp) return r;
        return probe_->run(next_budget(), program_.poll_fd());
    }
    // Until ready_timeout, rounded up, so that a sleep this long ends at or
    // after it; 0 once past.
    [[nodiscard]] milliseconds until_timeout() const {
        if (o_.timeout.infinite()) return milliseconds::max();
        return std::max(0ms, std::chrono::ceil<milliseconds>(start_ + *o_.timeout.value - Clock::now()));
    }
    // A try's budget: 5 s, cut to what is left of ready_timeout, so that the
    // "not ready" line comes on time whatever the probe meets (eslaunch.ini(5)).
    [[nodiscard]] milliseconds next_budget() const { return std::clamp(until_timeout(), 1ms, try_budget); }

    void self_check(std::optional<std::uint64_t>& start_timeout) {
        auto unit = eslaunch::read_unit_info(program_.pid, self_check_budget);
        if (!unit) {
            // Best effort: the readiness protocol works without it.
            if (notify_.enabled()) log_line(6, fmt::format("cannot check the unit over sd-bus ({})", unit.error()));
            return;
        }
        if (unit->main_pid == static_cast<std::uint32_t>(program_.pid)) start_timeout = unit->timeout_start_usec;
        for (const auto& w : eslaunch::unit_warnings(*unit, static_cast<std::uint32_t>(program_.pid), o_.probe)) {
            log_line(4, "warning: " + w);
        }
    }

    // 8.3+: the main process is Elasticsearch's CLI and the server its
    // child, forked by any of its threads (java runs main() in one of its
    // own). The node's user writes these files: bounded reads, never shown.
    [[nodiscard]] std::optional<std::uint32_t> server_child() const {
        const std::string task = fmt::format("/proc/{}/task", program_.pid);
        DIR* dir = ::opendir(task.c_str());
        if (dir == nullptr) return std::nullopt;
        std::optional<std::uint32_t> found;
        for (int n = 0; n < 4096 && !found; ++n) {
            const dirent* entry = ::readdir(dir);
            if (entry == nullptr) break;
            if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
            const std::string children = eslaunch::read_small_file(task + "/" + entry->d_name + "/children");
            for (std::uint32_t child : eslaunch::parse_children(children)) {
                if (eslaunch::runs_elasticsearch_server(eslaunch::read_small_file(fmt::format("/proc/{}/cmdline", child)))) {
                    found = child;
                    break;
                }
            }
        }
        ::closedir(dir);
        return found;
    }

    int ready(const std::string& result) {
        const auto main_pid = static_cast<std::uint32_t>(program_.pid);
        const std::string line =
            eslaunch::ready_line(o_.program, since(start_), probe_text_, result, main_pid, server_child());
        notify_.send(fmt::format("READY=1\nMAINPID={}\nSTATUS={}", program_.pid, line));
        notify_.barrier(5s);
        log_line(6, line);
        if (!o_.watchdog) return 0;
        return watchdog();
    }

    // After ready: WATCHDOG=1 at half the interval, only while the probe passes.
    int watchdog() {
        const auto usec = env_usec("WATCHDOG_USEC");
        if (!usec || !notify_.enabled()) {
            log_line(4, "warning: watchdog=true, but the unit sets no WatchdogSec=: nothing to feed; add WatchdogSec= "
                        "to its [Service] section");
            return 0;
        }
        const milliseconds every = std::max(milliseconds{1}, std::chrono::duration_cast<milliseconds>(
                                                                  std::chrono::microseconds{*usec} / 2));
        const milliseconds budget = std::max(milliseconds{1}, std::min(try_budget, every / 2));
        bool healthy = true;
        while (true) {
            const auto started = Clock::now();
            const eslaunch::ProbeResult r = probe_->run(budget, program_.poll_fd());
            if (r.outcome == Outcome::aborted) return program_died();
            if (r.outcome == Outcome::ready) {
                notify_.send("WATCHDOG=1");
                if (!healthy) notify_.send(fmt::format("STATUS=healthy again ({} -> {})", probe_text_, r.text));
                healthy = true;
            } else if (healthy) {
                const std::string line = fmt::format("{} failed its health probe ({} -> {}): no watchdog ping",
                                                     o_.program, probe_text_, r.text);
                notify_.send("STATUS=" + line);
                log_line(4, "warning: " + line);
                healthy = false;
            }
            if (!program_.sleep(every - std::min(every, since(started)))) return program_died();
        }
    }

    int timed_out(const std::string& last) {
        const std::string line = eslaunch::timeout_line(o_.program, o_.timeout, probe_text_, last);
        notify_.send("STATUS=" + line);
        log_line(3, line);
        return 1;
    }

    static int program_died() { return 0; }  // systemd or supervisord reports that; nothing left to watch

    eslaunch::WatchOptions o_;
    Program program_;
    std::unique_ptr<eslaunch::Probe> probe_;
    std::string probe_text_;
    const eslaunch::Notifier& notify_;  // main's: one socket to NOTIFY_SOCKET
    Clock::time_point start_ = Clock::now();
};

}  // namespace

int main(int argc, char** argv) {
    ::prctl(PR_SET_NAME, "eslaunch-watch", 0, 0, 0);
    if (!is_pipe(report_fd, O_WRONLY)) {
        log_line(3, "eslaunch-watch: fd 5 is not eslaunch's start-up report pipe; eslaunch-watch is started by "
                    "eslaunch, not by hand (eslaunch(1))");
        return exit_usage;
    }
    // Sound, or eslaunch does not start the program: it prints our reason.
    const std::vector<std::string> args(argv + 1, argv + argc);
    auto options = eslaunch::parse_watch_args(args);
    std::optional<Program> program;
    if (const std::string problem = start_up_problem(options, program); !problem.empty()) {
        report(problem);
        return exit_usage;
    }
    if (!report("ok")) return 1;  // eslaunch gave up on us and exits without the program
    const eslaunch::Notifier notify;
    if (!notify.problem().empty()) {
        log_line(4, fmt::format("warning: {}: systemd hears nothing from eslaunch-watch (no READY=1); a unit sets "
                                "it, not the spec", notify.problem()));
    }
    // The exec's outcome before anything else: when it failed, eslaunch has
    // usually exited (and been reaped) before we get here, and the errno in
    // the pipe is all that is left to tell.
    const int err = wait_for_exec();
    if (err == eslaunch::watch_not_started) return 1;  // eslaunch said why, and runs no program
    if (err != 0) {
        // eslaunch itself prints the error and exits 203; systemd shows this.
        notify.send(fmt::format("STATUS={} did not start: exec failed: {}", options->program, std::strerror(err)));
        notify.barrier(1s);
        return 1;
    }
    if (program->pid <= 0 || program->gone()) return 0;  // it exited already: nothing to watch
    auto probe = eslaunch::make_probe(*options, exec_probe_environment());
    if (!probe) {
        notify.send(fmt::format("STATUS=cannot probe {}: {}", options->program, probe.error()));
        log_line(3, fmt::format("error: cannot probe {}: {}", options->program, probe.error()));
        return 1;
    }
    return Watcher{std::move(*options), *program, std::move(*probe), notify}.run();
}
