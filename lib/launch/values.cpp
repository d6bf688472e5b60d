#include "eslaunch/values.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace eslaunch {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::string ascii_lower(std::string_view s) {
    std::string out{s};
    for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return out;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return value;
}

Parsed<bool> parse_bool(std::string_view text) {
    const std::string v = ascii_lower(text);
    if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
    if (v == "false" || v == "no" || v == "off" || v == "0") return false;
    return problem(fmt::format("'{}' is not a boolean", cut(text)), "write true or false (also yes/no, on/off, 1/0)");
}

std::string Duration::str() const {
    if (!value) return "infinity";
    const auto ms = value->count();
    if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
    if (ms % 60'000 == 0) return fmt::format("{}min", ms / 60'000);
    if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
    return fmt::format("{}ms", ms);
}

Parsed<Duration> parse_duration(std::string_view text, bool allow_infinity) {
    const char* hint = allow_infinity ? "write a number with ms, s, min or h (e.g. 500ms, 90s, 15min), or infinity"
                                      : "write a number with ms, s, min or h (e.g. 500ms, 90s, 15min)";
    if (text == "infinity") {
        if (allow_infinity) return Duration{};
        return problem("infinity is not allowed here", hint);
    }
    std::size_t digits = 0;
    while (digits < text.size() && is_digit(text[digits])) ++digits;
    auto number = parse_decimal(text.substr(0, digits));
    if (!number) return problem(fmt::format("'{}' is not a duration", cut(text)), hint);
    const std::string_view unit = text.substr(digits);
    std::uint64_t scale = 0;
    if (unit.empty() || unit == "s") scale = 1000;
    else if (unit == "ms") scale = 1;
    else if (unit == "min") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    else return problem(fmt::format("'{}' has an unknown unit '{}'", cut(text), cut(unit)), hint);
    constexpr std::uint64_t max_ms = std::uint64_t{100} * 365 * 24 * 3'600'000;  // a century
    if (*number > max_ms / scale) return problem(fmt::format("'{}' is too long", cut(text)), hint);
    if (*number == 0) return problem(fmt::format("'{}' is zero", cut(text)), hint);
    return Duration{std::chrono::milliseconds{static_cast<std::int64_t>(*number * scale)}};
}

Parsed<mode_t> parse_umask(std::string_view text) {
    const char* hint = "write an octal mask such as 022 or 027";
    if (text.empty() || text.size() > 4 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        return problem(fmt::format("'{}' is not an octal umask", cut(text)), hint);
    }
    unsigned value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value, 8);
    if (value > 0777) return problem(fmt::format("'{}' is above 0777", cut(text)), hint);
    return static_cast<mode_t>(value);
}

std::string format_umask(mode_t mask) { return fmt::format("{:04o}", static_cast<unsigned>(mask)); }

Parsed<IdRef> parse_id_ref(std::string_view text, IdKind kind) {
    const char* what = kind == IdKind::user ? "user" : "group";
    const std::string hint = fmt::format("write a {0} name (letters, digits, '.', '_', '-') or a numeric {1}", what,
                                         kind == IdKind::user ? "uid" : "gid");
    if (auto number = parse_decimal(text)) {
        if (*number >= std::numeric_limits<std::uint32_t>::max()) {
            return problem(fmt::format("{} id {} is out of range", what, text), hint);
        }
        return IdRef{std::string{text}, static_cast<std::uint32_t>(*number)};
    }
    std::string_view name = text;
    if (!name.empty() && name.back() == '$') name.remove_suffix(1);  // Samba machine accounts
    const bool ok = !name.empty() && text.size() <= 32 && name.front() != '-' && name.front() != '.' &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                        return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.';
                    });
    if (!ok) return problem(fmt::format("'{}' is not a valid {} name", cut(text), what), hint);
    return IdRef{std::string{text}, std::nullopt};
}

Parsed<std::vector<StatusRange>> parse_status_list(std::string_view text) {
    const char* hint = "write HTTP statuses or ranges between 100 and 599, e.g. 200,401 or 200-499";
    std::vector<StatusRange> ranges;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
        const std::size_t dash = item.find('-');
        auto low = parse_decimal(item.substr(0, dash));
        auto high = dash == std::string_view::npos ? low : parse_decimal(item.substr(dash + 1));
        if (!low || !high) return problem(fmt::format("'{}' in '{}' is not a status or range", cut(item), cut(text)), hint);
        if (*low < 100 || *high > 599 || *low > *high) {
            return problem(fmt::format("'{}' in '{}' is outside 100-599 or backwards", cut(item), cut(text)), hint);
        }
        ranges.push_back({static_cast<int>(*low), static_cast<int>(*high)});
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return ranges;
}

