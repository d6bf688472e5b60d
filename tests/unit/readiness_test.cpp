// Readiness, the pure part: the watcher's command line, the default probe
// from elasticsearch.yml's settings, the start-timeout cadence, the lines a
// person reads, and what plan decides (who gets NOTIFY_SOCKET).
#include <algorithm>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "eslaunch/readiness.hpp"
#include "status.hpp"
#include "test_support.hpp"

namespace eslaunch::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::Field;
using ::testing::Not;
using ::testing::StartsWith;

TEST(WatchArgs, RoundTripEveryOption) {
    WatchOptions o;
    o.program = "es";
    o.probe = *parse_ready("https://[fe80::1]:9243/_cluster/health");
    o.expect = *parse_status_list("200,401-403");
    o.timeout = Duration{};  // infinity
    o.interval = Duration{250ms};
    o.ca = "/etc/es/ca.pem";
    o.insecure = true;
    o.user = "elastic";
    o.password_file = "/etc/es/pw";
    o.watchdog = true;
    const auto args = watch_args(o);
    EXPECT_THAT(args, ::testing::ElementsAre("--program", "es", "--ready", "https://[fe80::1]:9243/_cluster/health",
                                             "--expect", "200,401-403", "--timeout", "infinity", "--interval", "250ms",
                                             "--ca", "/etc/es/ca.pem", "--insecure", "--user", "elastic",
                                             "--password-file", "/etc/es/pw", "--watchdog"));
    auto back = parse_watch_args(args);
    ASSERT_TRUE(back) << back.error().what;
    EXPECT_EQ(*back, o);
}

TEST(WatchArgs, BadArgumentsAreNamed) {
    auto p = parse_watch_args({"--program", "es", "--ready", "ftp://x"});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().what, "--ready ftp://x: 'ftp://x' is not a ready probe");
    p = parse_watch_args({"--program", "es", "--ready", "none", "--interval", "infinity"});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().what, "--interval infinity: infinity is not allowed here");
    p = parse_watch_args({"--program", "es", "--ready", "none", "--bogus", "1"});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().what, "unknown argument --bogus");
    p = parse_watch_args({"--program", "es"});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().what, "--program and --ready are required");
    p = parse_watch_args({"--program"});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().what, "--program: missing its value, or unknown");
}

struct ProbeCase {
    EsHttpSettings settings;
    std::string probe;
    std::string why;
    std::string warning;
};

class DefaultProbeTest : public ::testing::TestWithParam<ProbeCase> {};

TEST_P(DefaultProbeTest, FromTheSettings) {
    const auto& c = GetParam();
    const DefaultProbe d = elasticsearch_default_probe(c.settings);
    EXPECT_EQ(d.probe.str(), c.probe);
    EXPECT_EQ(d.why, c.why);
    EXPECT_EQ(d.warning.value_or(""), c.warning);
}

const std::string yml = "/etc/es/elasticsearch.yml";
const std::string y3 = yml + ":3";

EsHttpSettings port(std::string p) { return {std::nullopt, "", "", std::move(p), y3, false, "", std::nullopt, ""}; }
EsHttpSettings host(std::string h, std::string key = "network.host") { return {std::move(h), std::move(key), y3, std::nullopt, "", false, "", std::nullopt, ""}; }
EsHttpSettings readiness(std::string p) { return {std::nullopt, "", "", std::nullopt, "", false, "", std::move(p), yml + ":5"}; }

