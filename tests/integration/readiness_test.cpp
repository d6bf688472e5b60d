// Readiness end to end, as root (issue 4, "Tests"): the real eslaunch and
// eslaunch-watch, the fake Elasticsearch opening its port after a delay
// (tests/fake-es), and a test-owned AF_UNIX datagram socket with SO_PASSCRED
// as NOTIFY_SOCKET that plays systemd: it records every sd_notify message with
// its sender's pid and uid, and closes the fd of BARRIER=1 as systemd does.
//
// The test process is a child subreaper, so the watcher (eslaunch forks
// twice; the middle process exits) is re-parented to us rather than to init,
// and we can wait for it with a timeout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "run_process.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using ::testing::HasSubstr;

// The service account the launch tests use (launch_test.cpp makes it the same way).

const std::vector<std::string> base_env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0644)) {
    std::ofstream(path) << text;
    fs::permissions(path, mode);
}

long ms_between(Clock::time_point from, Clock::time_point to) {
    return static_cast<long>(std::chrono::duration_cast<milliseconds>(to - from).count());
}

// One sd_notify datagram: its lines and who sent it (SCM_CREDENTIALS).
struct Datagram {
    std::string text;
    pid_t pid = 0;
    uid_t uid = 0;
    Clock::time_point at;

    // The value of the line NAME=VALUE, if the datagram has one.
    [[nodiscard]] std::optional<std::string> field(std::string_view name) const {
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) {
            if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == '=') {
                return line.substr(name.size() + 1);
            }
        }
        return std::nullopt;
    }
};
using Datagrams = std::vector<Datagram>;

// The first datagram at or after `from` with NAME= whose value contains
// `part`; its index.
std::optional<std::size_t> find(const Datagrams& ds, std::string_view name, std::string_view part = "",
                                std::size_t from = 0) {
    for (std::size_t i = from; i < ds.size(); ++i) {
        if (auto v = ds[i].field(name); v && v->find(part) != std::string::npos) return i;
    }
    return std::nullopt;
}

std::size_t count(const Datagrams& ds, std::string_view name, std::size_t from = 0) {
    std::size_t n = 0;
    for (std::size_t i = from; i < ds.size(); ++i) n += ds[i].field(name).has_value() ? 1 : 0;
    return n;
}

// Plays systemd's notify socket. A thread reads every datagram as it
// arrives, so sd_notify_barrier in the watcher returns at once, as under
// systemd, whatever the test is waiting for meanwhile.
class NotifySocket {
public:
    explicit NotifySocket(const fs::path& path) : path_(path.string()), born_(Clock::now()) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0 || pipe2(stop_, O_CLOEXEC) != 0) throw std::runtime_error("socket/pipe");
        const int one = 1;
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (path_.size() >= sizeof addr.sun_path) throw std::runtime_error("notify socket path too long: " + path_);
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        if (setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 ||
            bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            throw std::runtime_error("cannot bind the notify socket " + path_ + ": " + std::strerror(errno));
        }
        // The watcher runs as the service user, and sending needs write access.
        chmod(path_.c_str(), 0777);
        reader_ = std::thread([this] { read_loop(); });
    }
    ~NotifySocket() {
        [[maybe_unused]] ssize_t ignored = write(stop_[1], "x", 1);
        reader_.join();
        close(fd_);
        close(stop_[0]);
        close(stop_[1]);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }

    [[nodiscard]] Datagrams messages() const {
        std::lock_guard lock(mutex_);
        return messages_;
    }

    // Waits until `done(messages)` holds; false after `timeout`.
    bool wait_until(const std::function<bool(const Datagrams&)>& done, milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return arrived_.wait_for(lock, timeout, [&] { return done(messages_); });
    }
    // Waits for a datagram with NAME= containing `part`, the first at or
    // after index `from`; its index.
    std::optional<std::size_t> wait_for(std::string_view name, std::string_view part, milliseconds timeout,
                                        std::size_t from = 0) {
        std::optional<std::size_t> index;
        wait_until([&](const Datagrams& ds) { return (index = find(ds, name, part, from)).has_value(); }, timeout);
        return index;
    }

    // Sends a datagram of its own and waits until it is read: every datagram
    // sent before this call has then been read too (the socket keeps order).
    bool mark(milliseconds timeout) {
        const std::string text = "X_TEST_MARK=" + std::to_string(++marks_);
        const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        const bool sent = fd >= 0 && sendto(fd, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&addr),
                                            sizeof addr) == static_cast<ssize_t>(text.size());
        if (fd >= 0) close(fd);
        return sent && wait_for("X_TEST_MARK", text.substr(text.find('=') + 1), timeout).has_value();
    }

    // Everything received, for failure messages.
    [[nodiscard]] std::string dump() const {
        std::string out = "datagrams on " + path_ + " (ms since the socket was made, sender pid/uid):\n";
        for (const auto& d : messages()) {
            std::string text = d.text;
            std::replace(text.begin(), text.end(), '\n', '|');
            out += "  " + std::to_string(ms_between(born_, d.at)) + " ms, pid " + std::to_string(d.pid) + " uid " +
                   std::to_string(d.uid) + ": " + text + "\n";
        }
        return out;
    }