std::string format_status_list(const std::vector<StatusRange>& ranges) {
    std::string out;
    for (const auto& r : ranges) {
        if (!out.empty()) out += ',';
        out += r.low == r.high ? fmt::format("{}", r.low) : fmt::format("{}-{}", r.low, r.high);
    }
    return out;
}

std::string ReadyProbe::str() const {
    auto host_text = [this] { return host.find(':') != std::string::npos ? "[" + host + "]" : host; };
    switch (kind) {
        case Kind::none: return "none";
        case Kind::native: return "native";
        case Kind::tcp: return fmt::format("tcp://{}:{}", host_text(), port);
        case Kind::http: return fmt::format("http://{}:{}{}", host_text(), port, path);
        case Kind::https: return fmt::format("https://{}:{}{}", host_text(), port, path);
        case Kind::exec: return "exec:" + join_words(argv);
    }
    return {};
}

namespace {

constexpr const char* ready_hint =
    "write none, native, tcp://HOST:PORT, http://HOST:PORT/PATH, https://HOST:PORT/PATH or exec:COMMAND";

// exec:COMMAND, split as supervisord splits command=.
Parsed<ReadyProbe> exec_probe(std::string_view command) {
    auto argv = split_command(command);
    if (!argv) return problem(fmt::format("ready command: {}", argv.error().what), argv.error().hint);
    if (argv->empty()) return problem("'exec:' has no command", "write exec:/path/to/check [ARGS]");
    ReadyProbe probe;
    probe.kind = ReadyProbe::Kind::exec;
    probe.argv = std::move(*argv);
    return probe;
}

// The path, from the first '/' after the scheme: none for tcp://, "/" when
// not written. Control characters too are refused: the path goes into the
// request line as it is.
std::optional<Problem> probe_path(std::string_view text, std::string_view rest, ReadyProbe& probe) {
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
        if (probe.kind != ReadyProbe::Kind::tcp) probe.path = "/";
        return std::nullopt;
    }
    if (probe.kind == ReadyProbe::Kind::tcp) {
        return Problem{fmt::format("'{}': a tcp:// probe has no path", cut(text)), "write tcp://HOST:PORT"};
    }
    probe.path = std::string{rest.substr(slash)};
    if (probe.path.find_first_of(" \"<>\\^`{|}") != std::string::npos ||
        std::any_of(probe.path.begin(), probe.path.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
        return Problem{fmt::format("'{}': the path has characters a URL may not hold", cut(text)),
                       "percent-encode them (%20 for a space)"};
    }
    return std::nullopt;
}

// [ADDRESS]:PORT: an IPv6 literal, and the port's text after it.
std::optional<Problem> probe_ipv6_host(std::string_view text, std::string_view authority, ReadyProbe& probe,
                                       std::string_view& port_text) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Problem{fmt::format("'{}': unclosed '[' in the host", cut(text)), ready_hint};
    probe.host = std::string{authority.substr(1, close - 1)};
    in6_addr addr{};
    if (inet_pton(AF_INET6, probe.host.c_str(), &addr) != 1) {
        return Problem{fmt::format("'{}': '{}' is not an IPv6 address", cut(text), cut(probe.host)),
                       "write an IPv6 literal in brackets, e.g. http://[::1]:9200/"};
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
        if (after.front() != ':') return Problem{fmt::format("'{}': text after ']'", cut(text)), ready_hint};
        port_text = after.substr(1);
    }
    return std::nullopt;
}

// HOST:PORT: a host name or IPv4 address, and the port's text after it.
std::optional<Problem> probe_host_name(std::string_view text, std::string_view authority, ReadyProbe& probe,
                                       std::string_view& port_text) {
    const std::size_t colon = authority.find(':');
    probe.host = std::string{authority.substr(0, colon)};
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    const bool host_ok = !probe.host.empty() && std::all_of(probe.host.begin(), probe.host.end(), [](char c) {
        return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_';
    });
    if (!host_ok) {
        return Problem{fmt::format("'{}': '{}' is not a host name or address", cut(text), cut(probe.host)),
                       "write a host name, an IPv4 address, or an IPv6 address in brackets"};
    }
    return std::nullopt;
}

