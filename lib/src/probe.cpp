#include "eslaunch/probe.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "posix.hpp"

namespace eslaunch {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Outcome = ProbeResult::Outcome;

std::string timed_out(milliseconds budget) {
    // The watchdog's budget is a quarter of WatchdogSec=: under a second,
    // format_elapsed's tenths would say "0.0 s".
    if (budget < std::chrono::seconds{1}) return fmt::format("timed out after {} ms", budget.count());
    return fmt::format("timed out after {}", format_elapsed(budget));
}

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

enum class Waited { ready, timeout, aborted };

// Waits for `events` on fd, or for abort_fd to become readable, until deadline.
Waited wait_fd(int fd, short events, int abort_fd, Clock::time_point deadline) {
    while (true) {
        pollfd fds[2] = {{fd, events, 0}, {abort_fd, POLLIN, 0}};
        const int n = ::poll(fds, abort_fd >= 0 ? 2 : 1, remaining_ms(deadline));
        if (n < 0 && errno == EINTR) continue;
        if (abort_fd >= 0 && fds[1].revents != 0) return Waited::aborted;
        if (n > 0 && fds[0].revents != 0) return Waited::ready;
        if (Clock::now() >= deadline) return Waited::timeout;
    }
}

// Is a TCP socket listening on an address and port of this host? One
// sock_diag request that asks the kernel to look the address up as an
// incoming connection would (a wildcard or dual-stack listener answers too),
// no handshake and no walk over every socket: while the node starts, the
// watcher asks this every 10 ms, and a connect that the kernel answers with
// a reset costs several times more (bench/RESULTS.md, "Readiness").
class ListenWatch {
public:
    ListenWatch() : fd_(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) {}
    [[nodiscard]] bool usable() const { return fd_.get() >= 0; }

    // nullopt: the kernel did not answer clearly (then connect instead).
    std::optional<bool> listening(const sockaddr_storage& address) {
        struct {
            nlmsghdr header;
            inet_diag_req_v2 request;
        } message{};
        message.header.nlmsg_len = sizeof message;
        message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        message.header.nlmsg_flags = NLM_F_REQUEST;
        inet_diag_req_v2& r = message.request;
        r.sdiag_family = static_cast<std::uint8_t>(address.ss_family);
        r.sdiag_protocol = IPPROTO_TCP;
        r.idiag_states = 1U << TCP_LISTEN;
        r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
        r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
        if (address.ss_family == AF_INET) {
            const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
            r.id.idiag_sport = v4.sin_port;
            std::memcpy(r.id.idiag_src, &v4.sin_addr, sizeof v4.sin_addr);
        } else {
            const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
            r.id.idiag_sport = v6.sin6_port;
            std::memcpy(r.id.idiag_src, &v6.sin6_addr, sizeof v6.sin6_addr);
        }
        sockaddr_nl kernel{};
        kernel.nl_family = AF_NETLINK;
        if (::sendto(fd_.get(), &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
            return std::nullopt;
        }
        alignas(nlmsghdr) char buffer[1024];
        ssize_t n = 0;
        do {
            n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        } while (n < 0 && errno == EINTR);
        const auto* h = reinterpret_cast<const nlmsghdr*>(buffer);
        if (n < static_cast<ssize_t>(sizeof(nlmsghdr)) || !NLMSG_OK(h, static_cast<unsigned>(n))) return std::nullopt;
        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) return true;
        if (h->nlmsg_type == NLMSG_ERROR) {
            const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
            if (e->error == -ENOENT) return false;
        }
        return std::nullopt;
    }

private:
    UniqueFd fd_;
};

// Whether `address` is one of this host's (loopback included).
bool is_local_address(const sockaddr_storage& address) {
    if (address.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        if ((ntohl(v4.sin_addr.s_addr) >> 24) == 127) return true;
    } else if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        if (IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr)) return true;
    }
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return false;
    bool local = false;
    for (ifaddrs* i = list; i != nullptr && !local; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != address.ss_family) continue;
        if (address.ss_family == AF_INET) {
            local = reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr ==
                    reinterpret_cast<const sockaddr_in&>(address).sin_addr.s_addr;
        } else {
            local = std::memcmp(&reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr,
                                &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, sizeof(in6_addr)) == 0;
        }
    }
    ::freeifaddrs(list);
    return local;
}