private:
    void read_loop() {
        while (true) {
            pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
            if (poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (fds[1].revents != 0) return;
            if (fds[0].revents != 0) receive_one();
        }
    }

    void receive_one() {
        auto received = receive_datagram(fd_, MSG_DONTWAIT);
        if (!received) return;
        // BARRIER=1 carries a pipe's write end: closing it is the answer.
        for (int fd : received->fds) close(fd);
        Datagram d{std::move(received->text), received->pid, received->uid, Clock::now()};
        {
            std::lock_guard lock(mutex_);
            messages_.push_back(std::move(d));
        }
        arrived_.notify_all();
    }

    std::string path_;
    Clock::time_point born_;
    int fd_ = -1;
    int stop_[2] = {-1, -1};
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    Datagrams messages_;
    int marks_ = 0;
};

// The node the watcher probes, played by the test: it reads each request
// and answers 200, or, while held, answers nothing and keeps the connection
// until the prober closes it. It counts the requests it read.
class ProbeServer {
public:
    ProbeServer() {
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 8) != 0 ||
            getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0 || pipe2(stop_, O_CLOEXEC) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { loop(); });
    }
    ~ProbeServer() {
        [[maybe_unused]] ssize_t ignored = write(stop_[1], "x", 1);
        thread_.join();
        close(fd_);
        close(stop_[0]);
        close(stop_[1]);
    }
    ProbeServer(const ProbeServer&) = delete;
    ProbeServer& operator=(const ProbeServer&) = delete;

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    void hold(bool on) { hold_ = on; }
    [[nodiscard]] std::size_t requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    bool wait_requests(std::size_t n, milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return arrived_.wait_for(lock, timeout, [&] { return requests_ >= n; });
    }

private:
    // Waits for `fd` or the stop pipe; false once told to stop.
    bool wait_readable(int fd) const {
        pollfd p[2] = {{fd, POLLIN, 0}, {stop_[0], POLLIN, 0}};
        while (poll(p, 2, -1) < 0) {
        }
        return p[1].revents == 0;
    }
    void loop() {
        while (wait_readable(fd_)) {
            const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            std::string request;
            char buf[1024];
            ssize_t n = 0;
            while (request.find("\r\n\r\n") == std::string::npos && wait_readable(c) &&
                   (n = read(c, buf, sizeof buf)) > 0) {
                request.append(buf, static_cast<std::size_t>(n));
            }
            if (request.find("\r\n\r\n") != std::string::npos) serve(c);
            close(c);
        }
    }
    void serve(int c) {
        const bool held = hold_;
        {
            std::lock_guard lock(mutex_);
            ++requests_;
        }
        arrived_.notify_all();
        if (!held) {
            constexpr std::string_view ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
            [[maybe_unused]] ssize_t ignored = send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
            return;
        }
        char byte = 0;
        while (wait_readable(c) && read(c, &byte, 1) > 0) {
        }
    }

    int fd_ = -1;
    int stop_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::atomic<bool> hold_{false};
    std::thread thread_;
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::size_t requests_ = 0;
};

// /proc/PID/task/PID/children: the children (zombies too) of a process's main thread.
std::string children_of(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
    std::ifstream in(path);
    if (!in) return "(cannot read " + path + ")";
    std::string text;
    std::getline(in, text);
    return text;
}

// Our own children, zombies included, from every thread of ours.
std::vector<pid_t> our_children() {
    std::vector<pid_t> pids;
    for (const auto& task : fs::directory_iterator("/proc/self/task")) {
        std::ifstream in(task.path() / "children");
        for (pid_t p = 0; in >> p;) pids.push_back(p);
    }
    return pids;
}

// "PPid:" of /proc/PID/status (a zombie's too, until it is reaped).
pid_t parent_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("PPid:")) return static_cast<pid_t>(std::stoi(line.substr(5)));
    }
    return -1;
}

std::string comm_of(pid_t pid) {
    std::string comm = read_file("/proc/" + std::to_string(pid) + "/comm");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return comm;
}

