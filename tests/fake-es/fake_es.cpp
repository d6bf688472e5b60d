// fake-es: a stand-in for Elasticsearch in eslaunch's integration and system
// tests. It writes what it was started with (ids, groups, environment, limits,
// umask, open fds, argv, the heap flags the JVM would use) to a JSON file, then
// optionally answers HTTP like Elasticsearch's root endpoint until SIGTERM,
// when it exits 143 like the JVM (after --stop-delay-ms, a node that takes its
// time to stop); SIGUSR1 makes it hang (accept, never answer) and SIGUSR2
// makes it answer again. README.md next to this file has the details.
//
// --cli makes it 8.3+'s CLI JVM instead: it records itself (FILE.cli), starts
// another fake-es as the server child (arguments on its stdin, environment as
// ServerProcess leaves it), waits for its ready marker on stderr, passes
// SIGTERM on as the shutdown marker and exits with the child's status.
//
// Single-threaded: one poll loop over a signalfd, the listening socket and the
// connections. Every fd is O_CLOEXEC, so whatever it records as open was
// inherited, not opened here.

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace {

using Json = nlohmann::ordered_json;

constexpr int exit_usage = 2;
constexpr int exit_record_failed = 3;
constexpr int exit_listen_failed = 4;

constexpr std::string_view usage_text =
    "usage: fake-es --record FILE [--http-port PORT] [--http-host ADDR] [--delay-ms MS]\n"
    "               [--stop-delay-ms MS] [--exit-after-record] [--hang-after-ready]\n"
    "               [--keystore STATE]\n"
    "               [--readiness-port PORT [--joined-file FILE]]\n"
    "               [--cli --server-options OPTIONS | --args-on-stdin]\n"
    "               [--] [JVM-ARGS... MAIN-CLASS ARGS...]\n";

// 8.3+'s markers between the CLI and the server (BootstrapInfo): ready on
// the server's stderr, shutdown on its stdin.
constexpr char server_ready_marker = '\x18';
constexpr char server_shutdown_marker = '\x1b';

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }
    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    [[nodiscard]] int release() { return std::exchange(fd_, -1); }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

struct Options {
    std::string record;
    std::optional<std::uint16_t> http_port;
    std::string http_host = "127.0.0.1";
    unsigned delay_ms = 0;
    unsigned stop_delay_ms = 0;  // from a stop signal to the exit
    bool exit_after_record = false;
    bool hang_after_ready = false;
    std::string keystore;  // what the launch script did with the keystore: "unlocked", "plain"; empty: none
    std::optional<std::uint16_t> readiness_port;  // 8.x's readiness.port
    std::string joined_file;  // the readiness port opens once this exists
    bool cli = false;             // 8.3+'s CLI: starts the server as its child
    std::string server_options;   // --cli: the server JVM's options
    bool args_on_stdin = false;   // 8.3+'s server: arguments come on stdin
    std::vector<std::string> forward;  // --cli: the options the server child gets
    std::vector<std::string> command;  // JVM-ARGS... MAIN-CLASS ARGS...
};

template <class T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

[[noreturn]] void usage_error(const std::string& message) {
    fmt::print(stderr, "fake-es: {}\n{}", message, usage_text);
    std::exit(exit_usage);
}

// `value` of option `name` as a T, or a usage error saying what it must be.
template <class T>
T number_or_usage(std::string_view name, const std::string& value, std::string_view what) {
    auto n = parse_number<T>(value);
    if (!n) usage_error(fmt::format("{}: not {}: '{}'", name, what, value));
    return *n;
}

