#include "eslaunch/error.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string_view>

namespace eslaunch {

std::string Error::str() const {
    std::string out;
    if (!file.empty()) {
        out = line > 0 ? fmt::format("{}:{}: ", file, line) : fmt::format("{}: ", file);
    }
    out += what;
    if (!hint.empty()) {
        out += "; ";
        out += hint;
    }
    return out;
}

std::string cut(std::string_view value, std::size_t max) {
    if (value.size() <= max) return std::string{value};
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;  // not mid-character
    return fmt::format("{}... ({} bytes)", value.substr(0, end), value.size());
}

int exit_status(const Errors& errors) {
    return errors.empty() ? status::ok : errors.front().status;
}

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    struct stat st {};
    if (::fstat(2, &st) != 0) return false;
    return std::string_view{stream} == fmt::format("{}:{}", st.st_dev, st.st_ino);
}

}  // namespace eslaunch