class Readiness : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (geteuid() != 0) return;
        ensure_test_user();
        // Orphaned descendants (the watcher) become our children, not init's.
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) throw std::runtime_error("PR_SET_CHILD_SUBREAPER");
    }

    void SetUp() override {
        if (geteuid() != 0) {
            GTEST_SKIP() << "SKIP: needs root: eslaunch starts the watcher only after dropping privileges as root";
        }
        const passwd* pw = getpwnam(test_user);
        ASSERT_NE(pw, nullptr);
        user_uid_ = pw->pw_uid;
        dir_ = make_launch_dir("ready");
        ASSERT_FALSE(dir_.empty());
        notify_.emplace(dir_ / "notify");
    }

    void TearDown() override {
        // The programs first: each watcher must then exit by itself.
        for (pid_t pid : programs_) kill_and_reap(pid);
        const auto deadline = Clock::now() + 2s;
        std::vector<pid_t> left;
        while (true) {
            while (waitpid(-1, nullptr, WNOHANG) > 0) {
            }
            left = our_children();
            if (left.empty() || Clock::now() >= deadline) break;
            std::this_thread::sleep_for(5ms);
        }
        for (pid_t pid : left) {
            ADD_FAILURE() << "pid " << pid << " (" << comm_of(pid) << ") still runs 2 s after its program was killed";
            kill_and_reap(pid);
        }
        notify_.reset();
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    // Runs eslaunch on a spec [program:fake] with `body`, without waiting:
    // its pid, which becomes the program's. With NOTIFY_SOCKET pointing at our
    // socket unless `with_notify` is false; `env` adds to the environment;
    // `wrapper`, when set, is a `/bin/sh -c` script that gets eslaunch as $0
    // and the spec as $1 (and must exec it, to keep the pid).
    pid_t start(const std::string& body, bool with_notify = true, const std::vector<std::string>& env = {},
                const std::string& wrapper = {}) {
        const fs::path spec = dir_ / ("spec-" + std::to_string(programs_.size()) + ".ini");
        write_file(spec, "[program:fake]\n" + body);
        std::vector<std::string> environment = base_env;
        if (with_notify) environment.push_back("NOTIFY_SOCKET=" + notify_->path());
        environment.insert(environment.end(), env.begin(), env.end());
        std::vector<std::string> command{eslaunch_binary(), spec.string()};
        if (!wrapper.empty()) command.insert(command.begin(), {"/bin/sh", "-c", wrapper});
        started_at_ = Clock::now();
        const pid_t pid = spawn_command(command, environment, stderr_path().string());
        programs_.push_back(pid);
        return pid;
    }

    // The fake Elasticsearch as the program: `args` after --record, as eslaunch-test.
    std::string fake(const std::string& args) {
        return "command=" + getenv_or_fail("ESLAUNCH_FAKE_ES") + " --record " + record_path().string() + " " + args +
               "\nuser=" + test_user + "\n";
    }

    [[nodiscard]] fs::path record_path() const { return dir_ / "out" / "record.json"; }
    [[nodiscard]] fs::path stderr_path() const { return dir_ / "stderr"; }
    [[nodiscard]] std::string stderr_text() const { return read_file(stderr_path()); }

    json record() {
        for (auto deadline = Clock::now() + 5s; !fs::exists(record_path()) && Clock::now() < deadline;) {
            std::this_thread::sleep_for(5ms);
        }
        std::ifstream in(record_path());
        if (!in) {
            ADD_FAILURE() << "the fake Elasticsearch wrote no record at " << record_path();
            return json::object();
        }
        return json::parse(in);
    }

    bool wait_stderr(const std::string& part, milliseconds timeout) const {
        for (const auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
            if (stderr_text().find(part) != std::string::npos) return true;
            std::this_thread::sleep_for(5ms);
        }
        return stderr_text().find(part) != std::string::npos;
    }

    // Everything a failure message needs.
    [[nodiscard]] std::string context() const {
        return notify_->dump() + "eslaunch's stderr (program and watcher):\n" + stderr_text();
    }

    fs::path dir_;
    std::optional<NotifySocket> notify_;
    std::vector<pid_t> programs_;
    Clock::time_point started_at_;
    uid_t user_uid_ = 0;
};

TEST_F(Readiness, ReadyOnlyAfterThePortOpens) {
    const std::string port = std::to_string(free_port());
    constexpr auto delay = 600ms;
    const pid_t pid = start(fake("--http-port " + port + " --delay-ms 600") + "ready=http://127.0.0.1:" + port + "/\n");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << "no READY=1\n" << context();
    const Datagrams ds = notify_->messages();
    const Datagram& r = ds[*ready];

    // Not before the fake could have listened (it started after started_at_).
    EXPECT_GE(ms_between(started_at_, r.at), delay.count()) << "READY=1 before the port opened\n" << context();
    // The program keeps eslaunch's pid, and the watcher, not the program, says so.
    EXPECT_EQ(r.field("MAINPID"), std::to_string(pid)) << context();
    EXPECT_EQ(record()["pid"], pid);
    EXPECT_NE(r.pid, pid) << "READY=1 came from the program itself";
    EXPECT_EQ(r.uid, user_uid_) << "READY=1 was not sent as " << test_user << "\n" << context();
    EXPECT_EQ(comm_of(r.pid), "eslaunch-watch");
    EXPECT_THAT(r.field("STATUS").value_or(""),
                ::testing::MatchesRegex("fake ready after [0-9]+\\.[0-9] s \\(http://127\\.0\\.0\\.1:" + port +
                                        "/ -> 200\\)"));
    // Before it: what is probed, the refused connection, a start timeout extension.
    const auto waiting = find(ds, "STATUS", "waiting for fake: probing http://127.0.0.1:" + port + "/");
    const auto refused = find(ds, "STATUS", "last: connection refused");
    const auto extend = find(ds, "EXTEND_TIMEOUT_USEC");
    ASSERT_TRUE(waiting && refused && extend) << context();
    EXPECT_LT(*waiting, *ready);
    EXPECT_LT(*refused, *ready);
    EXPECT_LT(*extend, *ready);
    // Without the unit's start timeout (no sd-bus here): 30 s at a time.
    EXPECT_EQ(ds[*extend].field("EXTEND_TIMEOUT_USEC"), "30000000");
    for (std::size_t i = 0; i < *ready; ++i) EXPECT_EQ(ds[i].pid, r.pid) << "another sender: " << ds[i].text;
    // Then a barrier, so systemd has read READY=1 before the watcher exits.
    EXPECT_TRUE(notify_->wait_for("BARRIER", "1", 5s)) << context();
    // systemd's variables went to the watcher only.
    const json env = record()["environment"];
    EXPECT_FALSE(env.contains("NOTIFY_SOCKET")) << env.dump();
}

