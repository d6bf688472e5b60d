#include "eslaunch/env_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "eslaunch/error.hpp"
#include "eslaunch/heap.hpp"

namespace eslaunch {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// The lines of `text` as sh reads them: each ends at \n only (a \r stays
// in the line, and in a value).
std::vector<std::string_view> shell_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// The length of the shell name at the start of `s` (is_env_name's rule), or 0.
std::size_t name_length(std::string_view s) {
    constexpr std::string_view name_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    const std::size_t end = std::min(s.find_first_not_of(name_chars), s.size());
    return is_env_name(s.substr(0, end)) ? end : 0;
}

// Why a `$` at the start of `s` cannot be read statically.
std::string dollar_why(std::string_view s) {
    if (s.starts_with("$((")) return "arithmetic expansion ($((...)))";
    if (s.starts_with("$(")) return "command substitution ($(...)): its value is known only when it runs";
    return "parameter expansion ($NAME, ${...}): its value depends on the shell running it";
}

constexpr std::string_view backquote_why = "command substitution (`...`): its value is known only when it runs";

// One value, as sh assigns it: the value, and `rest` after it; or why not.
struct ShellValue {
    std::string value;
    std::string_view rest;
    std::string why;
};

// "..." at s[0]: \" \\ \$ \` are escapes, any other \ stays; $ and ` are refused.
bool take_double_quoted(std::string_view& s, ShellValue& v) {
    for (std::size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"') {
            s.remove_prefix(i + 1);
            return true;
        }
        if (c == '$') v.why = dollar_why(s.substr(i));
        else if (c == '`') v.why = backquote_why;
        else if (c == '\\' && i + 1 == s.size()) v.why = "a line continuation (\\ at the end of the line)";
        if (!v.why.empty()) return false;
        if (c == '\\' && std::string_view{"\"\\$`"}.find(s[i + 1]) != std::string_view::npos) {
            v.value += s[++i];
        } else {
            v.value += c;
        }
    }
    v.why = "a double quote that does not close on this line";
    return false;
}

ShellValue read_value(std::string_view s) {
    ShellValue v;
    while (!s.empty() && !is_blank(s.front())) {
        const char c = s.front();
        if (c == '\'') {
            const std::size_t close = s.find('\'', 1);
            if (close == std::string_view::npos) return {{}, {}, "a single quote that does not close on this line"};
            v.value.append(s.substr(1, close - 1));
            s.remove_prefix(close + 1);
            continue;
        }
        if (c == '"') {
            if (!take_double_quoted(s, v)) return v;
            continue;
        }
        if (c == '$') return {{}, {}, dollar_why(s)};
        if (c == '`') return {{}, {}, std::string{backquote_why}};
        if (c == '\\') return {{}, {}, "a backslash outside quotes (an escape, or a line continuation)"};
        if (c == '~' && (v.value.empty() || v.value.back() == ':')) return {{}, {}, "tilde expansion (~)"};
        if (std::string_view{";&|<>()"}.find(c) != std::string_view::npos) {
            return {{}, {}, fmt::format("'{}': more than an assignment (a list, a pipe, a redirection)", c)};
        }
        v.value += c;
        s.remove_prefix(1);
    }
    v.rest = s;
    return v;
}

// Why a line that assigns nothing cannot be read, by its first word.
std::string command_why(std::string_view word) {
    static constexpr std::string_view control[] = {"if",   "then", "else", "elif", "fi",       "for", "while",
                                                   "until", "do",  "done", "case", "esac",     "{",   "}",
                                                   "[",     "[[",  "function", "select", "!"};
    if (std::find(std::begin(control), std::end(control), word) != std::end(control)) {
        return "control flow: what it assigns depends on how it runs";
    }
    if (word == "source" || word == ".") return "it sources another file";
    if (word.size() > 1 && word.ends_with("()")) return "a function definition";
    return "a command: what it does is known only when it runs";
}

std::string first_word(std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && !is_blank(s[n]) && s[n] != ';') ++n;
    return std::string{s.substr(0, n == 0 ? std::min<std::size_t>(1, s.size()) : n)};
}

// `export NAME...` without `=` marks variables and assigns none: the
// names, or none when `s` is not only names.
std::vector<std::string> only_names(std::string_view s) {
    std::vector<std::string> names;
    for (s = trim_blanks(s); !s.empty(); s = trim_blanks(s.substr(names.back().size()))) {
        const std::size_t n = name_length(s);
        if (n == 0 || (n < s.size() && !is_blank(s[n]))) return {};
        names.emplace_back(s.substr(0, n));
    }
    return names;
}

