#include "probe.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <curl/curl.h>
#include <dlfcn.h>
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

#include "child.hpp"
#include "posix.hpp"
#include "status.hpp"

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

// Is a TCP socket listening on this address and port? One sock_diag lookup
// as for an incoming connection, asked every 10 ms while the node starts: a
// refused connect costs several times more (bench/RESULTS.md, "Readiness").
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
        UniqueFd sock;
        return open(budget, abort_fd, sock);
    }

    // Connects to the first address that accepts; `sock` is then the
    // connected socket (non-blocking).
    ProbeResult open(milliseconds budget, int abort_fd, UniqueFd& sock) {
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
            sock = UniqueFd{::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
            if (sock.get() < 0) {
                last = {Outcome::failed, fmt::format("socket: {}", std::strerror(errno))};
                continue;
            }
            const socklen_t len = a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
            int err = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&a), len) == 0 ? 0 : errno;
            if (err == EINPROGRESS) {
                const Waited w = wait_fd(sock.get(), POLLOUT, abort_fd, deadline);
                if (w == Waited::aborted) return {Outcome::aborted, "the program exited"};
                if (w == Waited::failed) {
                    last = {Outcome::failed, fmt::format("poll: {}", std::strerror(errno))};
                    continue;
                }
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
        sock.reset();
        return last;
    }

private:
    std::string resolve() {
        // An address literal (the usual case: 127.0.0.1, ::1, network.host)
        // needs no resolver, and the watcher then loads none of its code.
        sockaddr_storage a{};
        auto& v4 = reinterpret_cast<sockaddr_in&>(a);
        auto& v6 = reinterpret_cast<sockaddr_in6&>(a);
        if (::inet_pton(AF_INET, host_.c_str(), &v4.sin_addr) == 1) {
            v4.sin_family = AF_INET;
            v4.sin_port = htons(port_);
            addresses_.push_back(a);
        } else if (::inet_pton(AF_INET6, host_.c_str(), &v6.sin6_addr) == 1) {
            v6.sin6_family = AF_INET6;
            v6.sin6_port = htons(port_);
            addresses_.push_back(a);
        } else {
            addrinfo hints{};
            hints.ai_socktype = SOCK_STREAM;
            hints.ai_flags = AI_NUMERICSERV;
            addrinfo* found = nullptr;
            if (int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found); rc != 0) {
                return fmt::format("cannot resolve {}: {}", host_, ::gai_strerror(rc));
            }
            for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
                if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
                sockaddr_storage resolved{};
                std::memcpy(&resolved, ai->ai_addr, ai->ai_addrlen);
                addresses_.push_back(resolved);
            }
            ::freeaddrinfo(found);
        }
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

// http:// without libcurl: one HTTP/1.1 GET on a new connection, and the
// status line of the answer is all the probe needs. Written here, not taken
// from libcurl, for the watcher's footprint: libcurl brings its TLS stack
// and about 40 shared objects, 10 MiB resident, into a process that lives
// beside the node for as long as it runs (bench/RESULTS.md, "Readiness").
class HttpProbe final : public Probe {
public:
    HttpProbe(const WatchOptions& o, const std::string& password)
        : o_(o), request_(http_request(o.probe, o.user, password)), target_(o.probe.host, o.probe.port) {}