INSTANTIATE_TEST_SUITE_P(
    Elasticsearch, DefaultProbeTest,
    ::testing::Values(
        ProbeCase{{}, "http://127.0.0.1:9200/", "Elasticsearch's default HTTP port", ""},
        ProbeCase{port("9201"), "http://127.0.0.1:9201/", "http.port 9201 (" + y3 + ")", ""},
        ProbeCase{{"0.0.0.0", "network.host", y3, "9200", yml + ":1", false, "", std::nullopt, ""}, "http://127.0.0.1:9200/",
                  "http.port 9200 (" + yml + ":1)", ""},
        ProbeCase{host("127.0.1.1"), "http://127.0.0.1:9200/", "Elasticsearch's default HTTP port", ""},
        ProbeCase{host("10.0.0.5"), "http://10.0.0.5:9200/", "network.host 10.0.0.5 (" + y3 + ")", ""},
        ProbeCase{{"fd00::5", "http.host", y3, "9400", "command= (-Ehttp.port=9400)", true, yml + ":7", std::nullopt, ""},
                  "https://[fd00::5]:9400/",
                  "http.port 9400 (command= (-Ehttp.port=9400)), http.host fd00::5 (" + y3 +
                      "), xpack.security.http.ssl.enabled true (" + yml + ":7)",
                  ""},
        ProbeCase{host("::1"), "http://[::1]:9200/", "network.host ::1 (" + y3 + ")", ""},
        ProbeCase{host("es-1.example"), "http://es-1.example:9200/", "network.host es-1.example (" + y3 + ")", ""},
        ProbeCase{port("9200-9300"), "http://127.0.0.1:9200/", "http.port 9200-9300 (" + y3 + ")",
                  y3 + ": http.port is the range 9200-9300: eslaunch probes its first port, 9200; set ready= if the "
                       "node may bind another"},
        ProbeCase{port("http"), "http://127.0.0.1:9200/", "Elasticsearch's default HTTP port",
                  y3 + ": http.port 'http' is not a port; eslaunch probes 9200"},
        ProbeCase{host("_site_"), "http://127.0.0.1:9200/", "Elasticsearch's default HTTP port",
                  y3 + ": network.host is _site_: eslaunch cannot tell that address and probes 127.0.0.1, which the "
                       "node may not answer on; set ready= to the address it binds"},
        // readiness.port (8.2+): open once the node has joined; it wins over HTTP.
        ProbeCase{readiness("9400"), "tcp://127.0.0.1:9400",
                  "readiness.port 9400 (" + yml + ":5): open once the node has joined a cluster", ""},
        ProbeCase{{"10.0.0.5", "network.host", y3, "9201", y3, true, y3, "9400", yml + ":5"}, "tcp://127.0.0.1:9400",
                  "readiness.port 9400 (" + yml + ":5): open once the node has joined a cluster", ""},
        ProbeCase{readiness("-1"), "http://127.0.0.1:9200/", "Elasticsearch's default HTTP port", ""},  // off
        ProbeCase{readiness("0"), "http://127.0.0.1:9200/", "Elasticsearch's default HTTP port",
                  yml + ":5: readiness.port '0' is not a port eslaunch can probe; it probes HTTP instead"},
        ProbeCase{readiness("ready"), "http://127.0.0.1:9200/", "Elasticsearch's default HTTP port",
                  yml + ":5: readiness.port 'ready' is not a port eslaunch can probe; it probes HTTP instead"}));

TEST(ExtendCadence, FollowsTheUnitsStartTimeout) {
    using std::chrono::microseconds;
    EXPECT_EQ(extend_cadence(std::nullopt), (ExtendCadence{15s, 30s}));
    EXPECT_EQ(extend_cadence(90'000'000), (ExtendCadence{45s, 90s}));
    EXPECT_EQ(extend_cadence(1'000'000), (ExtendCadence{1s, 2s}));  // never more often than 1 s
    EXPECT_EQ(extend_cadence(0), ExtendCadence{});                  // no timeout: nothing to extend
    EXPECT_EQ(extend_cadence(UINT64_MAX), ExtendCadence{});
}