// A probe's addresses, resolved once: the port is asked every few
// milliseconds while the node starts, and a resolver call each time would
// cost more than the connect. Resolved again after a failure to resolve.
class Target {
public:
    Target(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}

    ProbeResult connect(milliseconds budget, int abort_fd) {
        if (addresses_.empty()) {
            if (std::string err = resolve(); !err.empty()) return {Outcome::failed, err};
        }
        // Nothing listens there on this host: what a connect would say.
        if (local_ && watch_.usable() &&
            std::none_of(addresses_.begin(), addresses_.end(),
                         [&](const sockaddr_storage& a) { return watch_.listening(a) != std::optional<bool>{false}; })) {
            return {Outcome::refused, "connection refused"};
        }
        const auto deadline = Clock::now() + budget;
        ProbeResult last{Outcome::failed, "no address"};
        for (const auto& a : addresses_) {
            UniqueFd sock{::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
            if (sock.get() < 0) {
                last = {Outcome::failed, fmt::format("socket: {}", std::strerror(errno))};
                continue;
            }
            const socklen_t len = a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
            int err = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&a), len) == 0 ? 0 : errno;
            if (err == EINPROGRESS) {
                const Waited w = wait_fd(sock.get(), POLLOUT, abort_fd, deadline);
                if (w == Waited::aborted) return {Outcome::aborted, "the program exited"};
                if (w == Waited::timeout) {
                    last = {Outcome::failed, timed_out(budget)};
                    continue;
                }
                socklen_t errlen = sizeof err;
                if (::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &errlen) != 0) err = errno;
            }
            if (err == 0) return {Outcome::ready, "connected"};
            last = {err == ECONNREFUSED ? Outcome::refused : Outcome::failed,
                    err == ECONNREFUSED ? std::string{"connection refused"} : std::string{std::strerror(err)}};
        }
        return last;
    }

private:
    std::string resolve() {
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        addrinfo* found = nullptr;
        if (int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found); rc != 0) {
            return fmt::format("cannot resolve {}: {}", host_, ::gai_strerror(rc));
        }
        for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
            if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
            sockaddr_storage a{};
            std::memcpy(&a, ai->ai_addr, ai->ai_addrlen);
            addresses_.push_back(a);
        }
        ::freeaddrinfo(found);
        local_ = !addresses_.empty() && std::all_of(addresses_.begin(), addresses_.end(), is_local_address);
        return addresses_.empty() ? fmt::format("{} has no address", host_) : std::string{};
    }

    std::string host_;
    std::uint16_t port_;
    std::vector<sockaddr_storage> addresses_;
    bool local_ = false;
    ListenWatch watch_;
};

bool status_expected(long status, const std::vector<StatusRange>& expect) {
    return std::any_of(expect.begin(), expect.end(), [&](const StatusRange& r) { return status >= r.low && status <= r.high; });
}

class TcpProbe final : public Probe {
public:
    explicit TcpProbe(const ReadyProbe& p) : target_(p.host, p.port) {}
    ProbeResult run(milliseconds budget, int abort_fd) override { return target_.connect(budget, abort_fd); }
    [[nodiscard]] bool has_port() const override { return true; }
    ProbeResult connect_only(milliseconds budget, int abort_fd) override { return run(budget, abort_fd); }

private:
    Target target_;
};

size_t discard_body(char*, size_t size, size_t count, void*) { return size * count; }