// The port written, else the scheme's (tcp:// has none).
std::optional<Problem> probe_port(std::string_view text, std::string_view authority, std::string_view port_text,
                                  ReadyProbe& probe) {
    if (!port_text.empty() || authority.ends_with(':')) {
        auto port = parse_decimal(port_text);
        if (!port || *port == 0 || *port > 65535) {
            return Problem{fmt::format("'{}': port '{}' is not between 1 and 65535", cut(text), cut(port_text)),
                           ready_hint};
        }
        probe.port = static_cast<std::uint16_t>(*port);
    } else if (probe.kind == ReadyProbe::Kind::tcp) {
        return Problem{fmt::format("'{}' has no port", cut(text)), "write tcp://HOST:PORT"};
    }
    return std::nullopt;
}

}  // namespace

// A scheme, then the URL's parts in order: path, credentials (refused),
// host, port.
Parsed<ReadyProbe> parse_ready(std::string_view text) {
    ReadyProbe probe;
    if (text == "none") return probe;
    if (text == "native") {
        probe.kind = ReadyProbe::Kind::native;
        return probe;
    }
    if (text.starts_with("exec:")) return exec_probe(text.substr(5));
    std::string_view rest;
    if (text.starts_with("tcp://")) { probe.kind = ReadyProbe::Kind::tcp; rest = text.substr(6); }
    else if (text.starts_with("http://")) { probe.kind = ReadyProbe::Kind::http; rest = text.substr(7); probe.port = 80; }
    else if (text.starts_with("https://")) { probe.kind = ReadyProbe::Kind::https; rest = text.substr(8); probe.port = 443; }
    else return problem(fmt::format("'{}' is not a ready probe", cut(text)), ready_hint);

    if (auto bad = probe_path(text, rest, probe)) return Unexpected{std::move(*bad)};
    const std::string_view authority = rest.substr(0, rest.find('/'));
    if (authority.find('@') != std::string_view::npos) {
        return problem(fmt::format("'{}' holds credentials", cut(text)),
                       "use ready_user= and ready_password_file= so the password stays out of the spec and the process list");
    }
    std::string_view port_text;
    auto bad = authority.starts_with('[') ? probe_ipv6_host(text, authority, probe, port_text)
                                          : probe_host_name(text, authority, probe, port_text);
    if (!bad) bad = probe_port(text, authority, port_text, probe);
    if (bad) return Unexpected{std::move(*bad)};
    return probe;
}

Parsed<std::vector<std::string>> split_command(std::string_view text) {
    // A transcription of shlex.shlex(posix=True, whitespace_split=True) with
    // no commenters: states ' ' (between words), 'a' (in a word), '"', '\''.
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;  // a word is open (possibly empty, from "")
    char quote = 0;
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quote == '\'') {
            if (c == '\'') quote = 0;
            else word += c;
            continue;
        }
        if (quote == '"') {
            if (c == '"') {
                quote = 0;
            } else if (c == '\\') {
                if (i + 1 == text.size()) break;  // reported as unclosed below
                const char next = text[++i];
                if (next != '"' && next != '\\') word += '\\';  // shlex keeps it before other chars
                word += next;
            } else {
                word += c;
            }
            continue;
        }
        if (is_space(c)) {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (c == '\\') {
            if (i + 1 == text.size()) {
                return problem("the command ends with a lone backslash", "remove it, or write \\\\ for a backslash");
            }
            word += text[++i];
            in_word = true;
        } else if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (quote != 0) {
        return problem(fmt::format("the command has an unclosed {} quote", quote == '"' ? "double" : "single"),
                       "close the quote (supervisord refuses it too)");
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

std::string quote_word(std::string_view word) {
    const bool safe = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return is_alpha(c) || is_digit(c) || std::string_view{"@%+=:,./-_"}.find(c) != std::string_view::npos;
    });
    if (safe) return std::string{word};
    std::string out = "'";
    for (char c : word) {
        if (c == '\'') out += "'\"'\"'";
        else out += c;
    }
    out += '\'';
    return out;
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += ' ';
        out += quote_word(w);
    }
    return out;
}

}  // namespace eslaunch
