// supervisord's INI dialect (Python's RawConfigParser as supervisord 4.2
// configures it: `=` and `:`, `;`/`#` comments, inline comments only after
// whitespace, indented continuation lines, no interpolation). This layer
// only splits the text into sections and entries with their line numbers;
// what the keys mean, duplicates and expansions are the `spec` module's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/error.hpp"

namespace eslaunch {

inline constexpr std::size_t max_spec_bytes = 1024 * 1024;

// Where an inline comment cut a value: the spec layer refuses the cut when it
// falls inside quotes (supervisord cuts there too, so the value would be lost).
struct CommentCut {
    int line = 0;
    char marker = ';';
    std::size_t offset = 0;  // offset in IniValue::text where the cut happened
};

// A value as configparser hands it over: the first line's value and each
// continuation line, stripped, joined with '\n', trailing whitespace removed.
struct IniValue {
    std::string text;
    std::vector<int> line_of;  // line of each byte of text
    std::vector<CommentCut> cuts;

    [[nodiscard]] int line_at(std::size_t offset) const;
};

struct IniEntry {
    std::string key;  // as written (supervisord would lower-case it)
    int line = 0;
    IniValue value;
};

struct IniSection {
    std::string name;  // between the brackets, as written
    int line = 0;
    std::vector<IniEntry> entries;
};

struct IniFile {
    std::string path;
    std::vector<IniSection> sections;
};

// Parses the whole text. Refuses what supervisord would misread or reject:
// files over max_spec_bytes, empty files, NUL bytes, invalid UTF-8, a byte
// order mark, control characters and non-ASCII whitespace, lines outside a
// section, lines without `=` or `:`, empty keys, junk after a section
// header, [DEFAULT], and continuation lines that look like a section header.
[[nodiscard]] Result<IniFile> parse_ini(std::string_view text, const std::string& path);

}  // namespace eslaunch
