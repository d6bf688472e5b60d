#include "eslaunch/readiness.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

#include "text.hpp"

namespace eslaunch {
namespace {

bool is_loopback_or_any(const std::string& host) {
    if (host == "0.0.0.0" || host == "::" || host == "localhost" || host == "_local_" || host == "_local:ipv4_" ||
        host == "::1" || host == "_local:ipv6_") {
        return true;
    }
    in_addr v4{};
    return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

// 8.2+'s readiness service listens on readiness.port once the node has
// joined a cluster (a single node: once it takes requests), which says more
// than an HTTP answer. -1, Elasticsearch's default, is off; 0 binds a port
// eslaunch cannot know.
std::optional<DefaultProbe> readiness_port_probe(const EsHttpSettings& s, std::string& warning) {
    if (!s.readiness_port || *s.readiness_port == "-1") return std::nullopt;
    auto n = parse_decimal(*s.readiness_port);
    if (!n || *n < 1 || *n > 65535) {
        warning = fmt::format("{}: readiness.port '{}' is not a port eslaunch can probe; it probes HTTP instead",
                              s.readiness_port_where, cut(*s.readiness_port));
        return std::nullopt;
    }
    return DefaultProbe{ReadyProbe{ReadyProbe::Kind::tcp, "127.0.0.1", static_cast<std::uint16_t>(*n), "", {}},
                        fmt::format("readiness.port {} ({}): open once the node has joined a cluster", *n,
                                    s.readiness_port_where),
                        std::nullopt};
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

DefaultProbe elasticsearch_default_probe(const EsHttpSettings& s, std::string_view product) {
    std::string readiness_warning;
    if (auto d = readiness_port_probe(s, readiness_warning)) return *d;
    // Built whole: GCC 12 at -O3 warns (-Wrestrict, a false positive) on
    // assigning a literal to a member string of a default-built probe.
    DefaultProbe d{ReadyProbe{s.tls ? ReadyProbe::Kind::https : ReadyProbe::Kind::http, "127.0.0.1", 9200, "/", {}},
                   {}, std::nullopt};
    std::vector<std::string> why;
    std::vector<std::string> warnings;
    if (!readiness_warning.empty()) warnings.push_back(readiness_warning);

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
    if (s.tls) why.push_back(fmt::format("{} true ({})", s.tls_key, s.tls_where));
    d.why = why.empty() ? fmt::format("{}'s default HTTP port", product) : join(why, ", ");
    if (!warnings.empty()) d.warning = join(warnings, "; ");
    return d;
}

}  // namespace eslaunch
