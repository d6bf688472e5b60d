// "The program starts although its watcher cannot run": eslaunch must exec
// the program only once eslaunch-watch has really been executed as the
// service user and has reported that it can watch it. A watcher the user
// cannot execute is 203, one that refuses or never reports is 71, and in
// neither case does the program run; `check` says 78 for the first. As
// root, against copies of the built programs in a root-owned directory
// (eslaunch finds its helpers beside itself outside its bindir).
#include <arpa/inet.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <cstring>

#include <gmock/gmock.h>

#include "hostile.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> launch_env = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};

// A process that exited: reaped here when it is our child (the suite may be
// a subreaper), else gone from /proc or a zombie.
bool process_exited(pid_t pid) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return true;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) return true;
    const auto paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

class WatcherStartUp : public ::testing::Test {
protected:
    void SetUp() override {
        HOSTILE_REQUIRE_ROOT();
        base_ = make_launch_dir("watcher");
        ASSERT_FALSE(base_.empty());
        bin_ = base_ / "bin";
        fs::create_directory(bin_);
        const fs::path built = fs::path{eslaunch_binary()}.parent_path();
        for (const char* name : {"eslaunch", "eslaunch-check", "eslaunch-watch"}) {
            fs::copy_file(built / name, bin_ / name);
        }
        marker_ = base_ / "out" / "marker";
        write_file(base_ / "program.sh", "#!/bin/sh\necho ran > " + marker_.string() + "\n", 0755);
        port_ = free_port();
        spec_ = base_ / "es.ini";
        write_file(spec_, "[program:es]\ncommand=" + (base_ / "program.sh").string() + "\nuser=" + test_user +
                              "\nready=tcp://127.0.0.1:" + std::to_string(port_) + "\nready_timeout=2s\n");
    }
    void TearDown() override {
        if (!base_.empty()) fs::remove_all(base_);
    }

    Usage launch(const std::vector<std::string>& env = launch_env) const {
        return run_measured({(bin_ / "eslaunch").string(), spec_.string()}, env, 30s);
    }
    Usage check() const {
        return run_measured({(bin_ / "eslaunch").string(), "check", spec_.string()}, launch_env, 30s);
    }
    // A shell script in the watcher's place, as a tampered or foreign one.
    void stand_in(const std::string& body) const {
        fs::remove_all(bin_ / "eslaunch-watch");
        write_file(bin_ / "eslaunch-watch", "#!/bin/sh\n" + body, 0755);
    }
    [[nodiscard]] std::string the_error(const std::string& errno_text) const {
        return "cannot execute " + (bin_ / "eslaunch-watch").string() + " as user " + test_user + ": " + errno_text;
    }

    fs::path base_, bin_, spec_, marker_;
    std::uint16_t port_ = 0;
};

TEST_F(WatcherStartUp, TheCopiesLaunchWithAWatcherTheUserCanRun) {
    // The control: the same spec and copies start the program.
    const Usage r = launch();
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(fs::exists(marker_)) << r.err;
    const Usage c = check();
    EXPECT_EQ(c.status, 0) << c.err;
}

TEST_F(WatcherStartUp, OneOnlyRootMayExecuteIs203AndNothingRuns) {
    ASSERT_EQ(chmod((bin_ / "eslaunch-watch").c_str(), 0700), 0);
    const Usage r = launch();
    EXPECT_EQ(r.status, 203) << r.err;
    EXPECT_THAT(r.err, HasSubstr(the_error("Permission denied") + "; make it a regular file the user may execute"));
    EXPECT_FALSE(fs::exists(marker_)) << "the program ran";
    const Usage c = check();
    EXPECT_EQ(c.status, 78) << c.err;
    EXPECT_THAT(c.err, HasSubstr(the_error("Permission denied") + "; make it a regular file the user may execute"));
}

TEST_F(WatcherStartUp, ADirectoryOfThatNameIs203AndNothingRuns) {
    fs::remove(bin_ / "eslaunch-watch");
    fs::create_directory(bin_ / "eslaunch-watch");  // 0755: access(X_OK) says yes, even as the user
    const Usage r = launch();
    EXPECT_EQ(r.status, 203) << r.err;
    EXPECT_THAT(r.err, HasSubstr(the_error("Permission denied")));
    EXPECT_FALSE(fs::exists(marker_)) << "the program ran";
    const Usage c = check();
    EXPECT_EQ(c.status, 78) << c.err;
    EXPECT_THAT(c.err, HasSubstr(the_error("Permission denied")));
}

