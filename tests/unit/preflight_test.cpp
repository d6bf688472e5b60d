// preflight: each of Elasticsearch's bootstrap checks, and what else stops a
// node at start, against hand-built facts; exact messages and fixes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "eslaunch/check.hpp"
#include "eslaunch/preflight.hpp"
#include "test_support.hpp"

namespace eslaunch::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Contains;
using ::testing::Not;
using Severity = Finding::Severity;

constexpr const char* yml_path = "/opt/es/config/elasticsearch.yml";

PathFacts dir_owned_by(const std::string& path, uid_t uid, mode_t mode) {
    PathFacts p;
    p.path = path;
    p.existing = {{"/", 0, 0, 040755}, {"/opt", 0, 0, 040755}, {"/opt/es", 0, 0, 040755}, {path, uid, uid, mode}};
    p.exists = true;
    return p;
}

// A production node (network.host: 10.0.0.5) of `version` that passes every
// check: a root eslaunch with CAP_SYS_RESOURCE, user work, data and logs
// owned by work, vm.max_map_count 262144, the bundled JDK running.
struct Node {
    explicit Node(std::string_view version = "7.17.25") : host(es_host(version)) {
        host.cap_sys_resource = true;
        facts.max_map_count = 262144;
        facts.yml = yml_path;
        facts.groups = {1000, 4};
        facts.data_paths = {dir_owned_by("/opt/es/data", 1000, 040750)};
        facts.logs_path = dir_owned_by("/opt/es/logs", 1000, 040750);
        facts.java = JavaFacts{JavaFacts::Status::ran, "bundled JDK", "/opt/es/jdk/bin/java",
                               "openjdk version \"17.0.2\" 2022-01-18", 17, {}, {}, {}};
        if (host.es.version && host.es.version->major < 7) {
            // Java 8 from PATH; and a hard limit above 5.x and 6.x's floor of 65536 files.
            facts.java = JavaFacts{JavaFacts::Status::ran, "PATH", "/usr/bin/java",
                                   "openjdk version \"1.8.0_292\"", 8, {}, {}, {}};
            host.current_limits[LimitResource::nofile] = {1024, 1048576};
        }
    }

    Preflight run() {
        auto parsed = parse_es_settings(yml, facts.yml);
        if (!parsed) {
            ADD_FAILURE() << parsed.error().front().str();
            return {};
        }
        const std::string text = "[program:es]\ncommand=" + command + "\n" + spec;
        auto parsed_spec = parse_text(text);
        if (!parsed_spec) {
            ADD_FAILURE() << parsed_spec.error().front().str();
            return {};
        }
        spec_value = std::move(*parsed_spec);
        // As gather_preflight_facts does: command= settings over the file.
        apply_command_line_settings(*parsed, spec_value.argv);
        // As gather_host_facts does for the default probe (host.cpp's es_http_settings).
        for (const char* key : {"http.bind_host", "http.host", "network.bind_host", "network.host"}) {
            if (parsed->list(key).empty()) continue;
            host.es.http.bind_host = parsed->list(key).front();
            host.es.http.bind_host_key = key;
            host.es.http.bind_host_where = parsed->where(key);
            break;
        }
        host.es.http.port = parsed->get("http.port");
        const char* tls_key = host.es.opensearch ? "plugins.security.ssl.http.enabled" : "xpack.security.http.ssl.enabled";
        host.es.http.tls = parsed->get(tls_key) == std::optional<std::string>{"true"};
        for (auto [key, where] : {std::pair{"bootstrap.memory_lock", &host.es.memory_lock_where},
                                  std::pair{"bootstrap.mlockall", &host.es.mlockall_where}}) {
            *where = parsed->get(key) == std::optional<std::string>{"true"} ? parsed->where(key) : std::string{};
        }
        facts.settings = std::move(*parsed);
        PlanAttempt planned = plan_launch_partial(spec_value, host);
        if (!planned.errors.empty() && !plan_may_fail) {
            ADD_FAILURE() << planned.errors.front().str();
            return {};
        }
        plan_errors = std::move(planned.errors);
        plan = std::move(planned.plan);
        return evaluate_preflight(spec_value, plan, host, facts);
    }

    std::string command = "/opt/es/bin/elasticsearch";
    std::string spec = "user=work\n";
    std::string yml = "network.host: 10.0.0.5\ndiscovery.seed_hosts: [\"10.0.0.5\"]\n";
    HostFacts host;
    PreflightFacts facts;
    Spec spec_value;
    LaunchPlan plan;
    bool plan_may_fail = false;  // check goes on with a partial plan
    Errors plan_errors;
};

// An OpenSearch node at /opt/os, else as Node: production, and clean.
struct OsNode : Node {
    explicit OsNode(std::string_view version = "2.19.1") {
        host = os_host(version);
        host.cap_sys_resource = true;
        facts.yml = "/opt/os/config/opensearch.yml";
        facts.data_paths = {dir_owned_by("/opt/os/data", 1000, 040750)};
        facts.logs_path = dir_owned_by("/opt/os/logs", 1000, 040750);
        facts.java = JavaFacts{JavaFacts::Status::ran, "bundled jdk", "/opt/os/jdk/bin/java",
                               "openjdk version \"21.0.6\" 2025-01-21", 21, {}, {}, {}};
        command = "/opt/os/bin/opensearch";
    }
};

std::vector<std::string> ids(const Preflight& p) {
    std::vector<std::string> out;
    for (const auto& f : p.findings) out.push_back(f.id);
    return out;
}

// The one finding with `id`.
Finding only(const Preflight& p, std::string_view id) {
    const Finding* found = nullptr;
    for (const auto& f : p.findings) {
        if (f.id != id) continue;
        if (found != nullptr) ADD_FAILURE() << "two findings " << id;
        found = &f;
    }
    if (found == nullptr) {
        ADD_FAILURE() << "no finding " << id << "; found: " << ::testing::PrintToString(ids(p));
        return {};
    }
    return *found;
}

TEST(Preflight, ACleanProductionNodeHasNoFindings) {
    Node node;
    const Preflight p = node.run();
    EXPECT_TRUE(p.findings.empty()) << ::testing::PrintToString(ids(p));
    EXPECT_EQ(p.version, "7.17.25");
    EXPECT_EQ(p.yml, yml_path);
    EXPECT_TRUE(p.bootstrap_enforced);
    EXPECT_EQ(p.mode_reason,
              "transport binds 10.0.0.5 (network.host, /opt/es/config/elasticsearch.yml:1), not only loopback, and "
              "discovery.type is not single-node: failed bootstrap checks stop the node");
    EXPECT_EQ(p.errors(), 0);
}