class HttpProbe final : public Probe {
public:
    HttpProbe(const WatchOptions& o, std::string password)
        : o_(o), password_(std::move(password)), target_(o.probe.host, o.probe.port) {}
    ~HttpProbe() override {
        if (multi_ != nullptr) curl_multi_cleanup(multi_);
        if (easy_ != nullptr) curl_easy_cleanup(easy_);
    }
    HttpProbe(const HttpProbe&) = delete;
    HttpProbe& operator=(const HttpProbe&) = delete;

    std::string init() {
        easy_ = curl_easy_init();
        multi_ = curl_multi_init();
        if (easy_ == nullptr || multi_ == nullptr) return "libcurl could not start";
        url_ = o_.probe.str();
        curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
        curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, discard_body);
        // The program's environment may name a proxy: the probe goes straight to it.
        curl_easy_setopt(easy_, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
        // Each try is a new connection: a watchdog probe must see a node that
        // still accepts, not an old keep-alive socket.
        curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(easy_, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(easy_, CURLOPT_USERAGENT, "eslaunch-watch");
        if (o_.ca) curl_easy_setopt(easy_, CURLOPT_CAINFO, o_.ca->c_str());
        if (o_.insecure) {
            curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (o_.user) {
            curl_easy_setopt(easy_, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
            curl_easy_setopt(easy_, CURLOPT_USERNAME, o_.user->c_str());
            curl_easy_setopt(easy_, CURLOPT_PASSWORD, password_.c_str());
        }
        return {};
    }

    ProbeResult run(milliseconds budget, int abort_fd) override {
        const auto deadline = Clock::now() + budget;
        error_[0] = '\0';
        curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<milliseconds::rep>(budget.count(), 1)));
        curl_multi_add_handle(multi_, easy_);
        int running = 1;
        bool aborted = false;
        while (true) {
            curl_multi_perform(multi_, &running);
            if (running == 0) break;
            curl_waitfd extra{abort_fd, CURL_WAIT_POLLIN, 0};
            curl_multi_poll(multi_, &extra, abort_fd >= 0 ? 1 : 0, std::max(1, std::min(remaining_ms(deadline), 1000)),
                            nullptr);
            if (extra.revents != 0) {
                aborted = true;
                break;
            }
        }
        CURLcode code = CURLE_OK;
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
            if (m->msg == CURLMSG_DONE) code = m->data.result;
        }
        curl_multi_remove_handle(multi_, easy_);
        if (aborted) return {Outcome::aborted, "the program exited"};
        if (code == CURLE_OK) {
            long status = 0;
            curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
            return {status_expected(status, o_.expect) ? Outcome::ready : Outcome::failed, std::to_string(status)};
        }
        if (code == CURLE_COULDNT_CONNECT) {
            long os_errno = 0;
            curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &os_errno);
            if (os_errno == ECONNREFUSED) return {Outcome::refused, "connection refused"};
        }
        if (code == CURLE_OPERATION_TIMEDOUT) return {Outcome::failed, timed_out(budget)};
        return {Outcome::failed, error_[0] != '\0' ? std::string{error_} : std::string{curl_easy_strerror(code)}};
    }
    [[nodiscard]] bool has_port() const override { return true; }
    ProbeResult connect_only(milliseconds budget, int abort_fd) override { return target_.connect(budget, abort_fd); }

private:
    WatchOptions o_;
    std::string password_;
    Target target_;
    std::string url_;
    CURL* easy_ = nullptr;
    CURLM* multi_ = nullptr;
    char error_[CURL_ERROR_SIZE] = {};
};

class ExecProbe final : public Probe {
public:
    ExecProbe(std::vector<std::string> argv, std::vector<std::string> env) : argv_(std::move(argv)), env_(std::move(env)) {}