    ProbeResult run(milliseconds budget, int abort_fd) override {
        const auto deadline = Clock::now() + budget;
        UniqueFd sock;
        // Each try is a new connection: a watchdog probe must see a node that
        // still accepts, not an old keep-alive socket.
        if (ProbeResult r = target_.open(budget, abort_fd, sock); r.outcome != Outcome::ready) return r;
        for (std::size_t sent = 0; sent < request_.size();) {
            const ssize_t n = ::send(sock.get(), request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
            if (n >= 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return {Outcome::failed, socket_error(errno)};
            if (ProbeResult r = wait_or_stop(sock.get(), POLLOUT, abort_fd, deadline, budget); !r.text.empty()) return r;
        }
        return read_status(sock.get(), abort_fd, deadline, budget);
    }
    [[nodiscard]] bool has_port() const override { return true; }
    ProbeResult connect_only(milliseconds budget, int abort_fd) override { return target_.connect(budget, abort_fd); }

private:
    // Up to the final status line, never further. The reader keeps none of
    // an interim answer and caps what a try reads, so a peer that streams
    // 1xx answers costs a bounded read, not memory or a re-parse of it all.
    ProbeResult read_status(int fd, int abort_fd, Clock::time_point deadline, milliseconds budget) const {
        HttpHeadReader reader;
        while (true) {
            if (ProbeResult r = wait_or_stop(fd, POLLIN, abort_fd, deadline, budget); !r.text.empty()) return r;
            char buffer[4096];
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n < 0) return {Outcome::failed, socket_error(errno)};
            if (n == 0) {
                return {Outcome::failed, reader.bytes_read() == 0 ? "empty reply (the connection was closed)"
                                                                  : "the connection was closed within the status line"};
            }
            const HttpStatus& status = reader.feed({buffer, static_cast<std::size_t>(n)});
            if (status.state == HttpStatus::State::status) {
                return {status_expected(status.code, o_.expect) ? Outcome::ready : Outcome::failed,
                        std::to_string(status.code)};
            }
            if (status.state == HttpStatus::State::malformed) return {Outcome::failed, status.problem};
        }
    }
    static std::string socket_error(int err) {
        if (err == ECONNRESET) return "connection reset";
        if (err == ECONNREFUSED) return "connection refused";
        return std::strerror(err);
    }
    // Empty text: `fd` is ready. Else why the try ends. The clock first:
    // wait_fd reports what is ready even past the deadline, and a peer that
    // always has bytes ready must not keep the try alive.
    static ProbeResult wait_or_stop(int fd, short events, int abort_fd, Clock::time_point deadline, milliseconds budget) {
        if (Clock::now() >= deadline) return {Outcome::failed, timed_out(budget)};
        switch (wait_fd(fd, events, abort_fd, deadline)) {
            case Waited::ready: return {Outcome::failed, ""};
            case Waited::aborted: return {Outcome::aborted, "the program exited"};
            case Waited::failed: return {Outcome::failed, fmt::format("poll: {}", std::strerror(errno))};
            case Waited::timeout: break;
        }
        return {Outcome::failed, timed_out(budget)};
    }

    WatchOptions o_;
    std::string request_;
    Target target_;
};

// https:// goes through libcurl (TLS, the CA, certificate names), loaded
// with dlopen() in a child for each try, so the watcher never maps it.
// Tries are few: only once the port listens (the watcher asks sock_diag
// until then), then every ready_interval, or every half WatchdogSec=.
struct Curl {
    decltype(&curl_global_init) global_init = nullptr;
    decltype(&curl_easy_init) easy_init = nullptr;
    decltype(&curl_easy_setopt) setopt = nullptr;
    decltype(&curl_easy_perform) perform = nullptr;
    decltype(&curl_easy_getinfo) getinfo = nullptr;
    decltype(&curl_easy_strerror) strerror = nullptr;