TEST(Preflight, ProductionModeFollowsTheTransportAddress) {
    struct Case {
        std::string_view version;
        std::string yml;
        std::string spec_extra;
        bool enforced;
        std::string reason;
    };
    const std::vector<Case> cases = {
        {"7.17.25", "", "", false,
         "transport binds loopback only: _local_ (the default): failed bootstrap checks are only logged (they stop "
         "the node once network.host is a real address)"},
        {"7.17.25", "network.host: [_local_, \"127.0.0.1\", \"::1\", localhost]\n", "", false,
         "transport binds loopback only: _local_, 127.0.0.1, ::1, localhost (network.host, "
         "/opt/es/config/elasticsearch.yml:1): failed bootstrap checks are only logged (they stop the node once "
         "network.host is a real address)"},
        {"8.15.3", "network.host: 0.0.0.0\ndiscovery.type: single-node\n", "", false,
         "discovery.type is single-node (/opt/es/config/elasticsearch.yml:2): failed bootstrap checks are only "
         "logged"},
        {"6.8.23", "network:\n  host: _site_\n", "", true,
         "transport binds _site_ (network.host, /opt/es/config/elasticsearch.yml:2), not only loopback, and "
         "discovery.type is not single-node: failed bootstrap checks stop the node"},
        {"7.17.25", "network.host: 10.0.0.5\ntransport.host: 127.0.0.1\n", "", false,
         "transport binds loopback only: 127.0.0.1 (transport.host, /opt/es/config/elasticsearch.yml:2): failed "
         "bootstrap checks are only logged (they stop the node once network.host is a real address)"},
        {"7.17.25", "network.bind_host: 127.0.0.1\nnetwork.publish_host: 10.0.0.5\n", "", true,
         "transport publishes 10.0.0.5 (network.publish_host, /opt/es/config/elasticsearch.yml:2), not loopback, "
         "and discovery.type is not single-node: failed bootstrap checks stop the node"},
        {"7.17.25", "", "-Enetwork.host=10.1.1.1", true,
         "transport binds 10.1.1.1 (network.host, command= (-Enetwork.host=10.1.1.1)), not only loopback, and "
         "discovery.type is not single-node: failed bootstrap checks stop the node"},
        {"7.17.25", "", "environment=ES_JAVA_OPTS=\"-Des.enforce.bootstrap.checks=true\"\n", true,
         "ES_JAVA_OPTS sets -Des.enforce.bootstrap.checks=true: failed bootstrap checks stop the node"},
        {"2.4.6", "network.host: 10.0.0.5\n", "", false,
         "Elasticsearch 2.x has no bootstrap checks: it logs these and starts"},
    };
    for (const auto& c : cases) {
        Node node{c.version};
        node.yml = c.yml;
        if (c.spec_extra.starts_with("-E")) node.command += " " + c.spec_extra;
        else node.spec += c.spec_extra;
        const Preflight p = node.run();
        EXPECT_EQ(p.bootstrap_enforced, c.enforced) << c.yml << c.spec_extra;
        EXPECT_EQ(p.mode_reason, c.reason) << c.yml << c.spec_extra;
    }
}

TEST(Preflight, MaxMapCount) {
    Node node;
    node.facts.max_map_count = 65530;
    const Preflight p = node.run();
    const Finding f = only(p, "max-map-count");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message, "max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]");
    EXPECT_EQ(f.fix,
              "sysctl -w vm.max_map_count=262144 (as root, on the host: containers share it), and keep it across "
              "reboots: echo vm.max_map_count=262144 > /etc/sysctl.d/99-elasticsearch.conf");
    EXPECT_EQ(f.where, "/proc/sys/vm/max_map_count");
    EXPECT_EQ(p.errors(), 1);

    Node loopback;  // the same finding, but Elasticsearch only logs it
    loopback.yml = "";
    loopback.facts.max_map_count = 65530;
    EXPECT_EQ(only(loopback.run(), "max-map-count").severity, Severity::warning);

    Node no_mmap;
    no_mmap.yml += "node.store.allow_mmap: false\n";
    no_mmap.facts.max_map_count = 65530;
    EXPECT_TRUE(no_mmap.run().findings.empty());

    Node enough;
    enough.facts.max_map_count = 262144;
    EXPECT_TRUE(enough.run().findings.empty());
}

TEST(Preflight, FileDescriptors) {
    Node capped;  // no CAP_SYS_RESOURCE: the profile's 65535 stops at the hard limit of 20000
    capped.host.cap_sys_resource = false;
    Finding f = only(capped.run(), "max-file-descriptors");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message, "max file descriptors [20000] for elasticsearch process is too low, increase to at least [65535]");
    EXPECT_EQ(f.fix,
              "raise the hard limit where eslaunch starts: LimitNOFILE=65535 in the unit, or minfds=65535 in "
              "[supervisord], or run eslaunch as root with CAP_SYS_RESOURCE");
    EXPECT_EQ(f.where, "");

    Node written;
    written.spec += "limit_nofile=4096\n";
    f = only(written.run(), "max-file-descriptors");
    EXPECT_EQ(f.message, "max file descriptors [4096] for elasticsearch process is too low, increase to at least [65535]");
    EXPECT_EQ(f.fix, "limit_nofile=65535 in the spec (line 4 has 4096)");
    EXPECT_EQ(f.where, "/etc/eslaunch/test.ini:4");

    // Before 7.0 the floor was 65536: the profile's 65535 falls short by one.
    Node six{"6.8.23"};
    six.host.current_limits[LimitResource::nofile] = {1024, 65535};
    six.host.cap_sys_resource = false;
    f = only(six.run(), "max-file-descriptors");
    EXPECT_EQ(f.message, "max file descriptors [65535] for elasticsearch process is too low, increase to at least [65536]");

    // The JVM raises the soft limit to the hard one: a low soft limit passes.
    Node soft;
    soft.spec += "limit_nofile=1024:65535\n";
    EXPECT_TRUE(soft.run().findings.empty());
}

TEST(Preflight, ThreadsVirtualMemoryAndFileSize) {
    Node node;
    node.spec += "limit_nproc=1024\nlimit_as=1G\nlimit_fsize=10G\n";
    const Preflight p = node.run();
    EXPECT_THAT(ids(p), ElementsAre("max-number-of-threads", "max-size-virtual-memory", "max-file-size"));
    Finding f = only(p, "max-number-of-threads");
    EXPECT_EQ(f.message, "max number of threads [1024] for user [work] is too low, increase to at least [4096]");
    EXPECT_EQ(f.fix, "limit_nproc=4096 in the spec (line 4 has 1024)");
    f = only(p, "max-size-virtual-memory");
    EXPECT_EQ(f.message, "max size virtual memory [1073741824] for user [work] is too low, increase to [unlimited]");
    EXPECT_EQ(f.fix, "limit_as=infinity in the spec (line 5 has 1G)");
    f = only(p, "max-file-size");
    EXPECT_EQ(f.message, "max file size [10737418240] for user [work] is too low, increase to [unlimited]");
    EXPECT_EQ(f.fix, "limit_fsize=infinity in the spec (line 6 has 10G)");
    EXPECT_EQ(f.severity, Severity::error);

    // 5.x wanted 2048 threads and had no file size check yet.
    Node five{"5.6.16"};
    five.host.current_limits[LimitResource::nproc] = {1024, 1024};
    five.spec += "limit_nproc=2048\nlimit_fsize=10G\n";
    const Preflight p5 = five.run();
    EXPECT_EQ(only(p5, "max-file-size").severity, Severity::warning);
    EXPECT_THAT(ids(p5), ElementsAre("max-file-size"));
    five.spec = "user=work\nlimit_nproc=2047\n";
    EXPECT_EQ(only(five.run(), "max-number-of-threads").message,
              "max number of threads [2047] for user [work] is too low, increase to at least [2048]");
}

