// Talking to systemd from eslaunch-watch: sd_notify messages and the unit
// self-check over sd-bus. Watcher only: the root-run shim never links this.
//
// sd_notify is its datagram protocol, spoken directly (sd_notify(3): the
// protocol is the stable interface, and systemd's authors advise against
// linking libsystemd for it). The self-check needs sd-bus: libsystemd is
// dlopen()ed for it in a short-lived child, so its pages (and those of the
// libraries it loads) never count in the watcher, which stays alive beside
// the node for as long as it runs (bench/RESULTS.md, "Readiness").
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "eslaunch/error.hpp"
#include "eslaunch/readiness.hpp"
#include "status.hpp"

namespace eslaunch {

// Where NOTIFY_SOCKET points: "/run/systemd/notify", or "@name" for an
// abstract socket. Empty `error` when usable.
struct NotifyAddress {
    sockaddr_un address{};
    socklen_t length = 0;
    std::string error;
};
[[nodiscard]] NotifyAddress parse_notify_socket(std::string_view value);

// sd_notify to NOTIFY_SOCKET; does nothing without one.
class Notifier {
public:
    Notifier();                                      // from $NOTIFY_SOCKET
    explicit Notifier(std::optional<std::string_view> notify_socket);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    [[nodiscard]] bool enabled() const { return fd_ >= 0; }
    // Why NOTIFY_SOCKET is set but cannot be used ("" when it can, or when unset).
    [[nodiscard]] const std::string& problem() const { return problem_; }
    // One datagram; false when the kernel refused it.
    bool send(std::string_view message) const;
    // BARRIER=1 with a pipe's write end, then waits (bounded) for systemd to
    // close it: systemd has then read everything sent before, so the
    // messages are attributed to this unit even if we exit right after.
    // False on a timeout or error.
    bool barrier(std::chrono::milliseconds timeout) const;

private:
    int fd_ = -1;
    NotifyAddress to_;
    std::string problem_;
};

// The unit `pid` runs in and its Type, NotifyAccess, TimeoutStartUSec,
// WatchdogUSec and MainPID, over the system bus (libsystemd, in a child);
// gives up after `budget`. The caller must be single-threaded.
[[nodiscard]] Expected<UnitInfo, std::string> read_unit_info(pid_t pid, std::chrono::milliseconds budget);

}  // namespace eslaunch