    std::string load() {
        std::string error;
        void* lib = open_library("libcurl.so.4", "libcurl4", error);
        if (lib == nullptr) return error;
        auto find = [&](auto& fn, const char* name) { find_symbol(lib, "libcurl.so.4", fn, name, error); };
        find(global_init, "curl_global_init");
        find(easy_init, "curl_easy_init");
        find(setopt, "curl_easy_setopt");
        find(perform, "curl_easy_perform");
        find(getinfo, "curl_easy_getinfo");
        find(strerror, "curl_easy_strerror");
        return error;
    }
};

size_t discard_body(char*, size_t size, size_t count, void*) { return size * count; }

// In the child: one https try, as "OUTCOME TEXT" (OUTCOME a digit).
std::string https_try(const WatchOptions& o, const std::string& password, Clock::time_point deadline,
                      milliseconds budget) {
    auto answer = [](Outcome outcome, const std::string& text) {
        return fmt::format("{} {}", static_cast<int>(outcome), text);
    };
    Curl c;
    if (std::string err = c.load(); !err.empty()) return answer(Outcome::failed, err);
    if (c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return answer(Outcome::failed, "libcurl could not initialise");
    CURL* easy = c.easy_init();
    if (easy == nullptr) return answer(Outcome::failed, "libcurl could not start");
    char error[CURL_ERROR_SIZE] = {};
    const std::string url = o.probe.str();
    c.setopt(easy, CURLOPT_URL, url.c_str());
    c.setopt(easy, CURLOPT_ERRORBUFFER, error);
    c.setopt(easy, CURLOPT_NOSIGNAL, 1L);
    c.setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
    // The program's environment may name a proxy: the probe goes straight to it.
    c.setopt(easy, CURLOPT_NOPROXY, "*");
    c.setopt(easy, CURLOPT_PROTOCOLS_STR, "https");
    c.setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    c.setopt(easy, CURLOPT_USERAGENT, "eslaunch-watch");
    if (o.ca) c.setopt(easy, CURLOPT_CAINFO, o.ca->c_str());
    if (o.insecure) {
        c.setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        c.setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o.user) {
        c.setopt(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        c.setopt(easy, CURLOPT_USERNAME, o.user->c_str());
        c.setopt(easy, CURLOPT_PASSWORD, password.c_str());
    }
    // Loading libcurl took part of the budget: the request gets the rest.
    c.setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(remaining_ms(deadline), 1)));
    const CURLcode code = c.perform(easy);
    if (code == CURLE_OK) {
        long status = 0;
        c.getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        return answer(status_expected(status, o.expect) ? Outcome::ready : Outcome::failed, std::to_string(status));
    }
    if (code == CURLE_COULDNT_CONNECT) {
        long os_errno = 0;
        c.getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == ECONNREFUSED) return answer(Outcome::refused, "connection refused");
    }
    if (code == CURLE_OPERATION_TIMEDOUT) return answer(Outcome::failed, timed_out(budget));
    return answer(Outcome::failed, error[0] != '\0' ? std::string{error} : std::string{c.strerror(code)});
}

class HttpsProbe final : public Probe {
public:
    HttpsProbe(const WatchOptions& o, std::string password)
        : o_(o), password_(std::move(password)), target_(o.probe.host, o.probe.port) {}

    ProbeResult run(milliseconds budget, int abort_fd) override {
        const auto deadline = Clock::now() + budget;
        const ChildResult r =
            run_in_child([&] { return https_try(o_, password_, deadline, budget); }, deadline, abort_fd);
        switch (r.status) {
            case ChildResult::Status::aborted: return {Outcome::aborted, "the program exited"};
            case ChildResult::Status::timeout: return {Outcome::failed, timed_out(budget)};
            case ChildResult::Status::failed: return {Outcome::failed, "the https probe's process " + r.output};
            case ChildResult::Status::done: break;
        }
        if (r.output.size() < 2 || r.output[0] < '0' || r.output[0] > '3' || r.output[1] != ' ') {
            return {Outcome::failed, "the https probe's process answered nothing"};
        }
        return {static_cast<Outcome>(r.output[0] - '0'), r.output.substr(2)};
    }
    [[nodiscard]] bool has_port() const override { return true; }
    ProbeResult connect_only(milliseconds budget, int abort_fd) override { return target_.connect(budget, abort_fd); }

private:
    WatchOptions o_;
    std::string password_;
    Target target_;
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
        int poll_err = 0;
        if (child.get() >= 0) {
            w = wait_fd(child.get(), POLLIN, abort_fd, deadline);
            poll_err = errno;
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
        if (w == Waited::failed) return {Outcome::failed, fmt::format("poll: {} (killed)", std::strerror(poll_err))};
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

std::string base64(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            group = (group << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0U);
        }
        for (std::size_t j = 0; j < 4; ++j) {
            out += j <= n ? alphabet[(group >> (18 - 6 * j)) & 0x3F] : '=';
        }
    }
    return out;
}