// One line that is neither blank nor a comment: an assignment, or why not.
void read_line(std::string_view line, int number, EnvFileText& out) {
    const std::string text = cut(line, 120);
    auto refuse = [&](std::string name, std::string why) {
        out.unreadable.push_back({number, std::move(name), text, std::move(why)});
    };
    if (line.find('\r') != std::string_view::npos) return refuse({}, "a carriage return (DOS line ends): sh keeps it");
    std::string_view s = line;
    const bool exported = s.starts_with("export") && s.size() > 6 && is_blank(s[6]);
    if (exported) s = trim_blanks(s.substr(6));
    const std::size_t n = name_length(s);
    if (n == 0 || n == s.size() || s[n] != '=') {
        if (std::vector<std::string> names = exported ? only_names(s) : std::vector<std::string>{}; !names.empty()) {
            out.exported.insert(out.exported.end(), names.begin(), names.end());
            return;
        }
        if (n > 0 && s.substr(n).starts_with("+=")) return refuse(std::string{s.substr(0, n)}, "bash's += (appends)");
        return refuse({}, command_why(exported ? std::string_view{"export"} : first_word(s)));
    }
    const std::string name{s.substr(0, n)};
    ShellValue v = read_value(s.substr(n + 1));
    if (!v.why.empty()) return refuse(name, std::move(v.why));
    const std::string_view rest = trim_blanks(v.rest);
    if (!rest.empty() && rest.front() != '#') {
        return refuse(name, "more than one word: a command run with the variable, or several assignments");
    }
    if (exported) out.exported.push_back(name);
    out.assignments.push_back({name, std::move(v.value), number});
}

// `source FILE` / `. FILE` with FILE an absolute literal path (quoted or
// not); nullopt for anything else.
std::optional<std::string> sourced_path(std::string_view line) {
    std::string_view s = line;
    if (s.starts_with("source") && s.size() > 6 && is_blank(s[6])) s.remove_prefix(6);
    else if (s.starts_with(".") && s.size() > 1 && is_blank(s[1])) s.remove_prefix(1);
    else return std::nullopt;
    s = trim_blanks(s);
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
        s = s.substr(1, s.size() - 2);
    }
    if (!s.starts_with('/') || s.find_first_of(" \t$`\\\"';&|<>()*?[") != std::string_view::npos) return std::nullopt;
    return std::string{s};
}

}  // namespace

std::string_view layout_name(EsLayout::Kind k) {
    switch (k) {
        case EsLayout::Kind::archive: return "archive";
        case EsLayout::Kind::package: return "package";
        case EsLayout::Kind::unknown: return "unknown";
    }
    return {};
}

EsLayout es_layout_of(std::string_view elasticsearch_env, std::string_view conf_variable) {
    const std::string archive_default = fmt::format("if [ -z \"${0}\" ]; then {0}=", conf_variable);
    EsLayout found;
    int number = 0;
    int archive_line = 0;
    for (std::string_view raw : shell_lines(elasticsearch_env)) {
        ++number;
        const std::string_view line = trim_blanks(raw);
        if (line.starts_with(archive_default) && archive_line == 0) archive_line = number;
        if (line.find("source.path.env") != std::string_view::npos) {
            return {EsLayout::Kind::unknown, {}, number, "its source.path.env line is still the build's template"};
        }
        auto path = sourced_path(line);
        if (!path) continue;
        if (found.kind == EsLayout::Kind::package && found.env_file != *path) {
            return {EsLayout::Kind::unknown, {}, number,
                    fmt::format("it sources both {} (line {}) and {}", found.env_file, found.line, *path)};
        }
        if (found.kind != EsLayout::Kind::package) found = {EsLayout::Kind::package, *path, number, {}};
    }
    if (found.kind == EsLayout::Kind::package && archive_line != 0) {
        return {EsLayout::Kind::unknown, {}, archive_line,
                fmt::format("it sources {} (line {}) and has the archives' {} default", found.env_file,
                            found.line, conf_variable)};
    }
    if (found.kind == EsLayout::Kind::package) return found;
    if (archive_line != 0) return {EsLayout::Kind::archive, {}, archive_line, {}};
    return {EsLayout::Kind::unknown, {}, 0,
            fmt::format("it has neither a package's `source FILE` line nor the archives' {} default", conf_variable)};
}

const EnvAssignment* EnvFileText::last(std::string_view name) const {
    for (auto it = assignments.rbegin(); it != assignments.rend(); ++it) {
        if (it->name == name) return &*it;
    }
    return nullptr;
}

const EnvFileProblem* EnvFileText::unreadable_assignment(std::string_view name, int after) const {
    for (auto it = unreadable.rbegin(); it != unreadable.rend(); ++it) {
        if (it->name == name && it->line > after) return &*it;
    }
    return nullptr;
}

EnvFileText parse_env_file(std::string_view text) {
    EnvFileText out;
    int number = 0;
    for (std::string_view raw : shell_lines(text)) {
        ++number;
        const std::string_view line = trim_blanks(raw);
        if (line.empty() || line.front() == '#') continue;
        read_line(line, number, out);
    }
    return out;
}

}  // namespace eslaunch
