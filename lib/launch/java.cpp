#include "eslaunch/java.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <utility>

#include "eslaunch/values.hpp"
#include "node_settings.hpp"
#include "text.hpp"

namespace eslaunch {
namespace {

std::string java_env_value(const EnvMap& env, std::string_view name) {
    const std::string* v = env.get(name);
    return v != nullptr ? *v : std::string{};
}

// 2.x to 6.x (bin/elasticsearch, later elasticsearch-env): `-x
// "$JAVA_HOME/bin/java"`, else `which java`; 6.7 and 6.8 warn about the latter.
JavaChoice java_before_bundled(int major, int minor, const EnvMap& env, const JavaLookup& lookup) {
    JavaChoice j;
    const std::string java_home = java_env_value(env, "JAVA_HOME");
    if (lookup.executable(java_home + "/bin/java")) {
        j.source = "JAVA_HOME";
        j.path = java_home + "/bin/java";
        // Unset, the test reads /bin/java: merged-/usr hosts have one.
        j.why = java_home.empty() ? "JAVA_HOME is not set, and the script's test of $JAVA_HOME/bin/java finds /bin/java"
                                  : "JAVA_HOME/bin/java is executable";
        return j;
    }
    j.source = "PATH";
    j.path = lookup.find_in_path(env.get("PATH")).value_or("");
    if (java_home.empty()) {
        j.why = "JAVA_HOME is not set";
    } else {
        j.passed_over = java_home;
        j.why = fmt::format("JAVA_HOME={} has no executable bin/java", cut(java_home));
    }
    j.path_deprecated = major == 6 && minor >= 7;
    return j;
}

// 7.0 and later run their bundled JDK unless told otherwise: JAVA_HOME up to
// 7.11, ES_JAVA_HOME first from 7.12, ES_JAVA_HOME only from 8.0.
JavaChoice java_from_7(int major, int minor, const EnvMap& env, const std::string& es_home) {
    JavaChoice j;
    auto take = [&](std::string source, std::string path, std::string why) {
        j.source = std::move(source);
        j.path = std::move(path);
        j.why = std::move(why);
    };
    const std::string java_home = java_env_value(env, "JAVA_HOME");
    const std::string es_java_home = java_env_value(env, "ES_JAVA_HOME");
    const bool before_es_java_home = major == 7 && minor < 12;
    if (!before_es_java_home && !es_java_home.empty()) {
        take("ES_JAVA_HOME", es_java_home + "/bin/java", "ES_JAVA_HOME is set");
    } else if (major == 7 && !java_home.empty()) {
        take("JAVA_HOME", java_home + "/bin/java",
             before_es_java_home ? "JAVA_HOME is set" : "JAVA_HOME is set and ES_JAVA_HOME is not");
        j.java_home_deprecated = !before_es_java_home;
    } else if (before_es_java_home) {
        take("bundled jdk", es_home + "/jdk/bin/java", "JAVA_HOME is not set");
    } else if (major >= 8 && !java_home.empty()) {
        take("bundled JDK", es_home + "/jdk/bin/java",
             "ES_JAVA_HOME is not set; Elasticsearch 8.0 and later ignore JAVA_HOME");
        j.ignored_java_home = java_home;
    } else {
        take("bundled JDK", es_home + "/jdk/bin/java", "neither ES_JAVA_HOME nor JAVA_HOME is set");
    }
    return j;
}

}  // namespace

JavaLookup host_java_lookup() {
    return {[](const std::string& path) {
                struct stat st {};
                return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
            },
            [](const std::string* path) { return search_path("java", path); }};
}

JavaChoice choose_java(const std::optional<EsVersion>& version, const EnvMap& env, const std::string& es_home,
                       const JavaLookup& lookup) {
    const int major = version ? version->major : 8;
    const int minor = version ? version->minor : 0;
    if (major < 7) return java_before_bundled(major, minor, env, lookup);
    return java_from_7(major, minor, env, es_home);
}

JavaChoice choose_opensearch_java(const std::optional<EsVersion>& version, const EnvMap& env,
                                  const std::string& home) {
    JavaChoice j;
    auto take = [&](std::string source, std::string path, std::string why) {
        j.source = std::move(source);
        j.path = std::move(path);
        j.why = std::move(why);
    };
    const bool reads_own = !version || *version >= EsVersion{1, 3, 0};  // OpenSearch#2040
    const std::string own = java_env_value(env, "OPENSEARCH_JAVA_HOME");
    const std::string java_home = java_env_value(env, "JAVA_HOME");
    if (reads_own && !own.empty()) {
        take("OPENSEARCH_JAVA_HOME", own + "/bin/java", "OPENSEARCH_JAVA_HOME is set");
    } else if (!java_home.empty()) {
        take("JAVA_HOME", java_home + "/bin/java",
             reads_own ? "JAVA_HOME is set and OPENSEARCH_JAVA_HOME is not" : "JAVA_HOME is set");
    } else {
        take("bundled jdk", home + "/jdk/bin/java",
             reads_own ? "neither OPENSEARCH_JAVA_HOME nor JAVA_HOME is set" : "JAVA_HOME is not set");
    }
    return j;
}

int java_major_from_release(std::string_view release_text) {
    for (std::string_view line : split_lines(release_text)) {
        constexpr std::string_view key = "JAVA_VERSION=\"";
        if (!line.starts_with(key)) continue;
        std::string_view v = line.substr(key.size());
        if (v.starts_with("1.")) v.remove_prefix(2);  // 1.8.0_292: Java 8
        std::size_t digits = 0;
        while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
        const auto n = parse_decimal(v.substr(0, digits));
        return n && *n > 0 && *n < 1000 ? static_cast<int>(*n) : 0;
    }
    return 0;
}

}  // namespace eslaunch