Options parse_args(int argc, char** argv) {
    Options opts;
    int i = 1;
    // `--name VALUE` or `--name=VALUE`.
    auto value_of = [&](std::string_view arg, std::string_view name) -> std::optional<std::string> {
        if (arg == name) {
            if (i + 1 >= argc) usage_error(fmt::format("{} needs a value", name));
            return std::string{argv[++i]};
        }
        if (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=')
            return std::string{arg.substr(name.size() + 1)};
        return std::nullopt;
    };
    for (; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (!arg.starts_with("--")) break;  // a JVM option (-Xmx1g) or the main class starts the command
        const int first = i;
        if (auto v = value_of(arg, "--record")) {
            opts.record = *v;
            continue;
        } else if (arg == "--cli") {
            opts.cli = true;
            continue;
        } else if (auto so = value_of(arg, "--server-options")) {
            opts.server_options = *so;
            continue;
        } else if (auto port = value_of(arg, "--http-port")) {
            opts.http_port = number_or_usage<std::uint16_t>("--http-port", *port, "a port number");
        } else if (auto host = value_of(arg, "--http-host")) {
            opts.http_host = *host;
        } else if (auto delay = value_of(arg, "--delay-ms")) {
            opts.delay_ms = number_or_usage<unsigned>("--delay-ms", *delay, "a number of milliseconds");
        } else if (auto stop_delay = value_of(arg, "--stop-delay-ms")) {
            opts.stop_delay_ms = number_or_usage<unsigned>("--stop-delay-ms", *stop_delay, "a number of milliseconds");
        } else if (arg == "--exit-after-record") {
            opts.exit_after_record = true;
        } else if (arg == "--hang-after-ready") {
            opts.hang_after_ready = true;
        } else if (auto keystore = value_of(arg, "--keystore")) {
            opts.keystore = *keystore;
        } else if (auto rport = value_of(arg, "--readiness-port")) {
            opts.readiness_port = number_or_usage<std::uint16_t>("--readiness-port", *rport, "a port number");
        } else if (auto joined = value_of(arg, "--joined-file")) {
            opts.joined_file = *joined;
        } else if (arg == "--args-on-stdin") {
            opts.args_on_stdin = true;
        } else {
            usage_error(fmt::format("unknown option '{}' (JVM options go after '--')", arg));
        }
        // What the server child of --cli gets: this option as written.
        for (int k = first; k <= i; ++k) opts.forward.emplace_back(argv[k]);
    }
    if (opts.record.empty()) usage_error("--record FILE is required");
    for (; i < argc; ++i) opts.command.emplace_back(argv[i]);
    return opts;
}

std::optional<std::string> read_small_file(const char* path) {
    UniqueFd fd{::open(path, O_RDONLY | O_CLOEXEC)};
    if (!fd.valid()) return std::nullopt;
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) return text;
        text.append(buf, static_cast<std::size_t>(n));
    }
}

// "Key:\tvalue" lines of /proc/self/status.
std::map<std::string, std::string> proc_status() {
    std::map<std::string, std::string> fields;
    const std::string text = read_small_file("/proc/self/status").value_or("");
    std::string_view rest = text;
    while (!rest.empty()) {
        const std::size_t nl = std::min(rest.find('\n'), rest.size());
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(std::min(nl + 1, rest.size()));
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        fields.emplace(line.substr(0, colon), value);
    }
    return fields;
}

Json status_field(const std::map<std::string, std::string>& status, const std::string& key) {
    const auto it = status.find(key);
    return it == status.end() ? Json(nullptr) : Json(it->second);
}

// Must run before this process opens anything: everything it lists was inherited.
std::vector<int> open_fds() {
    std::vector<int> fds;
    DIR* dir = ::opendir("/proc/self/fd");  // glibc opens it O_CLOEXEC
    if (dir == nullptr) return fds;
    const int listing_fd = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
        if (auto fd = parse_number<int>(entry->d_name); fd && *fd != listing_fd) fds.push_back(*fd);
    }
    ::closedir(dir);
    std::sort(fds.begin(), fds.end());
    return fds;
}

// What an fd is, as /proc/self/fd shows it ("/dev/null", "pipe:[123]"); empty when closed.
std::string fd_target(int fd) {
    char buf[4096];
    const ssize_t n = ::readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string{};
}

Json rlimit_value(rlim_t value) {
    return value == RLIM_INFINITY ? Json("infinity") : Json(static_cast<std::uint64_t>(value));
}

Json rlimits() {
    static const std::pair<const char*, decltype(RLIMIT_NOFILE)> resources[] = {
        {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"memlock", RLIMIT_MEMLOCK},
        {"as", RLIMIT_AS},         {"fsize", RLIMIT_FSIZE}, {"core", RLIMIT_CORE},
    };
    Json out = Json::object();
    for (const auto& [name, resource] : resources) {
        rlimit limit{};
        if (::getrlimit(resource, &limit) != 0) {
            out[name] = nullptr;
            continue;
        }
        out[name] = {{"soft", rlimit_value(limit.rlim_cur)}, {"hard", rlimit_value(limit.rlim_max)}};
    }
    return out;
}

