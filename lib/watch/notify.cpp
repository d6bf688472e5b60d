#include "notify.hpp"
#include "eslaunch/values.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "child.hpp"
#include "posix.hpp"

namespace eslaunch {
namespace {

using Clock = std::chrono::steady_clock;

std::string failed(std::string_view what, int r) { return fmt::format("{}: {}", what, std::strerror(-r)); }

// The sd-bus calls of the self-check, looked up in libsystemd.so.0 (the
// types are those of the headers, so a changed signature fails to build).
struct SdBus {
    decltype(&sd_pid_get_unit) pid_get_unit = nullptr;
    decltype(&sd_bus_open_system) open_system = nullptr;
    decltype(&sd_bus_flush_close_unref) flush_close_unref = nullptr;
    decltype(&sd_bus_path_encode) path_encode = nullptr;
    decltype(&sd_bus_set_method_call_timeout) set_method_call_timeout = nullptr;
    decltype(&sd_bus_get_property_string) get_property_string = nullptr;
    decltype(&sd_bus_get_property_trivial) get_property_trivial = nullptr;

    std::string load() {
        std::string error;
        void* lib = open_library("libsystemd.so.0", "libsystemd0", error);
        if (lib == nullptr) return error;
        auto find = [&](auto& fn, const char* name) { find_symbol(lib, "libsystemd.so.0", fn, name, error); };
        find(pid_get_unit, "sd_pid_get_unit");
        find(open_system, "sd_bus_open_system");
        find(flush_close_unref, "sd_bus_flush_close_unref");
        find(path_encode, "sd_bus_path_encode");
        find(set_method_call_timeout, "sd_bus_set_method_call_timeout");
        find(get_property_string, "sd_bus_get_property_string");
        find(get_property_trivial, "sd_bus_get_property_trivial");
        return error;
    }
};

// In the child: the unit's properties as "key=value" lines, or "error=...".
std::string query_unit(pid_t pid, Clock::time_point deadline) {
    SdBus sd;
    if (std::string err = sd.load(); !err.empty()) return "error=" + err;
    char* unit_raw = nullptr;
    if (int r = sd.pid_get_unit(pid, &unit_raw); r < 0) return "error=" + failed("not in a systemd unit", r);
    const std::string unit = unit_raw;
    std::free(unit_raw);

    sd_bus* raw = nullptr;
    if (int r = sd.open_system(&raw); r < 0) return "error=" + failed("cannot connect to the system bus", r);
    const std::unique_ptr<sd_bus, decltype(sd.flush_close_unref)> bus{raw, sd.flush_close_unref};
    char* path_raw = nullptr;
    if (int r = sd.path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &path_raw); r < 0) {
        return "error=" + failed("sd_bus_path_encode", r);
    }
    const std::string path = path_raw;
    std::free(path_raw);

    auto budget = [&] {
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
        sd.set_method_call_timeout(bus.get(), static_cast<std::uint64_t>(std::max<long long>(left, 1)));
    };
    constexpr const char* destination = "org.freedesktop.systemd1";
    constexpr const char* service = "org.freedesktop.systemd1.Service";
    std::string out = "unit=" + unit + "\n";
    for (const char* name : {"Type", "NotifyAccess"}) {
        budget();
        char* value = nullptr;
        if (int r = sd.get_property_string(bus.get(), destination, path.c_str(), service, name, nullptr, &value); r < 0) {
            return "error=" + failed(fmt::format("reading {} of {}", name, unit), r);
        }
        out += fmt::format("{}={}\n", name, value);
        std::free(value);
    }
    budget();
    std::uint32_t main_pid = 0;
    if (sd.get_property_trivial(bus.get(), destination, path.c_str(), service, "MainPID", nullptr, 'u', &main_pid) >= 0) {
        out += fmt::format("MainPID={}\n", main_pid);
    }
    for (const char* name : {"TimeoutStartUSec", "WatchdogUSec"}) {
        budget();
        std::uint64_t value = 0;
        if (sd.get_property_trivial(bus.get(), destination, path.c_str(), service, name, nullptr, 't', &value) >= 0) {
            out += fmt::format("{}={}\n", name, value);
        }
    }
    // systemd's own version: before 238 it ignores EXTEND_TIMEOUT_USEC.
    budget();
    char* version = nullptr;
    if (sd.get_property_string(bus.get(), destination, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                               "Version", nullptr, &version) >= 0) {
        std::string v = version;
        std::free(version);
        std::replace(v.begin(), v.end(), '\n', ' ');
        out += fmt::format("Version={}\n", v);
    }
    return out;
}

}  // namespace