TEST(Preflight, HeapSize) {
    struct Case {
        std::string_view version;
        std::vector<HeapOption> jvm_options;
        std::string spec_extra;
        std::string message;  // empty: no finding
    };
    const std::vector<HeapOption> one_two = {{"/opt/es/config/jvm.options:22", "-Xms1g"},
                                             {"/opt/es/config/jvm.options:23", "-Xmx2g"}};
    const std::vector<Case> cases = {
        {"7.17.25", one_two, "",
         "initial heap size [1073741824] not equal to maximum heap size [2147483648]; this can cause resize pauses"},
        {"6.8.23", one_two, "",
         "initial heap size [1073741824] not equal to maximum heap size [2147483648]; this can cause resize pauses and "
         "prevents mlockall from locking the entire heap"},
        // heap_size= passes both, last in ES_JAVA_OPTS: it wins over jvm.options.
        {"7.17.25", one_two, "heap_size=4g\n", ""},
        {"7.17.25", one_two, "environment=ES_JAVA_OPTS=\"-Xms2g\"\n", ""},
        {"7.17.25", {{"/opt/es/config/jvm.options:22", "-XX:InitialHeapSize=2g"}, {"/opt/es/config/jvm.options:23", "-XX:MaxHeapSize=2147483648"}}, "", ""},
        // 7.11 and later size the heap themselves when nothing is given.
        {"7.17.25", {}, "", ""},
        {"7.10.2", {}, "",
         "no -Xms or -Xmx in jvm.options or ES_JAVA_OPTS: the JVM starts with 1/64 of the memory and grows to 1/4, "
         "and Elasticsearch reports \"initial heap size [...] not equal to maximum heap size [...]\""},
        {"8.15.3", {{"/opt/es/config/jvm.options.d/heap.options:1", "-Xmx4g"}}, "",
         "-Xmx4g (/opt/es/config/jvm.options.d/heap.options:1) without -Xms: the JVM picks the other itself, and "
         "Elasticsearch reports \"initial heap size [...] not equal to maximum heap size [...]\""},
    };
    for (const auto& c : cases) {
        Node node{c.version};
        node.host.es.jvm_options = c.jvm_options;
        node.spec += c.spec_extra;
        const Preflight p = node.run();
        if (c.message.empty()) {
            EXPECT_TRUE(p.findings.empty()) << c.version << " " << c.spec_extra << ::testing::PrintToString(ids(p));
        } else {
            EXPECT_EQ(only(p, "heap-size").message, c.message) << c.version << " " << c.spec_extra;
        }
    }
    Node node;
    node.host.es.jvm_options = one_two;
    const Finding f = only(node.run(), "heap-size");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.fix,
              "heap_size=2g in the spec (eslaunch passes -Xms and -Xmx, equal, last in ES_JAVA_OPTS; now -Xms1g "
              "(/opt/es/config/jvm.options:22) and -Xmx2g (/opt/es/config/jvm.options:23))");

    // 2.x: ES_MIN_MEM and ES_MAX_MEM default to 256m and 1g; only logged.
    Node two{"2.4.6"};
    const Finding f2 = only(two.run(), "heap-size");
    EXPECT_EQ(f2.severity, Severity::warning);
    EXPECT_EQ(f2.message,
              "initial heap size [268435456] not equal to maximum heap size [1073741824]; this can cause resize pauses "
              "and prevents mlockall from locking the entire heap");
    EXPECT_THAT(f2.fix, HasSubstr("eslaunch passes ES_HEAP_SIZE, which sets both"));
    two.spec += "heap_size=1g\n";
    EXPECT_TRUE(two.run().findings.empty());
}

// The heap options each source sets: 2.x's ES_MIN_MEM with ES_MAX_MEM's
// default, and an -Xms alone, whose size the fix keeps.
TEST(Preflight, HeapOptionsFromEachSource) {
    Node two{"2.4.6"};
    two.spec += "environment=ES_MIN_MEM=512m\n";
    const Finding f = only(two.run(), "heap-size");
    EXPECT_EQ(f.message,
              "initial heap size [536870912] not equal to maximum heap size [1073741824]; this can cause resize pauses "
              "and prevents mlockall from locking the entire heap");
    EXPECT_EQ(f.fix,
              "heap_size=1g in the spec (eslaunch passes ES_HEAP_SIZE, which sets both; now -Xms512m (ES_MIN_MEM) and "
              "-Xmx1g (ES_MAX_MEM's default))");

    Node xms{"8.15.3"};
    xms.host.es.jvm_options = {{"/opt/es/config/jvm.options:22", "-Xms2g"}};
    const Finding g = only(xms.run(), "heap-size");
    EXPECT_EQ(g.message,
              "-Xms2g (/opt/es/config/jvm.options:22) without -Xmx: the JVM picks the other itself, and Elasticsearch "
              "reports \"initial heap size [...] not equal to maximum heap size [...]\"");
    EXPECT_EQ(g.fix, "heap_size=2g in the spec: eslaunch passes -Xms and -Xmx, equal, last in ES_JAVA_OPTS");
}

TEST(Preflight, MemoryLock) {
    // The plan requires an unlimited memlock itself where it can have it.
    Node node;
    node.yml += "bootstrap.memory_lock: true\n";
    EXPECT_THAT(ids(node.run()), Not(Contains("memory-lock")));
    ASSERT_NE(find_limit(node.plan, LimitResource::memlock), nullptr);
    EXPECT_EQ(find_limit(node.plan, LimitResource::memlock)->why,
              "bootstrap.memory_lock: true (/opt/es/config/elasticsearch.yml:3)");

    // Where it cannot (hard limit 8M, no CAP_SYS_RESOURCE): the launch's 205, said why.
    node.host.cap_sys_resource = false;
    node.plan_may_fail = true;
    Finding f = only(node.run(), "memory-lock");
    ASSERT_EQ(node.plan_errors.size(), 1U);
    EXPECT_EQ(node.plan_errors.front().status, status::limits);
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message,
              "memory locking requested for elasticsearch process but memory is not locked: bootstrap.memory_lock: "
              "true (/opt/es/config/elasticsearch.yml:3) needs the memlock limit unlimited, and the hard limit here "
              "is 8M, which eslaunch cannot raise (the launch exits 205)");
    EXPECT_EQ(f.fix,
              "set LimitMEMLOCK=infinity in the unit (supervisord: start it with ulimit -l unlimited), or run "
              "eslaunch as root with CAP_SYS_RESOURCE, or set bootstrap.memory_lock: false");
    EXPECT_EQ(f.where, "/opt/es/config/elasticsearch.yml:3");

    Node locked;
    locked.yml += "bootstrap:\n  memory_lock: true\n";
    locked.spec += "limit_memlock=infinity\n";
    EXPECT_TRUE(locked.run().findings.empty());

    Node low;  // the plan refuses it (78); the finding names the line to change
    low.plan_may_fail = true;
    low.yml += "bootstrap.memory_lock: true\n";
    low.spec += "limit_memlock=64M\n";
    EXPECT_EQ(only(low.run(), "memory-lock").fix, "limit_memlock=infinity in the spec (line 4 has 64M)");
    EXPECT_EQ(low.plan_errors.front().status, status::config);

    Node two{"2.4.6"};  // 2.x's name for it; 2.x only logs it
    two.host.cap_sys_resource = false;
    two.plan_may_fail = true;
    two.spec += "heap_size=1g\n";
    two.yml = "bootstrap.mlockall: true\n";
    EXPECT_EQ(only(two.run(), "memory-lock").severity, Severity::warning);
    Node seven;  // and 5.x and later do not read 2.x's
    seven.yml += "bootstrap.mlockall: true\n";
    EXPECT_THAT(ids(seven.run()), Not(Contains("memory-lock")));
}

TEST(Preflight, NotAsRoot) {
    Node node;
    node.spec = "allow_root=true\n";
    Finding f = only(node.run(), "run-as-root");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message, "can not run elasticsearch as root");
    EXPECT_EQ(f.fix, "set user= to the service account and remove allow_root=true");
    EXPECT_EQ(f.where, "/etc/eslaunch/test.ini:3");

    Node two{"2.4.6"};  // an error whatever the mode: every version refuses
    two.spec = "allow_root=true\nheap_size=1g\n";
    f = only(two.run(), "run-as-root");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message, "don't run elasticsearch as root.");
}