TEST_F(WatcherStartUp, ARealWatcherWithoutProcRefusesAnd71) {
    // In a private mount namespace, /proc is a tmpfs holding only self/exe
    // (eslaunch finds its helpers through it): the watcher cannot tell what
    // fd 3 is, and must say so before the program runs.
    const std::string eslaunch = (bin_ / "eslaunch").string();
    const std::string err_path = (base_ / "stderr").string();
    std::vector<std::string> argv_s{eslaunch, spec_.string()};
    std::vector<std::string> env_s = launch_env;
    std::vector<char*> argv = c_strings(argv_s);
    std::vector<char*> envp = c_strings(env_s);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (err < 0 || dup2(err, 2) != 2) _exit(120);
        if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(121);
        if (mount("tmpfs", "/proc", "tmpfs", 0, "mode=0755") != 0 || mkdir("/proc/self", 0755) != 0 ||
            symlink(eslaunch.c_str(), "/proc/self/exe") != 0) {
            _exit(122);
        }
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    const std::optional<int> status = wait_exit(pid, 30s);
    ASSERT_TRUE(status.has_value());
    std::ifstream in(err_path);
    const std::string err{std::istreambuf_iterator<char>(in), {}};
    if (*status >= 120 && *status <= 122) GTEST_SKIP() << "no private mount namespace here (" << *status << ")";
    EXPECT_EQ(*status, 71) << err;
    EXPECT_THAT(err, HasSubstr((bin_ / "eslaunch-watch").string() +
                               " refused to start: fd 3 is not the program's pidfd or /proc directory "
                               "(/proc/self/fdinfo: No such file or directory; is /proc mounted?); the program was "
                               "not started"));
    EXPECT_FALSE(fs::exists(marker_)) << "the program ran";
}

TEST_F(WatcherStartUp, ARefusalOrNoReportIs71AndNothingRuns) {
    struct Case {
        std::string body;
        std::string error;
    };
    const std::string path = (bin_ / "eslaunch-watch").string();
    const std::vector<Case> cases = {
        {"echo 'no /proc here' >&5\nexit 64\n", path + " refused to start: no /proc here; the program was not started"},
        {"exit 0\n",
         "cannot start " + path + ": it exited without reporting its start-up; the program was not started"},
        {"echo ok >&2\nexit 0\n", "it exited without reporting its start-up"},  // "ok" on the wrong fd
        {"echo 'ok, really' >&5\n", path + " refused to start: ok, really;"},
    };
    for (const auto& c : cases) {
        stand_in(c.body);
        const Usage r = launch();
        EXPECT_EQ(r.status, 71) << c.body << r.err;
        EXPECT_THAT(r.err, HasSubstr(c.error)) << c.body;
        EXPECT_FALSE(fs::exists(marker_)) << "the program ran after: " << c.body;
    }
}

TEST_F(WatcherStartUp, ItsWordsAreShownAsOneShortLine) {
    // The watcher runs as the service user: what it writes is not trusted.
    stand_in("printf '\\033[2J\\033[31m%05000d\\nsecond line\\n' 0 >&5\n");
    const Usage r = launch();
    EXPECT_EQ(r.status, 71) << r.err;
    EXPECT_THAT(r.err, HasSubstr("refused to start: ?[2J?[31m0000"));
    EXPECT_THAT(r.err, HasSubstr("... (256 bytes)"));  // eslaunch reads no more than that
    EXPECT_THAT(r.err, Not(HasSubstr("\033"))) << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("second line")));
    EXPECT_LT(r.err.size(), 600U) << r.err;
    EXPECT_FALSE(fs::exists(marker_));
}