TEST_F(Readiness, TheWatcherExitsAfterReadyWithoutWatchdog) {
    const std::string port = std::to_string(free_port());
    const pid_t pid = start(fake("--http-port " + port + " --delay-ms 200") + "ready=http://127.0.0.1:" + port + "/\n");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << context();
    const pid_t watcher = notify_->messages()[*ready].pid;
    // Without watchdog= nothing is left to do: a watcher that stayed would stay for ever.
    EXPECT_EQ(wait_exit(watcher, 10s), 0) << "the watcher still runs 10 s after READY=1\n" << context();
    EXPECT_FALSE(wait_exit(pid, 0ms).has_value()) << "the program stopped with the watcher";
    EXPECT_EQ(count(notify_->messages(), "WATCHDOG"), 0U);
}

TEST_F(Readiness, TheProgramNeverHasAChildOfOurs) {
    // The JVM reaps no child it did not start: a watcher that were the
    // program's child would stay a zombie of it once it exits.
    const std::string port = std::to_string(free_port());
    const pid_t pid = start(fake("--http-port " + port + " --delay-ms 300") + "ready=http://127.0.0.1:" + port + "/\n");
    const auto first = notify_->wait_for("STATUS", "waiting for fake", 10s);
    ASSERT_TRUE(first) << context();
    const pid_t watcher = notify_->messages()[*first].pid;
    EXPECT_EQ(children_of(pid), "") << "while the watcher probes";
    EXPECT_EQ(parent_of(watcher), getpid()) << "the watcher was not re-parented to the subreaper (us)";
    ASSERT_TRUE(notify_->wait_for("READY", "1", 10s)) << context();
    EXPECT_EQ(wait_exit(watcher, 5s), 0) << context();
    EXPECT_EQ(children_of(pid), "") << "after the watcher exited";
    EXPECT_EQ(record()["pid"], pid);
}

// The inode of each socket in /proc/PID/net/TABLE, and what that table's
// line says: "unix", "netlink sock_diag" (protocol 4), or "tcp to
// 127.0.0.1:PORT" (PORT: the remote one).
std::map<std::string, std::string> sockets_in(pid_t pid, const std::string& table) {
    std::map<std::string, std::string> out;
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
        if (table == "unix" && f.size() >= 7) out[f[6]] = "unix";
        if (table == "netlink" && f.size() >= 10) out[f[9]] = f[1] == "4" ? "netlink sock_diag" : "netlink " + f[1];
        if (table == "tcp" && f.size() >= 10 && f[2].starts_with("0100007F:")) {
            out[f[9]] = "tcp to 127.0.0.1:" + std::to_string(std::stoul(f[2].substr(9), nullptr, 16));
        }
    }
    return out;
}

// The open fds of `pid`: "FD TARGET" for each but sockets, which are
// "socket KIND" without their number (their order is the code's business).
std::vector<std::string> fds_of(pid_t pid) {
    std::map<std::string, std::string> kinds = sockets_in(pid, "unix");
    kinds.merge(sockets_in(pid, "netlink"));
    kinds.merge(sockets_in(pid, "tcp"));
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        const std::string target = fs::read_symlink(entry.path()).string();
        if (target.starts_with("socket:[")) {
            const auto kind = kinds.find(target.substr(8, target.size() - 9));
            out.push_back("socket " + (kind == kinds.end() ? target : kind->second));
        } else {
            out.push_back(entry.path().filename().string() + " " + target);
        }
    }
    return out;
}

