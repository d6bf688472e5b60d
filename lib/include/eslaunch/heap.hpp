// JVM heap: the size syntax of heap_size= and the ways it reaches the JVM
// (heap_via=). Version detection and injection come with the launch path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "eslaunch/error.hpp"

namespace eslaunch {

struct HeapSize {
    enum class Kind { bytes, percent, automatic };
    Kind kind = Kind::automatic;
    std::uint64_t bytes = 0;   // Kind::bytes
    unsigned percent = 0;      // Kind::percent, 1..100 of the memory limit
    [[nodiscard]] std::string str() const;  // canonical: 24g, 31744m, 50%, auto
    friend bool operator==(const HeapSize&, const HeapSize&) = default;
};

// `24g`, `31744m`, `512k` (the JVM's -Xmx units, powers of 1024), `50%`, `auto`.
[[nodiscard]] Parsed<HeapSize> parse_heap_size(std::string_view text);

// The JVM's own notation for a byte count: the largest unit that divides it.
[[nodiscard]] std::string format_jvm_size(std::uint64_t bytes);

struct HeapVia {
    enum class Kind { automatic, es_heap_size, es_java_opts, java_tool_options, env, none };
    Kind kind = Kind::automatic;
    std::string env_name;  // Kind::env
    [[nodiscard]] std::string str() const;
    friend bool operator==(const HeapVia&, const HeapVia&) = default;
};

// `auto`, `es_heap_size`, `es_java_opts`, `java_tool_options`, `env:NAME`, `none`.
[[nodiscard]] Parsed<HeapVia> parse_heap_via(std::string_view text);

// A shell-style environment variable name: [A-Za-z_][A-Za-z0-9_]*.
[[nodiscard]] bool is_env_name(std::string_view name);

}  // namespace eslaunch
