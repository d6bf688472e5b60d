// Readiness, the pure part: which probe a launch uses and where it came from,
// the eslaunch-watch command line that carries it (built by plan, read back
// by the watcher), how often to extend systemd's start timeout, and the
// lines a person reads. The probing and sd_notify live in the watcher
// (probe.hpp, notify.hpp), which the root-run shim never loads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eslaunch/environment.hpp"
#include "eslaunch/error.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {

// Variables systemd gives the main process for sd_notify. They go to the
// watcher, not to the program (unless ready=native: the program notifies).
inline constexpr std::string_view notify_variables[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};

// What eslaunch-watch needs, all of it on its command line.
struct WatchOptions {
    std::string program;  // the name in messages, e.g. "elasticsearch"
    ReadyProbe probe;
    std::vector<StatusRange> expect{{200, 499}};
    Duration timeout{std::chrono::minutes{15}};
    Duration interval{std::chrono::milliseconds{50}};
    std::optional<std::string> ca;
    bool insecure = false;
    std::optional<std::string> user;
    std::optional<std::string> password_file;
    bool watchdog = false;
    friend bool operator==(const WatchOptions&, const WatchOptions&) = default;
};

// The watcher's argv after argv[0], and back. parse_watch_args names the bad
// argument in Problem::what.
[[nodiscard]] std::vector<std::string> watch_args(const WatchOptions& options);
[[nodiscard]] Parsed<WatchOptions> parse_watch_args(const std::vector<std::string>& args);

// The address Elasticsearch's HTTP layer listens on, from its settings, and
// the probe eslaunch derives from it (SPEC.md: profile elasticsearch).
struct EsHttpSettings {
    std::optional<std::string> bind_host;  // http.bind_host, http.host, network.bind_host or network.host
    std::string bind_host_key;             // which of them
    std::string bind_host_where;           // "FILE:LINE", or "command= (-Enetwork.host=...)"
    std::optional<std::string> port;       // http.port, as written ("9200", "9200-9300")
    std::string port_where;
    bool tls = false;                      // xpack.security.http.ssl.enabled: true
    std::string tls_where;
};
struct DefaultProbe {
    ReadyProbe probe;
    std::string why;  // "http.port 9201 (/etc/elasticsearch/elasticsearch.yml:3)", or "Elasticsearch's default HTTP port"
    std::optional<std::string> warning;  // when the settings could not be followed exactly
};
[[nodiscard]] DefaultProbe elasticsearch_default_probe(const EsHttpSettings& settings);

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
};

// What a person must change in the unit so readiness works, each a full line
// naming the unit and the line to add. Nothing when the program is not the
// unit's main process (supervisord's unit, for instance).
[[nodiscard]] std::vector<std::string> unit_warnings(const UnitInfo& unit, std::uint32_t program_pid,
                                                     const ReadyProbe& probe);

// "0.8 s", "23.4 s", "2 min 5 s".
[[nodiscard]] std::string format_elapsed(std::chrono::milliseconds elapsed);

// The line for stderr and STATUS= once ready:
// "elasticsearch ready after 23.4 s (http://127.0.0.1:9200/ -> 200)".
[[nodiscard]] std::string ready_line(const std::string& program, std::chrono::milliseconds elapsed,
                                     const std::string& probe, const std::string& result);
// While waiting: "waiting for elasticsearch: http://127.0.0.1:9200/ for 12.0 s, last: connection refused".
[[nodiscard]] std::string waiting_line(const std::string& program, std::chrono::milliseconds elapsed,
                                       const std::string& probe, const std::string& last_result);
// ready_timeout passed: "elasticsearch not ready after 15 min (http://... -> connection refused); ..."
[[nodiscard]] std::string timeout_line(const std::string& program, const Duration& timeout,
                                       const std::string& probe, const std::string& last_result);

}  // namespace eslaunch
