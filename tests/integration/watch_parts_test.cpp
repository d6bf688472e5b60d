// The parts of eslaunch-watch, against real sockets and processes, no root
// needed: the http:// client (what it sends, every kind of answer, timeouts,
// the program dying mid-try), sd_notify spoken directly (path and abstract
// sockets, the barrier), and the short-lived children that load libcurl and
// libsystemd. readiness_test.cpp runs the whole watcher as root.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "child.hpp"
#include "notify.hpp"
#include "probe.hpp"
#include "run_process.hpp"

namespace eslaunch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Outcome = ProbeResult::Outcome;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// --- The pure parts ----------------------------------------------------------

TEST(Base64, Rfc4648Vectors) {
    EXPECT_EQ(base64(""), "");
    EXPECT_EQ(base64("f"), "Zg==");
    EXPECT_EQ(base64("fo"), "Zm8=");
    EXPECT_EQ(base64("foo"), "Zm9v");
    EXPECT_EQ(base64("foob"), "Zm9vYg==");
    EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617's example
    EXPECT_EQ(base64(std::string{"\xff\xfe\x00", 3}), "//4A");
}

ReadyProbe http_probe(const std::string& host, std::uint16_t port, const std::string& path = "/") {
    ReadyProbe p;
    p.kind = ReadyProbe::Kind::http;
    p.host = host;
    p.port = port;
    p.path = path;
    return p;
}

TEST(HttpRequest, GetWithHostAndNoAuth) {
    EXPECT_EQ(http_request(http_probe("127.0.0.1", 9200, "/_cluster/health?local=true"), std::nullopt, ""),
              "GET /_cluster/health?local=true HTTP/1.1\r\nHost: 127.0.0.1:9200\r\nUser-Agent: eslaunch-watch\r\n"
              "Accept: */*\r\nConnection: close\r\n\r\n");
}

TEST(HttpRequest, Ipv6HostInBracketsAndBasicAuth) {
    const std::string r = http_request(http_probe("::1", 9201), std::string{"elastic"}, "s3cret");
    EXPECT_THAT(r, StartsWith("GET / HTTP/1.1\r\nHost: [::1]:9201\r\n"));
    EXPECT_THAT(r, HasSubstr("\r\nAuthorization: Basic " + base64("elastic:s3cret") + "\r\n"));
    EXPECT_TRUE(r.ends_with("\r\n\r\n"));
}

TEST(HttpStatus, FinalStatusLines) {
    for (auto [text, code] : {std::pair{"HTTP/1.1 200 OK\r\n", 200}, std::pair{"HTTP/1.0 404 Not Found\r\n", 404},
                              std::pair{"HTTP/1.1 503\r\n", 503}, std::pair{"HTTP/1.1 401 Unauthorized\n", 401},
                              std::pair{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200}}) {
        const HttpStatus s = parse_http_status(text);
        EXPECT_EQ(s.state, HttpStatus::State::status) << text;
        EXPECT_EQ(s.code, code) << text;
    }
}

TEST(HttpStatus, IncompleteUntilTheLineEnds) {
    for (const char* text : {"", "H", "HTTP/1.", "HTTP/1.1 20", "HTTP/1.1 200 OK"}) {
        EXPECT_EQ(parse_http_status(text).state, HttpStatus::State::incomplete) << text;
    }
}

TEST(HttpStatus, InterimAnswersAreSkipped) {
    EXPECT_EQ(parse_http_status("HTTP/1.1 100 Continue\r\n").state, HttpStatus::State::incomplete);
    EXPECT_EQ(parse_http_status("HTTP/1.1 100 Continue\r\n\r\n").state, HttpStatus::State::incomplete);
    const HttpStatus s = parse_http_status("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n");
    EXPECT_EQ(s.state, HttpStatus::State::status);
    EXPECT_EQ(s.code, 201);
    EXPECT_EQ(parse_http_status("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n").code, 200);
}

