// Internal to the library (not installed): text helpers more than one
// module needs.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "eslaunch/error.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {

// The lines of `text` as Python's configparser reads them: each ends at
// \n, \r or \r\n, which it does not include; no empty last line after a
// final line end.
inline std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' || text[i] == '\r') {
            lines.push_back(text.substr(start, i - start));
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            start = i + 1;
        }
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

// `values` with `separator` between them.
inline std::string join(const std::vector<std::string>& values, std::string_view separator) {
    std::string out;
    for (const std::string& v : values) {
        if (!out.empty()) out += separator;
        out += v;
    }
    return out;
}

// Group ids as messages show them: "1000,4".
inline std::string gid_list(const std::vector<gid_t>& gids) {
    std::string out;
    for (gid_t g : gids) {
        if (!out.empty()) out += ',';
        out += std::to_string(g);
    }
    return out;
}

// A list of values from input as a message shows it: the first 16, each
// cut(), joined with ", ", then how many there are in all.
inline std::string cut_list(const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size() && i < 16; ++i) {
        if (i > 0) out += ", ";
        out += cut(values[i]);
    }
    if (values.size() > 16) out += ", ... (" + std::to_string(values.size()) + " in all)";
    return out;
}

// What one process sends another (eslaunch-check's answers): each field as
// its length, ':', and its bytes, so a field may hold any byte. take_field
// gives false, and leaves `in` as it was, for anything else.
inline void put_field(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

inline bool take_field(std::string_view& in, std::string& field) {
    const std::size_t colon = in.find(':');
    if (colon == std::string_view::npos) return false;
    auto n = parse_decimal(in.substr(0, colon));
    if (!n || *n > in.size() - colon - 1) return false;
    field.assign(in.substr(colon + 1, *n));
    in.remove_prefix(colon + 1 + *n);
    return true;
}

}  // namespace eslaunch
