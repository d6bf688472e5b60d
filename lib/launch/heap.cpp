#include "eslaunch/heap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

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
    if (!number) return problem(fmt::format("'{}' is not a heap size", cut(text)), hint);
    if (unit == "%") {
        if (*number < 1 || *number > 100) {
            return problem(fmt::format("'{}' is not a percentage between 1% and 100%", cut(text)), hint);
        }
        return HeapSize{HeapSize::Kind::percent, 0, static_cast<unsigned>(*number)};
    }
    if (unit.empty()) {
        return problem(fmt::format("'{}' has no unit", cut(text)),
                       fmt::format("the JVM would read it as {} bytes; write {}m or {}g", text, text, text));
    }
    static constexpr std::string_view units = "kmgt";
    const std::size_t power = unit.size() == 1 ? units.find(static_cast<char>(unit[0] | 0x20)) : std::string_view::npos;
    if (power == std::string_view::npos) return problem(fmt::format("'{}' has an unknown unit '{}'", cut(text), cut(unit)), hint);
    std::uint64_t bytes = *number;
    for (std::size_t k = 0; k <= power; ++k) {
        if (bytes > (std::uint64_t{1} << 53)) return problem(fmt::format("'{}' is too large", cut(text)), hint);
        bytes *= 1024;
    }
    constexpr std::uint64_t min_heap = std::uint64_t{2} << 20;
    if (bytes < min_heap) {
        return problem(fmt::format("'{}' is below the JVM's minimum heap of 2m", cut(text)), hint);
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
            return problem(fmt::format("'{}' is not an environment variable name", cut(name)),
                           "write env:NAME with letters, digits and '_', e.g. env:JAVA_OPTS");
        }
        return HeapVia{HeapVia::Kind::env, std::string{name}};
    }
    return problem(fmt::format("'{}' is not a way to pass the heap", cut(text)),
                   "write auto, es_heap_size, es_java_opts, java_tool_options, env:NAME or none");
}

std::string EsVersion::str() const { return fmt::format("{}.{}.{}", major, minor, patch); }

namespace {

std::optional<EsVersion> version_from_jar_name(std::string_view name, std::string_view prefix) {
    if (!name.starts_with(prefix) || !name.ends_with(".jar")) return std::nullopt;
    std::string_view rest = name.substr(prefix.size(), name.size() - prefix.size() - 4);
    EsVersion v;
    int* parts[] = {&v.major, &v.minor, &v.patch};
    for (std::size_t k = 0; k < 3; ++k) {
        std::size_t digits = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
        auto n = parse_decimal(rest.substr(0, digits));
        if (!n || *n > 1000) return std::nullopt;
        *parts[k] = static_cast<int>(*n);
        rest.remove_prefix(digits);
        if (k < 2) {
            if (rest.empty() || rest.front() != '.') return std::nullopt;
            rest.remove_prefix(1);
        }
    }
    if (!rest.empty() && rest.front() != '-') return std::nullopt;  // -SNAPSHOT, -rc1
    return v;
}

}  // namespace

std::optional<EsVersion> es_version_from_jar_name(std::string_view name) {
    return version_from_jar_name(name, "elasticsearch-");
}

std::optional<EsVersion> opensearch_version_from_jar_name(std::string_view name) {
    return version_from_jar_name(name, "opensearch-");
}

namespace {

bool is_heap_flag(std::string_view word) {
    return word.starts_with("-Xms") || word.starts_with("-Xmx") || word.starts_with("-XX:MaxHeapSize=") ||
           word.starts_with("-XX:InitialHeapSize=") || word.starts_with("-XX:MaxRAMPercentage=") ||
           word.starts_with("-XX:InitialRAMPercentage=") || word.starts_with("-XX:MinRAMPercentage=");
}

// ES's jvm.options version prefixes: "8:-Xmx1g", "9-:-Xmx1g", "8-13:-Xmx1g".
bool applies_to(std::string_view range, int java_major) {
    if (java_major <= 0) return true;
    const std::size_t dash = range.find('-');
    auto low = parse_decimal(range.substr(0, dash));
    if (!low) return false;
    if (dash == std::string_view::npos) return static_cast<int>(*low) == java_major;
    std::string_view high_text = range.substr(dash + 1);
    if (high_text.empty()) return java_major >= static_cast<int>(*low);
    auto high = parse_decimal(high_text);
    return high && java_major >= static_cast<int>(*low) && java_major <= static_cast<int>(*high);
}

}  // namespace

std::vector<HeapOption> jvm_options_heap(std::string_view text, const std::string& file, int java_major) {
    std::vector<HeapOption> out;
    int line = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        std::string_view l = text.substr(start, end - start);
        ++line;
        start = end + 1;
        while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
        while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '\r')) l.remove_suffix(1);
        if (l.empty() || l.front() == '#') continue;
        if (l.front() != '-') {
            const std::size_t colon = l.find(':');
            if (colon == std::string_view::npos || !applies_to(l.substr(0, colon), java_major)) continue;
            l.remove_prefix(colon + 1);
        }
        if (is_heap_flag(l)) out.push_back({fmt::format("{}:{}", file, line), std::string{l}});
        if (end == text.size()) break;
    }
    return out;
}

std::vector<HeapOption> java_opts_heap(std::string_view opts, const std::string& name) {
    std::vector<HeapOption> out;
    std::size_t i = 0;
    while (i < opts.size()) {
        while (i < opts.size() && std::isspace(static_cast<unsigned char>(opts[i]))) ++i;
        std::size_t j = i;
        while (j < opts.size() && !std::isspace(static_cast<unsigned char>(opts[j]))) ++j;
        if (j > i && is_heap_flag(opts.substr(i, j - i))) out.push_back({name, std::string{opts.substr(i, j - i)}});
        i = j;
    }
    return out;
}

std::uint64_t heap_bytes(const HeapSize& size, std::uint64_t memory_limit) {
    constexpr std::uint64_t mib = 1 << 20;
    constexpr std::uint64_t cap = std::uint64_t{31} << 30;
    std::uint64_t bytes = 0;
    switch (size.kind) {
        case HeapSize::Kind::bytes: return size.bytes;
        case HeapSize::Kind::percent:
            bytes = memory_limit / 100 * size.percent + memory_limit % 100 * size.percent / 100;
            break;
        case HeapSize::Kind::automatic: bytes = std::min(memory_limit / 2, cap); break;
    }
    return bytes / mib * mib;
}

}  // namespace eslaunch
