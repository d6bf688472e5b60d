// Issue 14, "a probe try is not bounded against an endless 1xx stream": any
// local user may bind the probe port before the node does, and answer each
// connection with "100 Continue" forever, or trickle an endless header. The
// watcher must still say "not ready" at ready_timeout (at most 50 ms late,
// eslaunch.ini(5)), at a small cost in CPU and memory. As root: eslaunch
// starts the watcher as eslaunch-test. The test process is a child subreaper, so
// the watcher (an orphan once eslaunch's middle fork exits) becomes our
// child, and wait4() gives its rusage.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hostile.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

// What the watcher may take beyond ready_timeout (eslaunch.ini(5)), and slack for
// a loaded 2-core machine: the watcher's start and our 5 ms polling are in it.
constexpr milliseconds stated_bound{50};
constexpr milliseconds slack{1000};
// The watcher alone stays near 1.5 MiB; ru_maxrss also counts the children
// it reaped: the sd-bus self-check's, which loads libsystemd, near 3 MiB.
constexpr long small_rss_kib = 6 * 1024;

milliseconds ms_since(Clock::time_point t) { return std::chrono::duration_cast<milliseconds>(Clock::now() - t); }

// Listens on a free loopback port and, to every connection, either floods
// "HTTP/1.1 100 Continue\r\n\r\n" as fast as the socket takes it, or sends an
// interim status line and then one byte of an endless field every 10 ms.
class HostilePeer {
public:
    enum class Mode { flood, trickle };
    explicit HostilePeer(Mode mode) : mode_(mode) {
        listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            listen(listener_, 64) != 0 || getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
            pipe2(stop_, O_CLOEXEC) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port_ = ntohs(a.sin_port);
        for (int i = 0; i < 2600; ++i) flood_ += "HTTP/1.1 100 Continue\r\n\r\n";
        thread_ = std::thread([this] { loop(); });
    }
    ~HostilePeer() {
        [[maybe_unused]] ssize_t ignored = write(stop_[1], "x", 1);
        thread_.join();
        for (const Peer& p : peers_) close(p.fd);
        close(listener_);
        close(stop_[0]);
        close(stop_[1]);
    }
    HostilePeer(const HostilePeer&) = delete;
    HostilePeer& operator=(const HostilePeer&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    struct Peer {
        int fd;
        std::size_t offset;  // into flood_, or whether the status line went out
        Clock::time_point next;
    };

    void loop() {
        while (true) {
            std::vector<pollfd> fds{{stop_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
            for (const Peer& p : peers_) {
                fds.push_back({p.fd, static_cast<short>(POLLIN | (mode_ == Mode::flood ? POLLOUT : 0)), 0});
            }
            if (poll(fds.data(), fds.size(), mode_ == Mode::flood ? -1 : 2) < 0 && errno != EINTR) return;
            if (fds[0].revents != 0) return;
            for (int c; (fds[1].revents & POLLIN) != 0 && (c = accept4(listener_, nullptr, nullptr,
                                                                       SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0;) {
                peers_.push_back({c, 0, Clock::now()});
            }
            std::vector<Peer> open;
            for (std::size_t i = 0; i < peers_.size(); ++i) {
                if (serve(peers_[i], i + 2 < fds.size() ? fds[i + 2].revents : 0)) open.push_back(peers_[i]);
                else close(peers_[i].fd);
            }
            peers_ = std::move(open);
        }
    }

    // False once the watcher has closed the connection.
    bool serve(Peer& p, short revents) {
        char request[4096];
        if ((revents & POLLIN) != 0 && read(p.fd, request, sizeof request) == 0) return false;
        if ((revents & (POLLERR | POLLHUP)) != 0) return false;
        ssize_t n = 1;
        if (mode_ == Mode::flood) {
            n = send(p.fd, flood_.data() + p.offset, flood_.size() - p.offset, MSG_NOSIGNAL);
            if (n > 0) p.offset = (p.offset + static_cast<std::size_t>(n)) % flood_.size();
        } else if (p.offset == 0) {
            constexpr std::string_view start = "HTTP/1.1 100 Continue\r\nX-Endless: ";
            n = send(p.fd, start.data(), start.size(), MSG_NOSIGNAL);
            p.offset = 1;
        } else if (Clock::now() >= p.next) {
            n = send(p.fd, "a", 1, MSG_NOSIGNAL);
            p.next = Clock::now() + 10ms;
        }
        return n > 0 || (n < 0 && errno == EAGAIN);
    }

    Mode mode_;
    int listener_ = -1;
    int stop_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::string flood_;
    std::vector<Peer> peers_;
    std::thread thread_;
};

// What the test saw of one watcher, in milliseconds since eslaunch was spawned.
struct Seen {
    std::optional<milliseconds> line_at;   // "not ready after" on stderr
    std::optional<milliseconds> first_at;  // the STATUS= that ends the first try ("last: timed out")
    std::optional<milliseconds> exit_at;
    milliseconds cpu{0};
    long max_rss_kib = 0;
};

class HostileProbe : public ::testing::Test {
protected:
    void SetUp() override {
        HOSTILE_REQUIRE_ROOT();
        ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
        dir_ = make_launch_dir("hostile-probe");
        ASSERT_FALSE(dir_.empty());
    }
    void TearDown() override {
        kill_and_reap(program_);
        if (watcher_ > 0 && !reaped_) kill_and_reap(watcher_);
        if (notify_ >= 0) close(notify_);
        prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    // eslaunch with /bin/sleep as eslaunch-test, probing `ready`; with
    // NOTIFY_SOCKET on a socket of ours when `with_notify`.
    void start(const std::string& ready, bool with_notify) {
        write_file(dir_ / "spec.ini",
                   "[program:sleeper]\ncommand=/bin/sleep 120\nuser=" + std::string{test_user} + "\n" + ready);
        std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};
        if (with_notify) env.push_back("NOTIFY_SOCKET=" + listen_notify().string());
        spawned_ = Clock::now();
        program_ = spawn_command({eslaunch_binary(), (dir_ / "spec.ini").string()}, env, (dir_ / "stderr").string());
        watcher_ = find_watcher();
    }

    fs::path listen_notify() {
        const fs::path path = dir_ / "notify";
        notify_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        if (notify_ < 0 || bind(notify_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            throw std::runtime_error("cannot bind " + path.string());
        }
        chmod(path.c_str(), 0777);  // the watcher sends as eslaunch-test
        return path;
    }

    // Our child named eslaunch-watch (re-parented to us), within 5 s.
    pid_t find_watcher() const {
        for (const auto deadline = Clock::now() + 5s; Clock::now() < deadline;) {
            for (const auto& task : fs::directory_iterator("/proc/self/task")) {
                std::ifstream in(task.path() / "children");
                for (pid_t p = 0; in >> p;) {
                    std::string comm;
                    std::ifstream(("/proc/" + std::to_string(p) + "/comm")) >> comm;
                    if (p != program_ && comm == "eslaunch-watch") return p;
                }
            }
            std::this_thread::sleep_for(2ms);
        }
        return -1;
    }

    // Watches stderr, the notify socket and the watcher until it exits or
    // `limit` has passed since the spawn (then kills it).
    Seen observe(milliseconds limit) {
        Seen seen;
        rusage ru{};
        int wstatus = 0;
        while (!seen.exit_at) {
            if (wait4(watcher_, &wstatus, WNOHANG, &ru) == watcher_) {
                reaped_ = true;
                seen.exit_at = ms_since(spawned_);
            } else if (ms_since(spawned_) > limit) {
                kill(watcher_, SIGKILL);
                wait4(watcher_, &wstatus, 0, &ru);
                reaped_ = true;
                break;
            }
            for (auto d = notify_ >= 0 ? receive_datagram(notify_, MSG_DONTWAIT) : std::nullopt; d;
                 d = receive_datagram(notify_, MSG_DONTWAIT)) {
                for (int fd : d->fds) close(fd);
                statuses_ += d->text + "\n";
                if (!seen.first_at && d->text.find("last: timed out") != std::string::npos) {
                    seen.first_at = ms_since(spawned_);
                }
            }
            if (!seen.line_at && stderr_text().find("not ready after") != std::string::npos) {
                seen.line_at = ms_since(spawned_);
            }
            std::this_thread::sleep_for(5ms);
        }
        if (!seen.line_at && stderr_text().find("not ready after") != std::string::npos) seen.line_at = seen.exit_at;
        seen.cpu = milliseconds{(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000};
        seen.max_rss_kib = ru.ru_maxrss;
        return seen;
    }

    [[nodiscard]] std::string stderr_text() const {
        std::ifstream in(dir_ / "stderr");
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    [[nodiscard]] std::string context(const Seen& s) const {
        auto ms = [](const std::optional<milliseconds>& m) { return m ? std::to_string(m->count()) + " ms" : "never"; };
        return "the line at " + ms(s.line_at) + ", the first try's end at " + ms(s.first_at) + ", the exit at " +
               ms(s.exit_at) + "; CPU " + std::to_string(s.cpu.count()) + " ms, peak RSS " +
               std::to_string(s.max_rss_kib) + " KiB\nstderr:\n" + stderr_text() + "STATUS etc.:\n" + statuses_;
    }

    fs::path dir_;
    pid_t program_ = -1;
    pid_t watcher_ = -1;
    bool reaped_ = false;
    int notify_ = -1;
    Clock::time_point spawned_;
    std::string statuses_;
};

// Unbounded, the watcher read and re-parsed the stream for ever: a core's
// worth of CPU, memory growing, and no "not ready" line at all.
TEST_F(HostileProbe, AnEndless1xxStreamEndsAtReadyTimeout) {
    const HostilePeer peer(HostilePeer::Mode::flood);
    const std::string url = "http://127.0.0.1:" + std::to_string(peer.port()) + "/";
    start("ready=" + url + "\nready_timeout=3s\n", false);
    ASSERT_GT(watcher_, 0) << "no eslaunch-watch became our child\n" << stderr_text();
    const Seen seen = observe(3s + 10s);
    ASSERT_TRUE(seen.line_at) << context(seen);
    EXPECT_GE(*seen.line_at, 3s) << context(seen);
    EXPECT_LE(*seen.line_at, 3s + stated_bound + slack) << context(seen);
    EXPECT_THAT(stderr_text(), HasSubstr("eslaunch: sleeper not ready after ready_timeout=3s (" + url +
                                         " -> more than 65536 bytes of interim (1xx) answers without a final "
                                         "status)"));
    ASSERT_TRUE(seen.exit_at) << context(seen);
    // It reads at most 64 KiB a try, a try every ready_interval (50 ms).
    EXPECT_LT(seen.cpu * 10, *seen.exit_at) << "more than 10% of a core\n" << context(seen);
    EXPECT_LT(seen.max_rss_kib, small_rss_kib) << context(seen);
}

// Each try ends at its deadline: the first after 5 s (STATUS= says so at
// once), the second when ready_timeout=6s comes. Before, the second got
// 5 s too, and the line came about 4 s late.
TEST_F(HostileProbe, ATrickledEndlessHeaderEndsEachTryAtItsDeadline) {
    const HostilePeer peer(HostilePeer::Mode::trickle);
    const std::string url = "http://127.0.0.1:" + std::to_string(peer.port()) + "/";
    start("ready=" + url + "\nready_timeout=6s\n", true);
    ASSERT_GT(watcher_, 0) << "no eslaunch-watch became our child\n" << stderr_text();
    const Seen seen = observe(6s + 10s);
    ASSERT_TRUE(seen.first_at && seen.line_at) << context(seen);
    EXPECT_THAT(statuses_, HasSubstr("last: timed out after 5.0 s")) << context(seen);
    // The first try starts after the sd-bus self-check (at most 250 ms).
    EXPECT_GE(*seen.first_at, 5s) << context(seen);
    EXPECT_LE(*seen.first_at, 5s + 250ms + stated_bound + slack) << context(seen);
    EXPECT_GE(*seen.line_at, 6s) << context(seen);
    EXPECT_LE(*seen.line_at, 6s + stated_bound + slack) << context(seen);
    // The line names the try that ran its course, not the one cut short.
    EXPECT_THAT(stderr_text(), HasSubstr("eslaunch: sleeper not ready after ready_timeout=6s (" + url +
                                         " -> timed out after 5.0 s)"));
    ASSERT_TRUE(seen.exit_at) << context(seen);
    EXPECT_LT(seen.cpu * 10, *seen.exit_at) << context(seen);
    EXPECT_LT(seen.max_rss_kib, small_rss_kib) << context(seen);
}

}  // namespace
}  // namespace eslaunch::testing