TEST(Preflight, Java) {
    struct Case {
        std::string_view version;
        JavaFacts java;
        std::string id;
        Severity severity;
        std::string message;
        std::string fix;
    };
    using S = JavaFacts::Status;
    const std::vector<Case> cases = {
        {"8.15.3", {S::not_found, "bundled JDK", "/opt/es/jdk/bin/java", "", 0, "", "", ""}, "java", Severity::error,
         "could not find java in bundled JDK at /opt/es/jdk/bin/java",
         "set ES_JAVA_HOME in environment= to a Java runtime directory (this distribution has no jdk/)"},
        {"7.10.2", {S::not_found, "JAVA_HOME", "/usr/lib/jvm/jre/bin/java", "", 0, "", "", ""}, "java", Severity::error,
         "could not find java in JAVA_HOME at /usr/lib/jvm/jre/bin/java",
         "set JAVA_HOME in environment= to a directory with bin/java"},
        {"6.8.23", {S::not_found, "PATH", "", "", 0, "", "", ""}, "java", Severity::error,
         "could not find java; set JAVA_HOME or ensure java is in PATH",
         "set JAVA_HOME in environment= to a Java runtime directory, or install java in the program's PATH "
         "(/usr/sbin:/usr/bin:/sbin:/bin)"},
        {"6.8.23", {S::not_found, "JAVA_HOME", "/usr/lib/jvm/jre/bin/java", "", 0, "", "", ""}, "java", Severity::error,
         "could not find java; set JAVA_HOME or ensure java is in PATH (/usr/lib/jvm/jre/bin/java is not an "
         "executable file)",
         "set JAVA_HOME in environment= to a directory with bin/java"},
        {"5.6.16", {S::not_found, "PATH", "", "", 0, "", "", ""}, "java", Severity::error,
         "Could not find any executable java binary. Please install java in your PATH or set JAVA_HOME",
         "set JAVA_HOME in environment= to a Java runtime directory, or install java in the program's PATH "
         "(/usr/sbin:/usr/bin:/sbin:/bin)"},
        {"7.17.25", {S::failed, "JAVA_HOME", "/root/jdk/bin/java", "", 0, "could not be executed: Permission denied", "", ""},
         "java", Severity::error,
         "/root/jdk/bin/java -version, run as work (uid 1000), could not be executed: Permission denied",
         "check JAVA_HOME (/root/jdk/bin/java); the service user must be able to run it"},
        {"7.17.25", {S::failed, "bundled JDK", "/opt/es/jdk/bin/java", "", 0, "did not finish within 5 s", "", ""},
         "java", Severity::error,
         "/opt/es/jdk/bin/java -version, run as work (uid 1000), did not finish within 5 s",
         "check bundled JDK (/opt/es/jdk/bin/java); the service user must be able to run it"},
        {"5.6.16", {S::ran, "PATH", "/usr/bin/java", "openjdk version \"11.0.2\"", 11, "", "", ""}, "java-version",
         Severity::warning,
         "Elasticsearch 5.6.16 runs on Java 8, and /usr/bin/java is Java 11 (openjdk version \"11.0.2\")",
         "set JAVA_HOME in environment= to a Java 8 runtime"},
        {"8.15.3", {S::ran, "ES_JAVA_HOME", "/usr/lib/jvm/java-11/bin/java", "openjdk version \"11.0.2\"", 11, "", "", ""},
         "java-version", Severity::error,
         "the minimum required Java version is 17; your Java version from [/usr/lib/jvm/java-11/bin/java] does not "
         "meet this requirement",
         "remove ES_JAVA_HOME (the bundled JDK is used) or point it at Java 17 or later"},
        {"5.6.16", {S::ran, "PATH", "/usr/bin/java", "java version \"1.8.0_292\"", 8, "", "/usr/lib/jvm/jre", ""},
         "java-home", Severity::warning,
         "JAVA_HOME=/usr/lib/jvm/jre has no executable bin/java, so the launch script of Elasticsearch 5.x runs "
         "/usr/bin/java from PATH instead",
         "fix JAVA_HOME in environment=, or remove it"},
    };
    for (const auto& c : cases) {
        Node node{c.version};
        node.facts.java = c.java;
        const Preflight p = node.run();
        const Finding f = only(p, c.id);
        EXPECT_EQ(f.severity, c.severity) << c.message;
        EXPECT_EQ(f.message, c.message);
        EXPECT_EQ(f.fix, c.fix);
        EXPECT_EQ(p.findings.size(), 1U) << ::testing::PrintToString(ids(p));
    }
}

// A plan whose user this host lacks (as-user): whose permission bits apply,
// and a uid that only holds the place, are not judged; file types still are.
TEST(Preflight, WithoutTheUserOnlyFileTypesAreJudged) {
    const AsUser absent{false, "work", "user: user 'work' does not exist (status 217, above)"};
    Node node;
    node.facts.data_paths = {dir_owned_by("/opt/es/data", 0, 040700)};  // work cannot write it
    node.facts.logs_path = dir_owned_by("/opt/es/logs", 1000, 0100640);  // a file
    EXPECT_THAT(ids(node.run()), ElementsAre("path-data", "path-logs"));
    node.facts.as_user = absent;
    EXPECT_THAT(ids(node.run()), ElementsAre("path-logs"));
    Node root;
    root.spec = "allow_root=true\n";
    EXPECT_THAT(ids(root.run()), ElementsAre("run-as-root"));
    root.facts.as_user = absent;
    EXPECT_THAT(ids(root.run()), ElementsAre());
}

