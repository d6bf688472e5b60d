#include "eslaunch/ini.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "text.hpp"

namespace eslaunch {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view strip(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

// Length of the UTF-8 sequence at s[i] and its code point, or nullopt when
// the bytes are not well-formed UTF-8 (overlong, surrogate, > U+10FFFF).
std::optional<std::pair<std::size_t, char32_t>> decode_utf8(std::string_view s, std::size_t i) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return std::pair{std::size_t{1}, char32_t{b}};
    std::size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b & 0xE0) == 0xC0) { len = 2; cp = b & 0x1F; min = 0x80; }
    else if ((b & 0xF0) == 0xE0) { len = 3; cp = b & 0x0F; min = 0x800; }
    else if ((b & 0xF8) == 0xF0) { len = 4; cp = b & 0x07; min = 0x10000; }
    else return std::nullopt;
    if (i + len > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
        auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    return std::pair{len, cp};
}

// Python's str.isspace() beyond ASCII space and tab: configparser strips
// these and counts them as indentation, which no reader of the file sees.
std::optional<std::string_view> odd_space_name(char32_t cp) {
    switch (cp) {
        case 0x85: return "next line (U+0085)";
        case 0xA0: return "no-break space (U+00A0)";
        case 0x1680: return "ogham space mark (U+1680)";
        case 0x2028: return "line separator (U+2028)";
        case 0x2029: return "paragraph separator (U+2029)";
        case 0x202F: return "narrow no-break space (U+202F)";
        case 0x205F: return "medium mathematical space (U+205F)";
        case 0x3000: return "ideographic space (U+3000)";
        default: break;
    }
    if (cp >= 0x2000 && cp <= 0x200A) return "a Unicode space (U+2000..U+200A)";
    return std::nullopt;
}

// File-level checks that need every byte: NUL, UTF-8, BOM, control chars.
Errors check_bytes(std::string_view text, const std::string& path) {
    Errors errors;
    int line = 1;
    for (std::size_t i = 0; i < text.size();) {
        unsigned char b = static_cast<unsigned char>(text[i]);
        if (b == '\n') { ++line; ++i; continue; }
        if (b == '\r') {
            // Python reads \r\n and a lone \r as line ends (universal newlines).
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
            ++line; ++i; continue;
        }
        if (b == 0) {
            errors.push_back({status::config, path, line, "NUL byte in the file",
                              "a spec is a text file; check that this is the file you meant"});
            return errors;
        }
        auto decoded = decode_utf8(text, i);
        if (!decoded) {
            errors.push_back({status::config, path, line,
                              fmt::format("invalid UTF-8 (byte 0x{:02x})", b),
                              "save the file as UTF-8"});
            return errors;
        }
        auto [len, cp] = *decoded;
        if (cp == 0xFEFF) {
            errors.push_back({status::config, path, line, "byte order mark (U+FEFF) in the file",
                              "remove it: supervisord then fails to find the first section header"});
            return errors;
        }
        if ((cp < 0x20 && cp != '\t') || cp == 0x7F) {
            errors.push_back({status::config, path, line,
                              fmt::format("control character 0x{:02x}", static_cast<unsigned>(cp)),
                              "remove it; only tabs, spaces and printable text belong in a spec"});
            return errors;
        }
        if (auto name = odd_space_name(cp)) {
            errors.push_back({status::config, path, line, fmt::format("{} in the file", *name),
                              "use a plain space: supervisord treats it as whitespace, a reader does not see it"});
            return errors;
        }
        i += len;
    }
    return errors;
}

// Where configparser's inline-comment rule ends the line's content: the first
// `;` or `#` at column 0 or after whitespace; npos when there is none.
std::size_t comment_start(std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
        if ((line[i] == ';' || line[i] == '#') && (i == 0 || is_blank(line[i - 1]))) return i;
    }
    return std::string_view::npos;
}

void append_piece(IniValue& v, std::string_view piece, int line, bool first) {
    if (!first) {
        v.text.push_back('\n');
        v.line_of.push_back(line);
    }
    v.text.append(piece);
    v.line_of.insert(v.line_of.end(), piece.size(), line);
}

void strip_trailing(IniValue& v) {
    while (!v.text.empty() && (is_blank(v.text.back()) || v.text.back() == '\n')) {
        v.text.pop_back();
        v.line_of.pop_back();
    }
    for (auto& cut : v.cuts) cut.offset = std::min(cut.offset, v.text.size());
}

// Whole-file refusals, before any line is read: size, emptiness, bytes.
Errors check_file(std::string_view text, const std::string& path) {
    if (text.size() > max_spec_bytes) {
        return {Error{status::config, path, 0,
                      fmt::format("file is {} bytes, over the limit of {} (1 MiB)", text.size(), max_spec_bytes),
                      "a spec holds a few program sections; check that this is the file you meant"}};
    }
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return {Error{status::config, path, 0, "file is empty",
                      "write a [program:NAME] section with at least command="}};
    }
    return check_bytes(text, path);
}

// configparser's reading, one line after another: which section, and which
// option (for continuation lines), the next line belongs to.
class LineReader {
public:
    explicit LineReader(IniFile& file) : file_(file) {}

