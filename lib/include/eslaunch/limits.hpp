// Resource limits in systemd's syntax (LimitNOFILE= and friends): `N`,
// `infinity`, or `SOFT:HARD`, with K M G T P E (powers of 1024) for the
// limits counted in bytes. A single value sets soft and hard.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "eslaunch/error.hpp"

namespace eslaunch {

enum class LimitResource { nofile, nproc, memlock, as, fsize, core };

inline constexpr std::array<LimitResource, 6> all_limit_resources = {
    LimitResource::nofile, LimitResource::nproc, LimitResource::memlock,
    LimitResource::as,     LimitResource::fsize, LimitResource::core};

inline constexpr std::uint64_t limit_infinity = std::numeric_limits<std::uint64_t>::max();

struct LimitValue {
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
    friend bool operator==(const LimitValue&, const LimitValue&) = default;
};

[[nodiscard]] std::string_view limit_key(LimitResource r);         // "limit_nofile"
[[nodiscard]] std::string_view limit_unit_directive(LimitResource r);  // "LimitNOFILE"
[[nodiscard]] std::optional<LimitResource> limit_from_key(std::string_view key);
[[nodiscard]] bool limit_counts_bytes(LimitResource r);
[[nodiscard]] int limit_rlimit_number(LimitResource r);  // RLIMIT_NOFILE ...

[[nodiscard]] Parsed<LimitValue> parse_limit(LimitResource r, std::string_view text);
[[nodiscard]] std::string format_limit_number(LimitResource r, std::uint64_t n);
[[nodiscard]] std::string format_limit(LimitResource r, LimitValue v);  // "65535" or "1024:4096"

}  // namespace eslaunch