TEST(Lines, WhatAPersonReads) {
    EXPECT_EQ(format_elapsed(0ms), "0.0 s");
    EXPECT_EQ(format_elapsed(23'456ms), "23.4 s");
    EXPECT_EQ(format_elapsed(60'000ms), "1 min");
    EXPECT_EQ(format_elapsed(125'000ms), "2 min 5 s");
    EXPECT_EQ(format_elapsed(3'720'000ms), "1 h 2 min");
    EXPECT_EQ(ready_line("elasticsearch", 23'456ms, "http://127.0.0.1:9200/", "200"),
              "elasticsearch ready after 23.4 s (http://127.0.0.1:9200/ -> 200)");
    EXPECT_EQ(waiting_line("es", 12'000ms, "tcp://127.0.0.1:9300", "connection refused"),
              "waiting for es: probing tcp://127.0.0.1:9300 for 12.0 s, last: connection refused");
    EXPECT_EQ(waiting_line("es", 0ms, "tcp://127.0.0.1:9300", ""), "waiting for es: probing tcp://127.0.0.1:9300");
    EXPECT_EQ(timeout_line("es", Duration{90s}, "http://127.0.0.1:9200/", "503"),
              "es not ready after ready_timeout=90s (http://127.0.0.1:9200/ -> 503); eslaunch stops extending the "
              "start timeout");
}

// The unit the watcher's sd-bus self-check reads: eslaunch's pid (1234) is
// its MainPID unless `main_pid` says otherwise.
UnitInfo unit_of(std::string type, std::string notify_access, std::uint32_t main_pid = 1234) {
    UnitInfo u;
    u.unit = "elasticsearch.service";
    u.type = std::move(type);
    u.notify_access = std::move(notify_access);
    u.main_pid = main_pid;
    return u;
}

TEST(UnitWarnings, NotifyWithoutNotifyAccessAllWouldDropReady) {
    const ReadyProbe http = *parse_ready("http://127.0.0.1:9200/");
    for (const char* access : {"none", "main", "exec"}) {
        EXPECT_THAT(unit_warnings(unit_of("notify", access), 1234, http),
                    ::testing::ElementsAre(std::string{"elasticsearch.service is Type=notify with NotifyAccess="} +
                                           access +
                                           ": systemd ignores READY=1 from eslaunch-watch and the start will time "
                                           "out; add NotifyAccess=all to its [Service] section"))
            << access;
    }
    // Whatever the probe: the watcher sends READY=1 even for ready=none.
    EXPECT_EQ(unit_warnings(unit_of("notify", "main"), 1234, ReadyProbe{}).size(), 1U);
}

TEST(UnitWarnings, NotTypeNotifyDoesNotWaitForTheProbe) {
    const ReadyProbe tcp = *parse_ready("tcp://127.0.0.1:9300");
    for (const char* type : {"simple", "exec", "forking", "oneshot"}) {
        EXPECT_THAT(unit_warnings(unit_of(type, "none"), 1234, tcp),
                    ::testing::ElementsAre(std::string{"elasticsearch.service is Type="} + type +
                                           ": systemd does not wait for ready=tcp://127.0.0.1:9300; set "
                                           "Type=notify and NotifyAccess=all in its [Service] section"))
            << type;
    }
    // NotifyAccess=all does not help a unit that does not wait.
    EXPECT_EQ(unit_warnings(unit_of("simple", "all"), 1234, tcp).size(), 1U);
}

TEST(UnitWarnings, NoneWhenTheUnitWaitsOrIsNotOurs) {
    const ReadyProbe http = *parse_ready("http://127.0.0.1:9200/");
    // As it should be.
    EXPECT_THAT(unit_warnings(unit_of("notify", "all"), 1234, http), ::testing::IsEmpty());
    // Not Type=notify but nothing to wait for: ready=none.
    EXPECT_THAT(unit_warnings(unit_of("simple", "none"), 1234, ReadyProbe{}), ::testing::IsEmpty());
    // eslaunch is not the unit's main process (under supervisord in a unit, a
    // shell before it): the unit's settings are not about this program.
    EXPECT_THAT(unit_warnings(unit_of("notify", "main", 99), 1234, http), ::testing::IsEmpty());
    EXPECT_THAT(unit_warnings(unit_of("simple", "none", 0), 1234, http), ::testing::IsEmpty());
}

// systemd before 238 ignores EXTEND_TIMEOUT_USEC: the watcher says so, for
// a unit that waits for a probe (this host's systemd is 252: the decision is
// tested here, from the Version string sd-bus gives).
TEST(UnitWarnings, SystemdBefore238CannotExtendTheStart) {
    EXPECT_EQ(systemd_release("252.30-1~deb12u2"), 252);
    EXPECT_EQ(systemd_release("219"), 219);
    EXPECT_EQ(systemd_release("237.3-3ubuntu1"), 237);
    EXPECT_EQ(systemd_release("v219"), std::nullopt);
    EXPECT_EQ(systemd_release(""), std::nullopt);
    EXPECT_EQ(systemd_release("9999999"), 999999);  // at most 6 digits read

    const ReadyProbe http = *parse_ready("http://127.0.0.1:9200/");
    UnitInfo u = unit_of("notify", "all");
    u.timeout_start_usec = 900'000'000;
    u.manager_version = "219";
    EXPECT_THAT(unit_warnings(u, 1234, http),
                ::testing::ElementsAre("systemd 219 is older than 238: it ignores EXTEND_TIMEOUT_USEC, so its "
                                       "TimeoutStartSec=900s of elasticsearch.service must cover the node's whole "
                                       "start, shard recovery included; raise TimeoutStartSec= in a drop-in if the "
                                       "node can take longer"));
    u.manager_version = "237.3-3ubuntu1";
    EXPECT_EQ(unit_warnings(u, 1234, http).size(), 1U);
    for (const char* fine : {"238", "252.30-1~deb12u2", "", "unknown"}) {
        u.manager_version = fine;
        EXPECT_THAT(unit_warnings(u, 1234, http), ::testing::IsEmpty()) << fine;
    }
    // Nothing to extend: ready=none, or a unit that does not wait.
    u.manager_version = "219";
    EXPECT_THAT(unit_warnings(u, 1234, ReadyProbe{}), ::testing::IsEmpty());
    EXPECT_THAT(unit_warnings(u, 99, http), ::testing::IsEmpty());
}

// 8.3+: the watcher names the server process, found among the main
// process's children by the main class on its command line.
TEST(ServerChild, FoundByItsMainClass) {
    using namespace std::string_literals;
    EXPECT_TRUE(runs_elasticsearch_server("/usr/share/elasticsearch/jdk/bin/java\0-Xms1g\0-m\0"
                                          "org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch\0"s));
    EXPECT_TRUE(runs_elasticsearch_server("java\0-cp\0lib/*\0org.elasticsearch.bootstrap.Elasticsearch\0"s));
    EXPECT_FALSE(runs_elasticsearch_server("java\0-Xmx64m\0org.elasticsearch.launcher.CliToolLauncher\0"s));
    EXPECT_FALSE(runs_elasticsearch_server("java\0xorg.elasticsearch.bootstrap.Elasticsearch\0"s));
    EXPECT_FALSE(runs_elasticsearch_server("java\0org.elasticsearch.bootstrap.Elasticsearch2\0"s));
    EXPECT_FALSE(runs_elasticsearch_server(""));
    EXPECT_THAT(parse_children("1240 1251 "), ::testing::ElementsAre(1240U, 1251U));
    EXPECT_THAT(parse_children("12\n"), ::testing::ElementsAre(12U));
    EXPECT_THAT(parse_children("0 x1 1234567890 7"), ::testing::ElementsAre(7U));
    EXPECT_THAT(parse_children("1 2 3 4", 2), ::testing::ElementsAre(1U, 2U));
    EXPECT_EQ(ready_line("es", 2'300ms, "tcp://127.0.0.1:9400", "open", 1234, 1240),
              "es ready after 2.3 s (tcp://127.0.0.1:9400 -> open); main pid 1234 (Elasticsearch's CLI), "
              "server pid 1240");
    EXPECT_EQ(ready_line("es", 2'300ms, "tcp://127.0.0.1:9400", "open", 1234, std::nullopt),
              "es ready after 2.3 s (tcp://127.0.0.1:9400 -> open)");
}

HostFacts with_notify() {
    HostFacts h = test_host();
    h.environ.set("NOTIFY_SOCKET", "/run/systemd/notify");
    h.environ.set("WATCHDOG_USEC", "30000000");
    h.environ.set("WATCHDOG_PID", "1");
    return h;
}

TEST(PlanReadiness, TheWatcherAloneGetsSystemdsVariables) {
    const LaunchPlan p = plan_ok("[program:es]\ncommand=/bin/sleep 5\nuser=work\nready=http://127.0.0.1:9200/\n"
                                 "watchdog=true\nready_timeout=2min\n",
                                 with_notify());
    ASSERT_TRUE(p.readiness.watcher);
    EXPECT_EQ(*p.readiness.watcher, "/usr/libexec/eslaunch-watch");
    EXPECT_TRUE(p.readiness.notify);
    EXPECT_EQ(p.readiness.source, "ready= at line 4");
    for (std::string_view name : notify_variables) {
        EXPECT_EQ(p.environment.get(name), nullptr) << name;
        EXPECT_NE(p.readiness.watcher_environment.get(name), nullptr) << name;
    }
    EXPECT_THAT(p.readiness.watcher_argv, Contains("--watchdog"));
    EXPECT_THAT(p.readiness.watcher_argv, Contains("2min"));
    EXPECT_EQ(*p.readiness.watcher_environment.get("USER"), "work");  // exec: probes see the program's environment
}

TEST(PlanReadiness, NativeLeavesNotifyToTheProgram) {
    HostFacts h = with_notify();
    h.es = es_host("7.17.9").es;
    const LaunchPlan p = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nready=native\n", h);
    EXPECT_FALSE(p.readiness.watcher);
    EXPECT_EQ(*p.environment.get("NOTIFY_SOCKET"), "/run/systemd/notify");
    EXPECT_EQ(*p.environment.get("ES_SD_NOTIFY"), "true");  // 7+ packages notify only when asked

    h.es = es_host("6.8.23").es;
    const LaunchPlan six = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nready=native\n", h);
    EXPECT_EQ(six.environment.get("ES_SD_NOTIFY"), nullptr);
}

// readiness.port makes the default probe that port; before 8.2 the node
// knows no such setting and would not start: the plan says so.
TEST(PlanReadiness, ReadinessPortIsTheDefaultProbeFrom82) {
    HostFacts h = es_host("8.15.3");
    h.es.http.readiness_port = "9400";
    h.es.http.readiness_port_where = "/opt/es/config/elasticsearch.yml:4";
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n";
    LaunchPlan p = plan_ok(spec, h);
    EXPECT_EQ(p.readiness.probe.str(), "tcp://127.0.0.1:9400");
    EXPECT_EQ(p.readiness.source, "profile elasticsearch: readiness.port 9400 (/opt/es/config/elasticsearch.yml:4): "
                                  "open once the node has joined a cluster");
    for (const auto& w : p.warnings) EXPECT_THAT(w.text, Not(::testing::HasSubstr("readiness.port"))) << w.text;

    h.es.version = EsVersion{7, 17, 9};
    p = plan_ok(spec, h);
    bool warned = false;
    for (const auto& w : p.warnings) {
        warned = warned || w.text == "/opt/es/config/elasticsearch.yml:4: readiness.port is an Elasticsearch 8.2+ "
                                     "setting: 7.17.9 refuses to start with it (unknown setting); remove it";
    }
    EXPECT_TRUE(warned);
}

TEST(PlanReadiness, NoneWithoutSystemdNeedsNoWatcher) {
    const LaunchPlan p = plan_ok("[program:x]\ncommand=/bin/sleep 5\nuser=work\n");
    EXPECT_EQ(p.readiness.probe.kind, ReadyProbe::Kind::none);
    EXPECT_FALSE(p.readiness.watcher);
    // Under systemd, ready=none still needs READY=1 once the exec worked.
    const LaunchPlan n = plan_ok("[program:x]\ncommand=/bin/sleep 5\nuser=work\n", with_notify());
    EXPECT_TRUE(n.readiness.watcher);
    EXPECT_THAT(n.readiness.watcher_argv, Contains("none"));
}

TEST(PlanReadiness, ElasticsearchDefaultsToItsHttpPort) {
    HostFacts h = es_host("8.11.1");
    h.es.http = {"10.1.2.3", "network.host", "/opt/es/config/elasticsearch.yml:2", "9201",
                 "/opt/es/config/elasticsearch.yml:1", false, "", std::nullopt, ""};
    const LaunchPlan p = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n", h);
    EXPECT_EQ(p.readiness.probe.str(), "http://10.1.2.3:9201/");
    EXPECT_EQ(p.readiness.source,
              "profile elasticsearch: http.port 9201 (/opt/es/config/elasticsearch.yml:1), network.host 10.1.2.3 "
              "(/opt/es/config/elasticsearch.yml:2)");
    EXPECT_TRUE(p.readiness.watcher);  // a probe runs even without systemd: the stderr line
}

TEST(PlanReadiness, ElasticsearchYmlNotReadIsAWarningAndTheDefaultPort) {
    // The file itself refused (the node would refuse it too), or eslaunch-check
    // could not read it for us: each says which, and the probe takes 9200.
    HostFacts h = es_host("8.11.1");
    h.es.settings_error = "/opt/es/config/elasticsearch.yml: cannot open: Permission denied";
    LaunchPlan p = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n", h);
    EXPECT_EQ(p.readiness.probe.str(), "http://127.0.0.1:9200/");
    EXPECT_THAT(p.warnings, Contains(Field(&Note::text,
                                           "the default probe ignores elasticsearch.yml, which Elasticsearch will "
                                           "refuse too: /opt/es/config/elasticsearch.yml: cannot open: Permission denied")));
    h.es.settings_error.clear();
    h.es.reader_error = "eslaunch-check, which reads it, is not at /usr/libexec/eslaunch-check; reinstall eslaunch";
    p = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n", h);
    EXPECT_EQ(p.readiness.probe.str(), "http://127.0.0.1:9200/");
    EXPECT_THAT(p.warnings, Contains(Field(&Note::text,
                                           "the default probe ignores elasticsearch.yml: eslaunch-check, which reads "
                                           "it, is not at /usr/libexec/eslaunch-check; reinstall eslaunch")));
}

TEST(PlanReadiness, AMissingWatcherIsAnExecError) {
    HostFacts h = test_host();
    h.watcher.reset();
    const Error e = plan_error("[program:es]\ncommand=/bin/sleep 5\nuser=work\nready=tcp://127.0.0.1:9300\n", h);
    EXPECT_EQ(e.status, status::exec);
    EXPECT_EQ(e.str(), "/etc/eslaunch/test.ini:4: eslaunch-watch, which runs the readiness probe, is not at "
                       "/usr/libexec/eslaunch-watch; reinstall eslaunch, or set ready=none");
}

TEST(PlanReadiness, WatchdogWithoutAProbeIsAWarning) {
    const LaunchPlan p = plan_ok("[program:x]\ncommand=/bin/sleep 5\nuser=work\nwatchdog=true\n");
    ASSERT_FALSE(p.warnings.empty());
    EXPECT_THAT(p.warnings.back().text, StartsWith("watchdog=true needs a probe"));
}

// The per-version examples plan as their comments say, on a host with that
// version installed.
struct ExampleCase {
    std::string file;
    std::string version;
    std::string heap_passed;
    std::string probe;
};

class Examples : public ::testing::TestWithParam<ExampleCase> {};

TEST_P(Examples, PlanAsTheirCommentsSay) {
    const auto& c = GetParam();
    std::ifstream in{std::string{ESLAUNCH_SOURCE_ROOT} + "/examples/" + c.file};
    ASSERT_TRUE(in) << c.file;
    std::stringstream text;
    text << in.rdbuf();
    HostFacts h = es_host(c.version);
    h.es.opensearch = c.file.starts_with("opensearch");
    h.mem_total = std::uint64_t{128} << 30;
    h.current_limits[LimitResource::nofile] = {1024, 1048576};
    h.current_limits[LimitResource::memlock] = {limit_infinity, limit_infinity};
    h.es.http = {std::nullopt, "", "", "9200", "/etc/elasticsearch/elasticsearch.yml:5", false, "", std::nullopt, ""};
    const LaunchPlan p = plan_ok(text.str(), h);
    EXPECT_EQ(p.heap.passed, c.heap_passed);
    EXPECT_EQ(p.readiness.probe.str(), c.probe);
    EXPECT_TRUE(p.readiness.watcher);
    // Enough open files for the version's max-file-descriptors bootstrap check.
    const PlannedLimit* nofile = find_limit(p, LimitResource::nofile);
    ASSERT_NE(nofile, nullptr);
    // OpenSearch's FileDescriptorCheck wants 65535 in every version.
    EXPECT_GE(nofile->planned.hard, h.es.opensearch ? 65535 : es_min_open_files(h.es.version)) << c.file;
}

INSTANTIATE_TEST_SUITE_P(
    PerVersion, Examples,
    ::testing::Values(ExampleCase{"elasticsearch-2.x.ini", "2.4.6", "ES_HEAP_SIZE=24g", "http://127.0.0.1:9200/"},
                      ExampleCase{"elasticsearch-6.x.ini", "6.8.23", "ES_JAVA_OPTS=-Xms16g -Xmx16g",
                                  "http://127.0.0.1:9200/"},
                      ExampleCase{"elasticsearch-8.x.ini", "8.11.1", "ES_JAVA_OPTS=-Xms31g -Xmx31g",
                                  "https://127.0.0.1:9200/"},
                      ExampleCase{"opensearch-1.x.ini", "1.3.20", "OPENSEARCH_JAVA_OPTS=-Xms8g -Xmx8g",
                                  "http://127.0.0.1:9200/"},
                      ExampleCase{"opensearch-2.x.ini", "2.19.1", "OPENSEARCH_JAVA_OPTS=-Xms16g -Xmx16g",
                                  "https://127.0.0.1:9200/"}),
    [](const auto& info) {
        std::string name = info.param.file.substr(0, info.param.file.find('.')) + "_" + info.param.version.substr(0, 1) + "x";
        std::replace(name.begin(), name.end(), '-', '_');
        return name;
    });

}  // namespace
}  // namespace eslaunch::testing
