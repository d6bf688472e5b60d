// JVM heap: the size syntax of heap_size= and the ways it reaches the JVM
// (heap_via=). Version detection and injection come with the launch path.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

struct EsVersion {
    int major = 0;
    int minor = 0;
    int patch = 0;
    [[nodiscard]] std::string str() const;
    friend auto operator<=>(const EsVersion&, const EsVersion&) = default;
};

// The version in the name of Elasticsearch's own jar, `elasticsearch-X.Y.Z.jar`
// (also `-SNAPSHOT` and pre-release suffixes); nullopt for every other jar
// (elasticsearch-cli-8.15.3.jar, elasticsearch-x-content-...).
[[nodiscard]] std::optional<EsVersion> es_version_from_jar_name(std::string_view name);

// The same for OpenSearch's `opensearch-X.Y.Z.jar`, strictly: lib/ also
// holds opensearch-x-content-X.Y.Z.jar, opensearch-cli-..., which name none.
[[nodiscard]] std::optional<EsVersion> opensearch_version_from_jar_name(std::string_view name);

// A heap setting found in jvm.options, jvm.options.d/ or ES_JAVA_OPTS.
struct HeapOption {
    std::string where;   // "config/jvm.options:22" or "ES_JAVA_OPTS"
    std::string option;  // "-Xmx1g"
};

// The -Xms/-Xmx (and -XX:MaxHeapSize=, -XX:InitialHeapSize=, -XX:MaxRAMPercentage=)
// lines of a jvm.options file that apply to `java_major` (ES's `8:` / `9-:`
// / `8-13:` prefixes; an unknown java_major counts every line).
[[nodiscard]] std::vector<HeapOption> jvm_options_heap(std::string_view text, const std::string& file,
                                                      int java_major);

// The heap flags in ES_JAVA_OPTS (split on whitespace, as ES does).
[[nodiscard]] std::vector<HeapOption> java_opts_heap(std::string_view opts, const std::string& name);

// The heap for `size` given the memory limit: auto = min(50%, 31g), N% of
// the limit, or the bytes; rounded down to whole MiB.
[[nodiscard]] std::uint64_t heap_bytes(const HeapSize& size, std::uint64_t memory_limit);

}  // namespace eslaunch