TEST_F(Readiness, TheWatcherHoldsOnlyItsOwnFds) {
    // eslaunch inherits fd 7 from a careless parent, and starts the watcher
    // with fds 3-5: the pidfd, the exec-status and the report pipes. While
    // it probes, the watcher has 0-2 as eslaunch had them, the pidfd, one
    // socket to NOTIFY_SOCKET, and the probe's: its sock_diag socket (is
    // the port listening?) and its connection, which the node holds open.
    ProbeServer node;
    node.hold(true);
    start(fake("") + "ready=" + node.url() + "\n", true, {}, "exec 7</dev/null; exec \"$0\" \"$1\"");
    ASSERT_TRUE(node.wait_requests(1, 10s)) << context();
    const auto waiting = notify_->wait_for("STATUS", "waiting for fake", 10s);
    ASSERT_TRUE(waiting) << context();
    const pid_t watcher = notify_->messages()[*waiting].pid;
    EXPECT_EQ(comm_of(watcher), "eslaunch-watch");
    EXPECT_THAT(fds_of(watcher),
                ::testing::UnorderedElementsAre("0 /dev/null", "1 /dev/null", "2 " + stderr_path().string(),
                                                "3 anon_inode:[pidfd]", "socket unix", "socket netlink sock_diag",
                                                "socket tcp to 127.0.0.1:" + std::to_string(node.port())))
        << context();
}

TEST_F(Readiness, NoReadyWhenTheProgramDiesWhileProbed) {
    const std::string port = std::to_string(free_port());
    const pid_t pid =
        start(fake("--http-port " + port + " --delay-ms 30000") + "ready=http://127.0.0.1:" + port + "/\n");
    const auto refused = notify_->wait_for("STATUS", "connection refused", 10s);
    ASSERT_TRUE(refused) << context();
    const pid_t watcher = notify_->messages()[*refused].pid;
    kill(pid, SIGTERM);
    ASSERT_EQ(wait_exit(pid, 10s), 143) << context();
    // A watcher that missed the death would probe until ready_timeout, 15 min.
    EXPECT_EQ(wait_exit(watcher, 10s), 0) << "the watcher still runs 10 s after the program died\n" << context();
    ASSERT_TRUE(notify_->mark(10s)) << context();  // anything it sent has been read
    EXPECT_FALSE(find(notify_->messages(), "READY")) << context();
}

TEST_F(Readiness, NoReadyWhenTheProgramExitsAtOnce) {
    const std::string port = std::to_string(free_port());
    const pid_t pid = start(fake("--exit-after-record") + "ready=http://127.0.0.1:" + port + "/\n");
    ASSERT_EQ(wait_exit(pid, 10s), 0) << context();
    // The watcher, whatever it got to send, is gone (not after ready_timeout, 15 min).
    const auto deadline = Clock::now() + 10s;
    while (waitpid(-1, nullptr, WNOHANG) > 0 || (!our_children().empty() && Clock::now() < deadline)) {
        std::this_thread::sleep_for(2ms);
    }
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    EXPECT_TRUE(our_children().empty()) << "the watcher outlived its program by 10 s\n" << context();
    ASSERT_TRUE(notify_->mark(10s)) << context();
    EXPECT_FALSE(find(notify_->messages(), "READY")) << context();
}

TEST_F(Readiness, ExecFailureIsReportedByStatus) {
    // The plan accepts it (an executable file); execve fails: ENOENT for the interpreter.
    const fs::path script = dir_ / "bad-interpreter";
    write_file(script, "#!/nonexistent/interpreter\n", fs::perms(0755));
    const std::string port = std::to_string(free_port());
    const pid_t pid = start("command=" + script.string() + "\nuser=" + test_user + "\nready=http://127.0.0.1:" + port +
                            "/\n");
    ASSERT_EQ(wait_exit(pid, 10s), 203) << context();
    EXPECT_THAT(stderr_text(), HasSubstr("cannot execute " + script.string()));
    const auto status = notify_->wait_for("STATUS", "did not start", 10s);
    ASSERT_TRUE(status) << "no STATUS= about the failed exec\n" << context();
    const Datagram d = notify_->messages()[*status];
    EXPECT_EQ(d.field("STATUS"), "fake did not start: exec failed: No such file or directory");
    EXPECT_EQ(d.uid, user_uid_);
    EXPECT_EQ(wait_exit(d.pid, 10s), 1) << context();
    EXPECT_FALSE(find(notify_->messages(), "READY")) << context();
}

TEST_F(Readiness, ReadyTimeoutStopsWaiting) {
    const std::string port = std::to_string(free_port());
    const pid_t pid = start(fake("--http-port " + port + " --delay-ms 30000") + "ready=http://127.0.0.1:" + port +
                            "/\nready_timeout=1s\n");
    const std::string line = "fake not ready after ready_timeout=1s (http://127.0.0.1:" + port +
                             "/ -> connection refused); eslaunch stops extending the start timeout";
    const auto status = notify_->wait_for("STATUS", "not ready after", 10s);
    ASSERT_TRUE(status) << context();
    const Datagram d = notify_->messages()[*status];
    EXPECT_EQ(d.field("STATUS"), line);
    EXPECT_GE(ms_between(started_at_, d.at), 1000) << "gave up before ready_timeout";
    // Past ready_timeout nothing is left to do: a watcher that stayed would stay for ever.
    EXPECT_EQ(wait_exit(d.pid, 10s), 1) << "the watcher did not exit after ready_timeout\n" << context();
    EXPECT_TRUE(wait_stderr("eslaunch: " + line + "\n", 10s)) << context();
    // Nothing after it: no READY=1, no more extensions. The program is left to systemd.
    const Datagrams ds = notify_->messages();
    EXPECT_EQ(ds.size(), *status + 1) << context();
    EXPECT_FALSE(find(ds, "READY")) << context();
    EXPECT_FALSE(wait_exit(pid, 0ms).has_value()) << "the watcher stopped the program";
}

