#include "eslaunch/notify.hpp"

#include <fmt/format.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <thread>

namespace eslaunch {
namespace {

using Clock = std::chrono::steady_clock;

std::string failed(std::string_view what, int r) { return fmt::format("{}: {}", what, std::strerror(-r)); }

Expected<UnitInfo, std::string> query_unit(pid_t pid, Clock::time_point deadline) {
    UnitInfo info;
    char* unit = nullptr;
    if (int r = sd_pid_get_unit(pid, &unit); r < 0) return Unexpected{failed("not in a systemd unit", r)};
    info.unit = unit;
    std::free(unit);

    sd_bus* raw = nullptr;
    if (int r = sd_bus_open_system(&raw); r < 0) return Unexpected{failed("cannot connect to the system bus", r)};
    const std::unique_ptr<sd_bus, decltype(&sd_bus_flush_close_unref)> bus{raw, sd_bus_flush_close_unref};
    char* path_raw = nullptr;
    if (int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", info.unit.c_str(), &path_raw); r < 0) {
        return Unexpected{failed("sd_bus_path_encode", r)};
    }
    const std::string path = path_raw;
    std::free(path_raw);

    auto budget = [&] {
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
        sd_bus_set_method_call_timeout(bus.get(), static_cast<std::uint64_t>(std::max<long long>(left, 1)));
    };
    constexpr const char* service = "org.freedesktop.systemd1.Service";
    auto string_property = [&](const char* name, std::string& out) -> int {
        budget();
        char* value = nullptr;
        const int r = sd_bus_get_property_string(bus.get(), "org.freedesktop.systemd1", path.c_str(), service, name,
                                                 nullptr, &value);
        if (r >= 0) {
            out = value;
            std::free(value);
        }
        return r;
    };
    auto usec_property = [&](const char* name, std::optional<std::uint64_t>& out) -> int {
        budget();
        std::uint64_t value = 0;
        const int r = sd_bus_get_property_trivial(bus.get(), "org.freedesktop.systemd1", path.c_str(), service, name,
                                                  nullptr, 't', &value);
        if (r >= 0) out = value;
        return r;
    };
    if (int r = string_property("Type", info.type); r < 0) return Unexpected{failed("reading Type of " + info.unit, r)};
    if (int r = string_property("NotifyAccess", info.notify_access); r < 0) {
        return Unexpected{failed("reading NotifyAccess of " + info.unit, r)};
    }
    budget();
    std::uint32_t main_pid = 0;
    if (sd_bus_get_property_trivial(bus.get(), "org.freedesktop.systemd1", path.c_str(), service, "MainPID", nullptr,
                                    'u', &main_pid) >= 0) {
        info.main_pid = main_pid;
    }
    (void)usec_property("TimeoutStartUSec", info.timeout_start_usec);
    (void)usec_property("WatchdogUSec", info.watchdog_usec);
    return info;
}

}  // namespace

Notifier::Notifier() : enabled_(std::getenv("NOTIFY_SOCKET") != nullptr) {}

void Notifier::send(std::string_view message) const {
    if (enabled_) (void)sd_notify(0, std::string{message}.c_str());
}

void Notifier::barrier(std::chrono::milliseconds timeout) const {
    if (enabled_) {
        (void)sd_notify_barrier(0, static_cast<std::uint64_t>(
                                       std::chrono::duration_cast<std::chrono::microseconds>(timeout).count()));
    }
}

Expected<UnitInfo, std::string> read_unit_info(pid_t pid, std::chrono::milliseconds budget) {
    // sd-bus bounds each method call, but not the connection's
    // authentication: a thread keeps even a stuck bus within the budget.
    const auto deadline = Clock::now() + budget;
    auto task = std::make_shared<std::packaged_task<Expected<UnitInfo, std::string>()>>(
        [pid, deadline] { return query_unit(pid, deadline); });
    auto result = task->get_future();
    std::thread{[task] { (*task)(); }}.detach();
    if (result.wait_until(deadline + std::chrono::milliseconds{20}) != std::future_status::ready) {
        return Unexpected{fmt::format("no answer from systemd within {} ms", budget.count())};
    }
    return result.get();
}

}  // namespace eslaunch