std::string http_request(const ReadyProbe& probe, const std::optional<std::string>& user, const std::string& password) {
    const std::string host = probe.host.find(':') != std::string::npos ? "[" + probe.host + "]" : probe.host;
    std::string request = fmt::format(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: eslaunch-watch\r\nAccept: */*\r\nConnection: close\r\n",
        probe.path.empty() ? "/" : probe.path, host, probe.port);
    if (user) request += "Authorization: Basic " + base64(*user + ":" + password) + "\r\n";
    return request + "\r\n";
}

HttpHeadReader::HttpHeadReader(std::size_t max_block, std::size_t max_head)
    : max_block_(max_block), max_head_(max_head) {}

const HttpStatus& HttpHeadReader::feed(std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size() && verdict_.state == HttpStatus::State::incomplete; ++i) {
        ++total_;
        ++block_;
        if (total_ > max_head_) {
            fail(fmt::format("more than {} bytes of interim (1xx) answers without a final status", max_head_));
        } else if (block_ > max_block_ && in_status_line_) {
            not_http({});  // no status line is that long
        } else if (block_ > max_block_) {
            fail(fmt::format("more than {} bytes in the head of an interim answer ({})", max_block_, interim_code_));
        } else if (in_status_line_) {
            status_line_byte(bytes[i], bytes.substr(i + 1));
        } else {
            field_byte(bytes[i]);
        }
    }
    return verdict_;
}

// "HTTP/1.1 200 OK": "HTTP/" checked as it arrives (an SSH banner or a TLS
// alert fails at once), the rest once the line ends.
void HttpHeadReader::status_line_byte(char c, std::string_view rest) {
    if (c == '\n') return status_line_end();
    constexpr std::string_view prefix = "HTTP/";
    if (line_ < shown_bytes) kept_[line_] = c;
    ++line_;
    prev_ = c;
    if (line_ <= prefix.size() && c != prefix[line_ - 1]) not_http(rest);
}

void HttpHeadReader::status_line_end() {
    const std::size_t size = line_ - (line_ > 0 && prev_ == '\r' ? 1 : 0);
    auto digit = [&](std::size_t i) { return i < size && kept_[i] >= '0' && kept_[i] <= '9'; };
    // The version "1.x", a space, three digits, then a space or the line's end.
    if (!(size >= 12 && kept_[5] == '1' && kept_[6] == '.' && digit(7) && kept_[8] == ' ' && digit(9) &&
          digit(10) && digit(11) && (size == 12 || kept_[12] == ' '))) {
        return not_http({});
    }
    const int code = (kept_[9] - '0') * 100 + (kept_[10] - '0') * 10 + (kept_[11] - '0');
    if (code < 100 || code > 599) return not_http({});  // RFC 9110, 15: no other status exists
    if (code >= 200 || code == 101) {
        verdict_ = {HttpStatus::State::status, code, {}};
        return;
    }
    // An interim answer (100 Continue, 103 Early Hints): its fields end
    // with an empty line, then the next answer follows.
    in_status_line_ = false;
    interim_code_ = code;
    line_ = 0;
    prev_ = '\0';
}

void HttpHeadReader::field_byte(char c) {
    if (c != '\n') {
        ++line_;
        prev_ = c;
        return;
    }
    if (line_ == 0 || (line_ == 1 && prev_ == '\r')) {  // the empty line: the next block starts
        ++interim_;
        in_status_line_ = true;
        block_ = 0;
    }
    line_ = 0;
    prev_ = '\0';
}

void HttpHeadReader::fail(std::string problem) { verdict_ = {HttpStatus::State::malformed, 0, std::move(problem)}; }

// The status line so far, and of `rest` what the same line holds, up to 40
// bytes and without control bytes, for STATUS= ("SSH-2.0-OpenSSH_9.2p1").
void HttpHeadReader::not_http(std::string_view rest) {
    const std::string_view line{kept_, std::min(line_, shown_bytes)};
    std::string shown;
    bool ended = false;
    for (std::string_view part : {line, rest}) {
        for (std::size_t i = 0; i < part.size() && !ended && shown.size() < shown_bytes; ++i) {
            ended = part[i] == '\r' || part[i] == '\n';
            if (!ended) shown += (part[i] >= 0x20 && part[i] < 0x7f) ? part[i] : '?';
        }
    }
    fail(fmt::format("not an HTTP/1.x response: \"{}\"", shown));
}

HttpStatus parse_http_status(std::string_view received) {
    HttpHeadReader reader;
    return reader.feed(received);
}

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
    if (options.probe.kind == Kind::https) {
        return std::unique_ptr<Probe>{std::make_unique<HttpsProbe>(options, std::move(password))};
    }
    return std::unique_ptr<Probe>{std::make_unique<HttpProbe>(options, password)};
}

}  // namespace eslaunch
