// The value syntaxes of eslaunch.ini(5) that are not limits or heap sizes: booleans,
// durations, umask, user and group references, HTTP status lists, ready
// probes, and the POSIX word splitting of `command=`. Pure functions: text in,
// value or Problem out; the spec layer adds FILE:LINE and the key.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/error.hpp"

namespace eslaunch {

// true false yes no on off 1 0, any case (as supervisord's boolean()).
[[nodiscard]] Parsed<bool> parse_bool(std::string_view text);

struct Duration {
    std::optional<std::chrono::milliseconds> value;  // nullopt: infinity
    [[nodiscard]] bool infinite() const { return !value.has_value(); }
    [[nodiscard]] std::string str() const;  // canonical: 500ms, 90s, 15min, 2h, infinity
    friend bool operator==(const Duration&, const Duration&) = default;
};

// `500ms`, `90s`, `15min`, `2h`, a bare number of seconds, or `infinity`
// when allow_infinity. Zero is refused: it means nothing useful here.
[[nodiscard]] Parsed<Duration> parse_duration(std::string_view text, bool allow_infinity);

// Octal, at most 0777, as supervisord's octal_type reads it (no 0o prefix).
[[nodiscard]] Parsed<mode_t> parse_umask(std::string_view text);
[[nodiscard]] std::string format_umask(mode_t mask);

// A user or group: a name, or a number (uid/gid). Looked up later, by `host`.
struct IdRef {
    std::string text;
    std::optional<std::uint32_t> id;  // set when text is numeric
    friend bool operator==(const IdRef&, const IdRef&) = default;
};
enum class IdKind { user, group };
[[nodiscard]] Parsed<IdRef> parse_id_ref(std::string_view text, IdKind kind);

// `200,401`, `200-499`: HTTP statuses, 100..599.
struct StatusRange {
    int low = 0;
    int high = 0;
    friend bool operator==(const StatusRange&, const StatusRange&) = default;
};
[[nodiscard]] Parsed<std::vector<StatusRange>> parse_status_list(std::string_view text);
[[nodiscard]] std::string format_status_list(const std::vector<StatusRange>& ranges);

struct ReadyProbe {
    enum class Kind { none, native, tcp, http, https, exec };
    Kind kind = Kind::none;
    std::string host;  // tcp/http/https; an IPv6 literal without brackets
    std::uint16_t port = 0;
    std::string path;               // http/https, starts with '/'
    std::vector<std::string> argv;  // exec
    [[nodiscard]] std::string str() const;  // canonical text
    friend bool operator==(const ReadyProbe&, const ReadyProbe&) = default;
};
[[nodiscard]] Parsed<ReadyProbe> parse_ready(std::string_view text);

// Splits like Python's shlex.split(), which supervisord uses for command=:
// POSIX quoting, backslash escapes outside single quotes, no comments, no
// expansion of $VAR or globs.
[[nodiscard]] Parsed<std::vector<std::string>> split_command(std::string_view text);

// Quotes a word for display so that split_command reads it back unchanged.
[[nodiscard]] std::string quote_word(std::string_view word);
[[nodiscard]] std::string join_words(const std::vector<std::string>& words);

// ASCII letters to lower case; other bytes (UTF-8 too) unchanged.
[[nodiscard]] std::string ascii_lower(std::string_view text);

// Strict unsigned decimal: the whole string, no sign, no spaces.
[[nodiscard]] std::optional<std::uint64_t> parse_decimal(std::string_view text);

}  // namespace eslaunch
