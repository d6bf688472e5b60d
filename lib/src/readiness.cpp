#include "eslaunch/readiness.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

namespace eslaunch {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool is_loopback_or_any(const std::string& host) {
    if (host == "0.0.0.0" || host == "::" || host == "localhost" || host == "_local_" || host == "_local:ipv4_" ||
        host == "::1" || host == "_local:ipv6_") {
        return true;
    }
    in_addr v4{};
    return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

}  // namespace

std::vector<std::string> watch_args(const WatchOptions& o) {
    std::vector<std::string> a{"--program", o.program, "--ready", o.probe.str()};
    a.insert(a.end(), {"--expect", format_status_list(o.expect), "--timeout", o.timeout.str(), "--interval",
                       o.interval.str()});
    if (o.ca) a.insert(a.end(), {"--ca", *o.ca});
    if (o.insecure) a.emplace_back("--insecure");
    if (o.user) a.insert(a.end(), {"--user", *o.user});
    if (o.password_file) a.insert(a.end(), {"--password-file", *o.password_file});
    if (o.watchdog) a.emplace_back("--watchdog");
    return a;
}

Parsed<WatchOptions> parse_watch_args(const std::vector<std::string>& args) {
    WatchOptions o;
    bool have_program = false, have_ready = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--insecure") { o.insecure = true; continue; }
        if (arg == "--watchdog") { o.watchdog = true; continue; }
        if (i + 1 == args.size()) return problem(fmt::format("{}: missing its value, or unknown", arg));
        const std::string& v = args[++i];
        auto bad = [&](const Problem& p) { return problem(fmt::format("{} {}: {}", arg, v, p.what), p.hint); };
        if (arg == "--program") {
            o.program = v;
            have_program = true;
        } else if (arg == "--ready") {
            auto p = parse_ready(v);
            if (!p) return bad(p.error());
            o.probe = std::move(*p);
            have_ready = true;
        } else if (arg == "--expect") {
            auto e = parse_status_list(v);
            if (!e) return bad(e.error());
            o.expect = std::move(*e);
        } else if (arg == "--timeout" || arg == "--interval") {
            auto d = parse_duration(v, arg == "--timeout");
            if (!d) return bad(d.error());
            (arg == "--timeout" ? o.timeout : o.interval) = *d;
        } else if (arg == "--ca") {
            o.ca = v;
        } else if (arg == "--user") {
            o.user = v;
        } else if (arg == "--password-file") {
            o.password_file = v;
        } else {
            return problem(fmt::format("unknown argument {}", arg));
        }
    }
    if (!have_program || !have_ready) return problem("--program and --ready are required");
    return o;
}

DefaultProbe elasticsearch_default_probe(const EsHttpSettings& s) {
    DefaultProbe d;
    d.probe.kind = s.tls ? ReadyProbe::Kind::https : ReadyProbe::Kind::http;
    d.probe.host = "127.0.0.1";
    d.probe.port = 9200;
    d.probe.path = "/";
    std::vector<std::string> why;
    std::vector<std::string> warnings;

    if (s.port) {
        // A range ("9200-9300"): Elasticsearch takes the first free port in it.
        const std::string first = s.port->substr(0, s.port->find('-'));
        auto n = parse_decimal(first);
        if (n && *n >= 1 && *n <= 65535) {
            d.probe.port = static_cast<std::uint16_t>(*n);
            why.push_back(fmt::format("http.port {} ({})", cut(*s.port), s.port_where));
            if (first.size() != s.port->size()) {
                warnings.push_back(fmt::format("{}: http.port is the range {}: eslaunch probes its first port, {}; "
                                               "set ready= if the node may bind another",
                                               s.port_where, cut(*s.port), first));
            }
        } else {
            warnings.push_back(
                fmt::format("{}: http.port '{}' is not a port; eslaunch probes 9200", s.port_where, cut(*s.port)));
        }
    }
    if (s.bind_host && !is_loopback_or_any(*s.bind_host)) {
        if (s.bind_host->size() > 253) {  // longer than any DNS name: no address to probe
            warnings.push_back(fmt::format("{}: {} '{}' is no address; eslaunch probes 127.0.0.1", s.bind_host_where,
                                           s.bind_host_key, cut(*s.bind_host)));
        } else if (s.bind_host->starts_with('_')) {
            // _site_, _global_, _eth0_: Elasticsearch resolves these itself at start.
            warnings.push_back(fmt::format("{}: {} is {}: eslaunch cannot tell that address and probes 127.0.0.1, "
                                           "which the node may not answer on; set ready= to the address it binds",
                                           s.bind_host_where, s.bind_host_key, cut(*s.bind_host)));
        } else {
            d.probe.host = *s.bind_host;
            why.push_back(fmt::format("{} {} ({})", s.bind_host_key, *s.bind_host, s.bind_host_where));
        }
    } else if (s.bind_host && (*s.bind_host == "::1" || *s.bind_host == "_local:ipv6_")) {
        d.probe.host = "::1";
        why.push_back(fmt::format("{} {} ({})", s.bind_host_key, *s.bind_host, s.bind_host_where));
    }
    if (s.tls) why.push_back(fmt::format("xpack.security.http.ssl.enabled true ({})", s.tls_where));
    d.why = why.empty() ? std::string{"Elasticsearch's default HTTP port"} : fmt::format("{}", fmt::join(why, ", "));
    if (!warnings.empty()) d.warning = fmt::format("{}", fmt::join(warnings, "; "));
    return d;
}

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