    ProbeResult run(milliseconds budget, int abort_fd) override {
        const auto deadline = Clock::now() + budget;
        std::vector<char*> args = c_strings(argv_);
        std::vector<char*> envp = c_strings(env_);
        const pid_t pid = ::fork();
        if (pid < 0) return {Outcome::failed, fmt::format("fork: {}", std::strerror(errno))};
        if (pid == 0) {
            // A check that prints would fill the journal every interval.
            const int null = ::open("/dev/null", O_RDWR);
            if (null >= 0) {
                ::dup2(null, 0);
                ::dup2(null, 1);
                ::dup2(null, 2);
                if (null > 2) ::close(null);
            }
            ::execvpe(args[0], args.data(), envp.data());
            ::_exit(errno == ENOENT ? 127 : 126);
        }
        const UniqueFd child{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
        int wstatus = 0;
        Waited w = Waited::timeout;
        if (child.get() >= 0) {
            w = wait_fd(child.get(), POLLIN, abort_fd, deadline);
        } else {  // no pidfd (Linux < 5.3): look every 10 ms
            while (true) {
                if (::waitpid(pid, &wstatus, WNOHANG) == pid) {
                    return finished(wstatus);
                }
                if (abort_fd >= 0 && wait_fd(abort_fd, POLLIN, -1, Clock::now()) == Waited::ready) {
                    w = Waited::aborted;
                    break;
                }
                if (Clock::now() >= deadline) break;
                std::this_thread::sleep_for(milliseconds{10});
            }
        }
        if (w != Waited::ready) ::kill(pid, SIGKILL);
        while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
        }
        if (w == Waited::aborted) return {Outcome::aborted, "the program exited"};
        if (w == Waited::timeout) return {Outcome::failed, timed_out(budget) + " (killed)"};
        return finished(wstatus);
    }

private:
    static ProbeResult finished(int wstatus) {
        if (WIFEXITED(wstatus)) {
            return {WEXITSTATUS(wstatus) == 0 ? Outcome::ready : Outcome::failed,
                    fmt::format("exit status {}", WEXITSTATUS(wstatus))};
        }
        return {Outcome::failed, fmt::format("killed by signal {}", WTERMSIG(wstatus))};
    }
    std::vector<std::string> argv_;
    std::vector<std::string> env_;
};

class NoProbe final : public Probe {
public:
    ProbeResult run(milliseconds, int) override { return {Outcome::ready, "started"}; }
};

}  // namespace

ProbeResult Probe::connect_only(milliseconds, int) { return {Outcome::failed, "no port to connect to"}; }

Expected<std::unique_ptr<Probe>, std::string> make_probe(const WatchOptions& options,
                                                         std::vector<std::string> exec_environment) {
    using Kind = ReadyProbe::Kind;
    switch (options.probe.kind) {
        case Kind::none:
        case Kind::native: return std::unique_ptr<Probe>{std::make_unique<NoProbe>()};
        case Kind::tcp: return std::unique_ptr<Probe>{std::make_unique<TcpProbe>(options.probe)};
        case Kind::exec:
            return std::unique_ptr<Probe>{std::make_unique<ExecProbe>(options.probe.argv, std::move(exec_environment))};
        case Kind::http:
        case Kind::https: break;
    }
    std::string password;
    if (options.password_file) {
        const UniqueFd file{::open(options.password_file->c_str(), O_RDONLY | O_CLOEXEC)};
        char buffer[4096];
        const ssize_t n = file.get() < 0 ? -1 : ::read(file.get(), buffer, sizeof buffer);
        if (n < 0) {
            return Unexpected{fmt::format("cannot read ready_password_file {} as uid {}: {}", *options.password_file,
                                          ::getuid(), std::strerror(errno))};
        }
        password.assign(buffer, static_cast<std::size_t>(n));
        password = password.substr(0, password.find('\n'));  // the first line, without its newline
    }
    if (static bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; !initialised) {
        return Unexpected{std::string{"libcurl could not initialise"}};
    }
    auto probe = std::make_unique<HttpProbe>(options, std::move(password));
    if (std::string err = probe->init(); !err.empty()) return Unexpected{std::move(err)};
    return std::unique_ptr<Probe>{std::move(probe)};
}

}  // namespace eslaunch
