#include "eslaunch/limits.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include "eslaunch/values.hpp"

namespace eslaunch {
namespace {

struct LimitInfo {
    LimitResource resource;
    std::string_view key;
    std::string_view directive;
    bool bytes;
    int rlimit;  // RLIMIT_*
};

constexpr std::array<LimitInfo, 6> limit_table = {{
    {LimitResource::nofile, "limit_nofile", "LimitNOFILE", false, RLIMIT_NOFILE},
    {LimitResource::nproc, "limit_nproc", "LimitNPROC", false, RLIMIT_NPROC},
    {LimitResource::memlock, "limit_memlock", "LimitMEMLOCK", true, RLIMIT_MEMLOCK},
    {LimitResource::as, "limit_as", "LimitAS", true, RLIMIT_AS},
    {LimitResource::fsize, "limit_fsize", "LimitFSIZE", true, RLIMIT_FSIZE},
    {LimitResource::core, "limit_core", "LimitCORE", true, RLIMIT_CORE},
}};

const LimitInfo& info(LimitResource r) {
    for (const auto& i : limit_table) {
        if (i.resource == r) return i;
    }
    return limit_table[0];
}

Parsed<std::uint64_t> parse_one(LimitResource r, std::string_view text, std::string_view whole) {
    const std::string hint =
        limit_counts_bytes(r)
            ? "write a number with an optional K, M, G, T suffix (powers of 1024), infinity, or SOFT:HARD"
            : "write a number, infinity, or SOFT:HARD (e.g. 65535 or 65535:65535)";
    if (text == "infinity") return limit_infinity;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    auto number = parse_decimal(text.substr(0, digits));
    if (!number) return problem(fmt::format("'{}' is not a limit", cut(whole)), hint);
    std::string_view suffix = text.substr(digits);
    if (suffix.empty()) return *number;
    if (!limit_counts_bytes(r)) {
        return problem(fmt::format("'{}': {} counts {}, not bytes, so it takes no suffix", cut(whole), limit_key(r),
                                   r == LimitResource::nofile ? "files" : "processes"),
                       hint);
    }
    static constexpr std::string_view suffixes = "KMGTPE";
    const std::size_t power = suffixes.find(suffix.size() == 1 ? suffix[0] : '?');
    if (power == std::string_view::npos) {
        return problem(fmt::format("'{}' has an unknown suffix '{}'", cut(whole), cut(suffix)), hint);
    }
    std::uint64_t scaled = *number;
    for (std::size_t k = 0; k <= power; ++k) {
        if (scaled > limit_infinity / 1024) return problem(fmt::format("'{}' is too large", cut(whole)), hint);
        scaled *= 1024;
    }
    return scaled;
}

}  // namespace

std::string_view limit_key(LimitResource r) { return info(r).key; }
std::string_view limit_unit_directive(LimitResource r) { return info(r).directive; }
bool limit_counts_bytes(LimitResource r) { return info(r).bytes; }
int limit_rlimit_number(LimitResource r) { return info(r).rlimit; }

std::optional<LimitResource> limit_from_key(std::string_view key) {
    for (const auto& i : limit_table) {
        if (i.key == key) return i.resource;
    }
    return std::nullopt;
}

Parsed<LimitValue> parse_limit(LimitResource r, std::string_view text) {
    const std::size_t colon = text.find(':');
    auto soft = parse_one(r, text.substr(0, colon), text);
    if (!soft) return Unexpected<Problem>{soft.error()};
    if (colon == std::string_view::npos) return LimitValue{*soft, *soft};
    auto hard = parse_one(r, text.substr(colon + 1), text);
    if (!hard) return Unexpected<Problem>{hard.error()};
    if (*soft > *hard) {
        return problem(fmt::format("'{}': the soft limit is above the hard limit", cut(text)),
                       "write SOFT:HARD with SOFT at most HARD");
    }
    return LimitValue{*soft, *hard};
}

std::string format_limit_number(LimitResource r, std::uint64_t n) {
    if (n == limit_infinity) return "infinity";
    if (limit_counts_bytes(r) && n != 0) {
        static constexpr std::string_view suffixes = "EPTGMK";
        for (std::size_t k = 0; k < suffixes.size(); ++k) {
            const std::uint64_t unit = std::uint64_t{1} << (10 * (6 - k));
            if (n % unit == 0) return fmt::format("{}{}", n / unit, suffixes[k]);
        }
    }
    return fmt::format("{}", n);
}

std::string format_limit(LimitResource r, LimitValue v) {
    if (v.soft == v.hard) return format_limit_number(r, v.soft);
    return format_limit_number(r, v.soft) + ":" + format_limit_number(r, v.hard);
}

}  // namespace eslaunch