    void read(int lineno, std::string_view raw);
    Errors& errors() { return errors_; }

private:
    void error(int lineno, std::string what, std::string hint) {
        errors_.push_back({status::config, file_.path, lineno, std::move(what), std::move(hint)});
    }
    void continuation(int lineno, std::string_view raw, std::string_view value, std::size_t comment_at);
    void section_header(int lineno, std::string_view value);
    void option(int lineno, std::string_view raw, std::string_view value, std::size_t comment_at);
    // Where an inline comment cut the value: the spec layer checks its quotes.
    void mark_cut(int lineno, std::string_view raw, std::size_t comment_at) {
        if (comment_at != std::string_view::npos) {
            entry_->value.cuts.push_back({lineno, raw[comment_at], entry_->value.text.size()});
        }
    }

    IniFile& file_;
    Errors errors_;
    IniSection* section_ = nullptr;
    IniEntry* entry_ = nullptr;  // the option that continuation lines extend
    std::size_t indent_level_ = 0;
};

void LineReader::read(int lineno, std::string_view raw) {
    const std::size_t comment_at = comment_start(raw);
    const std::string_view content = strip(raw);
    const bool full_comment = !content.empty() && (content.front() == ';' || content.front() == '#');
    const std::string_view value = full_comment ? std::string_view{} : strip(raw.substr(0, comment_at));
    if (value.empty()) {
        // configparser keeps blank lines inside a value (empty_lines_in_values)
        // but skips comment lines; neither ends a continuation.
        if (!full_comment && comment_at == std::string_view::npos && entry_ != nullptr) {
            entry_->value.text.push_back('\n');
            entry_->value.line_of.push_back(lineno);
        }
        return;
    }
    const std::size_t indent = raw.find_first_not_of(" \t");
    if (entry_ != nullptr && indent > indent_level_) {
        continuation(lineno, raw, value, comment_at);
        return;
    }
    indent_level_ = indent;
    entry_ = nullptr;
    if (value.front() == '[') section_header(lineno, value);
    else option(lineno, raw, value, comment_at);
}

void LineReader::continuation(int lineno, std::string_view raw, std::string_view value, std::size_t comment_at) {
    if (value.front() == '[' && value.back() == ']') {
        error(lineno,
              fmt::format("indented line '{}' continues the value of '{}' (line {})", cut(value), entry_->key,
                          entry_->line),
              "section headers start in column 1; remove the indentation");
        entry_ = nullptr;
        return;
    }
    append_piece(entry_->value, value, lineno, false);
    mark_cut(lineno, raw, comment_at);
}

void LineReader::section_header(int lineno, std::string_view value) {
    section_ = nullptr;  // until a header is read that supervisord would take
    const std::size_t close = value.rfind(']');
    if (close == std::string_view::npos || close == 1) {
        error(lineno, fmt::format("malformed section header '{}'", cut(value)), "write it as [program:NAME]");
        return;
    }
    if (close + 1 != value.size()) {
        error(lineno, fmt::format("text '{}' after the section header", cut(value.substr(close + 1))),
              "supervisord ignores it silently; remove it or make it a comment with ' ;'");
        return;
    }
    std::string name{value.substr(1, close - 1)};
    if (name == "DEFAULT") {
        error(lineno, "[DEFAULT] section: supervisord adds its keys to every section",
              "move its keys into the [program:NAME] sections that need them");
        return;
    }
    file_.sections.push_back(IniSection{std::move(name), lineno, {}});
    section_ = &file_.sections.back();
}

void LineReader::option(int lineno, std::string_view raw, std::string_view value, std::size_t comment_at) {
    if (section_ == nullptr) {
        if (file_.sections.empty() && errors_.empty()) {
            error(lineno, fmt::format("'{}' comes before any section header", cut(value)),
                  "put it under a [program:NAME] header");
        }
        return;
    }
    const std::size_t delim = value.find_first_of("=:");
    if (delim == std::string_view::npos) {
        error(lineno, fmt::format("line '{}' has no '=' or ':'", cut(value)),
              "write key=value; a value that goes on must be indented");
        return;
    }
    std::string_view key = strip(value.substr(0, delim));
    if (key.empty()) {
        error(lineno, fmt::format("line '{}' has no key", cut(value)), "write key=value");
        return;
    }
    section_->entries.push_back(IniEntry{std::string{key}, lineno, {}});
    entry_ = &section_->entries.back();
    append_piece(entry_->value, strip(value.substr(delim + 1)), lineno, true);
    mark_cut(lineno, raw, comment_at);
}

}  // namespace

int IniValue::line_at(std::size_t offset) const {
    if (line_of.empty()) return 0;
    return line_of[std::min(offset, line_of.size() - 1)];
}

Result<IniFile> parse_ini(std::string_view text, const std::string& path) {
    if (Errors errors = check_file(text, path); !errors.empty()) return failure(std::move(errors));
    IniFile file;
    file.path = path;
    LineReader reader{file};
    const auto lines = split_lines(text);
    for (std::size_t index = 0; index < lines.size(); ++index) reader.read(static_cast<int>(index) + 1, lines[index]);
    if (!reader.errors().empty()) return failure(std::move(reader.errors()));
    // configparser strips each value's end once it is whole.
    for (auto& s : file.sections) {
        for (auto& e : s.entries) strip_trailing(e.value);
    }
    return file;
}

}  // namespace eslaunch
