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

LaunchPlan plan_of(const Spec& spec, const HostFacts& host = test_host()) {
    auto plan = plan_launch(spec, host);
    EXPECT_TRUE(plan) << plan.error().front().str();
    return plan ? std::move(*plan) : LaunchPlan{};
}

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
    const json j = json::parse(render_check_json(spec, plan_of(spec, es_host("6.8.23")), context.environ));
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
                                      {"JAVA_HOME", "/usr/lib/jvm/jre"},
                                      {"USER", "work"},
                                      {"LOGNAME", "work"},
                                      {"SHELL", "/bin/bash"},
                                      {"ES_JAVA_OPTS", "-Xms4g -Xmx4g"},
                                      {"ES_TMPDIR", "/var/lib/eslaunch/es/tmp"}}));
    EXPECT_EQ(j["environment_changes"],
              json::parse(R"([{"name":"HOME","change":"changed","value":"/home/work","was":"/root"},
                              {"name":"JAVA_HOME","change":"added","value":"/usr/lib/jvm/jre"},
                              {"name":"USER","change":"added","value":"work"},
                              {"name":"LOGNAME","change":"added","value":"work"},
                              {"name":"SHELL","change":"added","value":"/bin/bash"},
                              {"name":"ES_JAVA_OPTS","change":"added","value":"-Xms4g -Xmx4g"},
                              {"name":"ES_TMPDIR","change":"added","value":"/var/lib/eslaunch/es/tmp"}])"));
    EXPECT_EQ(j["tmpdir"]["path"], "/var/lib/eslaunch/es/tmp");
    EXPECT_EQ(j["tmpdir"]["passed"], "ES_TMPDIR");
    EXPECT_EQ(j["executable"], "/opt/es/bin/elasticsearch");
    EXPECT_EQ(j["identity"], json::parse(R"({"change":true,"user":"work","uid":1000,"gid":1000,"groups":[1000,4]})"));
    EXPECT_EQ(j["limits"]["limit_nofile"],
              json::parse(R"({"current":{"soft":1024,"hard":20000},"planned":{"soft":20000,"hard":20000},"required":false})"));
    EXPECT_EQ(j["heap"]["size"], "4g");
    EXPECT_EQ(j["heap"]["via"], "ES_JAVA_OPTS");
    EXPECT_EQ(j["heap"]["elasticsearch_version"], "6.8.23");
    EXPECT_EQ(j["heap"]["overrides"], json({"-Xms1g (/opt/es/config/jvm.options:22)", "-Xmx1g (/opt/es/config/jvm.options:23)"}));
    EXPECT_EQ(j["no_new_privileges"], true);
    EXPECT_EQ(j["settings"]["heap_size"], json::parse(R"({"value":"4g","source":"spec","detail":""})"));
    EXPECT_EQ(j["main_process"], "the JVM itself, which systemd and supervisord signal");
    // 6.8 checks for 65536 open files (65535 from 7.0): the profile follows it.
    EXPECT_EQ(j["settings"]["limit_nofile"],
              json::parse(R"j({"value":"65536","source":"profile","detail":"best effort; Elasticsearch 6.8.23 wants 65536 (65535 from 7.0)"})j"));
    EXPECT_TRUE(j["settings"]["limit_core"]["value"].is_null());
    EXPECT_EQ(j["settings"].size(), eslaunch_keys().size());
    for (std::string_view key : eslaunch_keys()) EXPECT_TRUE(j["settings"].contains(key)) << key;
    EXPECT_EQ(j["supervisord_only"], json::parse(R"({"stopwaitsecs":{"value":"300","line":7}})"));
    // The host's hard nofile limit (20000) is below what 6.8 wants.
    EXPECT_EQ(j["warnings"], json::parse(R"j([{"line":null,"message":"limit_nofile: profile elasticsearch wants )j"
                                         R"j(65536, the hard limit is 20000: set to 20000 (best effort); raise the )j"
                                         R"j(hard limit where eslaunch starts: LimitNOFILE=65536 in the unit, or )j"
                                         R"j(minfds=65536 in [supervisord], or run eslaunch as root with )j"
                                         R"j(CAP_SYS_RESOURCE"}])j"));
    EXPECT_EQ(j["differences"],
              json::parse(R"j([{"line":null,"message":"supervisord ignores heap_size: they take effect only when )j"
                          R"j(eslaunch starts the program (command=eslaunch FILE)"},)j"
                          R"j({"line":3,"message":"eslaunch sets HOME, USER, LOGNAME and SHELL from the user's )j"
                          R"j(passwd entry (unless environment= sets them); supervisord keeps its own HOME and sets )j"
                          R"j(no USER or LOGNAME"}])j"));
}

