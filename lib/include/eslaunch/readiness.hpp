// Readiness as the plan sees it: which probe a launch uses and where it came
// from, and the eslaunch-watch command line that carries it (built by plan,
// read back by the watcher). The probing and sd_notify live in the watcher
// (lib/watch), which the root-run launcher never loads.
#pragma once

#include <chrono>
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
// the probe eslaunch derives from it (eslaunch.ini(5), PROFILES).
struct EsHttpSettings {
    std::optional<std::string> bind_host;  // http.bind_host, http.host, network.bind_host or network.host
    std::string bind_host_key;             // which of them
    std::string bind_host_where;           // "FILE:LINE", or "command= (-Enetwork.host=...)"
    std::optional<std::string> port;       // http.port, as written ("9200", "9200-9300")
    std::string port_where;
    bool tls = false;                      // xpack.security.http.ssl.enabled: true
    std::string tls_where;
    std::optional<std::string> readiness_port;  // readiness.port (8.2+), as written
    std::string readiness_port_where;
    // The key `tls` came from: OpenSearch's security plugin has its own.
    std::string tls_key = "xpack.security.http.ssl.enabled";
};
struct DefaultProbe {
    ReadyProbe probe;
    // "http.port 9201 (/etc/elasticsearch/elasticsearch.yml:3)", "Elasticsearch's default HTTP port", or
    // "readiness.port 9400 (FILE:LINE): open once the node has joined a cluster"
    std::string why;
    std::optional<std::string> warning;  // when the settings could not be followed exactly
};
[[nodiscard]] DefaultProbe elasticsearch_default_probe(const EsHttpSettings& settings,
                                                     std::string_view product = "Elasticsearch");

}  // namespace eslaunch
