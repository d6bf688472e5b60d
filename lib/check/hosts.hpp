// Hosts and ports as elasticsearch.yml writes them, for the preflight and
// the cluster check.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "eslaunch/values.hpp"

namespace eslaunch {

// "[::1]" -> "::1"; anything else as written.
inline std::string strip_brackets(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return std::string{host};
}

// An IPv4 or IPv6 address written as one, brackets or not.
inline bool is_ip_literal(std::string_view host) {
    const std::string h = strip_brackets(host);
    in_addr v4{};
    in6_addr v6{};
    return ::inet_pton(AF_INET, h.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, h.c_str(), &v6) == 1;
}

// A port or a range of them: "9200", "9300-9400".
struct PortRange {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    [[nodiscard]] bool contains(std::uint64_t p) const { return p >= low && p <= high; }
    [[nodiscard]] bool meets(const PortRange& o) const { return low <= o.high && high >= o.low; }
    [[nodiscard]] std::string str() const { return low == high ? std::to_string(low) : fmt::format("{}-{}", low, high); }
};

inline std::optional<PortRange> parse_port_range(std::string_view text) {
    const std::size_t dash = text.find('-');
    auto low = parse_decimal(text.substr(0, dash));
    if (!low) return std::nullopt;
    if (dash == std::string_view::npos) return PortRange{*low, *low};
    auto high = parse_decimal(text.substr(dash + 1));
    if (!high || *high < *low) return std::nullopt;
    return PortRange{*low, *high};
}

}  // namespace eslaunch
