// Talking to systemd from eslaunch-watch: sd_notify messages and the unit
// self-check over sd-bus. Watcher only: the root-run shim never links
// libsystemd.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>

#include "eslaunch/error.hpp"
#include "eslaunch/readiness.hpp"

namespace eslaunch {

// sd_notify to NOTIFY_SOCKET; does nothing without one.
class Notifier {
public:
    Notifier();
    [[nodiscard]] bool enabled() const { return enabled_; }
    void send(std::string_view message) const;
    // Waits (bounded) until systemd has read everything sent so far, so the
    // messages are attributed to this unit even if we exit right after.
    void barrier(std::chrono::milliseconds timeout) const;

private:
    bool enabled_ = false;
};

// The unit `pid` runs in and its Type, NotifyAccess, TimeoutStartUSec,
// WatchdogUSec and MainPID, over the system bus; gives up after `budget`.
[[nodiscard]] Expected<UnitInfo, std::string> read_unit_info(pid_t pid, std::chrono::milliseconds budget);

}  // namespace eslaunch