TEST(HttpStatus, NotHttpIsMalformedAndShown) {
    for (std::string text : {std::string{"SSH-2.0-OpenSSH_9.2\r\n"}, std::string{"HTTP/2 200\r\n"},
                             std::string{"HTTP/1.1 2000 OK\r\n"}, std::string{"HTTP/1.1 20x OK\r\n"},
                             std::string{"HTTP/3.0 200 OK\r\n"}, std::string{"\x15\x03\x01\x00\x02\x02\x46", 7},
                             std::string(20000, 'H').replace(0, 5, "HTTP/")}) {
        const HttpStatus s = parse_http_status(text);
        EXPECT_EQ(s.state, HttpStatus::State::malformed) << text;
        EXPECT_THAT(s.problem, StartsWith("not an HTTP/1.x response: \"")) << text;
    }
    EXPECT_EQ(parse_http_status("SSH-2.0-OpenSSH\r\n").problem, "not an HTTP/1.x response: \"SSH-2.0-OpenSSH\"");
    EXPECT_EQ(parse_http_status(std::string{"\x15\x03\x01", 3}).problem, "not an HTTP/1.x response: \"???\"");
}

TEST(HttpStatus, OnlyRfc9110StatusesAndBareLineFeeds) {
    for (const char* text : {"HTTP/1.1 000 Zero\r\n", "HTTP/1.1 099\r\n", "HTTP/1.1 600 Big\r\n", "HTTP/1.1 999\r\n"}) {
        EXPECT_EQ(parse_http_status(text).state, HttpStatus::State::malformed) << text;
    }
    EXPECT_EQ(parse_http_status("HTTP/1.1 599\r\n").code, 599);
    EXPECT_EQ(parse_http_status("HTTP/1.1 101 Switching Protocols\r\n").code, 101);  // final: no answer follows
    // A line may end with LF alone (RFC 9112, 2.2), in an interim block too.
    EXPECT_EQ(parse_http_status("HTTP/1.1 100 Continue\n\nHTTP/1.1 204\n").code, 204);
    EXPECT_EQ(parse_http_status("HTTP/1.1 103 Early Hints\nLink: </a>\n\r\nHTTP/1.1 200 OK\r\n").code, 200);
    EXPECT_EQ(parse_http_status("HTTP/1.1 100 Continue\r\n\r\nSSH-2.0\r\n").problem,
              "not an HTTP/1.x response: \"SSH-2.0\"");
}

