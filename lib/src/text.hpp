// Internal to the library (not installed): text helpers more than one
// module needs.
#pragma once

#include <string_view>
#include <vector>

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

}  // namespace eslaunch