// The JVM's view of its command line: options up to the first word that does
// not start with '-' (-cp/-classpath/--module-path take the next word), which
// is the main class, or up to `-m MODULE/CLASS` (8.3+'s server); the rest are
// its arguments. For the heap, the last -Xms/-Xmx wins, and
// -XX:InitialHeapSize=/-XX:MaxHeapSize= are the same flags by other names.
void describe_command(const std::vector<std::string>& command, Json& record) {
    Json jvm_args = Json::array();
    Json xms = nullptr;
    Json xmx = nullptr;
    Json tmpdir = nullptr;  // the last -Djava.io.tmpdir=; null: the JVM's default, /tmp
    Json main_class = nullptr;
    std::size_t i = 0;
    for (; i < command.size() && command[i].starts_with('-'); ++i) {
        const std::string_view word = command[i];
        jvm_args.push_back(word);
        if (word == "-cp" || word == "-classpath" || word == "--class-path" || word == "--module-path") {
            if (i + 1 < command.size()) jvm_args.push_back(command[++i]);
        } else if (word == "-m" || word == "--module") {
            if (i + 1 < command.size()) jvm_args.push_back(command[++i]);
            const std::string_view module = command[i];
            main_class = module.substr(module.find('/') + 1);
            break;
        } else if (word.starts_with("-Xms")) {
            xms = word.substr(4);
        } else if (word.starts_with("-Xmx")) {
            xmx = word.substr(4);
        } else if (word.starts_with("-XX:InitialHeapSize=")) {
            xms = word.substr(20);
        } else if (word.starts_with("-XX:MaxHeapSize=")) {
            xmx = word.substr(16);
        } else if (word.starts_with("-Djava.io.tmpdir=")) {
            tmpdir = word.substr(17);
        }
    }
    record["jvm_args"] = std::move(jvm_args);
    record["heap"] = {{"xms", std::move(xms)}, {"xmx", std::move(xmx)}};
    record["java_io_tmpdir"] = std::move(tmpdir);
    if (main_class.is_null() && i < command.size()) main_class = command[i];
    record["main_class"] = std::move(main_class);
    Json args = Json::array();
    for (++i; i < command.size(); ++i) args.push_back(command[i]);
    record["args"] = std::move(args);
}

Json build_record(int argc, char** argv, const Options& opts, std::vector<int> inherited_fds,
                  const std::map<std::string, std::string>& status, const std::string& stdin_path) {
    Json r = Json::object();
    r["pid"] = ::getpid();
    r["ppid"] = ::getppid();
    r["pgid"] = ::getpgrp();
    r["sid"] = ::getsid(0);

    uid_t ruid = 0, euid = 0, suid = 0;
    gid_t rgid = 0, egid = 0, sgid = 0;
    ::getresuid(&ruid, &euid, &suid);
    ::getresgid(&rgid, &egid, &sgid);
    r["uid"] = ruid;
    r["euid"] = euid;
    r["suid"] = suid;
    r["gid"] = rgid;
    r["egid"] = egid;
    r["sgid"] = sgid;

    std::vector<gid_t> groups(static_cast<std::size_t>(std::max(::getgroups(0, nullptr), 0)));
    const int ngroups = ::getgroups(static_cast<int>(groups.size()), groups.data());
    groups.resize(static_cast<std::size_t>(std::max(ngroups, 0)));
    std::sort(groups.begin(), groups.end());
    r["groups"] = groups;

    // `environment` is what getenv() sees (the first of duplicate names);
    // `environ` is the raw list, so duplicates and entries without '=' show.
    Json environment = Json::object();
    Json raw_environ = Json::array();
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry = *e;
        raw_environ.push_back(entry);
        const std::size_t eq = entry.find('=');
        const std::string name{entry.substr(0, eq)};
        if (!environment.contains(name))
            environment[name] = eq == std::string_view::npos ? Json(nullptr) : Json(entry.substr(eq + 1));
    }
    r["environment"] = std::move(environment);
    r["environ"] = std::move(raw_environ);

    r["rlimits"] = rlimits();

    if (auto it = status.find("Umask"); it != status.end()) {
        r["umask"] = it->second;
    } else {  // kernels before 4.7 do not show it
        const mode_t mask = ::umask(0);
        ::umask(mask);
        r["umask"] = fmt::format("{:04o}", static_cast<unsigned>(mask));
    }

    std::string cwd(4096, '\0');
    r["cwd"] = ::getcwd(cwd.data(), cwd.size()) != nullptr ? Json(cwd.c_str()) : Json(nullptr);
    r["open_fds"] = std::move(inherited_fds);
    r["stdin"] = stdin_path.empty() ? Json(nullptr) : Json(stdin_path);
    r["keystore"] = opts.keystore.empty() ? Json(nullptr) : Json(opts.keystore);

    const Json no_new_privs = status_field(status, "NoNewPrivs");
    r["no_new_privs"] = no_new_privs.is_string()
                            ? Json(parse_number<int>(no_new_privs.get<std::string>()).value_or(-1))
                            : Json(nullptr);
    r["capabilities"] = {
        {"inheritable", status_field(status, "CapInh")}, {"permitted", status_field(status, "CapPrm")},
        {"effective", status_field(status, "CapEff")},   {"bounding", status_field(status, "CapBnd")},
        {"ambient", status_field(status, "CapAmb")},
    };
    r["signals"] = {{"blocked", status_field(status, "SigBlk")}, {"ignored", status_field(status, "SigIgn")}};

    // Whether the process could get root back. As root there is nothing to try.
    if (euid != 0) {
        const int rc = ::setuid(0);
        r["setuid0"] = {{"ok", rc == 0}, {"errno", rc == 0 ? 0 : errno}};
    } else {
        r["setuid0"] = {{"ok", true}, {"errno", 0}};
    }

    Json args = Json::array();
    for (int i = 0; i < argc; ++i) args.push_back(std::string_view{argv[i]});
    r["argv"] = std::move(args);
    describe_command(opts.command, r);

    std::string comm = read_small_file("/proc/self/comm").value_or("");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    r["comm"] = comm;
    return r;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// FILE.tmp then rename, so a reader sees the whole record or none. Mode 0644
