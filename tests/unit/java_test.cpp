// choose_java: which java each Elasticsearch version's launch script runs,
// with a file system that says which files are executable; and the Java
// version in a JDK's release file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "eslaunch/java.hpp"

namespace eslaunch::testing {
namespace {

// A host whose executable files are `executables`, and whose PATH lookup
// finds /usr/bin/java when that is one of them.
JavaLookup lookup_of(std::set<std::string> executables) {
    auto files = std::make_shared<std::set<std::string>>(std::move(executables));
    return {[files](const std::string& path) { return files->count(path) > 0; },
            [files](const std::string* path) -> std::optional<std::string> {
                if (path == nullptr || files->count("/usr/bin/java") == 0) return std::nullopt;
                return std::string{"/usr/bin/java"};
            }};
}

struct JavaCase {
    std::string version;
    std::string java_home;     // "" unset
    std::string es_java_home;  // "" unset
    std::string source;
    std::string path;
    std::string why;
};

void PrintTo(const JavaCase& c, std::ostream* os) {
    *os << c.version << " JAVA_HOME=" << c.java_home << " ES_JAVA_HOME=" << c.es_java_home;
}

class ChooseJava : public ::testing::TestWithParam<JavaCase> {};

TEST_P(ChooseJava, AsTheVersionsScript) {
    const JavaCase& c = GetParam();
    EnvMap env;
    env.set("PATH", "/usr/bin:/bin");
    if (!c.java_home.empty()) env.set("JAVA_HOME", c.java_home);
    if (!c.es_java_home.empty()) env.set("ES_JAVA_HOME", c.es_java_home);
    const auto version = es_version_from_jar_name("elasticsearch-" + c.version + ".jar");
    // /usr/lib/jvm/jre has no bin/java: the scripts before 7.0 skip it.
    const JavaChoice j = choose_java(version, env, "/opt/es",
                                     lookup_of({"/usr/bin/java", "/usr/lib/jvm/java-8/bin/java", "/opt/es/jdk/bin/java"}));
    EXPECT_EQ(j.source, c.source);
    EXPECT_EQ(j.path, c.path);
    EXPECT_EQ(j.why, c.why);
}

INSTANTIATE_TEST_SUITE_P(
    Versions, ChooseJava,
    ::testing::Values(
        JavaCase{"2.4.6", "/usr/lib/jvm/java-8", "", "JAVA_HOME", "/usr/lib/jvm/java-8/bin/java",
                 "JAVA_HOME/bin/java is executable"},
        JavaCase{"2.4.6", "/usr/lib/jvm/jre", "", "PATH", "/usr/bin/java",
                 "JAVA_HOME=/usr/lib/jvm/jre has no executable bin/java"},
        JavaCase{"5.6.16", "", "/usr/lib/jvm/java-8", "PATH", "/usr/bin/java", "JAVA_HOME is not set"},
        JavaCase{"6.8.23", "/usr/lib/jvm/jre", "", "PATH", "/usr/bin/java",
                 "JAVA_HOME=/usr/lib/jvm/jre has no executable bin/java"},
        JavaCase{"7.10.2", "/usr/lib/jvm/jre", "/usr/lib/jvm/java-8", "JAVA_HOME", "/usr/lib/jvm/jre/bin/java",
                 "JAVA_HOME is set"},
        JavaCase{"7.10.2", "", "/usr/lib/jvm/java-8", "bundled jdk", "/opt/es/jdk/bin/java", "JAVA_HOME is not set"},
        JavaCase{"7.17.25", "/usr/lib/jvm/jre", "/usr/lib/jvm/java-8", "ES_JAVA_HOME",
                 "/usr/lib/jvm/java-8/bin/java", "ES_JAVA_HOME is set"},
        JavaCase{"7.17.25", "/usr/lib/jvm/jre", "", "JAVA_HOME", "/usr/lib/jvm/jre/bin/java",
                 "JAVA_HOME is set and ES_JAVA_HOME is not"},
        JavaCase{"7.17.25", "", "", "bundled JDK", "/opt/es/jdk/bin/java", "neither ES_JAVA_HOME nor JAVA_HOME is set"},
        JavaCase{"8.15.3", "/usr/lib/jvm/java-8", "", "bundled JDK", "/opt/es/jdk/bin/java",
                 "ES_JAVA_HOME is not set; Elasticsearch 8.0 and later ignore JAVA_HOME"},
        JavaCase{"8.15.3", "/usr/lib/jvm/jre", "/usr/lib/jvm/java-8", "ES_JAVA_HOME", "/usr/lib/jvm/java-8/bin/java",
                 "ES_JAVA_HOME is set"}),
    [](const auto& info) { return "case_" + std::to_string(info.index); });

TEST(JavaChoiceRule, WhatTheScriptsSayAboutIt) {
    const JavaLookup lookup = lookup_of({"/usr/bin/java"});
    EnvMap env;
    env.set("JAVA_HOME", "/usr/lib/jvm/jre");
    env.set("PATH", "/usr/bin");
    auto choose = [&](const char* version) {
        return choose_java(es_version_from_jar_name(std::string{"elasticsearch-"} + version + ".jar"), env, "/opt/es",
                           lookup);
    };
    EXPECT_EQ(choose("8.15.3").ignored_java_home, "/usr/lib/jvm/jre");
    EXPECT_FALSE(choose("8.15.3").java_home_deprecated);
    EXPECT_TRUE(choose("7.17.25").java_home_deprecated);
    EXPECT_EQ(choose("7.17.25").ignored_java_home, "");
    EXPECT_FALSE(choose("7.11.2").java_home_deprecated);
    EXPECT_EQ(choose("6.8.23").passed_over, "/usr/lib/jvm/jre");
    EXPECT_TRUE(choose("6.8.23").path_deprecated);
    EXPECT_FALSE(choose("6.6.2").path_deprecated);
    EXPECT_EQ(choose_java(std::nullopt, env, "/opt/es", lookup).source, "bundled JDK");  // unknown: as 8.x
    env.set("ES_JAVA_HOME", "/opt/jdk");
    EXPECT_EQ(choose("8.15.3").ignored_java_home, "");  // ES_JAVA_HOME chose: nothing lost
    env.erase("JAVA_HOME");
    env.erase("PATH");
    const JavaChoice none = choose("5.6.16");
    EXPECT_EQ(none.source, "PATH");
    EXPECT_EQ(none.path, "");  // no PATH, no java
    // `-x "$JAVA_HOME/bin/java"` with JAVA_HOME unset tests /bin/java, which
    // a merged-/usr host has: the script runs that, not PATH's.
    const JavaChoice merged = choose_java(es_version_from_jar_name("elasticsearch-6.8.23.jar"), env, "/opt/es",
                                          lookup_of({"/bin/java", "/usr/bin/java"}));
    EXPECT_EQ(merged.path, "/bin/java");
    EXPECT_EQ(merged.why, "JAVA_HOME is not set, and the script's test of $JAVA_HOME/bin/java finds /bin/java");
}

TEST(JavaRelease, MajorVersion) {
    EXPECT_EQ(java_major_from_release("IMPLEMENTOR=\"Debian\"\nJAVA_VERSION=\"17.0.15\"\nLIBC=\"gnu\"\n"), 17);
    EXPECT_EQ(java_major_from_release("JAVA_VERSION=\"1.8.0_292\"\n"), 8);
    EXPECT_EQ(java_major_from_release("JAVA_VERSION=\"21\"\n"), 21);
    EXPECT_EQ(java_major_from_release("JAVA_RUNTIME_VERSION=\"17.0.15+6\"\n"), 0);
    EXPECT_EQ(java_major_from_release("JAVA_VERSION=\"x\"\n"), 0);
    EXPECT_EQ(java_major_from_release(""), 0);
}

}  // namespace
}  // namespace eslaunch::testing
