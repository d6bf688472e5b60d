// What the watcher tells systemd and the log, the pure part: how often to
// extend the start timeout, what the unit gets wrong, and the lines a
// person reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/readiness.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {

// How often to send EXTEND_TIMEOUT_USEC, and by how much: within the unit's
// start timeout when it is known (sd-bus), else every 15 s by 30 s.
struct ExtendCadence {
    std::chrono::microseconds every{0};      // 0: never (no start timeout to extend)
    std::chrono::microseconds extend_by{0};
    friend bool operator==(const ExtendCadence&, const ExtendCadence&) = default;
};
[[nodiscard]] ExtendCadence extend_cadence(std::optional<std::uint64_t> timeout_start_usec);

// The unit systemd runs us in, as its properties say (notify.hpp reads them
// over sd-bus).
struct UnitInfo {
    std::string unit;                               // "elasticsearch.service"
    std::string type;                               // "notify", "simple", ...
    std::string notify_access;                      // "none", "main", "exec", "all"
    std::optional<std::uint64_t> timeout_start_usec;
    std::optional<std::uint64_t> watchdog_usec;
    std::uint32_t main_pid = 0;
    std::string manager_version;  // systemd's own (Manager.Version): "252.30-1~deb12u2"
};

// The release of a systemd version string: its leading number ("252.30-1~deb12u2"
// -> 252, "219" -> 219); nullopt when it does not start with one.
[[nodiscard]] std::optional<int> systemd_release(std::string_view manager_version);
// systemd honours EXTEND_TIMEOUT_USEC from 238 on (Elastic's docs for its
// unit): before, TimeoutStartSec= alone bounds the start.
inline constexpr int first_release_extending_start = 238;

// What a person must change in the unit so readiness works, each a full line
// naming the unit and the line to add. Nothing when the program is not the
// unit's main process (supervisord's unit, for instance).
[[nodiscard]] std::vector<std::string> unit_warnings(const UnitInfo& unit, std::uint32_t program_pid,
                                                     const ReadyProbe& probe);

// Whether a process's /proc/PID/cmdline (NUL-separated words) runs
// Elasticsearch's server: 8.3+'s CLI starts it as its child, with
// `-m org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch`.
[[nodiscard]] bool runs_elasticsearch_server(std::string_view cmdline);
// The pids in /proc/PID/task/PID/children ("1240 1251 "), at most `max`.
[[nodiscard]] std::vector<std::uint32_t> parse_children(std::string_view text, std::size_t max = 64);

// "0.8 s", "23.4 s", "2 min 5 s".
[[nodiscard]] std::string format_elapsed(std::chrono::milliseconds elapsed);

// The line for stderr and STATUS= once ready:
// "elasticsearch ready after 23.4 s (http://127.0.0.1:9200/ -> 200)".
// With `server` (8.3+: the server process under the CLI that is the main
// process) it ends "; main pid 1234 (Elasticsearch's CLI), server pid 1240".
[[nodiscard]] std::string ready_line(const std::string& program, std::chrono::milliseconds elapsed,
                                     const std::string& probe, const std::string& result,
                                     std::optional<std::uint32_t> main_pid = std::nullopt,
                                     std::optional<std::uint32_t> server_pid = std::nullopt);
// While waiting: "waiting for elasticsearch: http://127.0.0.1:9200/ for 12.0 s, last: connection refused".
[[nodiscard]] std::string waiting_line(const std::string& program, std::chrono::milliseconds elapsed,
                                       const std::string& probe, const std::string& last_result);
// ready_timeout passed: "elasticsearch not ready after 15 min (http://... -> connection refused); ..."
[[nodiscard]] std::string timeout_line(const std::string& program, const Duration& timeout,
                                       const std::string& probe, const std::string& last_result);

}  // namespace eslaunch
