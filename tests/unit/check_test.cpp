// What `check` prints: the JSON object's shape and the program's environment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "eslaunch/check.hpp"
#include "test_support.hpp"

namespace eslaunch::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Spec parse_ok(std::string_view text) {
    auto spec = parse_text(text);
    EXPECT_TRUE(spec) << spec.error().front().str();
    return spec ? std::move(*spec) : Spec{};
}

TEST(CheckJson, ShapeAndEnvironment) {
    const ParseContext context = test_context();
    const Spec spec = parse_ok(
        "[program:es]\n"
        "command=/opt/es/bin/elasticsearch -Enode.name=%(host_node_name)s\n"
        "user=work\n"
        "umask=027\n"
        "environment=JAVA_HOME=\"/usr/lib/jvm/jre\",HOME=\"/home/work\"\n"
        "heap_size=4g\n"
        "stopwaitsecs=300\n");
    const json j = json::parse(render_check_json(spec, context.environ));
    EXPECT_EQ(j["valid"], true);
    EXPECT_EQ(j["file"], "/etc/eslaunch/test.ini");
    EXPECT_EQ(j["program"], "es");
    EXPECT_EQ(j["profile"], "elasticsearch");
    EXPECT_EQ(j["argv"], json({"/opt/es/bin/elasticsearch", "-Enode.name=node-1"}));
    EXPECT_EQ(j["user"], "work");
    EXPECT_TRUE(j["group"].is_null());
    EXPECT_TRUE(j["directory"].is_null());
    EXPECT_EQ(j["umask"], "0027");
    // The whole environment the program gets: eslaunch's own plus the spec's.
    EXPECT_EQ(j["environment"], json({{"HOME", "/home/work"},
                                      {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
                                      {"ES_HOME", "/opt/es"},
                                      {"LANG", "C.UTF-8"},
                                      {"WITH_COMMA", "a,b c"},
                                      {"JAVA_HOME", "/usr/lib/jvm/jre"}}));
    EXPECT_EQ(j["environment_changes"],
              json::parse(R"([{"name":"HOME","change":"changed","value":"/home/work","was":"/root"},
                              {"name":"JAVA_HOME","change":"added","value":"/usr/lib/jvm/jre"}])"));
    EXPECT_EQ(j["settings"]["heap_size"], json::parse(R"({"value":"4g","source":"spec","detail":""})"));
    EXPECT_EQ(j["settings"]["limit_nofile"]["value"], "65535");
    EXPECT_EQ(j["settings"]["limit_nofile"]["source"], "profile");
    EXPECT_TRUE(j["settings"]["limit_core"]["value"].is_null());
    EXPECT_EQ(j["settings"].size(), eslaunch_keys().size());
    for (std::string_view key : eslaunch_keys()) EXPECT_TRUE(j["settings"].contains(key)) << key;
    EXPECT_EQ(j["supervisord_only"], json::parse(R"({"stopwaitsecs":{"value":"300","line":7}})"));
    EXPECT_TRUE(j["warnings"].is_array());
    ASSERT_EQ(j["differences"].size(), 2U);
    EXPECT_EQ(j["differences"][1]["line"], 3);
}

TEST(CheckJson, ClearEnvironmentStartsFromPath) {
    const ParseContext context = test_context();
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/true\nclear_environment=true\nenvironment=A=\"1\"\n");
    const json j = json::parse(render_check_json(spec, context.environ));
    EXPECT_EQ(j["environment"], json({{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, {"A", "1"}}));
}

TEST(CheckJson, ErrorsAsJson) {
    auto spec = parse_text("[program:x]\ncommand=/bin/true\nuser=a b\n");
    ASSERT_FALSE(spec);
    const json j = json::parse(render_errors_json(spec.error()));
    EXPECT_EQ(j["valid"], false);
    ASSERT_EQ(j["errors"].size(), 1U);
    EXPECT_EQ(j["errors"][0]["line"], 3);
    EXPECT_EQ(j["errors"][0]["status"], 78);
    EXPECT_EQ(j["errors"][0]["message"], "user: 'a b' is not a valid user name");
}

TEST(CheckText, ShowsThePlanSoFar) {
    const ParseContext context = test_context();
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/echo 'a b'\nenvironment=LANG=\"C\",NEW=\"1\"\nautorestart=true\n");
    const std::string text = render_check_text(spec, context.environ);
    EXPECT_THAT(text, HasSubstr("/etc/eslaunch/test.ini: [program:x] is valid"));
    EXPECT_THAT(text, HasSubstr("argv         /bin/echo 'a b'\n"));
    EXPECT_THAT(text, HasSubstr("~ LANG=C (was C.UTF-8)\n"));
    EXPECT_THAT(text, HasSubstr("+ NEW=1\n"));
    EXPECT_THAT(text, HasSubstr("left to supervisord:\n  autorestart=true (line 4)\n"));
    EXPECT_THAT(text, HasSubstr("heap_via"));
}

TEST(Environment, MapAndChanges) {
    const char* envp[] = {"A=1", "B=2", "A=shadowed", "NOEQUALS", "=x", "C=", nullptr};
    EnvMap env = EnvMap::from_envp(envp);
    ASSERT_EQ(env.vars().size(), 3U);
    EXPECT_EQ(*env.get("A"), "1");
    EXPECT_EQ(*env.get("C"), "");
    EnvMap after = env;
    after.set("B", "3");
    after.set("D", "4");
    after.erase("C");
    EXPECT_EQ(after.to_envp_strings(), (std::vector<std::string>{"A=1", "B=3", "D=4"}));
    const auto changes = environment_changes(env, after);
    ASSERT_EQ(changes.size(), 3U);
    EXPECT_EQ(changes[0].kind, EnvChange::Kind::changed);
    EXPECT_EQ(changes[0].old_value, "2");
    EXPECT_EQ(changes[1].kind, EnvChange::Kind::added);
    EXPECT_EQ(changes[2].kind, EnvChange::Kind::removed);
    EXPECT_EQ(changes[2].name, "C");
}

}  // namespace
}  // namespace eslaunch::testing