TEST(Preflight, DataAndLogsPaths) {
    struct Case {
        PathFacts path;
        std::string message;  // empty: no finding
        std::string fix;
    };
    PathFacts missing;
    missing.path = "/var/lib/es";
    missing.existing = {{"/", 0, 0, 040755}, {"/var", 0, 0, 040755}, {"/var/lib", 0, 0, 040755}};
    PathFacts creatable = missing;
    creatable.existing.back() = {"/var/lib", 0, 4, 040775};  // group adm (4), which work is in
    PathFacts locked_above = dir_owned_by("/opt/es/data", 1000, 040750);
    locked_above.existing[2] = {"/opt/es", 0, 0, 040700};
    PathFacts a_file = dir_owned_by("/opt/es/data", 1000, 0100644);
    PathFacts through_file;
    through_file.path = "/opt/es/data/nodes";
    through_file.existing = {{"/", 0, 0, 040755}, {"/opt", 0, 0, 040755}, {"/opt/es", 0, 0, 040755},
                             {"/opt/es/data", 1000, 1000, 0100644}};
    PathFacts owner_without_write = dir_owned_by("/opt/es/data", 1000, 040550);
    PathFacts owner_denied_group_allows = dir_owned_by("/opt/es/data", 1000, 040070);
    owner_denied_group_allows.existing.back().gid = 4;
    const std::vector<Case> cases = {
        {dir_owned_by("/opt/es/data", 1000, 040750), "", ""},
        {dir_owned_by("/opt/es/data", 0, 040755),
         "path.data /opt/es/data: user work (uid 1000) cannot write it (uid 0, gid 0, mode 0755)",
         "chown -R work /opt/es/data"},
        {owner_without_write, "path.data /opt/es/data: user work (uid 1000) cannot write it (uid 1000, gid 1000, mode 0550)",
         "chmod u+rwx /opt/es/data"},
        // The owner's bits decide for the owner, even when the group's would allow.
        {owner_denied_group_allows,
         "path.data /opt/es/data: user work (uid 1000) cannot write it (uid 1000, gid 4, mode 0070)",
         "chmod u+rwx /opt/es/data"},
        {missing,
         "path.data /var/lib/es does not exist, and user work (uid 1000) cannot create it in /var/lib (uid 0, gid 0, "
         "mode 0755)",
         "mkdir -p /var/lib/es && chown work /var/lib/es"},
        {creatable, "", ""},
        {locked_above, "path.data /opt/es/data: user work (uid 1000) cannot enter /opt/es (uid 0, gid 0, mode 0700)",
         "chmod o+x /opt/es"},
        {a_file, "path.data /opt/es/data: not a directory", "point path.data at a directory"},
        {through_file, "path.data /opt/es/data/nodes: /opt/es/data is not a directory, so it cannot be created",
         "point path.data at a directory"},
    };
    for (const auto& c : cases) {
        Node node;
        node.facts.data_paths = {c.path};
        const Preflight p = node.run();
        if (c.message.empty()) {
            EXPECT_TRUE(p.findings.empty()) << c.path.path << ::testing::PrintToString(ids(p));
            continue;
        }
        const Finding f = only(p, "path-data");
        EXPECT_EQ(f.severity, Severity::error);
        EXPECT_EQ(f.message, c.message);
        EXPECT_EQ(f.fix, c.fix);
        EXPECT_EQ(f.where, yml_path);  // path.data is not set: where it would be
    }

    Node logs;
    logs.yml += "path:\n  logs: /var/log/es\n";
    missing.path = "/var/log/es";
    missing.existing[2] = {"/var/log", 0, 0, 040755};
    logs.facts.logs_path = missing;
    const Finding f = only(logs.run(), "path-logs");
    EXPECT_EQ(f.message,
              "path.logs /var/log/es does not exist, and user work (uid 1000) cannot create it in /var/log (uid 0, gid "
              "0, mode 0755)");
    EXPECT_EQ(f.where, "/opt/es/config/elasticsearch.yml:4");

    Node root;  // root may write anywhere; root has its own finding
    root.spec = "allow_root=true\n";
    root.facts.data_paths = {dir_owned_by("/opt/es/data", 1000, 040700)};
    EXPECT_THAT(ids(root.run()), ElementsAre("run-as-root"));
}

TEST(Preflight, DiscoveryMustBeConfiguredFrom7) {
    Node node;
    node.yml = "network.host: 10.0.0.5\n";
    const Finding f = only(node.run(), "discovery-not-configured");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message,
              "the default discovery settings are unsuitable for production use; at least one of "
              "[discovery.seed_hosts, discovery.seed_providers, cluster.initial_master_nodes] must be configured");
    EXPECT_EQ(f.fix,
              "in /opt/es/config/elasticsearch.yml: discovery.seed_hosts (the master-eligible nodes' addresses) and, "
              "for the cluster's first start only, cluster.initial_master_nodes; or discovery.type: single-node for a "
              "one-node cluster");
    for (const char* yml : {"network.host: 10.0.0.5\ncluster.initial_master_nodes: [a]\n",
                            "network.host: 10.0.0.5\ndiscovery.zen.ping.unicast.hosts: [a]\n",
                            "network.host: 10.0.0.5\ndiscovery.type: single-node\n"}) {
        Node ok;
        ok.yml = yml;
        EXPECT_TRUE(ok.run().findings.empty()) << yml;
    }
    Node eight{"8.15.3"};  // 8.x no longer reads the zen names
    eight.yml = "network.host: 10.0.0.5\ndiscovery.zen.ping.unicast.hosts: [a]\n";
    EXPECT_THAT(ids(eight.run()), ElementsAre("discovery-not-configured"));
    Node six{"6.8.23"};
    six.yml = "network.host: 10.0.0.5\n";
    EXPECT_TRUE(six.run().findings.empty());
}

TEST(Preflight, ProbeAgreesWithHttpSettings) {
    struct Case {
        std::string yml;
        std::string ready;
        std::string id;  // empty: no finding
        Severity severity;
        std::string message;
    };
    const std::string prod = "discovery.seed_hosts: [a]\n";
    const std::vector<Case> cases = {
        {prod + "network.host: [_local_, _site_]\n", "http://127.0.0.1:9200/", "", Severity::error, ""},
        {prod + "network.host: 0.0.0.0\n", "http://127.0.0.1:9200/", "", Severity::error, ""},
        {prod + "network.host: 10.0.0.5\n", "http://10.0.0.5:9200/", "", Severity::error, ""},
        {prod + "network.host: 10.0.0.5\nhttp.host: 127.0.0.1\n", "http://localhost:9200/", "", Severity::error, ""},
        {prod + "network.host: es1.example.org\n", "http://127.0.0.1:9200/", "", Severity::error, ""},  // resolves on the node
        {prod + "network.host: _site_\n", "http://10.0.0.5:9200/", "", Severity::error, ""},
        {prod + "network.host: 10.0.0.5\n", "http://127.0.0.1:9200/", "probe-address", Severity::error,
         "ready=http://127.0.0.1:9200/ probes 127.0.0.1, but Elasticsearch binds HTTP to 10.0.0.5 (network.host, "
         "/opt/es/config/elasticsearch.yml:2): the probe never succeeds and the start fails after ready_timeout"},
        {prod + "network.host: _site_\n", "http://[::1]:9200/", "probe-address", Severity::error,
         "ready=http://[::1]:9200/ probes ::1, but Elasticsearch binds HTTP to _site_ (network.host, "
         "/opt/es/config/elasticsearch.yml:2): the probe never succeeds and the start fails after ready_timeout"},
        {"", "http://10.0.0.5:9200/", "probe-address", Severity::error,
         "ready=http://10.0.0.5:9200/ probes 10.0.0.5, but Elasticsearch binds HTTP to _local_ (the default): the "
         "probe never succeeds and the start fails after ready_timeout"},
        {"http.port: 9201\n", "http://127.0.0.1:9200/", "probe-port", Severity::error,
         "ready=http://127.0.0.1:9200/ probes port 9200, but Elasticsearch serves HTTP on 9201 "
         "(/opt/es/config/elasticsearch.yml:1): the probe never succeeds and the start fails after ready_timeout"},
        {"", "http://127.0.0.1:9201/", "probe-port", Severity::warning,
         "ready=http://127.0.0.1:9201/ probes port 9201, but Elasticsearch takes the first free port of 9200-9300 "
         "(the default)"},
        {"", "tcp://127.0.0.1:9300", "", Severity::error, ""},  // the transport port
        {"transport.port: 9301\n", "tcp://127.0.0.1:9300", "probe-port", Severity::warning,
         "ready=tcp://127.0.0.1:9300 probes port 9300, but Elasticsearch takes the first free port of 9200-9300 (the "
         "default)"},
        {"http.port: 9200\ntransport.port: 9301\n", "tcp://127.0.0.1:9300", "probe-port", Severity::error,
         "ready=tcp://127.0.0.1:9300 probes port 9300, but Elasticsearch serves HTTP on 9200 "
         "(/opt/es/config/elasticsearch.yml:1) and transport on 9301 (/opt/es/config/elasticsearch.yml:2): the probe "
         "never succeeds and the start fails after ready_timeout"},
        {"xpack.security.http.ssl.enabled: true\n", "http://127.0.0.1:9200/", "probe-scheme", Severity::error,
         "ready=http://127.0.0.1:9200/ speaks plain HTTP, but xpack.security.http.ssl.enabled is true "
         "(/opt/es/config/elasticsearch.yml:1): Elasticsearch answers only TLS there"},
        {"xpack.security.http.ssl:\n  enabled: false\n", "https://127.0.0.1:9200/", "probe-scheme", Severity::error,
         "ready=https://127.0.0.1:9200/ speaks TLS, but xpack.security.http.ssl.enabled is false "
         "(/opt/es/config/elasticsearch.yml:2)"},
        {"xpack.security.http.ssl.enabled: true\n", "https://127.0.0.1:9200/", "", Severity::error, ""},
    };
    for (const auto& c : cases) {
        Node node;
        node.yml = c.yml;
        node.spec += "ready=" + c.ready + "\n";
        const Preflight p = node.run();
        if (c.id.empty()) {
            EXPECT_TRUE(p.findings.empty()) << c.yml << c.ready << ::testing::PrintToString(ids(p));
            continue;
        }
        const Finding f = only(p, c.id);
        EXPECT_EQ(f.severity, c.severity) << c.yml << c.ready;
        EXPECT_EQ(f.message, c.message) << c.yml << c.ready;
        EXPECT_EQ(f.where, "/etc/eslaunch/test.ini:4");
        EXPECT_EQ(p.findings.size(), 1U) << ::testing::PrintToString(ids(p));
    }
    Node fix;
    fix.yml = prod + "network.host: 10.0.0.5\n";
    fix.spec += "ready=http://127.0.0.1:9200/\n";
    EXPECT_EQ(only(fix.run(), "probe-address").fix,
              "set ready= in the spec to an address the node binds, or bind loopback too: network.host: [_local_, "
              "10.0.0.5]");
}

