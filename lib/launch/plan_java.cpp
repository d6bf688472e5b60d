// plan_launch's Java phase: what the version's launch script does with the
// Java variables the program gets, where that is not what they say.
#include <fmt/format.h>

#include "planner.hpp"

namespace eslaunch {

void Planner::plan_java() {
    if (plan_.profile == Profile::opensearch) {
        warn_opensearch_java();
        warn_java_tool_options();
        warn_keystore_password();
        return;
    }
    if (plan_.profile != Profile::elasticsearch) return;
    warn_java_home();
    warn_java_tool_options();
}

// OpenSearch before 1.3 reads no OPENSEARCH_JAVA_HOME (OpenSearch#2040):
// set in the spec, it is silently passed over for JAVA_HOME or jdk/.
void Planner::warn_opensearch_java() {
    const std::optional<EsVersion>& version = host_.es.version;
    const std::string* own = plan_.environment.get("OPENSEARCH_JAVA_HOME");
    if (!version || *version >= EsVersion{1, 3, 0} || own == nullptr || own->empty() || !host_.es.java) return;
    warn(variable_line("OPENSEARCH_JAVA_HOME"),
         fmt::format("OPENSEARCH_JAVA_HOME={}{} is ignored: OpenSearch {} reads it from 1.3.0 on and runs {} ({}); "
                     "set JAVA_HOME instead",
                     cut(*own), variable_origin("OPENSEARCH_JAVA_HOME"), version->str(), host_.es.java->path,
                     host_.es.java->source));
}

// A JAVA_HOME the script ignores (8.0+) or reads with a deprecation (7.12
// to 7.17): the Java that runs is not the one it names, or soon will not be.
void Planner::warn_java_home() {
    if (!host_.es.java || !host_.es.version) return;
    const JavaChoice& java = *host_.es.java;
    const std::string version = host_.es.version->str();
    const std::string* home = plan_.environment.get("JAVA_HOME");
    if (home == nullptr) return;
    const int line = variable_line("JAVA_HOME");
    const std::string named = fmt::format("JAVA_HOME={}{}", cut(*home), variable_origin("JAVA_HOME"));
    if (!java.ignored_java_home.empty()) {
        warn(line, fmt::format("{} is ignored: Elasticsearch {} runs its bundled JDK ({}) unless ES_JAVA_HOME is set "
                               "(it says \"warning: ignoring JAVA_HOME=...; using bundled JDK\"); set ES_JAVA_HOME in "
                               "environment= to run that Java, or remove JAVA_HOME",
                               named, version, java.path));
    } else if (java.java_home_deprecated) {
        warn(line, fmt::format("{}: Elasticsearch {} runs it, but says \"warning: usage of JAVA_HOME is deprecated, "
                               "use ES_JAVA_HOME\", and 8.0 and later ignore it; set ES_JAVA_HOME in environment= "
                               "instead",
                               named, version));
    }
}

// OpenSearch 2.14+ takes the keystore passphrase from KEYSTORE_PASSWORD
// (OpenSearch#12865); earlier scripts unset it and read stdin. Either way
// stdin=file: keeps it out of the node's environment.
void Planner::warn_keystore_password() {
    const std::optional<EsVersion>& version = host_.es.version;
    if (!spec_sets_variable("KEYSTORE_PASSWORD")) return;
    const bool read = !version || *version >= EsVersion{2, 14, 0};
    warn(variable_line("KEYSTORE_PASSWORD"),
         read ? std::string{"KEYSTORE_PASSWORD in environment=: bin/opensearch (2.14+) unlocks the keystore with it, "
                            "but it stays in the node's environment, which its user can read; write the passphrase "
                            "and a newline to a root-only file and set stdin=file:PATH instead"}
              : fmt::format("KEYSTORE_PASSWORD in environment= is ignored: bin/opensearch of OpenSearch {} reads the "
                            "keystore passphrase only from stdin (2.14 and later read the variable); set "
                            "stdin=file:PATH to a root-only file with the passphrase and a newline",
                            version->str()));
}

// Every launch script from 2.x on unsets JAVA_TOOL_OPTIONS before the JVM
// starts (1.x's were not read): what the spec puts there is lost.
void Planner::warn_java_tool_options() {
    const std::optional<EsVersion>& version = host_.es.version;
    const bool opensearch = plan_.profile == Profile::opensearch;
    if (!opensearch && version && version->major < 2) return;
    for (const auto* vars : {&spec_.supervisord_environment, &spec_.environment}) {
        for (const auto& v : *vars) {
            if (v.name != "JAVA_TOOL_OPTIONS") continue;
            if (opensearch) {
                warn(v.line, fmt::format("JAVA_TOOL_OPTIONS={} never reaches the JVM: bin/opensearch-env unsets it "
                                         "(\"warning: ignoring JAVA_TOOL_OPTIONS=...\"); pass JVM options in "
                                         "OPENSEARCH_JAVA_OPTS",
                                         cut(v.value)));
                continue;
            }
            const std::string script = es_launch_script(version);
            warn(v.line, fmt::format("JAVA_TOOL_OPTIONS={} never reaches the JVM: {} unsets it; pass JVM options in {}",
                                     cut(v.value), script,
                                     version && version->major < 5 ? "ES_JAVA_OPTS (or JAVA_OPTS)" : "ES_JAVA_OPTS"));
        }
    }
}

}  // namespace eslaunch
