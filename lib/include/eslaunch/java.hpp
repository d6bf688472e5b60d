// Which java each Elasticsearch version's launch script runs: ES_JAVA_HOME,
// JAVA_HOME, the bundled JDK or the one in PATH. One rule for the launch
// (jvm.options' Java version ranges, the JAVA_HOME warnings) and for check
// (java -version as the node's user, the java it shows).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "eslaunch/environment.hpp"
#include "eslaunch/heap.hpp"

namespace eslaunch {

struct JavaChoice {
    std::string source;  // "ES_JAVA_HOME", "JAVA_HOME", "bundled jdk" (7.0-7.11), "bundled JDK", "PATH"
    std::string path;    // the java the script runs; empty: none in PATH
    std::string why;     // why the script takes it, e.g. "ES_JAVA_HOME is not set"
    std::string passed_over;        // 2.x-6.x: a JAVA_HOME without an executable bin/java, skipped for PATH
    std::string ignored_java_home;  // 8.0+: a JAVA_HOME the script ignores for its bundled JDK
    bool java_home_deprecated = false;  // 7.12-7.17: JAVA_HOME runs, and the script says it is deprecated
    bool path_deprecated = false;       // 6.7-6.8: java from PATH, and the script says that is deprecated
    friend bool operator==(const JavaChoice&, const JavaChoice&) = default;
};

// What the choice asks of the file system, only where the version's script
// does (before 7.0): whether JAVA_HOME's bin/java is an executable file, and
// the first `java` in a PATH (its value, or null when unset).
struct JavaLookup {
    std::function<bool(const std::string& path)> executable;
    std::function<std::optional<std::string>(const std::string* path)> find_in_path;
};

// stat() and the PATH search of this host, as the script's `-x` and `which`.
[[nodiscard]] JavaLookup host_java_lookup();

// The java the launch script of `version` (unknown: as 8.x) runs with the
// program environment `env`, for the home `es_home`:
//   2.x-6.x    $JAVA_HOME/bin/java when executable, else `which java`
//   7.0-7.11   JAVA_HOME when set, else the bundled jdk/
//   7.12-7.17  ES_JAVA_HOME, else JAVA_HOME (deprecated), else the bundled JDK
//   8.0+       ES_JAVA_HOME, else the bundled JDK (JAVA_HOME ignored)
[[nodiscard]] JavaChoice choose_java(const std::optional<EsVersion>& version, const EnvMap& env,
                                     const std::string& es_home, const JavaLookup& lookup);

// The java OpenSearch's bin/opensearch-env runs (`version` unknown: as 2.x):
//   1.0-1.2    JAVA_HOME when set, else the bundled jdk/
//   1.3+, 2.x  OPENSEARCH_JAVA_HOME, else JAVA_HOME (no warning), else jdk/
// (2.x's jre/ variant and macOS/FreeBSD paths are not modelled).
[[nodiscard]] JavaChoice choose_opensearch_java(const std::optional<EsVersion>& version, const EnvMap& env,
                                                const std::string& home);

// The Java major version in a JDK's `release` file (JAVA_VERSION="17.0.2"
// gives 17, "1.8.0_292" 8); 0 when it names none.
[[nodiscard]] int java_major_from_release(std::string_view release_text);

}  // namespace eslaunch