// whatever the umask under test, so the test can read it.
bool write_record(const std::string& path, const Json& record) {
    const std::string text = record.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    const std::string tmp = path + ".tmp";
    UniqueFd fd{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)};
    if (!fd.valid()) {
        fmt::print(stderr, "fake-es: cannot create {}: {}\n", tmp, std::strerror(errno));
        return false;
    }
    if (::fchmod(fd.get(), 0644) != 0 || !write_all(fd.get(), text)) {
        fmt::print(stderr, "fake-es: cannot write {}: {}\n", tmp, std::strerror(errno));
        return false;
    }
    if (::close(fd.release()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
        fmt::print(stderr, "fake-es: cannot write {}: {}\n", path, std::strerror(errno));
        return false;
    }
    return true;
}

// --- HTTP --------------------------------------------------------------------

std::string format_address(const sockaddr_storage& addr) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr.ss_family == AF_INET6) {
        const auto& a6 = reinterpret_cast<const sockaddr_in6&>(addr);
        ::inet_ntop(AF_INET6, &a6.sin6_addr, host, sizeof host);
        return fmt::format("[{}]:{}", host, ntohs(a6.sin6_port));
    }
    const auto& a4 = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &a4.sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(a4.sin_port));
}

std::optional<UniqueFd> listen_tcp(std::string host, std::uint16_t port, std::string_view what) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        fmt::print(stderr, "fake-es: --http-host '{}': {} (give an IPv4 or IPv6 address)\n", host, ::gai_strerror(rc));
        return std::nullopt;
    }
    UniqueFd fd{::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    const int one = 1;
    const bool ok = fd.valid() && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
                    ::bind(fd.get(), found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd.get(), 64) == 0;
    const int saved_errno = errno;
    ::freeaddrinfo(found);
    if (!ok) {
        fmt::print(stderr, "fake-es: cannot listen on {} port {}: {}\n", host, port, std::strerror(saved_errno));
        return std::nullopt;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    if (what == "http") fmt::print(stderr, "fake-es: listening on http://{}\n", format_address(bound));
    else fmt::print(stderr, "fake-es: {} port open on tcp://{}\n", what, format_address(bound));
    return fd;
}

struct Connection {
    enum class State { reading, writing, draining };
    UniqueFd fd;
    State state = State::reading;
    std::string in;
    std::string out;
};

// Elasticsearch's root endpoint, or its cluster health for /_cluster/health.
std::string response_for(std::string_view request) {
    const std::string_view line = request.substr(0, request.find_first_of("\r\n"));
    const std::string_view method = line.substr(0, line.find(' '));
    std::string_view target = line.substr(std::min(line.find(' '), line.size()));
    target = target.substr(std::min(target.find_first_not_of(' '), target.size()));
    target = target.substr(0, target.find(' '));
    fmt::print(stderr, "fake-es: {}\n", line);

    const char* version = std::getenv("FAKE_ES_VERSION");
    Json body;
    if (target.starts_with("/_cluster/health")) {
        const char* health = std::getenv("FAKE_ES_HEALTH");
        body = {{"cluster_name", "fake"}, {"status", health != nullptr ? health : "green"}, {"timed_out", false},
                {"number_of_nodes", 1}};
    } else {
        body = {{"name", "fake"},
                {"cluster_name", "fake"},
                {"version", {{"number", version != nullptr ? version : "0.0.0"}}},
                {"tagline", "You Know, for Search"}};
    }
    const std::string text = body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    return fmt::format(
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json; charset=UTF-8\r\n"
        "X-elastic-product: Elasticsearch\r\n"
        "Content-Length: {}\r\n"
        "Connection: close\r\n"
        "\r\n"
        "{}",
        text.size(), method == "HEAD" ? "" : text);
}

class Server {
public:
    Server(const Options& opts, UniqueFd signals) : opts_(opts), signals_(std::move(signals)) {}

    // Until SIGTERM/SIGINT/SIGHUP (and --stop-delay-ms after it); returns
    // 128 + the signal, like the JVM. With --args-on-stdin (8.3+'s server)
    // also until the CLI's shutdown marker (exit 0) or its stdin's EOF (1).
    int run() {
        const auto started_at = Clock::now() + std::chrono::milliseconds(opts_.delay_ms);
        bool listen_pending = opts_.http_port.has_value();
        bool marker_pending = opts_.args_on_stdin;
        for (;;) {
            int timeout = -1;
            if (stop_at_) {
                const auto left = until(*stop_at_);
                if (left <= 0) return exit_with(stop_status_, stop_why_);
                timeout = left;
            } else if (const int left = until(started_at); left > 0) {
                timeout = left;
            } else {
                if (listen_pending) {
                    auto fd = listen_tcp(opts_.http_host, *opts_.http_port, "http");
                    if (!fd) return exit_listen_failed;
                    listener_ = std::move(*fd);
                    listen_pending = false;
                }
                if (marker_pending) send_ready_marker();
                marker_pending = false;
                if (!open_readiness_port()) return exit_listen_failed;
                if (opts_.readiness_port && !readiness_.valid()) timeout = 20;  // until the joined file shows up
            }
            if (auto status = poll_once(timeout)) return *status;
        }
    }

private:
    using Clock = std::chrono::steady_clock;

    // One poll over the signals, the CLI's stdin, the ports and the
    // connections; an exit status when it is time to exit.
    std::optional<int> poll_once(int timeout) {
        std::vector<pollfd> fds;
        fds.push_back({signals_.get(), POLLIN, 0});
        fds.push_back({opts_.args_on_stdin && !stop_at_ ? STDIN_FILENO : -1, POLLIN, 0});
        fds.push_back({listener_.valid() ? listener_.get() : -1, POLLIN, 0});
        fds.push_back({readiness_.valid() ? readiness_.get() : -1, POLLIN, 0});
        const std::size_t first_conn = fds.size();
        for (const auto& c : conns_) {
            const bool writing = c.state == Connection::State::writing;
            fds.push_back({c.fd.get(), static_cast<short>(writing ? POLLOUT : POLLIN), 0});
        }
        if (::poll(fds.data(), fds.size(), timeout) < 0) {
            if (errno == EINTR) return std::nullopt;
            fmt::print(stderr, "fake-es: poll: {}\n", std::strerror(errno));
            return 1;
        }
        if (fds[0].revents != 0) {
            if (auto status = on_signal()) return status;
        }
        if (fds[1].revents != 0) {
            if (auto status = on_stdin()) return status;
        }
        for (std::size_t i = first_conn; i < fds.size(); ++i) {
            if (fds[i].revents != 0) service(conns_[i - first_conn]);
        }
        std::erase_if(conns_, [](const Connection& c) { return !c.fd.valid(); });
        if (listener_.valid() && (fds[2].revents & POLLIN) != 0) accept_all();
        if (readiness_.valid() && (fds[3].revents & POLLIN) != 0) accept_and_close();
        return std::nullopt;
    }

    // Milliseconds until `t`, rounded up, at most a minute (poll's timeout).
    static int until(Clock::time_point t) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(t - Clock::now()).count();
        return static_cast<int>(std::min<long long>(left, 60'000));
    }

    static int exit_with(int status, const std::string& why) {
        fmt::print(stderr, "fake-es: {}, exiting {}\n", why, status);
        return status;
    }

    // 8.3+'s server tells the CLI it is up, as the last step of its start.
    static void send_ready_marker() {
        const char marker[] = {server_ready_marker, '\n'};
        (void)write_all(STDERR_FILENO, std::string_view{marker, sizeof marker});
    }

    // readiness.port opens once the node is up and, with --joined-file, once
    // that file exists (the node has joined its cluster). False: cannot listen.
    bool open_readiness_port() {
        if (!opts_.readiness_port || readiness_.valid() || stop_at_) return true;
        struct stat st {};
        if (!opts_.joined_file.empty() && ::stat(opts_.joined_file.c_str(), &st) != 0) return true;
        auto fd = listen_tcp("127.0.0.1", *opts_.readiness_port, "readiness");
        if (!fd) return false;
        readiness_ = std::move(*fd);
        return true;
    }

    // The readiness service accepts and closes: an open port is the answer.
    void accept_and_close() {
        while (::close(::accept4(readiness_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) == 0) {
        }
    }

    // A stop: at once, or with --stop-delay-ms the ports close and the exit
    // comes later, as a node that flushes its shards first; a second stop
    // changes nothing.
    std::optional<int> begin_stop(int status, const std::string& why) {
        if (opts_.stop_delay_ms == 0) return exit_with(status, why);
        if (stop_at_) {
            fmt::print(stderr, "fake-es: {}: already stopping\n", why);
            return std::nullopt;
        }
        stop_at_ = Clock::now() + std::chrono::milliseconds(opts_.stop_delay_ms);
        stop_status_ = status;
        stop_why_ = why;
        listener_.reset();
        readiness_.reset();
        fmt::print(stderr, "fake-es: {}: stopping in {} ms\n", why, opts_.stop_delay_ms);
        return std::nullopt;
    }

    // The exit status for a stop signal (nullopt: carry on).
    std::optional<int> on_signal() {
        signalfd_siginfo info{};
        if (::read(signals_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return std::nullopt;
        const auto name = ::strsignal(static_cast<int>(info.ssi_signo));
        if (info.ssi_signo == SIGUSR1 || info.ssi_signo == SIGUSR2) {
            // A node that hangs (GC pause, deadlock) and one that recovers:
            // the watchdog tests make it stop answering on demand.
            hung_ = info.ssi_signo == SIGUSR1;
            fmt::print(stderr, "fake-es: {}: {}\n", name, hung_ ? "hanging (accepting, never answering)" : "answering again");
            return std::nullopt;
        }
        if (info.ssi_signo == 0) return std::nullopt;
        return begin_stop(128 + static_cast<int>(info.ssi_signo), name);
    }

    // 8.3+'s server reads its stdin to the end: the shutdown marker stops it
    // with 0, anything else ends it with 1 ("parent process died").
    std::optional<int> on_stdin() {
        char c = 0;
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return std::nullopt;
        if (n == 1 && c == server_shutdown_marker) return begin_stop(0, "shutdown marker from the CLI");
        return exit_with(1, n == 0 ? "stdin closed: the CLI is gone" : "unexpected input from the CLI");
    }

    void accept_all() {
        for (;;) {
            UniqueFd fd{::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)};
            if (!fd.valid()) return;  // EAGAIN, or a connection that went away
            conns_.push_back({std::move(fd), Connection::State::reading, {}, {}});
        }
    }

    void service(Connection& c) {
        if (c.state == Connection::State::writing) {
            const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
            if (n < 0) return c.fd.reset();
            c.out.erase(0, static_cast<std::size_t>(n));
            if (c.out.empty()) {
                // Let the client read the response, then wait for its close:
                // closing with unread request bytes would reset the connection.
                ::shutdown(c.fd.get(), SHUT_WR);
                c.state = Connection::State::draining;
            }
            return;
        }
        char buf[4096];
        const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) return c.fd.reset();
        if (c.state != Connection::State::reading) return;  // draining, or hung: discard
        c.in.append(buf, static_cast<std::size_t>(n));
        if (c.in.find("\r\n\r\n") == std::string::npos && c.in.find("\n\n") == std::string::npos) {
            if (c.in.size() > 65536) c.fd.reset();
            return;
        }
        if (hung_ || (opts_.hang_after_ready && answered_ > 0)) {
            // A hung node: the connection stays open and nothing comes back.
            const std::string_view request_line = std::string_view{c.in}.substr(0, c.in.find_first_of("\r\n"));
            fmt::print(stderr, "fake-es: {} (hung: no answer)\n", request_line);
            c.state = Connection::State::draining;
            return;
        }
        ++answered_;
        c.out = response_for(c.in);
        c.in.clear();
        c.state = Connection::State::writing;
        service(c);
    }

    const Options& opts_;
    UniqueFd signals_;
    UniqueFd listener_;
    std::vector<Connection> conns_;
    unsigned answered_ = 0;
    bool hung_ = false;  // SIGUSR1 until SIGUSR2
    UniqueFd readiness_;  // readiness.port, once open
    std::optional<Clock::time_point> stop_at_;  // --stop-delay-ms after the first stop
    int stop_status_ = 0;
    std::string stop_why_;
};

// --- 8.3+'s CLI ---------------------------------------------------------------

// ServerProcess's temporary directory: ES_TMPDIR, which must be a directory
// (exit 78 otherwise, its messages), else a new /tmp/elasticsearch-XXXXXX.
std::optional<std::string> server_tmpdir(bool& created) {
    if (const char* given = std::getenv("ES_TMPDIR")) {
        struct stat st {};
        if (::stat(given, &st) != 0) {
            fmt::print(stderr, "Temporary directory [{}] does not exist or is not accessible\n", given);
        } else if (!S_ISDIR(st.st_mode)) {
            fmt::print(stderr, "Temporary directory [{}] is not a directory\n", given);
        } else {
            return std::string{given};
        }
        return std::nullopt;
    }
    std::string path = "/tmp/elasticsearch-XXXXXX";
    if (::mkdtemp(path.data()) == nullptr) {
        fmt::print(stderr, "fake-es (cli): cannot create {}: {}\n", path, std::strerror(errno));
        return std::nullopt;
    }
    created = true;
    return path;
}

// The server's environment as ServerProcess makes it: the CLI's, without
// ES_TMPDIR and ES_JAVA_OPTS, with LIBFFI_TMPDIR the temp dir unless set.
std::vector<std::string> server_environment(const std::string& tmpdir) {
    std::vector<std::string> env;
    bool libffi = false;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry = *e;
        const std::string_view name = entry.substr(0, entry.find('='));
        if (name == "ES_TMPDIR" || name == "ES_JAVA_OPTS") continue;
        libffi = libffi || name == "LIBFFI_TMPDIR";
        env.emplace_back(entry);
    }
    if (!libffi) env.push_back("LIBFFI_TMPDIR=" + tmpdir);
    return env;
}

// The server's command line: the options the CLI computed, then the module
// and main class as ServerProcess starts it (its arguments go on stdin).
std::vector<std::string> server_command(const char* self, const Options& opts) {
    std::string home;
    for (const std::string& word : opts.command) {
        if (word.starts_with("-Des.path.home=")) home = word.substr(15);
    }
    std::vector<std::string> cmd{self, "--record", opts.record};
    cmd.insert(cmd.end(), opts.forward.begin(), opts.forward.end());
    cmd.insert(cmd.end(), {"--args-on-stdin", "--"});
    std::string_view rest = opts.server_options;
    while (!rest.empty()) {
        const std::size_t start = rest.find_first_not_of(" \t\n");
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        const std::size_t end = std::min(rest.find_first_of(" \t\n"), rest.size());
        cmd.emplace_back(rest.substr(0, end));
        rest.remove_prefix(end);
    }
    cmd.insert(cmd.end(), {"--module-path", home + "/lib", "--add-modules=jdk.net", "--add-modules=ALL-MODULE-PATH",
                           "-m", "org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch"});
    return cmd;
}

struct ServerChild {
    pid_t pid = -1;
    UniqueFd stdin_w;   // the arguments, then the shutdown marker
    UniqueFd stderr_r;  // its stderr, with the ready marker
};

// Forks and execs the server with pipes on its stdin and stderr, its stdout
// the CLI's; as Java's ProcessBuilder, it gets no other fd and no blocked signal.
std::optional<ServerChild> start_server(const std::vector<std::string>& cmd, const std::vector<std::string>& env) {
    int in[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return std::nullopt;
    std::vector<char*> argv, envp;
    for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        if (::dup2(in[0], STDIN_FILENO) < 0 || ::dup2(err[1], STDERR_FILENO) < 0) ::_exit(127);
        ::close_range(3, ~0U, 0);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(err[1]);
    if (pid < 0) {
        ::close(in[1]);
        ::close(err[0]);
        return std::nullopt;
    }
    return ServerChild{pid, UniqueFd{in[1]}, UniqueFd{err[0]}};
}

// The CLI after the start: pumps the server's stderr (the ready marker
// stays unseen), passes stop signals on as the shutdown marker and SIGUSR1/2
// as they are (the tests' hang switch), and exits as ServerCli does.
class Cli {
public:
    Cli(ServerChild child, UniqueFd signals) : child_(std::move(child)), signals_(std::move(signals)) {}

    int run() {
        for (;;) {
            pollfd fds[2] = {{signals_.get(), POLLIN, 0}, {child_.stderr_r.valid() ? child_.stderr_r.get() : -1, POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0 && errno != EINTR) return 1;
            if (fds[1].revents != 0) pump();
            if (fds[0].revents == 0) continue;
            signalfd_siginfo info{};
            if (::read(signals_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
            const int signo = static_cast<int>(info.ssi_signo);
            if (signo == SIGCHLD) {
                if (auto status = reap()) return finish(*status);
            } else if (signo == SIGUSR1 || signo == SIGUSR2) {
                ::kill(child_.pid, signo);
            } else if (signo != SIGPIPE && stopping_ == 0) {
                // Command's shutdown hook: ServerCli.close() -> server.stop().
                stopping_ = signo;
                const char marker = server_shutdown_marker;
                (void)write_all(child_.stdin_w.get(), std::string_view{&marker, 1});
            }
        }
    }

private:
    std::optional<int> reap() {
        int status = 0;
        if (::waitpid(child_.pid, &status, WNOHANG) != child_.pid) return std::nullopt;
        while (child_.stderr_r.valid()) pump();
        // Java's Process.exitValue(): the exit status, or 128 + the signal.
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    // The JVM that got a stop signal exits 128 + it once its hook is done;
    // otherwise ServerCli passes on the server's non-zero status.
    int finish(int server_status) const {
        if (stopping_ != 0) {
            fmt::print(stderr, "fake-es (cli): {}, exiting {}\n", ::strsignal(stopping_), 128 + stopping_);
            return 128 + stopping_;
        }
        if (server_status != 0) fmt::print(stderr, "ERROR: Elasticsearch exited unexpectedly\n");
        return server_status;
    }

    void pump() {
        char buf[4096];
        const ssize_t n = ::read(child_.stderr_r.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) return;
        if (n > 0) pending_.append(buf, static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = pending_.find('\n')) != std::string::npos || (n <= 0 && !pending_.empty());) {
            const std::size_t end = nl == std::string::npos ? pending_.size() : nl + 1;
            if (pending_.front() == server_ready_marker) ready_ = true;  // ErrorPumpThread: not shown
            else (void)write_all(STDERR_FILENO, std::string_view{pending_}.substr(0, end));
            pending_.erase(0, end);
        }
        if (n <= 0) child_.stderr_r.reset();
    }

    ServerChild child_;
    UniqueFd signals_;
    std::string pending_;
    bool ready_ = false;
    int stopping_ = 0;
};

// --cli: the record is written (FILE.cli); start the server and see it through.
int run_cli(const char* self, const Options& opts, const Json& record, UniqueFd signals) {
    bool created = false;
    const auto tmpdir = server_tmpdir(created);
    if (!tmpdir) return 78;
    auto child = start_server(server_command(self, opts), server_environment(*tmpdir));
    if (!child) {
        fmt::print(stderr, "fake-es (cli): cannot start the server: {}\n", std::strerror(errno));
        return 1;
    }
    // ServerArgs on the child's stdin, which stays open for the shutdown marker.
    std::string args;
    for (const auto& word : record["args"]) args += word.get<std::string>() + '\0';
    args += '\0';
    (void)write_all(child->stdin_w.get(), args);
    const int status = Cli{std::move(*child), std::move(signals)}.run();
    if (created) ::rmdir(tmpdir->c_str());  // the real one leaves it behind
    return status;
}

// --args-on-stdin: the words the CLI writes, each ending in NUL, then an
// empty one. Read a byte at a time: what follows is the shutdown marker.
Json read_stdin_args() {
    Json args = Json::array();
    std::string word;
    for (char c = 0;;) {
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (c != '\0') {
            word += c;
            continue;
        }
        if (word.empty()) break;
        args.push_back(std::exchange(word, {}));
    }
    return args;
}

}  // namespace

int main(int argc, char** argv) {
    // First, before anything here opens a file: the fds and /proc/self/status
    // (SigBlk, SigIgn) are what the launcher passed.
    std::vector<int> inherited_fds = open_fds();
    const std::string stdin_path = fd_target(STDIN_FILENO);
    const std::map<std::string, std::string> status = proc_status();
    const Options opts = parse_args(argc, argv);

    // Handle the stop signals (and SIGUSR1/SIGUSR2, hang and answer again)
    // through a signalfd from here on, so one that arrives while recording
    // still ends in a clean exit status.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);
    sigaddset(&stop_signals, SIGUSR1);  // hang
    sigaddset(&stop_signals, SIGUSR2);  // answer again
    if (opts.cli) {
        sigaddset(&stop_signals, SIGCHLD);  // the server exited
        sigaddset(&stop_signals, SIGPIPE);  // a write to a server that is gone fails, EPIPE
    }
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    UniqueFd signals{::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK)};
    if (!signals.valid()) {
        fmt::print(stderr, "fake-es: signalfd: {}\n", std::strerror(errno));
        return 1;
    }

    Json record = build_record(argc, argv, opts, std::move(inherited_fds), status, stdin_path);
    if (opts.args_on_stdin) record["args"] = read_stdin_args();
    if (!write_record(opts.cli ? opts.record + ".cli" : opts.record, record)) return exit_record_failed;
    if (opts.cli) return run_cli(argv[0], opts, record, std::move(signals));
    if (opts.exit_after_record) return 0;
    return Server{opts, std::move(signals)}.run();
}
