#include "eslaunch/error.hpp"

#include <fmt/format.h>

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

int exit_status(const Errors& errors) {
    return errors.empty() ? status::ok : errors.front().status;
}

}  // namespace eslaunch