TEST_F(WatcherStartUp, ALateWatcherIs71AndNeverReportsReady) {
    // A watcher that reports after the 10 s deadline: eslaunch gives up and
    // runs nothing; the real watcher, started then (SIGPIPE ignored, as
    // systemd does), must not go on although its probe would pass at once.
    const fs::path pid_file = base_ / "out" / "watcher.pid";
    stand_in("trap '' PIPE\necho $$ > " + pid_file.string() + "\nsleep 12\nexec " + (base_ / "real-watch").string() +
             " \"$@\"\n");
    fs::copy_file(fs::path{eslaunch_binary()}.parent_path() / "eslaunch-watch", base_ / "real-watch");
    // systemd's notify socket, and something that answers on the probe port.
    const fs::path notify = base_ / "notify";
    const int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, notify.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    chmod(notify.c_str(), 0777);
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in.sin_port = htons(port_);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
    ASSERT_EQ(listen(listener, 16), 0);

    std::vector<std::string> env = launch_env;
    env.push_back("NOTIFY_SOCKET=" + notify.string());
    const Usage r = launch(env);
    EXPECT_EQ(r.status, 71) << r.err;
    EXPECT_THAT(r.err, HasSubstr("cannot start " + (bin_ / "eslaunch-watch").string() +
                                 ": it did not report its start-up within 10 s; the program was not started"));
    EXPECT_LT(r.wall, 15s);
    EXPECT_FALSE(fs::exists(marker_)) << "the program ran";
    // The watcher, once it runs (about 2 s later), exits at once.
    std::ifstream pid_in(pid_file);
    pid_t watcher = 0;
    ASSERT_TRUE(pid_in >> watcher);
    const auto deadline = std::chrono::steady_clock::now() + 8s;
    while (!process_exited(watcher) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(process_exited(watcher)) << "the late watcher still runs";
    std::string sent;
    while (auto d = receive_datagram(sock, MSG_DONTWAIT)) {
        for (int fd : d->fds) close(fd);
        sent += d->text + "|";
    }
    EXPECT_THAT(sent, Not(HasSubstr("READY=1"))) << sent;
    EXPECT_FALSE(fs::exists(marker_));
    close(listener);
    close(sock);
}

// The real watcher by hand, as eslaunch starts it: fd 3 a pidfd of a live
// stand-in program, fds 4 and 5 pipes; the port answers, so only what fd 4
// says decides whether it reports READY=1.
class WatcherByHand : public WatcherStartUp {
protected:
    struct Run {
        std::string report;     // what it wrote on fd 5
        std::optional<int> status;
        std::string datagrams;  // what it sent to the notify socket, '|' after each
    };
    // `gave_up`: eslaunch's "not started" on fd 4, else EOF (the exec worked).
    Run run(bool gave_up) {
        const pid_t program = spawn_command({"/bin/sleep", "30"}, launch_env, "/dev/null");
        const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, program, 0));
        int exec_pipe[2], report_pipe[2];
        EXPECT_EQ(pipe2(exec_pipe, O_CLOEXEC), 0);
        EXPECT_EQ(pipe2(report_pipe, O_CLOEXEC), 0);
        const std::string port = std::to_string(port_);
        std::vector<std::string> argv_s{"eslaunch-watch", "--program", "es", "--ready", "tcp://127.0.0.1:" + port,
                                        "--expect", "200-499", "--timeout", "15min", "--interval", "50ms"};
        std::vector<std::string> env_s = launch_env;
        env_s.push_back("NOTIFY_SOCKET=" + (base_ / "notify").string());
        const std::string path = (bin_ / "eslaunch-watch").string();
        std::vector<char*> argv = c_strings(argv_s);
        std::vector<char*> envp = c_strings(env_s);
        const pid_t watcher = fork();
        if (watcher == 0) {
            if (dup2(pidfd, 3) != 3 || dup2(exec_pipe[0], 4) != 4 || dup2(report_pipe[1], 5) != 5) _exit(120);
            close_range(6, ~0U, 0);
            execve(path.c_str(), argv.data(), envp.data());
            _exit(127);
        }
        close(pidfd);
        close(exec_pipe[0]);
        close(report_pipe[1]);
        Run r;
        char buf[64];
        for (ssize_t n; (n = read(report_pipe[0], buf, sizeof buf)) > 0;) {
            r.report.append(buf, static_cast<std::size_t>(n));
        }
        close(report_pipe[0]);
        const int not_started = -1;  // apply.hpp's watch_not_started
        if (gave_up) {
            EXPECT_EQ(write(exec_pipe[1], &not_started, sizeof not_started), 4);
        }
        close(exec_pipe[1]);
        // Reading as it sends, as systemd does: BARRIER=1 waits for its fd to close.
        for (const auto deadline = std::chrono::steady_clock::now() + 3s;
             !r.status && std::chrono::steady_clock::now() < deadline;) {
            while (auto d = receive_datagram(notify_, MSG_DONTWAIT)) {
                for (int fd : d->fds) close(fd);
                r.datagrams += d->text + "|";
            }
            r.status = wait_exit(watcher, 10ms);
        }
        if (!r.status) kill_and_reap(watcher);
        kill_and_reap(program);
        return r;
    }
    void SetUp() override {
        WatcherStartUp::SetUp();
        if (IsSkipped()) return;
        notify_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, (base_ / "notify").c_str(), sizeof addr.sun_path - 1);
        ASSERT_EQ(bind(notify_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in.sin_port = htons(port_);
        ASSERT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
        ASSERT_EQ(listen(listener_, 16), 0);
    }
    void TearDown() override {
        if (notify_ >= 0) close(notify_);
        if (listener_ >= 0) close(listener_);
        WatcherStartUp::TearDown();
    }
    int notify_ = -1;
    int listener_ = -1;
};

TEST_F(WatcherByHand, ReadyOnlyWhenTheExecWorked) {
    // The control: EOF on fd 4, the program alive, the port open: READY=1.
    const Run worked = run(false);
    EXPECT_EQ(worked.report, "ok\n");
    EXPECT_EQ(worked.status, 0);
    EXPECT_THAT(worked.datagrams, HasSubstr("READY=1"));
    // eslaunch gave up (its watcher was late): the same, without a word.
    const Run gave_up = run(true);
    EXPECT_EQ(gave_up.report, "ok\n");
    EXPECT_EQ(gave_up.status, 1);
    EXPECT_EQ(gave_up.datagrams, "");
}

TEST_F(WatcherByHand, WithoutTheReportPipeItRefusesToRun) {
    const Usage r = run_measured({(bin_ / "eslaunch-watch").string(), "--program", "es"}, launch_env, 5s);
    EXPECT_EQ(r.status, 64);
    EXPECT_THAT(r.err, HasSubstr("fd 5 is not eslaunch's start-up report pipe"));
}

}  // namespace
}  // namespace eslaunch::testing