// From 8.3, bin/elasticsearch runs a CLI JVM that starts the server as its
// child: check says which one is the main process.
TEST(CheckJson, TheMainProcessOf83IsTheCli) {
    const ParseContext context = test_context();
    const Spec spec = parse_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n");
    for (const char* version : {"8.3.0", "8.15.3", "9.1.0"}) {
        const json j = json::parse(render_check_json(spec, plan_of(spec, es_host(version)), context.environ));
        EXPECT_THAT(j["main_process"].get<std::string>(),
                    ::testing::StartsWith("Elasticsearch's CLI JVM (-Xmx64m), which systemd and supervisord signal; "
                                          "it starts the server JVM as its child"))
            << version;
    }
    const json j = json::parse(render_check_json(spec, plan_of(spec, es_host("8.2.3")), context.environ));
    EXPECT_EQ(j["main_process"], "the JVM itself, which systemd and supervisord signal");
    const Spec other = parse_ok("[program:x]\ncommand=/bin/sleep 5\nuser=work\n");
    EXPECT_FALSE(json::parse(render_check_json(other, plan_of(other), context.environ)).contains("main_process"));
}

TEST(CheckJson, ClearEnvironmentStartsFromPath) {
    const ParseContext context = test_context();
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/true\nallow_root=true\nclear_environment=true\nenvironment=A=\"1\"\n");
    const json j = json::parse(render_check_json(spec, plan_of(spec), context.environ));
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
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/echo 'a b'\nallow_root=true\nenvironment=LANG=\"C\",NEW=\"1\"\nautorestart=true\n");
    const std::string text = render_check_text(spec, plan_of(spec), context.environ);
    EXPECT_THAT(text, HasSubstr("/etc/eslaunch/test.ini: [program:x] is valid"));
    EXPECT_THAT(text, HasSubstr("argv         /bin/echo 'a b'\n"));
    EXPECT_THAT(text, HasSubstr("~ LANG=C (was C.UTF-8)\n"));
    EXPECT_THAT(text, HasSubstr("+ NEW=1\n"));
    EXPECT_THAT(text, HasSubstr("left to supervisord:\n  autorestart=true (line 5)\n"));
    EXPECT_THAT(text, HasSubstr("\n  heap_via             auto                     default\n"));
    EXPECT_THAT(text, HasSubstr("\n  allow_root           true                     spec line 3\n"));
    EXPECT_THAT(text, HasSubstr("\nreadiness:\n  probe          none (default)\n  reported by    nobody: no probe, and "
                                "no systemd waiting (NOTIFY_SOCKET unset)\n"));
    EXPECT_THAT(text, HasSubstr("\ndifferences from supervisord:\n  supervisord ignores allow_root: they take effect "
                                "only when eslaunch starts the program (command=eslaunch FILE)\n"));
}

TEST(CheckText, SaysWhyTheProfile) {
    const Spec plain = parse_ok("[program:x]\ncommand=/bin/true\nallow_root=true\n");
    EXPECT_EQ(profile_reason(plain), "auto: the command is not elasticsearch or opensearch");
    EXPECT_THAT(render_check_text(plain, plan_of(plain), test_context().environ),
                HasSubstr("\n  profile      plain (auto: the command is not elasticsearch or opensearch)\n"));
    EXPECT_EQ(profile_reason(parse_ok("[program:x]\ncommand=/opt/es/bin/elasticsearch\n")),
              "auto: the command is named elasticsearch");
    EXPECT_EQ(profile_reason(parse_ok("[program:x]\ncommand=/usr/share/es/bin/systemd-entrypoint\n")),
              "auto: the command is named systemd-entrypoint");
    EXPECT_EQ(profile_reason(parse_ok("[program:x]\ncommand=/opt/es/bin/elasticsearch\nprofile=jvm\n")),
              "set in the spec");
}