TEST_F(Readiness, WatchdogPingsStopWhileTheNodeHangs) {
    // The node is the test's: it answers 200, or holds each request. With
    // WatchdogSec=2s the watcher probes every second with a 500 ms budget.
    ProbeServer node;
    const std::string url = node.url();
    // As systemd passes them: WATCHDOG_PID is the main pid, eslaunch's (then the program's).
    const pid_t pid = start(fake("") + "ready=" + url + "\nwatchdog=true\n", true, {"WATCHDOG_USEC=2000000"},
                            "export WATCHDOG_PID=$$; exec \"$0\" \"$1\"");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << context();
    const pid_t watcher = notify_->messages()[*ready].pid;
    // Healthy: a ping each second (half of WATCHDOG_USEC), from the watcher.
    ASSERT_TRUE(notify_->wait_until([&](const Datagrams& ds) { return count(ds, "WATCHDOG", *ready) >= 3; }, 20s))
        << context();
    const Datagrams healthy = notify_->messages();
    const auto ping = find(healthy, "WATCHDOG", "1", *ready);
    const auto third = find(healthy, "WATCHDOG", "1", *find(healthy, "WATCHDOG", "1", *ping + 1) + 1);
    EXPECT_EQ(healthy[*ping].pid, watcher);
    EXPECT_EQ(healthy[*ping].uid, user_uid_);
    EXPECT_GE(ms_between(healthy[*ping].at, healthy[*third].at), 1500) << "pings not paced at 1 s\n" << context();

    // The node hangs: it reads each request and never answers.
    node.hold(true);
    const std::size_t before_hang = notify_->messages().size();
    const auto failed = notify_->wait_for("STATUS", "failed its health probe", 10s, before_hang);
    ASSERT_TRUE(failed) << context();
    EXPECT_EQ(notify_->messages()[*failed].field("STATUS"),
              "fake failed its health probe (" + url + " -> timed out after 500 ms): no watchdog ping");
    // Three more probes, each held to its budget, and not one ping after
    // the failure (systemd would now restart the node).
    ASSERT_TRUE(node.wait_requests(node.requests() + 3, 20s)) << context();
    ASSERT_TRUE(notify_->mark(10s)) << context();
    EXPECT_EQ(count(notify_->messages(), "WATCHDOG", *failed), 0U) << "pinged while the node hangs\n" << context();
    EXPECT_FALSE(wait_exit(watcher, 0ms).has_value()) << "the watcher gave up";

    // It answers again: so do the pings.
    node.hold(false);
    const auto again = notify_->wait_for("STATUS", "healthy again", 10s, *failed);
    ASSERT_TRUE(again) << context();
    EXPECT_EQ(notify_->messages()[*again].field("STATUS"), "healthy again (" + url + " -> 200)");
    EXPECT_TRUE(notify_->wait_until([&](const Datagrams& ds) { return count(ds, "WATCHDOG", *again) >= 2; }, 20s))
        << context();
    EXPECT_FALSE(find(notify_->messages(), "READY", "", *ready + 1)) << "READY=1 twice\n" << context();

    // The watchdog loop, too, ends with the program (else it would ping for ever).
    kill(pid, SIGTERM);
    ASSERT_EQ(wait_exit(pid, 10s), 143) << context();
    EXPECT_EQ(wait_exit(watcher, 10s), 0) << "the watcher outlived the program by 10 s\n" << context();
    // systemd's variables went to the watcher only.
    const json env = record()["environment"];
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) {
        EXPECT_FALSE(env.contains(name)) << name << " reached the program: " << env.dump();
    }
}

TEST_F(Readiness, WatchdogWithoutWatchdogUsecWarnsAndExits) {
    // The unit has no WatchdogSec=: nothing to feed after READY=1.
    const std::string port = std::to_string(free_port());
    start(fake("--http-port " + port + " --delay-ms 100") + "ready=http://127.0.0.1:" + port + "/\nwatchdog=true\n");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << context();
    EXPECT_EQ(wait_exit(notify_->messages()[*ready].pid, 10s), 0) << context();
    EXPECT_THAT(stderr_text(), HasSubstr("eslaunch: warning: watchdog=true, but the unit sets no WatchdogSec="));
    EXPECT_EQ(count(notify_->messages(), "WATCHDOG"), 0U) << context();
}