TEST(HttpHeadReader, InterimBlocksAreDroppedAsTheyAreRead) {
    const std::string block = "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n";
    std::string stream;
    for (int i = 0; i < 1000; ++i) stream += block;
    HttpHeadReader reader;
    for (std::size_t at = 0; at < stream.size(); at += 7) {
        EXPECT_EQ(reader.feed(std::string_view{stream}.substr(at, 7)).state, HttpStatus::State::incomplete) << at;
    }
    EXPECT_EQ(reader.interim_answers(), 1000U);
    EXPECT_EQ(reader.bytes_read(), stream.size());
    EXPECT_EQ(reader.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n").code, 200);
    EXPECT_EQ(reader.bytes_read(), stream.size() + 17) << "read past the status line";
}

TEST(HttpHeadReader, WorkPerByteIsConstant) {
    // 8 MiB of 100 Continue in 4 KiB reads, as a peer that floods would send:
    // a reader that kept the blocks and parsed them all again on each read
    // would take minutes; this one well under a second, 10 s on a loaded host.
    constexpr std::string_view block = "HTTP/1.1 100 Continue\r\n\r\n";
    std::string read;
    while (read.size() < 4096) read += block;
    read.resize(4096 / block.size() * block.size());
    HttpHeadReader reader{HttpHeadReader::default_max_block, std::size_t{1} << 30};
    const auto started = Clock::now();
    for (std::size_t total = 0; total < (std::size_t{8} << 20); total += read.size()) {
        ASSERT_EQ(reader.feed(read).state, HttpStatus::State::incomplete);
    }
    EXPECT_LT(Clock::now() - started, 10s);
    EXPECT_EQ(reader.interim_answers(), reader.bytes_read() / block.size());
}

TEST(HttpHeadReader, CapsOnABlockAndOnATry) {
    constexpr std::size_t max_block = HttpHeadReader::default_max_block;
    constexpr std::size_t max_head = HttpHeadReader::default_max_head;
    // An interim block of exactly max_block bytes passes; one byte more fails.
    const std::string start = "HTTP/1.1 103 Early Hints\r\nLink: ";
    const std::string fits = start + std::string(max_block - start.size() - 4, 'a') + "\r\n\r\n";
    ASSERT_EQ(fits.size(), max_block);
    EXPECT_EQ(parse_http_status(fits + "HTTP/1.1 200 OK\r\n").code, 200);
    const HttpStatus over = parse_http_status(start + std::string(max_block, 'a'));
    EXPECT_EQ(over.state, HttpStatus::State::malformed);
    EXPECT_EQ(over.problem, "more than 16384 bytes in the head of an interim answer (103)");
    // Interim answers add up to max_head bytes at most.
    constexpr std::string_view block = "HTTP/1.1 100 Continue\r\n\r\n";
    std::string stream;
    while (stream.size() <= max_head) stream += block;
    HttpHeadReader reader;
    const HttpStatus& flood = reader.feed(stream);
    EXPECT_EQ(flood.state, HttpStatus::State::malformed);
    EXPECT_EQ(flood.problem, "more than 65536 bytes of interim (1xx) answers without a final status");
    EXPECT_EQ(reader.bytes_read(), max_head + 1);
    EXPECT_EQ(reader.interim_answers(), max_head / block.size());
}

TEST(HttpHeadReader, AnySplitGivesTheSameVerdict) {
    for (std::string text : {std::string{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"},
                             std::string{"HTTP/1.1 103 Early Hints\nLink: </a>\n\nHTTP/1.0 404 Not Found\n"},
                             std::string{"HTTP/1.1 100 Continue\r\n\r\nHTTP/2 200\r\n"},
                             std::string{"HTTP/1.1 100 Continue\r\nX: 1\r\n\r\nHTTP/1.1 20"}}) {
        const HttpStatus whole = parse_http_status(text);
        for (std::size_t cut = 0; cut <= text.size(); ++cut) {
            HttpHeadReader reader;
            reader.feed(std::string_view{text}.substr(0, cut));
            const HttpStatus& split = reader.feed(std::string_view{text}.substr(cut));
            EXPECT_EQ(split.state, whole.state) << text << " cut at " << cut;
            EXPECT_EQ(split.code, whole.code) << text << " cut at " << cut;
            EXPECT_EQ(split.problem, whole.problem) << text << " cut at " << cut;
        }
    }
}

TEST(NotifySocketValue, PathsAndAbstractNames) {
    const NotifyAddress path = parse_notify_socket("/run/systemd/notify");
    EXPECT_EQ(path.error, "");
    EXPECT_STREQ(path.address.sun_path, "/run/systemd/notify");
    EXPECT_EQ(path.length, offsetof(sockaddr_un, sun_path) + std::strlen("/run/systemd/notify") + 1);

    const NotifyAddress abstract = parse_notify_socket("@eslaunch/test");
    EXPECT_EQ(abstract.error, "");
    EXPECT_EQ(abstract.address.sun_path[0], '\0');
    EXPECT_EQ(std::string(abstract.address.sun_path + 1, 13), "eslaunch/test");
    EXPECT_EQ(abstract.length, offsetof(sockaddr_un, sun_path) + 14);  // no terminating NUL
}

TEST(NotifySocketValue, WhatCannotBeUsedSaysWhy) {
    EXPECT_THAT(parse_notify_socket("").error, HasSubstr("empty"));
    EXPECT_THAT(parse_notify_socket("run/notify").error, HasSubstr("neither an absolute path nor an abstract socket"));
    EXPECT_THAT(parse_notify_socket("vsock:2:1234").error, HasSubstr("AF_VSOCK"));
    EXPECT_THAT(parse_notify_socket("/" + std::string(107, 'x')).error, HasSubstr("longer than 107 bytes"));
    EXPECT_EQ(parse_notify_socket("/" + std::string(106, 'x')).error, "");
    EXPECT_THAT(parse_notify_socket("@" + std::string(108, 'x')).error, HasSubstr("longer than 107 bytes"));
}

// --- http:// against a server in this process -------------------------------

// Listens on 127.0.0.1 and, for each connection, reads the request head and
// then does what `answer` says with the socket (write bytes, close). Without
// an answer, it holds the connection open and silent until it is destroyed.
class Server {
public:
    explicit Server(std::function<void(int fd, const std::string& request)> answer) : answer_(std::move(answer)) {
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
    ~Server() {
        [[maybe_unused]] ssize_t ignored = write(stop_[1], "x", 1);
        thread_.join();
        close(fd_);
        close(stop_[0]);
        close(stop_[1]);
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string last_request() const {
        std::lock_guard lock(mutex_);
        return last_request_;
    }

private:
    void loop() {
        while (true) {
            pollfd p[2] = {{fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
            if (poll(p, 2, -1) < 0) continue;
            if (p[1].revents != 0) return;
            const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            std::string request;
            char buf[1024];
            while (request.find("\r\n\r\n") == std::string::npos) {
                const ssize_t n = read(c, buf, sizeof buf);
                if (n <= 0) break;
                request.append(buf, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard lock(mutex_);
                last_request_ = request;
            }
            if (answer_) {
                answer_(c, request);
            } else {
                pollfd stop{stop_[0], POLLIN, 0};
                while (poll(&stop, 1, -1) < 0) {
                }
            }
            close(c);
        }
    }

    std::function<void(int, const std::string&)> answer_;
    int fd_ = -1;
    int stop_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::string last_request_;
};

void send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

WatchOptions http_options(std::uint16_t port) {
    WatchOptions o;
    o.program = "test";
    o.probe = http_probe("127.0.0.1", port, "/_health");
    return o;
}

// The default budget only bounds a probe that would otherwise hang the test.
ProbeResult probe_once(const WatchOptions& o, milliseconds budget = 10s, int abort_fd = -1) {
    auto probe = make_probe(o, {});
    if (!probe) throw std::runtime_error(probe.error());
    return (*probe)->run(budget, abort_fd);
}

TEST(HttpProbe, StatusInReadyExpectIsReady) {
    Server server([](int fd, const std::string&) { send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"); });
    const ProbeResult r = probe_once(http_options(server.port()));
    EXPECT_EQ(r.outcome, Outcome::ready);
    EXPECT_EQ(r.text, "200");
    EXPECT_THAT(server.last_request(), StartsWith("GET /_health HTTP/1.1\r\nHost: 127.0.0.1:"));
    EXPECT_THAT(server.last_request(), ::testing::Not(HasSubstr("Authorization")));
}

TEST(HttpProbe, StatusOutsideReadyExpectFails) {
    Server server([](int fd, const std::string&) { send_all(fd, "HTTP/1.1 503 Service Unavailable\r\n\r\n"); });
    const ProbeResult r = probe_once(http_options(server.port()));
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_EQ(r.text, "503");

    Server unauthorized([](int fd, const std::string&) { send_all(fd, "HTTP/1.1 401 Unauthorized\r\n\r\n"); });
    WatchOptions only_200 = http_options(unauthorized.port());
    EXPECT_EQ(probe_once(only_200).outcome, Outcome::ready);  // default ready_expect 200-499
    only_200.expect = {{200, 200}};
    EXPECT_EQ(probe_once(only_200).text, "401");
    EXPECT_EQ(probe_once(only_200).outcome, Outcome::failed);
}

TEST(HttpProbe, StatusLineInPiecesWithAnInterimAnswer) {
    Server server([](int fd, const std::string&) {
        for (std::string_view piece : {"HTTP/1.1 100 Con", "tinue\r\n\r\nHT", "TP/1.1 2", "04 No Content\r\n\r\n"}) {
            send_all(fd, piece);
            std::this_thread::sleep_for(20ms);
        }
    });
    const ProbeResult r = probe_once(http_options(server.port()));
    EXPECT_EQ(r.outcome, Outcome::ready);
    EXPECT_EQ(r.text, "204");
}

TEST(HttpProbe, BasicAuthFromThePasswordFile) {
    const fs::path dir = fs::temp_directory_path() / ("watch-parts-" + std::to_string(getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "password") << "s3cret\nsecond line ignored\n";
    Server server([](int fd, const std::string&) { send_all(fd, "HTTP/1.1 200 OK\r\n\r\n"); });
    WatchOptions o = http_options(server.port());
    o.user = "elastic";
    o.password_file = (dir / "password").string();
    EXPECT_EQ(probe_once(o).outcome, Outcome::ready);
    EXPECT_THAT(server.last_request(), HasSubstr("\r\nAuthorization: Basic " + base64("elastic:s3cret") + "\r\n"));
    fs::remove_all(dir);
}

TEST(HttpProbe, ASilentServerTimesOutWithinTheBudget) {
    // The server holds the connection until it is destroyed: a probe that
    // did not keep to its budget would never return. The upper bound leaves
    // a loaded host 3 s.
    Server server(nullptr);
    const auto started = Clock::now();
    const ProbeResult r = probe_once(http_options(server.port()), 300ms);
    const auto took = Clock::now() - started;
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_EQ(r.text, "timed out after 300 ms");
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 3300ms);
}

TEST(HttpProbe, AClosedConnectionAndGarbageFail) {
    Server closes([](int, const std::string&) {});
    ProbeResult r = probe_once(http_options(closes.port()));
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_EQ(r.text, "empty reply (the connection was closed)");

    Server cut([](int fd, const std::string&) { send_all(fd, "HTTP/1.1 20"); });
    EXPECT_EQ(probe_once(http_options(cut.port())).text, "the connection was closed within the status line");

    Server ssh([](int fd, const std::string&) { send_all(fd, "SSH-2.0-OpenSSH_9.2p1\r\n"); });
    r = probe_once(http_options(ssh.port()));
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_EQ(r.text, "not an HTTP/1.x response: \"SSH-2.0-OpenSSH_9.2p1\"");
}

// Sends `bytes` over and over until the probe closes the connection.
void send_until_closed(int fd, std::string_view bytes) {
    while (send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) > 0) {
    }
}

TEST(HttpProbe, AnEndless1xxStreamFailsAtTheCap) {
    Server server([](int fd, const std::string&) {
        std::string blocks;
        for (int i = 0; i < 1000; ++i) blocks += "HTTP/1.1 100 Continue\r\n\r\n";
        send_until_closed(fd, blocks);
    });
    // Without the cap the probe would read until its budget, 30 s.
    const auto started = Clock::now();
    const ProbeResult r = probe_once(http_options(server.port()), 30s);
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_EQ(r.text, "more than 65536 bytes of interim (1xx) answers without a final status");
    EXPECT_LT(Clock::now() - started, 10s);
}

TEST(HttpProbe, ATrickledEndlessHeaderEndsAtTheDeadline) {
    // A byte every 10 ms reaches the 16 KiB cap on an interim block after
    // 160 s: a probe that waited per read, not per try, would take that long.
    Server server([](int fd, const std::string&) {
        send_all(fd, "HTTP/1.1 100 Continue\r\nX-Endless: ");
        while (send(fd, "a", 1, MSG_NOSIGNAL) > 0) std::this_thread::sleep_for(10ms);
    });
    const auto started = Clock::now();
    const ProbeResult r = probe_once(http_options(server.port()), 500ms);
    const auto took = Clock::now() - started;
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_EQ(r.text, "timed out after 500 ms");
    EXPECT_GE(took, 500ms);
    EXPECT_LT(took, 5s);
}

TEST(HttpProbe, NothingListeningIsRefused) {
    const std::uint16_t port = testing::free_port();
    const ProbeResult r = probe_once(http_options(port));
    EXPECT_EQ(r.outcome, Outcome::refused);
    EXPECT_EQ(r.text, "connection refused");
}

TEST(HttpProbe, TheProgramDyingAbortsTheTry) {
    // The program "dies" once the request is in, while the probe waits for
    // the answer; the server then holds the connection until the probe lets
    // go. Not aborting would take the whole 30 s budget.
    int abort_pipe[2];
    ASSERT_EQ(pipe2(abort_pipe, O_CLOEXEC), 0);
    Server server([&](int fd, const std::string&) {
        [[maybe_unused]] ssize_t ignored = write(abort_pipe[1], "x", 1);
        char byte = 0;
        while (read(fd, &byte, 1) > 0) {
        }
    });
    const auto started = Clock::now();
    const ProbeResult r = probe_once(http_options(server.port()), 30s, abort_pipe[0]);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_LT(Clock::now() - started, 10s);
    EXPECT_THAT(server.last_request(), StartsWith("GET /_health HTTP/1.1\r\n")) << "aborted before the request";
    close(abort_pipe[0]);
    close(abort_pipe[1]);
}

// --- sd_notify, spoken directly ------------------------------------------------

// A datagram socket playing systemd's: bound to `address` (a path, or
// "@name"); answers each BARRIER=1 by closing its fd unless told to hold it.
class Receiver {
public:
    explicit Receiver(const std::string& address) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        const NotifyAddress a = parse_notify_socket(address);
        if (fd_ < 0 || !a.error.empty() || bind(fd_, reinterpret_cast<const sockaddr*>(&a.address), a.length) != 0) {
            throw std::runtime_error("cannot bind " + address);
        }
    }
    ~Receiver() {
        for (int fd : held_) close(fd);
        close(fd_);
    }
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    // The next datagram's text, and the fds it carried (closed unless held).
    std::string next(bool hold_fds = false) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 10'000) != 1) return "(nothing within 10 s)";
        auto received = testing::receive_datagram(fd_, 0);
        if (!received) return "(recvmsg failed)";
        fds_ = static_cast<int>(received->fds.size());
        for (int fd : received->fds) {
            if (hold_fds) held_.push_back(fd);
            else close(fd);
        }
        return std::move(received->text);
    }
    [[nodiscard]] int fds_in_last() const { return fds_; }

private:
    int fd_ = -1;
    int fds_ = 0;
    std::vector<int> held_;
};

TEST(Notifier, WithoutNotifySocketNothingIsSent) {
    const Notifier n{std::nullopt};
    EXPECT_FALSE(n.enabled());
    EXPECT_EQ(n.problem(), "");
    EXPECT_FALSE(n.send("READY=1"));
    EXPECT_FALSE(n.barrier(10ms));
}

TEST(Notifier, AnUnusableNotifySocketSaysWhy) {
    const Notifier n{std::string_view{"notify"}};
    EXPECT_FALSE(n.enabled());
    EXPECT_EQ(n.problem(), "NOTIFY_SOCKET=notify: it is neither an absolute path nor an abstract socket (@NAME)");
}

TEST(Notifier, SendsToAPathSocketAndWaitsForTheBarrier) {
    const fs::path path = fs::temp_directory_path() / ("watch-parts-notify-" + std::to_string(getpid()));
    fs::remove(path);
    Receiver systemd(path.string());
    const Notifier n{std::string_view{path.string()}};
    ASSERT_TRUE(n.enabled()) << n.problem();
    EXPECT_TRUE(n.send("READY=1\nSTATUS=ready"));
    EXPECT_EQ(systemd.next(), "READY=1\nSTATUS=ready");

    std::string barrier;
    std::thread reader([&] { barrier = systemd.next(); });  // closes the fd it gets
    EXPECT_TRUE(n.barrier(10s));
    reader.join();
    EXPECT_EQ(barrier, "BARRIER=1");
    EXPECT_EQ(systemd.fds_in_last(), 1);
    fs::remove(path);
}

TEST(Notifier, TheBarrierGivesUpWhileSystemdHoldsTheFd) {
    const std::string name = "@eslaunch-watch-parts-" + std::to_string(getpid());
    Receiver systemd(name);
    const Notifier n{std::string_view{name}};
    ASSERT_TRUE(n.enabled()) << n.problem();
    std::thread reader([&] { systemd.next(/*hold_fds=*/true); });
    const auto started = Clock::now();
    EXPECT_FALSE(n.barrier(200ms));
    EXPECT_GE(Clock::now() - started, 200ms);
    reader.join();
    EXPECT_EQ(systemd.fds_in_last(), 1);
}

TEST(Notifier, AbstractSocket) {
    const std::string name = "@eslaunch-watch-parts-abstract-" + std::to_string(getpid());
    Receiver systemd(name);
    const Notifier n{std::string_view{name}};
    ASSERT_TRUE(n.enabled()) << n.problem();
    EXPECT_TRUE(n.send("WATCHDOG=1"));
    EXPECT_EQ(systemd.next(), "WATCHDOG=1");
}

// --- The short-lived children -------------------------------------------------

bool is_child_of_ours(pid_t pid) {
    std::ifstream in("/proc/self/task/" + std::to_string(getpid()) + "/children");
    for (pid_t p = 0; in >> p;) {
        if (p == pid) return true;
    }
    return false;
}

TEST(RunInChild, ReturnsWhatTheChildSaysFromAnotherProcess) {
    const ChildResult r = run_in_child([] { return std::to_string(getpid()); }, Clock::now() + 10s, -1);
    EXPECT_EQ(r.status, ChildResult::Status::done);
    EXPECT_NE(r.output, std::to_string(getpid()));
    EXPECT_FALSE(is_child_of_ours(std::stoi(r.output)));  // reaped
}

TEST(RunInChild, KilledAndReapedAtTheDeadline) {
    // The child pauses for ever: only the deadline ends it. 1 s gives a
    // loaded host time to run it as far as its report.
    int report[2];
    ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
    const auto started = Clock::now();
    const ChildResult r = run_in_child(
        [&] {
            const pid_t me = getpid();
            [[maybe_unused]] ssize_t ignored = write(report[1], &me, sizeof me);
            pause();
            return std::string{"never"};
        },
        started + 1s, -1);
    const auto took = Clock::now() - started;
    EXPECT_EQ(r.status, ChildResult::Status::timeout);
    EXPECT_GE(took, 1s);
    EXPECT_LT(took, 6s);
    close(report[1]);  // a child killed before its report reads as EOF, not a hang
    pid_t pid = 0;
    ASSERT_EQ(read(report[0], &pid, sizeof pid), static_cast<ssize_t>(sizeof pid)) << "the child never ran";
    EXPECT_FALSE(is_child_of_ours(pid));
    EXPECT_EQ(kill(pid, 0), -1);  // gone, not a zombie
    close(report[0]);
}

TEST(RunInChild, AbortFdStopsIt) {
    int abort_pipe[2];
    ASSERT_EQ(pipe2(abort_pipe, O_CLOEXEC), 0);
    ASSERT_EQ(write(abort_pipe[1], "x", 1), 1);
    const ChildResult r = run_in_child(
        [] {
            pause();
            return std::string{};
        },
        Clock::now() + 5s, abort_pipe[0]);
    EXPECT_EQ(r.status, ChildResult::Status::aborted);
    close(abort_pipe[0]);
    close(abort_pipe[1]);
}

TEST(RunInChild, ACrashIsReported) {
    const ChildResult r = run_in_child(
        [] {
            raise(SIGKILL);
            return std::string{};
        },
        Clock::now() + 10s, -1);
    EXPECT_EQ(r.status, ChildResult::Status::failed);
    EXPECT_EQ(r.output, "killed by signal 9");
}

TEST(OpenLibrary, AMissingLibraryNamesItAndItsPackage) {
    const ChildResult r = run_in_child(
        [] {
            std::string error;
            return open_library("libeslaunch-no-such.so.7", "libno-such7", error) == nullptr ? error : "loaded?";
        },
        Clock::now() + 10s, -1);
    EXPECT_THAT(r.output, StartsWith("cannot load libeslaunch-no-such.so.7 ("));
    EXPECT_THAT(r.output, HasSubstr("): install Debian's libno-such7"));
}

TEST(UnitInfo, OutsideAUnitIsAnErrorNotACrash) {
    // A PID no process can have (PIDs stay below pid_max) is in no unit on
    // any host, with or without systemd: sd_pid_get_unit's answer, named,
    // well within the budget (a timeout would say "no answer").
    std::ifstream in("/proc/sys/kernel/pid_max");
    pid_t pid_max = 0;
    ASSERT_TRUE(in >> pid_max);
    const auto info = read_unit_info(pid_max, 10s);
    ASSERT_FALSE(info) << "pid " << pid_max << " is in " << info->unit;
    EXPECT_EQ(info.error(), "not in a systemd unit: No such process");
}

}  // namespace
}  // namespace eslaunch