NotifyAddress parse_notify_socket(std::string_view value) {
    NotifyAddress a;
    a.address.sun_family = AF_UNIX;
    const std::size_t room = sizeof a.address.sun_path;
    if (value.empty()) {
        a.error = "it is empty";
    } else if (value.starts_with("vsock:")) {
        a.error = "AF_VSOCK (a virtual machine's host) is not supported by eslaunch-watch";
    } else if (value.front() == '@') {  // abstract: a leading NUL, no terminating one
        if (value.size() > room) a.error = fmt::format("the abstract name is longer than {} bytes", room - 1);
        else {
            std::memcpy(a.address.sun_path + 1, value.data() + 1, value.size() - 1);
            a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size());
        }
    } else if (value.front() == '/') {
        if (value.size() >= room) a.error = fmt::format("the path is longer than {} bytes", room - 1);
        else if (value.find('\0') != std::string_view::npos) a.error = "the path holds a NUL byte";
        else {
            std::memcpy(a.address.sun_path, value.data(), value.size());
            a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size() + 1);
        }
    } else {
        a.error = "it is neither an absolute path nor an abstract socket (@NAME)";
    }
    return a;
}

namespace {
std::optional<std::string_view> notify_socket_env() {
    const char* value = std::getenv("NOTIFY_SOCKET");
    if (value == nullptr) return std::nullopt;
    return std::string_view{value};
}
}  // namespace

Notifier::Notifier() : Notifier(notify_socket_env()) {}

Notifier::Notifier(std::optional<std::string_view> notify_socket) {
    if (!notify_socket) return;
    to_ = parse_notify_socket(*notify_socket);
    if (!to_.error.empty()) {
        problem_ = fmt::format("NOTIFY_SOCKET={}: {}", *notify_socket, to_.error);
        return;
    }
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) problem_ = fmt::format("NOTIFY_SOCKET={}: socket: {}", *notify_socket, std::strerror(errno));
}

Notifier::~Notifier() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {
// One datagram to `to`, with `fd` attached (SCM_RIGHTS) when >= 0.
bool send_datagram(int sock, const NotifyAddress& to, std::string_view message, int fd) {
    iovec iov{const_cast<char*>(message.data()), message.size()};  // sendmsg's signature
    msghdr msg{};
    msg.msg_name = const_cast<sockaddr_un*>(&to.address);
    msg.msg_namelen = to.length;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n = 0;
    do {
        n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n >= 0;
}
}  // namespace

bool Notifier::send(std::string_view message) const {
    return enabled() && send_datagram(fd_, to_, message, -1);
}

bool Notifier::barrier(std::chrono::milliseconds timeout) const {
    if (!enabled()) return false;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    UniqueFd read_end{fds[0]};
    {
        UniqueFd write_end{fds[1]};
        if (!send_datagram(fd_, to_, "BARRIER=1", write_end.get())) return false;
    }  // systemd holds the only write end now: its close is the answer
    // The read end of a pipe reports POLLIN or POLLHUP only.
    return wait_fd(read_end.get(), POLLIN, -1, Clock::now() + timeout) == Waited::ready;
}

Expected<UnitInfo, std::string> read_unit_info(pid_t pid, std::chrono::milliseconds budget) {
    // sd-bus bounds each method call, but not the connection's
    // authentication: the child is killed at the deadline whatever it does.
    const auto deadline = Clock::now() + budget;
    const ChildResult r = run_in_child([&] { return query_unit(pid, deadline); }, deadline, -1);
    if (r.status == ChildResult::Status::timeout) {
        return Unexpected{fmt::format("no answer from systemd within {} ms", budget.count())};
    }
    if (r.status != ChildResult::Status::done) return Unexpected{"the sd-bus helper process " + r.output};
    UnitInfo info;
    std::string_view rest = r.output;
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, eq);
        const std::string_view value = line.substr(eq + 1);
        if (key == "error") return Unexpected{std::string{value}};
        if (key == "unit") info.unit = value;
        else if (key == "Type") info.type = value;
        else if (key == "NotifyAccess") info.notify_access = value;
        else if (key == "MainPID") info.main_pid = static_cast<std::uint32_t>(parse_decimal(value).value_or(0));
        else if (key == "TimeoutStartUSec") info.timeout_start_usec = parse_decimal(value);
        else if (key == "WatchdogUSec") info.watchdog_usec = parse_decimal(value);
        else if (key == "Version") info.manager_version = value;
    }
    if (info.unit.empty() || info.type.empty()) return Unexpected{std::string{"the sd-bus helper process answered nothing"}};
    return info;
}

}  // namespace eslaunch