TEST_F(Readiness, ExecProbeReadyOnceTheFileAppears) {
    const fs::path flag = dir_ / "out" / "ready-flag";
    const pid_t pid = start(fake("") + "ready=exec:/bin/sh -c 'test -e " + flag.string() + "'\nready_interval=20ms\n");
    const auto failing = notify_->wait_for("STATUS", "last: exit status 1", 10s);
    ASSERT_TRUE(failing) << context();
    std::this_thread::sleep_for(200ms);
    ASSERT_FALSE(find(notify_->messages(), "READY")) << "ready before the file exists\n" << context();
    const auto created = Clock::now();
    write_file(flag, "");
    const auto ready = notify_->wait_for("READY", "1", 5s);
    ASSERT_TRUE(ready) << context();
    const Datagram r = notify_->messages()[*ready];
    EXPECT_GE(r.at, created);
    EXPECT_EQ(r.field("MAINPID"), std::to_string(pid));
    EXPECT_THAT(r.field("STATUS").value_or(""), HasSubstr("-> exit status 0)"));
    EXPECT_THAT(r.field("STATUS").value_or(""), HasSubstr("(exec:/bin/sh -c "));
}

TEST_F(Readiness, StderrLineWithoutNotifySocket) {
    const std::string port = std::to_string(free_port());
    start(fake("--http-port " + port + " --delay-ms 200") + "ready=http://127.0.0.1:" + port + "/\n",
          /*with_notify=*/false);
    const std::regex line("(^|\n)eslaunch: fake ready after [0-9]+\\.[0-9] s \\(http://127\\.0\\.0\\.1:" + port +
                          "/ -> 200\\)\n");
    bool found = false;
    for (const auto deadline = Clock::now() + 10s; !found && Clock::now() < deadline;) {
        found = std::regex_search(stderr_text(), line);
        if (!found) std::this_thread::sleep_for(5ms);
    }
    EXPECT_TRUE(found) << stderr_text();
    // No systemd here: no sd-bus self-check, nothing on any socket.
    EXPECT_THAT(stderr_text(), ::testing::Not(HasSubstr("sd-bus")));
    EXPECT_TRUE(notify_->messages().empty()) << context();
}

TEST_F(Readiness, Ipv6LiteralProbe) {
    std::uint16_t p = 0;
    try {
        p = free_port(/*ipv6=*/true);
    } catch (const std::exception& e) {
        GTEST_SKIP() << "SKIP: no IPv6 loopback here: " << e.what();
    }
    const std::string port = std::to_string(p);
    start(fake("--http-host ::1 --http-port " + port + " --delay-ms 100") + "ready=http://[::1]:" + port + "/\n");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << context();
    EXPECT_THAT(notify_->messages()[*ready].field("STATUS").value_or(""),
                HasSubstr("(http://[::1]:" + port + "/ -> 200)"));
}