// A user= only the production host has: the plan goes on past that error,
// and every other error of the plan comes with it (not one round at a time).
TEST(CheckJson, APlanThisHostCannotMakeShowsTheRest) {
    HostFacts host = test_host();
    host.user.reset();
    host.user_error = "user 'prod-only' does not exist";
    const Spec spec = parse_ok("[program:x]\ncommand=/opt/app/run\nuser=prod-only\nlimit_nofile=30000\n");
    ASSERT_FALSE(plan_launch(spec, host));  // the launch stops, as before
    const PlanAttempt attempt = plan_launch_partial(spec, host);
    ASSERT_EQ(attempt.errors.size(), 2U);
    EXPECT_EQ(attempt.errors[0].status, 217);
    EXPECT_EQ(attempt.errors[1].status, 205);
    EXPECT_EQ(attempt.plan.executable, "/opt/app/run");
    CheckFindings found;
    found.plan_errors = attempt.errors;
    found.as_user = as_user_here(spec, attempt.plan, attempt.errors);
    EXPECT_FALSE(found.as_user.possible);
    EXPECT_EQ(found.as_user.user, "prod-only");
    EXPECT_EQ(found.as_user.why_not, "user: user 'prod-only' does not exist (status 217, above)");
    found.launch = {{Finding::Severity::error, "program", "cannot execute /opt/app/run", "fix", "/f:2", 203}};
    found.paths_checked = true;
    const json j = json::parse(render_check_json(spec, attempt.plan, test_context().environ, found));
    EXPECT_EQ(j["valid"], false);
    ASSERT_EQ(j["errors"].size(), 2U);
    EXPECT_EQ(j["errors"][0]["status"], 217);
    EXPECT_EQ(j["errors"][0]["line"], 3);
    EXPECT_EQ(j["errors"][1]["status"], 205);
    EXPECT_EQ(j["errors"][1]["line"], 4);
    EXPECT_TRUE(j["identity"]["uid"].is_null());
    EXPECT_EQ(j["argv"], json({"/opt/app/run"}));
    EXPECT_EQ(j["findings"][0]["status"], 203);
    const std::string text = render_check_text(spec, attempt.plan, test_context().environ, found);
    EXPECT_THAT(text, HasSubstr("/etc/eslaunch/test.ini: [program:x] cannot be launched on this host (2 errors); "
                                "the rest of the plan follows:\n  error    /etc/eslaunch/test.ini:3: user: user "
                                "'prod-only' does not exist; create it (useradd --system prod-only) or fix user= "
                                "(status 217)\n"));
    EXPECT_THAT(text, HasSubstr("\n  user         prod-only (not usable on this host: see the errors above)\n"));
    EXPECT_THAT(text, HasSubstr("\nlaunch (directory= and the program, not tested as the user: only what stat() "
                                "tells):\n  error    program: cannot execute /opt/app/run\n"));
}

// A valid plan: the findings carry the launch's status, or null.
TEST(CheckJson, FindingsCarryTheLaunchsStatus) {
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/true\nuser=work\n");
    const LaunchPlan plan = plan_of(spec);
    CheckFindings found;
    found.as_user = as_user_here(spec, plan, {});
    EXPECT_TRUE(found.as_user.possible);
    found.launch = {{Finding::Severity::error, "directory", "m", "f", "/f:3", 200}};
    Preflight pre;
    pre.findings = {{Finding::Severity::warning, "max-map-count", "m", "f", "", 0}};
    found.preflight = &pre;
    const json j = json::parse(render_check_json(spec, plan, test_context().environ, found));
    EXPECT_EQ(j["valid"], true);
    EXPECT_EQ(j["errors"], json::array());
    EXPECT_EQ(j["identity"]["uid"], 1000);
    ASSERT_EQ(j["findings"].size(), 2U);
    EXPECT_EQ(j["findings"][0]["status"], 200);
    EXPECT_TRUE(j["findings"][1]["status"].is_null());
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