// A tcp:// probe on the transport's first port is checked against the
// transport's bind address; a probe of an address the node does not bind
// is told to use one it does.
TEST(Preflight, ProbeAddressOfEachLayer) {
    Node transport;
    transport.yml = "discovery.seed_hosts: [a]\ntransport.host: 10.0.0.5\n";
    transport.spec += "ready=tcp://127.0.0.1:9300\n";
    const Preflight p = transport.run();
    EXPECT_EQ(p.findings.size(), 1U) << ::testing::PrintToString(ids(p));
    const Finding f = only(p, "probe-address");
    EXPECT_EQ(f.message,
              "ready=tcp://127.0.0.1:9300 probes 127.0.0.1, but Elasticsearch binds transport to 10.0.0.5 "
              "(transport.host, /opt/es/config/elasticsearch.yml:2): the probe never succeeds and the start fails "
              "after ready_timeout");
    EXPECT_EQ(f.fix,
              "set ready= in the spec to an address the node binds, or bind loopback too: transport.host: [_local_, "
              "10.0.0.5]");

    Node other;
    other.spec += "ready=http://10.0.0.6:9200/\n";
    EXPECT_EQ(only(other.run(), "probe-address").fix,
              "set ready= in the spec to an address the node binds (the default _local_ binds 127.0.0.1 and ::1)");
}

TEST(Preflight, TheDefaultProbeIsCheckedToo) {
    // The default follows network.host and http.port: nothing to say.
    Node follows;
    follows.yml += "http.port: 9201\n";
    EXPECT_TRUE(follows.run().findings.empty());
    EXPECT_EQ(follows.plan.readiness.probe.str(), "http://10.0.0.5:9201/");
    // _site_ names no address eslaunch can probe: it probes 127.0.0.1, which the node does not bind.
    Node site;
    site.yml = "network.host: _site_\ndiscovery.seed_hosts: [a]\n";
    const Finding f = only(site.run(), "probe-address");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message,
              "the default probe http://127.0.0.1:9200/ probes 127.0.0.1, but Elasticsearch binds HTTP to _site_ "
              "(network.host, /opt/es/config/elasticsearch.yml:1): the probe never succeeds and the start fails after "
              "ready_timeout");
    EXPECT_EQ(f.where, yml_path);
}

TEST(Preflight, SettingsFileAndUnknownVersion) {
    Node broken;
    broken.facts.settings_errors = {Error{status::config, yml_path, 3, "YAML: illegal map value",
                                          "Elasticsearch refuses the file too; fix the syntax"}};
    Finding f = only(broken.run(), "elasticsearch-yml");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.where, "/opt/es/config/elasticsearch.yml:3");
    EXPECT_EQ(f.message, "YAML: illegal map value");

    Node missing;
    missing.yml = "";
    missing.facts.yml_missing = true;
    f = only(missing.run(), "elasticsearch-yml");
    EXPECT_EQ(f.severity, Severity::warning);
    EXPECT_EQ(f.message, "/opt/es/config/elasticsearch.yml does not exist: Elasticsearch's defaults apply");

    Node unknown;
    unknown.facts.java->status = JavaFacts::Status::not_found;
    unknown.host.es.version.reset();
    unknown.host.es.jvm_options.clear();
    const Preflight p = unknown.run();
    EXPECT_EQ(p.version, "unknown");
    f = only(p, "version-unknown");
    EXPECT_EQ(f.message,
              "no lib/elasticsearch-X.Y.Z.jar under '/opt/es': java, path.data and path.logs are not checked, the "
              "other checks follow Elasticsearch 8.x");
    EXPECT_THAT(ids(p), ElementsAre("version-unknown"));  // the broken java below is not looked at
    EXPECT_EQ(f.fix, "set es_home= to the Elasticsearch directory");
}

TEST(Preflight, ErrorsComeFirst) {
    Node node;
    node.yml = "";  // loopback: the bootstrap checks are warnings
    node.facts.max_map_count = 1;
    node.spec = "allow_root=true\n";
    const Preflight p = node.run();
    EXPECT_THAT(ids(p), ElementsAre("run-as-root", "max-map-count"));
    EXPECT_EQ(p.errors(), 1);
    EXPECT_EQ(p.warnings(), 1);
}

TEST(Preflight, PathsAndPlaceholders) {
    auto s = parse_es_settings("path.data: [/d1, d2]\npath.logs: ${LOGS}\nnode.name: ${NAME:fallback}\nx: ${NOPE}\n",
                               yml_path);
    ASSERT_TRUE(s);
    EnvMap env;
    env.set("LOGS", "/var/log/es");
    resolve_env_placeholders(*s, env);
    EXPECT_EQ(s->get("path.logs"), "/var/log/es");
    EXPECT_EQ(s->get("node.name"), "fallback");
    EXPECT_EQ(s->get("x"), "${NOPE}");
    EXPECT_EQ(s->line_of("path.logs"), 2);  // the line survives
    const EsPaths paths = es_paths(*s, "/opt/es");
    EXPECT_THAT(paths.data, ElementsAre("/d1", "/opt/es/d2"));
    EXPECT_EQ(paths.data_where, "/opt/es/config/elasticsearch.yml:1");
    EXPECT_EQ(paths.logs, "/var/log/es");

    EsSettings none;
    none.file = yml_path;
    const EsPaths defaults = es_paths(none, "/opt/es");
    EXPECT_THAT(defaults.data, ElementsAre("/opt/es/data"));
    EXPECT_EQ(defaults.logs, "/opt/es/logs");
    EXPECT_EQ(defaults.data_where, yml_path);
    // 5.x packages pass -Edefault.path.data=...: used when path.data is not set.
    apply_command_line_settings(none, {"es", "-Edefault.path.data=/var/lib/elasticsearch"});
    EXPECT_THAT(es_paths(none, "/opt/es").data, ElementsAre("/var/lib/elasticsearch"));
}

