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

std::optional<int> systemd_release(std::string_view version) {
    std::size_t digits = 0;
    while (digits < version.size() && digits < 6 && version[digits] >= '0' && version[digits] <= '9') ++digits;
    if (digits == 0) return std::nullopt;
    int n = 0;
    for (char c : version.substr(0, digits)) n = n * 10 + (c - '0');
    return n;
}

namespace {
// Below 238 the watcher's EXTEND_TIMEOUT_USEC goes unheard: say so, with the
// start timeout the unit really has.
std::optional<std::string> old_systemd_warning(const UnitInfo& unit, const ReadyProbe& probe) {
    const auto release = systemd_release(unit.manager_version);
    if (!release || *release >= first_release_extending_start || unit.type != "notify" ||
        probe.kind == ReadyProbe::Kind::none) {
        return std::nullopt;
    }
    const std::string timeout = !unit.timeout_start_usec ? "its TimeoutStartSec="
                                : *unit.timeout_start_usec == 0 || *unit.timeout_start_usec == UINT64_MAX
                                    ? "its TimeoutStartSec=infinity"
                                    : fmt::format("its TimeoutStartSec={}s", *unit.timeout_start_usec / 1'000'000);
    return fmt::format("systemd {} is older than {}: it ignores EXTEND_TIMEOUT_USEC, so {} of {} must cover the "
                       "node's whole start, shard recovery included; raise TimeoutStartSec= in a drop-in if the "
                       "node can take longer",
                       *release, first_release_extending_start, timeout, unit.unit);
}
}  // namespace

std::vector<std::string> unit_warnings(const UnitInfo& unit, std::uint32_t program_pid, const ReadyProbe& probe) {
    std::vector<std::string> out;
    if (unit.main_pid != program_pid) return out;
    if (auto w = old_systemd_warning(unit, probe)) out.push_back(*w);
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
                       const std::string& result, std::optional<std::uint32_t> main_pid,
                       std::optional<std::uint32_t> server_pid) {
    std::string line = fmt::format("{} ready after {} ({} -> {})", program, format_elapsed(elapsed), probe, result);
    if (main_pid && server_pid) {
        line += fmt::format("; main pid {} (Elasticsearch's CLI), server pid {}", *main_pid, *server_pid);
    }
    return line;
}

bool runs_elasticsearch_server(std::string_view cmdline) {
    constexpr std::string_view main_class = "org.elasticsearch.bootstrap.Elasticsearch";
    while (!cmdline.empty()) {
        const std::size_t end = std::min(cmdline.find('\0'), cmdline.size());
        const std::string_view word = cmdline.substr(0, end);
        // The class itself, or MODULE/CLASS after -m.
        if (word == main_class || (word.ends_with(main_class) && word[word.size() - main_class.size() - 1] == '/')) {
            return true;
        }
        cmdline.remove_prefix(std::min(end + 1, cmdline.size()));
    }
    return false;
}

std::vector<std::uint32_t> parse_children(std::string_view text, std::size_t max) {
    std::vector<std::uint32_t> pids;
    while (!text.empty() && pids.size() < max) {
        const std::size_t end = std::min(text.find_first_of(" \n"), text.size());
        std::uint32_t pid = 0;
        std::size_t digits = 0;
        for (char c : text.substr(0, end)) {
            if (c < '0' || c > '9' || ++digits > 9) break;
            pid = pid * 10 + static_cast<std::uint32_t>(c - '0');
        }
        if (digits > 0 && digits <= 9 && digits == end && pid > 0) pids.push_back(pid);
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return pids;
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
