#include "status.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace eslaunch {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

ExtendCadence extend_cadence(std::optional<std::uint64_t> timeout_start_usec) {
    if (!timeout_start_usec) return {microseconds{seconds{15}}, microseconds{seconds{30}}};
    // 0 or UINT64_MAX: the unit has no start timeout, nothing to extend.
    if (*timeout_start_usec == 0 || *timeout_start_usec == UINT64_MAX) return {};
    // Extend by the unit's own timeout, at half of it: the start always has at
    // least half a timeout left. Not more often than once a second.
    const microseconds t{static_cast<std::int64_t>(std::min<std::uint64_t>(*timeout_start_usec, INT64_MAX / 2))};
    return {std::max<microseconds>(t / 2, seconds{1}), std::max<microseconds>(t, seconds{2})};
}

std::vector<std::string> unit_warnings(const UnitInfo& unit, std::uint32_t program_pid, const ReadyProbe& probe) {
    std::vector<std::string> out;
    if (unit.main_pid != program_pid) return out;
    if (unit.type == "notify" && unit.notify_access != "all") {
        out.push_back(fmt::format("{} is Type=notify with NotifyAccess={}: systemd ignores READY=1 from eslaunch-watch "
                                  "and the start will time out; add NotifyAccess=all to its [Service] section",
                                  unit.unit, unit.notify_access));
    } else if (unit.type != "notify" && probe.kind != ReadyProbe::Kind::none) {
        out.push_back(fmt::format("{} is Type={}: systemd does not wait for ready={}; set Type=notify and "
                                  "NotifyAccess=all in its [Service] section",
                                  unit.unit, unit.type, probe.str()));
    }
    return out;
}

std::string format_elapsed(milliseconds elapsed) {
    const auto ms = std::max<std::int64_t>(elapsed.count(), 0);
    if (ms < 60'000) return fmt::format("{}.{} s", ms / 1000, (ms % 1000) / 100);
    const auto s = ms / 1000;
    if (s < 3600) return s % 60 == 0 ? fmt::format("{} min", s / 60) : fmt::format("{} min {} s", s / 60, s % 60);
    return fmt::format("{} h {} min", s / 3600, (s % 3600) / 60);
}

std::string ready_line(const std::string& program, milliseconds elapsed, const std::string& probe,
                       const std::string& result) {
    return fmt::format("{} ready after {} ({} -> {})", program, format_elapsed(elapsed), probe, result);
}

std::string waiting_line(const std::string& program, milliseconds elapsed, const std::string& probe,
                         const std::string& last_result) {
    if (last_result.empty()) return fmt::format("waiting for {}: probing {}", program, probe);
    return fmt::format("waiting for {}: probing {} for {}, last: {}", program, probe, format_elapsed(elapsed),
                       last_result);
}

std::string timeout_line(const std::string& program, const Duration& timeout, const std::string& probe,
                         const std::string& last_result) {
    return fmt::format("{} not ready after ready_timeout={} ({} -> {}); eslaunch stops extending the start timeout",
                       program, timeout.str(), probe, last_result.empty() ? "no answer" : last_result);
}

}  // namespace eslaunch