TEST(Preflight, CheckOutputCarriesTheFindings) {
    Node node;
    node.facts.max_map_count = 65530;
    const Preflight p = node.run();
    const nlohmann::json j =
        nlohmann::json::parse(render_check_json(node.spec_value, node.plan, test_context().environ, &p));
    EXPECT_EQ(j["findings"], nlohmann::json::parse(R"([{"severity":"error","id":"max-map-count",
        "message":"max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]",
        "fix":"sysctl -w vm.max_map_count=262144 (as root, on the host: containers share it), and keep it across reboots: echo vm.max_map_count=262144 > /etc/sysctl.d/99-elasticsearch.conf",
        "where":"/proc/sys/vm/max_map_count","status":null}])"));
    EXPECT_EQ(j["preflight"]["elasticsearch_version"], "7.17.25");
    EXPECT_EQ(j["preflight"]["elasticsearch_yml"], yml_path);
    EXPECT_EQ(j["preflight"]["product"], "elasticsearch");
    EXPECT_EQ(j["preflight"]["version"], "7.17.25");
    EXPECT_EQ(j["preflight"]["settings_file"], yml_path);
    EXPECT_EQ(j["preflight"]["bootstrap_checks_enforced"], true);
    EXPECT_EQ(j["preflight"]["errors"], 1);
    EXPECT_EQ(j["preflight"]["warnings"], 0);
    const std::string text = render_check_text(node.spec_value, node.plan, test_context().environ, &p);
    EXPECT_THAT(text, HasSubstr("\npreflight (Elasticsearch 7.17.25, /opt/es/config/elasticsearch.yml):\n"
                                "  bootstrap checks enforced: transport binds 10.0.0.5"));
    EXPECT_THAT(text, HasSubstr("  error    max-map-count: max virtual memory areas vm.max_map_count [65530] is too "
                                "low, increase to at least [262144]\n"
                                "           at: /proc/sys/vm/max_map_count\n"
                                "           fix: sysctl -w vm.max_map_count=262144"));
    EXPECT_THAT(text, HasSubstr("  1 error, 0 warnings\n"));

    // Without a preflight (profile plain): null and an empty list.
    const nlohmann::json plain = nlohmann::json::parse(render_check_json(node.spec_value, node.plan, test_context().environ));
    EXPECT_TRUE(plain["preflight"].is_null());
    EXPECT_EQ(plain["findings"], nlohmann::json::array());
}

// check shows which java the node runs and why, from the same choice the
// launch makes (choose_java), in text and JSON.
TEST(Preflight, CheckShowsTheJavaTheNodeRuns) {
    Node node{"8.15.3"};
    node.facts.java->why = "ES_JAVA_HOME is not set; Elasticsearch 8.0 and later ignore JAVA_HOME";
    const Preflight p = node.run();
    ASSERT_TRUE(p.java);
    const std::string text = render_check_text(node.spec_value, node.plan, test_context().environ, &p);
    EXPECT_THAT(text, HasSubstr("\n  JVM: /opt/es/jdk/bin/java (bundled JDK: ES_JAVA_HOME is not set; Elasticsearch "
                                "8.0 and later ignore JAVA_HOME), openjdk version \"17.0.2\" 2022-01-18\n"));
    const nlohmann::json j =
        nlohmann::json::parse(render_check_json(node.spec_value, node.plan, test_context().environ, &p));
    EXPECT_EQ(j["preflight"]["java"], nlohmann::json::parse(R"({"path":"/opt/es/jdk/bin/java","source":"bundled JDK",
        "why":"ES_JAVA_HOME is not set; Elasticsearch 8.0 and later ignore JAVA_HOME","status":"ran",
        "version":"openjdk version \"17.0.2\" 2022-01-18","major":17})"));
    // None found: no path, and the status says so.
    node.facts.java = JavaFacts{JavaFacts::Status::not_found, "PATH", "", "", 0, "", "", "JAVA_HOME is not set"};
    Node five{"5.6.16"};
    five.facts.java = node.facts.java;
    const Preflight none = five.run();
    EXPECT_THAT(render_check_text(five.spec_value, five.plan, test_context().environ, &none),
                HasSubstr("\n  JVM: none in PATH (PATH: JAVA_HOME is not set)\n"));
    const nlohmann::json n =
        nlohmann::json::parse(render_check_json(five.spec_value, five.plan, test_context().environ, &none));
    EXPECT_TRUE(n["preflight"]["java"]["path"].is_null());
    EXPECT_EQ(n["preflight"]["java"]["status"], "not_found");
}

// OpenSearch 1.x and 2.x keep Elasticsearch 7.10's bootstrap checks under
// their own names: the process, the variables, the settings.
TEST(PreflightOpenSearch, TheBootstrapChecksInOpenSearchsWords) {
    OsNode clean;
    const Preflight ok = clean.run();
    EXPECT_TRUE(ok.findings.empty()) << ::testing::PrintToString(ids(ok));
    EXPECT_EQ(ok.product, "OpenSearch");
    EXPECT_EQ(ok.version, "2.19.1");
    EXPECT_TRUE(ok.bootstrap_enforced);

    OsNode node;
    node.host.cap_sys_resource = false;
    node.facts.max_map_count = 65530;
    node.yml += "bootstrap.memory_lock: true\n";
    node.plan_may_fail = true;
    const Preflight p = node.run();
    EXPECT_EQ(only(p, "max-file-descriptors").message,
              "max file descriptors [20000] for opensearch process is too low, increase to at least [65535]");
    EXPECT_THAT(only(p, "memory-lock").message,
                HasSubstr("memory locking requested for opensearch process but memory is not locked: "
                          "bootstrap.memory_lock: true (/opt/os/config/opensearch.yml:3)"));
    EXPECT_THAT(only(p, "max-map-count").fix, HasSubstr("> /etc/sysctl.d/99-opensearch.conf"));

    OsNode root;
    root.spec = "allow_root=true\n";
    EXPECT_EQ(only(root.run(), "run-as-root").message, "can not run opensearch as root");
}

// -Dopensearch.enforce.bootstrap.checks=true in OPENSEARCH_JAVA_OPTS forces
// them; Elasticsearch's property and variable mean nothing to OpenSearch.
TEST(PreflightOpenSearch, WhatEnforcesTheChecks) {
    OsNode forced;
    forced.yml = "";
    forced.spec += "environment=OPENSEARCH_JAVA_OPTS=\"-Dopensearch.enforce.bootstrap.checks=true\"\n";
    const Preflight p = forced.run();
    EXPECT_TRUE(p.bootstrap_enforced);
    EXPECT_EQ(p.mode_reason,
              "OPENSEARCH_JAVA_OPTS sets -Dopensearch.enforce.bootstrap.checks=true: failed bootstrap checks stop "
              "the node");
    OsNode es_names;
    es_names.yml = "";
    es_names.spec += "environment=ES_JAVA_OPTS=\"-Des.enforce.bootstrap.checks=true\"\n";
    EXPECT_FALSE(es_names.run().bootstrap_enforced);
}