// https:// with a self-signed certificate and basic auth, against a small
// TLS server (tls_server.py, Python's standard library) as the program.
class ReadinessTls : public Readiness {
protected:
    static void SetUpTestSuite() {
        Readiness::SetUpTestSuite();
        if (geteuid() != 0) return;
        if (access("/usr/bin/openssl", X_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
            missing_ = "needs /usr/bin/openssl and /usr/bin/python3 (apt-get install openssl python3)";
            return;
        }
        certs_ = make_launch_dir("ready-tls");
        // A copy the service user can surely read, wherever the source tree is.
        fs::copy_file(getenv_or_fail("ESLAUNCH_TLS_SERVER"), certs_ / "tls_server.py");
        fs::permissions(certs_ / "tls_server.py", fs::perms(0644));
        // The node's certificate, and one it does not have (a wrong ready_ca).
        for (const char* name : {"node", "other"}) {
            command_output({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                            (certs_ / (std::string{name} + ".key")).string(), "-out",
                            (certs_ / (std::string{name} + ".crt")).string()});
        }
        const passwd* pw = getpwnam(test_user);
        // Readable by the service user only, as a real one would be.
        for (auto [file, text] : {std::pair{"password", "s3cret\n"}, std::pair{"wrong-password", "guess\n"}}) {
            write_file(certs_ / file, text, fs::perms(0600));
            if (pw == nullptr || chown((certs_ / file).c_str(), pw->pw_uid, pw->pw_gid) != 0) {
                throw std::runtime_error("chown " + (certs_ / file).string());
            }
        }
        fs::permissions(certs_ / "node.key", fs::perms(0644));  // the server runs as the service user
    }
    static void TearDownTestSuite() {
        if (!certs_.empty()) fs::remove_all(certs_);
        certs_.clear();
    }
    void SetUp() override {
        Readiness::SetUp();
        if (IsSkipped()) return;
        if (!missing_.empty()) GTEST_SKIP() << "SKIP: " << missing_;
        port_ = std::to_string(free_port());
    }

    // The TLS server as the program, expecting `elastic` and the first line of
    // `password`, probed with `keys` (ready_* lines).
    pid_t start_tls(const std::string& keys) {
        return start("command=/usr/bin/python3 " + (certs_ / "tls_server.py").string() + " " +
                     (certs_ / "node.crt").string() + " " +
                     (certs_ / "node.key").string() + " " + port_ + " elastic " + (certs_ / "password").string() +
                     "\nuser=" + test_user + "\nready=https://127.0.0.1:" + port_ + "/\nready_interval=20ms\n" + keys);
    }
    [[nodiscard]] std::string url() const { return "https://127.0.0.1:" + port_ + "/"; }

    static inline fs::path certs_;
    static inline std::string missing_;
    std::string port_;
};

TEST_F(ReadinessTls, ReadyWithTheCaAndThePassword) {
    start_tls("ready_ca=" + (certs_ / "node.crt").string() + "\nready_user=elastic\nready_password_file=" +
              (certs_ / "password").string() + "\n");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << context();
    EXPECT_THAT(notify_->messages()[*ready].field("STATUS").value_or(""), HasSubstr("(" + url() + " -> 200)"));
}

// The profile opensearch's default probe: https:// because opensearch.yml
// turns on the security plugin's TLS, with the port from it too.
TEST_F(ReadinessTls, OpenSearchsDefaultProbeFollowsItsSecurityPlugin) {
    const fs::path home = dir_ / "opensearch";
    fs::create_directories(home / "lib");
    fs::create_directories(home / "config");
    for (const fs::path& d : {home, home / "lib", home / "config"}) fs::permissions(d, fs::perms(0755));
    write_file(home / "lib" / "opensearch-2.19.1.jar", "");
    write_file(home / "config" / "opensearch.yml",
               "http.port: " + port_ + "\nplugins.security.ssl.http.enabled: true\n");
    start("command=/usr/bin/python3 " + (certs_ / "tls_server.py").string() + " " + (certs_ / "node.crt").string() +
          " " + (certs_ / "node.key").string() + " " + port_ + " elastic " + (certs_ / "password").string() +
          "\nuser=" + test_user + "\nprofile=opensearch\nes_home=" + home.string() +
          "\ntmpdir=none\nready_interval=20ms\nready_ca=" + (certs_ / "node.crt").string() +
          "\nready_user=elastic\nready_password_file=" + (certs_ / "password").string() + "\n");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << context();
    EXPECT_THAT(notify_->messages()[*ready].field("STATUS").value_or(""), HasSubstr("(" + url() + " -> 200)"));
}

TEST_F(ReadinessTls, InsecureNeedsNoCa) {
    start_tls("ready_insecure=true\nready_user=elastic\nready_password_file=" + (certs_ / "password").string() + "\n");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << context();
    EXPECT_THAT(notify_->messages()[*ready].field("STATUS").value_or(""), HasSubstr("(" + url() + " -> 200)"));
}

TEST_F(ReadinessTls, TheWrongCaIsNeverReady) {
    start_tls("ready_ca=" + (certs_ / "other.crt").string() + "\nready_user=elastic\nready_password_file=" +
              (certs_ / "password").string() + "\nready_timeout=1s\n");
    const auto gave_up = notify_->wait_for("STATUS", "not ready after ready_timeout=1s", 10s);
    ASSERT_TRUE(gave_up) << context();
    // The last result names the certificate problem (curl: "SSL certificate problem: ...").
    EXPECT_THAT(notify_->messages()[*gave_up].field("STATUS").value_or(""),
                ::testing::AllOf(HasSubstr("(" + url() + " -> "), HasSubstr("certificate")))
        << context();
    EXPECT_TRUE(find(notify_->messages(), "STATUS", "certificate")) << context();
    EXPECT_FALSE(find(notify_->messages(), "READY")) << context();
}

TEST_F(ReadinessTls, AWrongPasswordIs401) {
    // 401 is in the default ready_expect (200-499): security is on, the node serves HTTP.
    start_tls("ready_ca=" + (certs_ / "node.crt").string() + "\nready_user=elastic\nready_password_file=" +
              (certs_ / "wrong-password").string() + "\n");
    const auto ready = notify_->wait_for("READY", "1", 10s);
    ASSERT_TRUE(ready) << context();
    EXPECT_THAT(notify_->messages()[*ready].field("STATUS").value_or(""), HasSubstr("(" + url() + " -> 401)"));
}

TEST_F(ReadinessTls, AWrongPasswordIsNotReadyWhenOnly200Counts) {
    start_tls("ready_ca=" + (certs_ / "node.crt").string() + "\nready_user=elastic\nready_password_file=" +
              (certs_ / "wrong-password").string() + "\nready_expect=200\nready_timeout=1s\n");
    const auto gave_up = notify_->wait_for("STATUS", "not ready after ready_timeout=1s", 10s);
    ASSERT_TRUE(gave_up) << context();
    EXPECT_THAT(notify_->messages()[*gave_up].field("STATUS").value_or(""), HasSubstr("(" + url() + " -> 401)"))
        << context();
    EXPECT_FALSE(find(notify_->messages(), "READY")) << context();
}

}  // namespace
}  // namespace eslaunch::testing
