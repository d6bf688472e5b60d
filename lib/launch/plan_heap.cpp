// plan_launch's heap phases: the Planner members plan_heap calls.
#include <fmt/format.h>

#include "planner.hpp"

namespace eslaunch {
namespace {

std::string human_bytes(std::uint64_t bytes) {
    if (bytes >= (std::uint64_t{1} << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1 << 30));
    return fmt::format("{} MiB", bytes >> 20);
}

// The environment variable heap_via= names (none for heap_via=none).
std::string heap_variable(const HeapVia& via) {
    switch (via.kind) {
        case HeapVia::Kind::es_heap_size: return "ES_HEAP_SIZE";
        case HeapVia::Kind::es_java_opts: return "ES_JAVA_OPTS";
        case HeapVia::Kind::java_tool_options: return "JAVA_TOOL_OPTIONS";
        case HeapVia::Kind::env: return via.env_name;
        default: return {};
    }
}

}  // namespace

// The heap eslaunch passes: heap_size= (or a legacy ES_HEAP_SIZE), the way
// the JVM will read it, checked against the memory limit, then injected.
void Planner::plan_heap() {
    note_memory_limit();
    std::optional<HeapSize> wanted = spec_.heap_size;
    if (!take_legacy_heap_size(wanted) || !wanted) return;
    const std::optional<HeapVia> via = heap_way(*wanted);
    if (!via) return;
    const std::optional<std::uint64_t> bytes = heap_within_memory(*wanted);
    if (!bytes) return;
    inject_heap(*wanted, *via, *bytes);
}

// The version and the memory limit, for the plan to show even with no heap:
// the lower of MemTotal and the cgroup's limit.
void Planner::note_memory_limit() {
    HeapPlan& heap = plan_.heap;
    heap.version = host_.es.version;
    heap.version_source = host_.es.version_source;
    heap.memory_limit = host_.mem_total;
    if (heap.memory_limit > 0) heap.memory_limit_source = "MemTotal in /proc/meminfo";
    if (host_.cgroup_memory && (*host_.cgroup_memory < heap.memory_limit || heap.memory_limit == 0)) {
        heap.memory_limit = *host_.cgroup_memory;
        heap.memory_limit_source = host_.cgroup_memory_source;
    }
}

// ES_HEAP_SIZE means nothing from 5.0 on: 5.x refuses to start, 6.x+ ignore
// it. It is removed, and taken as the heap when the spec names none; false
// when it is no heap size.
bool Planner::take_legacy_heap_size(std::optional<HeapSize>& wanted) {
    const std::optional<EsVersion>& version = plan_.heap.version;
    EnvMap& env = plan_.environment;
    if (plan_.profile != Profile::elasticsearch || !version || version->major < 5) return true;
    const std::string* old = env.get("ES_HEAP_SIZE");
    if (old == nullptr) return true;
    const std::string value = *old;
    auto parsed = parse_heap_size(value);
    if (!parsed || parsed->kind != HeapSize::Kind::bytes) {
        error(status::config, 0, fmt::format("ES_HEAP_SIZE='{}' is not a heap size", cut(value)),
              "remove it; Elasticsearch 5.0 and later do not read it: set heap_size= instead");
        return false;
    }
    if (!wanted) {
        wanted = *parsed;
        warn(0, fmt::format("ES_HEAP_SIZE={} is not read by Elasticsearch {} (5.x refuses to start, 6.x and "
                            "later ignore it): passed as -Xms{} -Xmx{} in ES_JAVA_OPTS instead; write "
                            "heap_size={} in the spec",
                            value, version->str(), value, value, value));
    } else {
        warn(0, fmt::format("ES_HEAP_SIZE={} removed: Elasticsearch {} does not read it, heap_size={} is used",
                            value, version->str(), spec_.heap_size->str()));
    }
    env.erase("ES_HEAP_SIZE");
    return true;
}

// heap_via=, with auto chosen: JAVA_TOOL_OPTIONS for other JVMs, and for
// Elasticsearch what its version reads. nullopt with the error.
std::optional<HeapVia> Planner::heap_way(const HeapSize& wanted) {
    const int heap_line = spec_.line_of("heap_size");
    const std::optional<EsVersion>& version = plan_.heap.version;
    HeapVia via = spec_.heap_via;
    if (via.kind == HeapVia::Kind::automatic) {
        if (plan_.profile == Profile::opensearch) {  // every version: facts §3, after jvm.options
            via = {HeapVia::Kind::env, std::string{opensearch_java_opts}};
        } else if (plan_.profile != Profile::elasticsearch) {
            via.kind = HeapVia::Kind::java_tool_options;
        } else if (!version) {
            error(status::config, heap_line,
                  fmt::format("heap_size: cannot tell the Elasticsearch version: no lib/elasticsearch-X.Y.Z.jar under "
                              "'{}'",
                              host_.es.home.empty() ? std::string{"(no es_home)"} : host_.es.home),
                  "set es_home= to the Elasticsearch directory, or heap_via=es_heap_size (before 5.0) or "
                  "heap_via=es_java_opts (5.0 and later)");
            return std::nullopt;
        } else {
            via.kind = version->major < 5 ? HeapVia::Kind::es_heap_size : HeapVia::Kind::es_java_opts;
        }
    }
    if (via.kind == HeapVia::Kind::none) {
        error(status::config, heap_line, fmt::format("heap_size={} with heap_via=none passes no heap", wanted.str()),
              "remove heap_size=, or choose how to pass it with heap_via=");
        return std::nullopt;
    }
    if (refuse_dropped_heap_way(via, wanted)) return std::nullopt;
    return via;
}

// What the version's launch script does with the variable heap_via= names
// when the heap would never reach the JVM; empty when it would (1.x's
// scripts were not read, nor are variables of the operator's own).
std::string Planner::dropped_heap_reason(const HeapVia& via) const {
    const std::optional<EsVersion>& version = plan_.heap.version;
    if (plan_.profile == Profile::opensearch) return dropped_opensearch_heap_reason(via);
    if (plan_.profile != Profile::elasticsearch || (version && version->major < 2)) return {};
    const std::string script = es_launch_script(version);
    if (via.kind == HeapVia::Kind::java_tool_options) {
        return fmt::format("{} unsets JAVA_TOOL_OPTIONS before the JVM starts", script);
    }
    if (!version) return {};
    if (via.kind == HeapVia::Kind::es_heap_size && version->major >= 5) {
        return version->major == 5 ? fmt::format("{} refuses to start when ES_HEAP_SIZE is set", script)
                                   : fmt::format("{} ignores ES_HEAP_SIZE", script);
    }
    if (via.kind == HeapVia::Kind::env && via.env_name == "JAVA_OPTS") {
        return version->major < 5 ? fmt::format("{} puts JAVA_OPTS before the -Xms and -Xmx it makes of "
                                                "ES_HEAP_SIZE (or of its defaults), which win",
                                                script)
                                  : fmt::format("{} does not pass JAVA_OPTS to the JVM", script);
    }
    return {};
}

// OpenSearch's bin/opensearch-env unsets JAVA_TOOL_OPTIONS and ignores
// JAVA_OPTS (with a warning on stdout); no script of it reads ES_*.
std::string Planner::dropped_opensearch_heap_reason(const HeapVia& via) const {
    switch (via.kind) {
        case HeapVia::Kind::java_tool_options: return "bin/opensearch-env unsets JAVA_TOOL_OPTIONS before the JVM starts";
        case HeapVia::Kind::es_heap_size: return "OpenSearch does not read ES_HEAP_SIZE";
        case HeapVia::Kind::es_java_opts: return "OpenSearch does not read ES_JAVA_OPTS (it reads OPENSEARCH_JAVA_OPTS)";
        case HeapVia::Kind::env:
            if (via.env_name == "JAVA_OPTS") return "bin/opensearch-env ignores JAVA_OPTS";
            if (via.env_name == "ES_JAVA_OPTS") return "OpenSearch does not read ES_JAVA_OPTS";
            return {};
        default: return {};
    }
}

// heap_via= naming a variable the version's script drops or overrides:
// true with the error.
bool Planner::refuse_dropped_heap_way(const HeapVia& via, const HeapSize& wanted) {
    const std::string reason = dropped_heap_reason(via);
    if (reason.empty()) return false;
    const std::optional<EsVersion>& version = plan_.heap.version;
    const std::string fix = plan_.profile == Profile::opensearch ? "heap_via=env:OPENSEARCH_JAVA_OPTS"
                            : !version ? "heap_via=es_heap_size (before 5.0) or heap_via=es_java_opts"
                            : version->major < 5 ? "heap_via=es_heap_size"
                                                 : "heap_via=es_java_opts";
    error(status::config, spec_.line_of("heap_via"),
          fmt::format("heap_via={}: {}, so heap_size={} would never reach it", via.str(), reason, wanted.str()),
          fmt::format("write heap_via=auto, which passes it the way the version reads it, or {}", fix));
    return true;
}

// The heap in bytes, refused above the memory limit and warned about past
// half of it or at 32g; nullopt with the error.
std::optional<std::uint64_t> Planner::heap_within_memory(const HeapSize& wanted) {
    const int heap_line = spec_.line_of("heap_size");
    const std::uint64_t limit = plan_.heap.memory_limit;
    const std::string& source = plan_.heap.memory_limit_source;
    if (wanted.kind != HeapSize::Kind::bytes && limit == 0) {
        error(status::config, heap_line, fmt::format("heap_size={}: the memory limit is unknown", wanted.str()),
              "write the heap as a size, e.g. heap_size=4g");
        return std::nullopt;
    }
    const std::uint64_t bytes = heap_bytes(wanted, limit);
    const std::string size = format_jvm_size(bytes);
    if (limit > 0 && bytes > limit) {
        error(status::config, heap_line,
              fmt::format("heap_size={} is above the memory limit of {} ({})", wanted.str(), human_bytes(limit),
                          source),
              "use at most 50% of the memory limit, e.g. heap_size=50%");
        return std::nullopt;
    }
    if (limit > 0 && bytes > limit / 2) {
        warn(heap_line, fmt::format("heap {} is more than 50% of the memory limit of {} ({}): the file system cache "
                                    "and the JVM's own memory need the rest",
                                    size, human_bytes(limit), source));
    }
    if (bytes >= (std::uint64_t{32} << 30)) {
        warn(heap_line, fmt::format("heap {} is 32g or more: the JVM stops using compressed object pointers; 31g "
                                    "or less holds more",
                                    size));
    }
    return bytes;
}

// The heap into the environment the chosen way, and the heap settings it
// replaces.
void Planner::inject_heap(const HeapSize& wanted, const HeapVia& via, std::uint64_t bytes) {
    HeapPlan& heap = plan_.heap;
    const std::string size = format_jvm_size(bytes);
    const std::string variable = heap_variable(via);
    if (via.kind == HeapVia::Kind::es_heap_size) set_es_heap_size(wanted, size);
    else append_heap_flags(wanted, variable, size);
    heap.via = variable;
    heap.bytes = bytes;
    // ES puts ES_JAVA_OPTS after jvm.options (OpenSearch OPENSEARCH_JAVA_OPTS),
    // and the JVM takes the last flag.
    const bool after_jvm_options = (plan_.profile == Profile::elasticsearch && via.kind == HeapVia::Kind::es_java_opts) ||
                                   (plan_.profile == Profile::opensearch && variable == opensearch_java_opts);
    if (after_jvm_options) {
        for (const auto& o : host_.es.jvm_options) heap.overrides.push_back(fmt::format("{} ({})", o.option, o.where));
    }
}

// Before 5.0: ES_HEAP_SIZE, which ES_MIN_MEM and ES_MAX_MEM would contradict,
// and so would a heap flag in ES_JAVA_OPTS or JAVA_OPTS.
void Planner::set_es_heap_size(const HeapSize& wanted, const std::string& size) {
    HeapPlan& heap = plan_.heap;
    EnvMap& env = plan_.environment;
    for (const char* name : {"ES_MIN_MEM", "ES_MAX_MEM"}) {
        if (const std::string* v = env.get(name)) {
            error(status::config, spec_.line_of("heap_size"),
                  fmt::format("heap_size={} and {}={} both set the heap of Elasticsearch {}", wanted.str(), name, *v,
                              heap.version ? heap.version->str() : "2.x"),
                  fmt::format("remove {} from the environment", name));
        }
    }
    refuse_heap_flags_before_5(wanted, size);
    if (const std::string* v = env.get("ES_HEAP_SIZE")) heap.overrides.push_back("ES_HEAP_SIZE=" + *v);
    env.set("ES_HEAP_SIZE", size);
    heap.passed = "ES_HEAP_SIZE=" + size;
}

// 2.x's bin/elasticsearch runs `java $JAVA_OPTS $ES_JAVA_OPTS`, where
// elasticsearch.in.sh has appended -Xms/-Xmx of ES_HEAP_SIZE to JAVA_OPTS:
// the JVM takes the last flag, so ES_JAVA_OPTS' win and JAVA_OPTS' lose.
void Planner::refuse_heap_flags_before_5(const HeapSize& wanted, const std::string& size) {
    const std::string version = plan_.heap.version ? plan_.heap.version->str() : std::string{"2.x"};
    const std::string ours = fmt::format("-Xms{} -Xmx{}", size, size);
    for (const char* name : {"ES_JAVA_OPTS", "JAVA_OPTS"}) {
        const std::string* opts = plan_.environment.get(name);
        if (opts == nullptr) continue;
        const bool wins = std::string_view{name} == "ES_JAVA_OPTS";
        for (const auto& flag : java_opts_heap(*opts, name)) {
            // -Xmx8g there beats our -Xmx; -XX:MaxRAMPercentage= loses to any -Xmx.
            const bool sizes = !flag.option.starts_with("-XX:") || flag.option.find("HeapSize=") != std::string::npos;
            const std::string both = fmt::format("heap_size={} and {} in {}{} both set the heap of Elasticsearch {}",
                                                 wanted.str(), cut(flag.option), name, variable_origin(name), version);
            error(status::config, spec_.line_of("heap_size"),
                  wins ? fmt::format("{}: its bin/elasticsearch passes ES_JAVA_OPTS after the {} it makes of "
                                     "ES_HEAP_SIZE, and the JVM takes the last, so {} would {}",
                                     both, ours, cut(flag.option), sizes ? "win" : "be read with them")
                       : fmt::format("{}: its elasticsearch.in.sh puts the JAVA_OPTS it inherits before the {} it "
                                     "makes of ES_HEAP_SIZE, so {} would be overridden unseen",
                                     both, ours, cut(flag.option)),
                  wins ? fmt::format("remove {} from ES_JAVA_OPTS, or remove heap_size=", cut(flag.option))
                       : fmt::format("remove {} from JAVA_OPTS: heap_size= sets the heap", cut(flag.option)));
        }
    }
}

// -Xms and -Xmx after what `variable` holds, which must set no heap itself.
void Planner::append_heap_flags(const HeapSize& wanted, const std::string& variable, const std::string& size) {
    EnvMap& env = plan_.environment;
    const std::string flags = fmt::format("-Xms{} -Xmx{}", size, size);
    const std::string* current = env.get(variable);
    if (current != nullptr) {
        for (const auto& flag : java_opts_heap(*current, variable)) {
            error(status::config, spec_.line_of("heap_size"),
                  fmt::format("heap_size={} and {} in {} both set the heap", wanted.str(), flag.option, variable),
                  fmt::format("remove {} from {} or remove heap_size=", flag.option, variable));
        }
    }
    const std::string value = current == nullptr || current->empty() ? flags : *current + " " + flags;
    env.set(variable, value);
    plan_.heap.passed = variable + "=" + value;
}

}  // namespace eslaunch