// OpenSearch has no automatic heap (Elasticsearch 7.11+'s): without -Xms and
// -Xmx the JVM's defaults apply. The heap is read from jvm.options and then
// OPENSEARCH_JAVA_OPTS, not ES_JAVA_OPTS.
TEST(PreflightOpenSearch, HeapFromJvmOptionsAndOpenSearchJavaOpts) {
    OsNode none;
    none.host.es.jvm_options.clear();
    const Finding f = only(none.run(), "heap-size");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message,
              "no -Xms or -Xmx in jvm.options or OPENSEARCH_JAVA_OPTS: the JVM starts with 1/64 of the memory and "
              "grows to 1/4, and OpenSearch reports \"initial heap size [...] not equal to maximum heap size [...]\"");
    EXPECT_EQ(f.fix, "heap_size=SIZE in the spec, e.g. heap_size=50%: eslaunch passes -Xms and -Xmx, equal, last in "
                     "OPENSEARCH_JAVA_OPTS");

    OsNode uneven;
    uneven.spec += "environment=OPENSEARCH_JAVA_OPTS=\"-Xmx2g\"\n";
    EXPECT_EQ(only(uneven.run(), "heap-size").message,
              "initial heap size [1073741824] not equal to maximum heap size [2147483648]; this can cause resize "
              "pauses");
    OsNode es_var;  // ES_JAVA_OPTS never reaches OpenSearch's JVM
    es_var.spec += "environment=ES_JAVA_OPTS=\"-Xmx2g\"\n";
    EXPECT_THAT(ids(es_var.run()), Not(Contains("heap-size")));
}

// 2.x's JavaVersionChecker wants Java 11; 1.x runs on 8.
TEST(PreflightOpenSearch, Java) {
    const JavaFacts eight{JavaFacts::Status::ran, "JAVA_HOME", "/usr/lib/jvm/java-8/bin/java",
                          "openjdk version \"1.8.0_292\"", 8, {}, {}, {}};
    OsNode two;
    two.facts.java = eight;
    const Finding f = only(two.run(), "java-version");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message, "OpenSearch requires Java 11; your Java version from [/usr/lib/jvm/java-8/bin/java] does not "
                         "meet this requirement");
    OsNode one{"1.3.20"};
    one.facts.java = eight;
    EXPECT_TRUE(one.run().findings.empty()) << ::testing::PrintToString(ids(one.run()));

    OsNode missing;  // no bundled jdk/: OPENSEARCH_JAVA_HOME (1.3+) is the fix
    missing.facts.java = JavaFacts{JavaFacts::Status::not_found, "bundled jdk", "/opt/os/jdk/bin/java", "", 0, {}, {}, {}};
    const Finding m = only(missing.run(), "java");
    EXPECT_EQ(m.message, "could not find java in bundled jdk at /opt/os/jdk/bin/java");
    EXPECT_EQ(m.fix, "set OPENSEARCH_JAVA_HOME in environment= to a Java runtime directory (this distribution has no "
                     "jdk/)");
}

// 2.0 renamed the initial masters; 1.x has only the old name.
TEST(PreflightOpenSearch, DiscoveryNamesOfEachVersion) {
    OsNode two;
    two.yml = "network.host: 10.0.0.5\n";
    Finding f = only(two.run(), "discovery-not-configured");
    EXPECT_EQ(f.message,
              "the default discovery settings are unsuitable for production use; at least one of "
              "[discovery.seed_hosts, discovery.seed_providers, cluster.initial_cluster_manager_nodes / "
              "cluster.initial_master_nodes] must be configured");
    EXPECT_THAT(f.fix, HasSubstr("discovery.seed_hosts (the cluster-manager-eligible nodes' addresses) and, for the "
                                 "cluster's first start only, cluster.initial_cluster_manager_nodes;"));
    OsNode named;
    named.yml = "network.host: 10.0.0.5\ncluster.initial_cluster_manager_nodes: [a, b, c]\n";
    EXPECT_THAT(ids(named.run()), Not(Contains("discovery-not-configured")));

    OsNode one{"1.3.20"};
    one.yml = "network.host: 10.0.0.5\ncluster.initial_cluster_manager_nodes: [a, b, c]\n";
    f = only(one.run(), "discovery-not-configured");
    EXPECT_EQ(f.message,
              "the default discovery settings are unsuitable for production use; at least one of "
              "[discovery.seed_hosts, discovery.seed_providers, cluster.initial_master_nodes] must be configured");
}

// The security plugin's setting decides the scheme, not X-Pack's.
TEST(PreflightOpenSearch, TheProbesSchemeFollowsTheSecurityPlugin) {
    OsNode tls;
    tls.yml += "plugins.security.ssl.http.enabled: true\n";
    tls.spec += "ready=http://127.0.0.1:9200/\n";
    const Finding f = only(tls.run(), "probe-scheme");
    EXPECT_EQ(f.message, "ready=http://127.0.0.1:9200/ speaks plain HTTP, but plugins.security.ssl.http.enabled is "
                         "true (/opt/os/config/opensearch.yml:3): OpenSearch answers only TLS there");
    OsNode xpack;
    xpack.yml += "xpack.security.http.ssl.enabled: true\n";
    xpack.spec += "ready=http://127.0.0.1:9200/\n";
    EXPECT_THAT(ids(xpack.run()), Not(Contains("probe-scheme")));
}

// A protected keystore: 2.14+ reads KEYSTORE_PASSWORD from the environment,
// earlier versions only stdin.
TEST(PreflightOpenSearch, KeystorePassphraseFromTheEnvironmentFrom2_14) {
    const KeystoreFacts protected_ks{"/opt/os/config/opensearch.keystore", KeystoreFacts::Status::protected_, {}};
    OsNode new_node;
    new_node.facts.keystore = protected_ks;
    new_node.spec += "environment=KEYSTORE_PASSWORD=\"s3cret\"\n";
    const Preflight p = new_node.run();
    EXPECT_THAT(ids(p), Not(Contains("keystore-passphrase")));
    EXPECT_EQ(p.keystore, "/opt/os/config/opensearch.keystore: password-protected; KEYSTORE_PASSWORD in environment=");

    OsNode old_node{"2.13.0"};
    old_node.facts.keystore = protected_ks;
    old_node.spec += "environment=KEYSTORE_PASSWORD=\"s3cret\"\n";
    EXPECT_EQ(only(old_node.run(), "keystore-passphrase").severity, Severity::error);

    OsNode plain;
    plain.facts.keystore = KeystoreFacts{"/opt/os/config/opensearch.keystore", KeystoreFacts::Status::unprotected, {}};
    plain.spec += "environment=KEYSTORE_PASSWORD=\"s3cret\"\n";
    EXPECT_EQ(only(plain.run(), "keystore-passphrase").fix,
              "remove KEYSTORE_PASSWORD from environment=, or protect the keystore: bin/opensearch-keystore passwd");
}

TEST(PreflightOpenSearch, CheckOutputNamesOpenSearch) {
    OsNode node;
    node.facts.max_map_count = 65530;
    const Preflight p = node.run();
    const std::string text = render_check_text(node.spec_value, node.plan, test_context().environ, &p);
    EXPECT_THAT(text, HasSubstr("\npreflight (OpenSearch 2.19.1, /opt/os/config/opensearch.yml):\n"));
    EXPECT_THAT(text, HasSubstr("\n  opensearch     2.19.1 (/opt/os/lib/opensearch-2.19.1.jar)\n"));
    const nlohmann::json j =
        nlohmann::json::parse(render_check_json(node.spec_value, node.plan, test_context().environ, &p));
    EXPECT_EQ(j["preflight"]["product"], "opensearch");
    EXPECT_EQ(j["preflight"]["version"], "2.19.1");
    EXPECT_EQ(j["preflight"]["settings_file"], "/opt/os/config/opensearch.yml");
    EXPECT_FALSE(j["preflight"].contains("elasticsearch_version"));
    EXPECT_FALSE(j["preflight"].contains("elasticsearch_yml"));
    EXPECT_EQ(j["heap"]["version"], "2.19.1");
    EXPECT_FALSE(j["heap"].contains("elasticsearch_version"));
}

}  // namespace
}  // namespace eslaunch::testing
