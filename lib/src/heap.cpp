#include "eslaunch/heap.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "eslaunch/values.hpp"

namespace eslaunch {

bool is_env_name(std::string_view name) {
    auto word = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    return !name.empty() && word(name.front()) &&
           std::all_of(name.begin(), name.end(), [&](char c) { return word(c) || (c >= '0' && c <= '9'); });
}

std::string format_jvm_size(std::uint64_t bytes) {
    static constexpr std::string_view units = "tgmk";
    for (std::size_t k = 0; k < units.size(); ++k) {
        const std::uint64_t unit = std::uint64_t{1} << (10 * (4 - k));
        if (bytes % unit == 0) return fmt::format("{}{}", bytes / unit, units[k]);
    }
    return fmt::format("{}", bytes);
}

std::string HeapSize::str() const {
    switch (kind) {
        case Kind::bytes: return format_jvm_size(bytes);
        case Kind::percent: return fmt::format("{}%", percent);
        case Kind::automatic: return "auto";
    }
    return {};
}

Parsed<HeapSize> parse_heap_size(std::string_view text) {
    const char* hint = "write a size with k, m or g (e.g. 24g, 31744m), a percentage of the memory limit (50%), or auto";
    if (text == "auto") return HeapSize{};
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    auto number = parse_decimal(text.substr(0, digits));
    const std::string_view unit = text.substr(digits);
    if (!number) return problem(fmt::format("'{}' is not a heap size", text), hint);
    if (unit == "%") {
        if (*number < 1 || *number > 100) {
            return problem(fmt::format("'{}' is not a percentage between 1% and 100%", text), hint);
        }
        return HeapSize{HeapSize::Kind::percent, 0, static_cast<unsigned>(*number)};
    }
    if (unit.empty()) {
        return problem(fmt::format("'{}' has no unit", text),
                       fmt::format("the JVM would read it as {} bytes; write {}m or {}g", text, text, text));
    }
    static constexpr std::string_view units = "kmgt";
    const std::size_t power = unit.size() == 1 ? units.find(static_cast<char>(unit[0] | 0x20)) : std::string_view::npos;
    if (power == std::string_view::npos) return problem(fmt::format("'{}' has an unknown unit '{}'", text, unit), hint);
    std::uint64_t bytes = *number;
    for (std::size_t k = 0; k <= power; ++k) {
        if (bytes > (std::uint64_t{1} << 53)) return problem(fmt::format("'{}' is too large", text), hint);
        bytes *= 1024;
    }
    constexpr std::uint64_t min_heap = std::uint64_t{2} << 20;
    if (bytes < min_heap) {
        return problem(fmt::format("'{}' is below the JVM's minimum heap of 2m", text), hint);
    }
    return HeapSize{HeapSize::Kind::bytes, bytes, 0};
}

std::string HeapVia::str() const {
    switch (kind) {
        case Kind::automatic: return "auto";
        case Kind::es_heap_size: return "es_heap_size";
        case Kind::es_java_opts: return "es_java_opts";
        case Kind::java_tool_options: return "java_tool_options";
        case Kind::env: return "env:" + env_name;
        case Kind::none: return "none";
    }
    return {};
}

Parsed<HeapVia> parse_heap_via(std::string_view text) {
    if (text == "auto") return HeapVia{};
    if (text == "es_heap_size") return HeapVia{HeapVia::Kind::es_heap_size, {}};
    if (text == "es_java_opts") return HeapVia{HeapVia::Kind::es_java_opts, {}};
    if (text == "java_tool_options") return HeapVia{HeapVia::Kind::java_tool_options, {}};
    if (text == "none") return HeapVia{HeapVia::Kind::none, {}};
    if (text.starts_with("env:")) {
        std::string_view name = text.substr(4);
        if (!is_env_name(name)) {
            return problem(fmt::format("'{}' is not an environment variable name", name),
                           "write env:NAME with letters, digits and '_', e.g. env:JAVA_OPTS");
        }
        return HeapVia{HeapVia::Kind::env, std::string{name}};
    }
    return problem(fmt::format("'{}' is not a way to pass the heap", text),
                   "write auto, es_heap_size, es_java_opts, java_tool_options, env:NAME or none");
}

}  // namespace eslaunch
