// plan_launch from hand-built HostFacts: identity, spec file safety, limits,
// heap per Elasticsearch version, executable lookup. Exact messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "eslaunch/java.hpp"
#include "eslaunch/plan.hpp"
#include "test_support.hpp"

namespace eslaunch::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view es_spec =
    "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=2g\n";

bool has_warning(const LaunchPlan& plan, std::string_view text) {
    for (const auto& w : plan.warnings) {
        if (w.text.find(text) != std::string::npos) return true;
    }
    return false;
}

// The plan's warning that starts with `start` (a copy: `plan` may be a temporary).
std::optional<Note> warning_about(const LaunchPlan& plan, std::string_view start) {
    for (const auto& w : plan.warnings) {
        if (w.text.starts_with(start)) return w;
    }
    return std::nullopt;
}

std::string env_of(const LaunchPlan& plan, std::string_view name) {
    const std::string* v = plan.environment.get(name);
    return v == nullptr ? "<unset>" : *v;
}

// --- identity ---------------------------------------------------------------

TEST(PlanIdentity, DropsToTheUserWithItsGroups) {
    const LaunchPlan plan = plan_ok("[program:x]\ncommand=/bin/true\nuser=work\n");
    EXPECT_TRUE(plan.change_identity);
    EXPECT_EQ(plan.uid, 1000U);
    EXPECT_EQ(plan.gid, 1000U);
    EXPECT_THAT(plan.groups, ElementsAre(1000U, 4U));
    EXPECT_EQ(env_of(plan, "HOME"), "/home/work");
    EXPECT_EQ(env_of(plan, "USER"), "work");
    EXPECT_EQ(env_of(plan, "LOGNAME"), "work");
    EXPECT_EQ(env_of(plan, "SHELL"), "/bin/bash");
}

TEST(PlanIdentity, SpecEnvironmentWinsOverPasswd) {
    const LaunchPlan plan = plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nenvironment=HOME=\"/srv/es\"\n");
    EXPECT_EQ(env_of(plan, "HOME"), "/srv/es");
    EXPECT_EQ(env_of(plan, "USER"), "work");
}

TEST(PlanIdentity, GroupAndSupplementaryGroups) {
    HostFacts host = test_host();
    host.group = GroupEntry{"elastic", 2000};
    host.supplementary = {{"adm", {"adm", 4}}, {"27", {"sudo", 27}}, {"elastic", {"elastic", 2000}}};
    const LaunchPlan plan =
        plan_ok("[program:x]\ncommand=/bin/true\nuser=work\ngroup=elastic\nsupplementary_groups=adm,27,elastic\n", host);
    EXPECT_EQ(plan.gid, 2000U);
    EXPECT_THAT(plan.groups, ElementsAre(2000U, 4U, 27U));  // primary first, no duplicates
    const LaunchPlan none = plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nsupplementary_groups=none\n");
    EXPECT_THAT(none.groups, ElementsAre(1000U));
}

TEST(PlanIdentity, IdsTheKernelTakesAsLeaveUnchangedAreRefused) {
    // (uid_t)-1 in a passwd entry: setresuid(-1, -1, -1) would keep root.
    HostFacts host = test_host();
    host.user = UserEntry{"work", 4294967295U, 1000, "/home/work", "/bin/bash"};
    const Error uid = plan_error("[program:x]\ncommand=/bin/true\nuser=work\n", host);
    EXPECT_EQ(uid.status, status::user);
    EXPECT_EQ(uid.str(), "/etc/eslaunch/test.ini:3: user=work: its passwd entry has uid 4294967295, which setresuid() "
                         "takes as \"leave the uid as it is\"; give the user a real uid (usermod -u)");
    host = test_host();
    host.user = UserEntry{"work", 1000, 4294967295U, "/home/work", "/bin/bash"};
    const Error gid = plan_error("[program:x]\ncommand=/bin/true\nuser=work\n", host);
    EXPECT_EQ(gid.status, status::group);
    EXPECT_THAT(gid.str(), HasSubstr(":3: user=work (its primary group): gid 4294967295 is what setresgid() takes as"));
    host = test_host();
    host.group = GroupEntry{"odd", 4294967295U};
    EXPECT_THAT(plan_error("[program:x]\ncommand=/bin/true\nuser=work\ngroup=odd\n", host).str(),
                HasSubstr(":4: group=odd: gid 4294967295"));
    host = test_host();
    host.user_groups = {1000, 4294967295U};
    const Error extra = plan_error("[program:x]\ncommand=/bin/true\nuser=work\n", host);
    EXPECT_EQ(extra.status, status::group);
    EXPECT_THAT(extra.str(), HasSubstr(":3: supplementary_groups (the user's, from the group database): gid 4294967295"));
}

TEST(PlanIdentity, RootsGroupIsAWarningNamingTheKey) {
    HostFacts host = test_host();
    host.group = GroupEntry{"root", 0};
    const LaunchPlan primary = plan_ok("[program:x]\ncommand=/bin/true\nuser=work\ngroup=root\n", host);
    ASSERT_EQ(primary.warnings.size(), 1U);
    EXPECT_EQ(primary.warnings[0].line, 4);
    EXPECT_THAT(primary.warnings[0].text, HasSubstr("group=root makes gid 0 (root's group) the program's group"));
    host = test_host();
    host.supplementary = {{"root", {"root", 0}}};
    const LaunchPlan listed =
        plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nsupplementary_groups=root\n", host);
    ASSERT_EQ(listed.warnings.size(), 1U);
    EXPECT_EQ(listed.warnings[0].line, 4);
    EXPECT_THAT(listed.warnings[0].text, HasSubstr("supplementary_groups= gives the program gid 0"));
    host = test_host();
    host.user_groups = {1000, 0};
    const LaunchPlan automatic = plan_ok("[program:x]\ncommand=/bin/true\nuser=work\n", host);
    ASSERT_EQ(automatic.warnings.size(), 1U);
    EXPECT_THAT(automatic.warnings[0].text, HasSubstr("supplementary_groups (the user's, from the group database)"));
    EXPECT_TRUE(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\n").warnings.empty());
}

TEST(PlanIdentity, Refusals) {
    EXPECT_EQ(plan_error("[program:x]\ncommand=/bin/true\n").str(),
              "/etc/eslaunch/test.ini:1: [program:x] has no user=, so the program would run as root; set user= to the "
              "service account (Elasticsearch refuses to run as root), or allow_root=true");
    EXPECT_EQ(plan_error("[program:x]\ncommand=/bin/true\n").status, status::user);

    HostFacts root_user = test_host();
    root_user.user = UserEntry{"root", 0, 0, "/root", "/bin/bash"};
    const Error as_root = plan_error("[program:x]\ncommand=/bin/true\nuser=root\n", root_user);
    EXPECT_EQ(as_root.status, status::user);
    EXPECT_EQ(as_root.str(), "/etc/eslaunch/test.ini:3: user=root runs the program as root; use a service account "
                             "(Elasticsearch refuses to run as root), or set allow_root=true");
    EXPECT_TRUE(plan_ok("[program:x]\ncommand=/bin/true\nuser=root\nallow_root=true\n", root_user).change_identity);
    const LaunchPlan allowed = plan_ok("[program:x]\ncommand=/bin/true\nallow_root=true\n");
    EXPECT_FALSE(allowed.change_identity);
    EXPECT_EQ(allowed.uid, 0U);

    HostFacts missing = test_host();
    missing.user.reset();
    missing.user_error = "user 'work' does not exist";
    const Error no_user = plan_error("[program:x]\ncommand=/bin/true\nuser=work\n", missing);
    EXPECT_EQ(no_user.status, status::user);
    EXPECT_EQ(no_user.str(), "/etc/eslaunch/test.ini:3: user: user 'work' does not exist; create it (useradd --system "
                             "work) or fix user=");

    HostFacts no_group = test_host();
    no_group.group_error = "group 'elastic' does not exist";
    const Error group = plan_error("[program:x]\ncommand=/bin/true\nuser=work\ngroup=elastic\n", no_group);
    EXPECT_EQ(group.status, status::group);
    EXPECT_EQ(group.line, 4);

    const Error supp = plan_error("[program:x]\ncommand=/bin/true\nuser=work\nsupplementary_groups=nosuch\n");
    EXPECT_EQ(supp.status, status::group);
    EXPECT_EQ(supp.str(), "/etc/eslaunch/test.ini:4: supplementary_groups: group 'nosuch' does not exist; create it "
                          "or remove it from the list");
}

TEST(PlanIdentity, NotRunningAsRoot) {
    HostFacts host = test_host();
    host.euid = 1000;
    host.egid = 1000;
    host.current_user = UserEntry{"work", 1000, 1000, "/home/work", "/bin/bash"};
    const LaunchPlan self = plan_ok("[program:x]\ncommand=/bin/true\nuser=work\n", host);
    EXPECT_FALSE(self.change_identity);
    EXPECT_EQ(self.uid, 1000U);
    const LaunchPlan no_user = plan_ok("[program:x]\ncommand=/bin/true\n", host);
    EXPECT_EQ(no_user.user_name, "work");

    host.user = UserEntry{"other", 1001, 1001, "/home/other", "/bin/sh"};
    const Error e = plan_error("[program:x]\ncommand=/bin/true\nuser=other\n", host);
    EXPECT_EQ(e.status, status::user);
    EXPECT_EQ(e.str(), "/etc/eslaunch/test.ini:3: user=other: eslaunch is not running as root (uid 1000), so it "
                       "cannot switch to uid 1001; start eslaunch as root (it drops privileges itself), or remove user=");
}

// --- limits -------------------------------------------------------------------

TEST(PlanLimits, WrittenLimitsAreRequired) {
    const LaunchPlan plan = plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nlimit_nofile=4096:20000\nlimit_core=0\n");
    ASSERT_EQ(plan.limits.size(), 2U);
    EXPECT_EQ(find_limit(plan, LimitResource::nofile)->planned, (LimitValue{4096, 20000}));
    EXPECT_TRUE(find_limit(plan, LimitResource::nofile)->required);
    EXPECT_EQ(find_limit(plan, LimitResource::core)->planned, (LimitValue{0, 0}));  // lowering is fine
}

TEST(PlanLimits, AboveTheHardLimitIs205WithTheFix) {
    const Error e = plan_error("[program:x]\ncommand=/bin/true\nuser=work\nlimit_nofile=102400\n");
    EXPECT_EQ(e.status, status::limits);
    EXPECT_EQ(e.str(),
              "/etc/eslaunch/test.ini:4: limit_nofile=102400: the hard limit is 20000 and eslaunch cannot raise it (no "
              "CAP_SYS_RESOURCE); raise the hard limit where eslaunch starts: LimitNOFILE=102400 in the unit, or "
              "minfds=102400 in [supervisord], or run eslaunch as root with CAP_SYS_RESOURCE");
    HostFacts cap = test_host();
    cap.cap_sys_resource = true;
    EXPECT_EQ(find_limit(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nlimit_nofile=102400\n", cap),
                         LimitResource::nofile)
                  ->planned,
              (LimitValue{102400, 102400}));
    EXPECT_EQ(plan_error("[program:x]\ncommand=/bin/true\nuser=work\nlimit_memlock=infinity\n").str(),
              "/etc/eslaunch/test.ini:4: limit_memlock=infinity: the hard limit is 8M and eslaunch cannot raise it "
              "(no CAP_SYS_RESOURCE); raise the hard limit where eslaunch starts: LimitMEMLOCK=infinity in the unit, "
              "or run eslaunch as root with CAP_SYS_RESOURCE");
}

TEST(PlanLimits, NofileAboveNrOpen) {
    HostFacts cap = test_host();
    cap.cap_sys_resource = true;
    EXPECT_EQ(plan_error("[program:x]\ncommand=/bin/true\nuser=work\nlimit_nofile=2000000\n", cap).str(),
              "/etc/eslaunch/test.ini:4: limit_nofile=2000000 is above the kernel's fs.nr_open (1048576); lower "
              "limit_nofile, or raise the sysctl fs.nr_open to at least 2000000");
    // infinity means fs.nr_open, as in systemd.
    EXPECT_EQ(find_limit(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nlimit_nofile=infinity\n", cap),
                         LimitResource::nofile)
                  ->planned,
              (LimitValue{1048576, 1048576}));
}

TEST(PlanLimits, ElasticsearchDefaultsAreBestEffort) {
    const LaunchPlan plan = plan_ok(es_spec, es_host("7.17.25"));
    const PlannedLimit* nofile = find_limit(plan, LimitResource::nofile);
    ASSERT_NE(nofile, nullptr);
    EXPECT_FALSE(nofile->required);
    EXPECT_EQ(nofile->planned, (LimitValue{20000, 20000}));  // as far as the hard limit allows
    EXPECT_EQ(find_limit(plan, LimitResource::nproc)->planned, (LimitValue{63000, 63000}));  // never lowered
    EXPECT_EQ(find_limit(plan, LimitResource::as)->planned.soft, limit_infinity);
    EXPECT_EQ(find_limit(plan, LimitResource::fsize)->planned.hard, limit_infinity);
    EXPECT_EQ(find_limit(plan, LimitResource::memlock), nullptr);
    bool warned = false;
    for (const auto& w : plan.warnings) {
        if (w.text.starts_with("limit_nofile: profile elasticsearch wants 65535, the hard limit is 20000: set to 20000 "
                               "(best effort); raise the hard limit where eslaunch starts: LimitNOFILE=65535")) {
            warned = true;
        }
    }
    EXPECT_TRUE(warned);
    EXPECT_TRUE(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\n").limits.empty());  // plain: unchanged
}

// Elasticsearch's max-file-descriptors bootstrap check wants 65536 before 7.0
// (5.x and 6.x refuse to start below it in production mode; 2.x warns) and
// 65535 from 7.0: the profile's nofile follows the version found.
struct NofileCase {
    std::string_view version;  // "" = a home without elasticsearch-X.Y.Z.jar
    std::uint64_t files;
};

class PlanNofileVersion : public ::testing::TestWithParam<NofileCase> {};

TEST_P(PlanNofileVersion, ProfileNofileIsWhatTheVersionChecksFor) {
    const auto& c = GetParam();
    constexpr std::string_view spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n";
    HostFacts host = es_host(c.version.empty() ? "none" : c.version);
    ASSERT_EQ(host.es.version.has_value(), !c.version.empty());
    host.cap_sys_resource = true;  // the hard limit may be raised: the plan shows the profile's value itself
    const LaunchPlan raised = plan_ok(spec, host);
    const PlannedLimit* nofile = find_limit(raised, LimitResource::nofile);
    ASSERT_NE(nofile, nullptr);
    EXPECT_EQ(nofile->planned, (LimitValue{c.files, c.files}));
    EXPECT_FALSE(nofile->required);

    host.cap_sys_resource = false;  // hard limit 20000: raised that far, and the warning names the version's value
    const LaunchPlan capped = plan_ok(spec, host);
    EXPECT_EQ(find_limit(capped, LimitResource::nofile)->planned, (LimitValue{20000, 20000}));
    EXPECT_TRUE(has_warning(capped, fmt::format("limit_nofile: profile elasticsearch wants {}, the hard limit is 20000",
                                                c.files)));
    EXPECT_TRUE(has_warning(capped, fmt::format("LimitNOFILE={}", c.files)));

    // Written in the spec, the value is the spec's whatever the version.
    const LaunchPlan written = plan_ok(std::string{spec} + "limit_nofile=16384\n", host);
    EXPECT_EQ(find_limit(written, LimitResource::nofile)->planned, (LimitValue{16384, 16384}));
}

INSTANTIATE_TEST_SUITE_P(Versions, PlanNofileVersion,
                         ::testing::Values(NofileCase{"2.4.6", 65536}, NofileCase{"5.6.16", 65536},
                                           NofileCase{"6.8.23", 65536}, NofileCase{"7.0.0", 65535},
                                           NofileCase{"7.17.25", 65535}, NofileCase{"8.15.3", 65535},
                                           NofileCase{"", 65535}),
                         [](const auto& info) {
                             std::string name{info.param.version.empty() ? "unknown" : info.param.version};
                             std::replace(name.begin(), name.end(), '.', '_');
                             return "es_" + name;
                         });

// --- heap, per Elasticsearch version ----------------------------------------

struct VersionCase {
    std::string_view version;
    std::string_view variable;
    std::string_view value;
    std::size_t overrides;
};

class PlanHeapVersion : public ::testing::TestWithParam<VersionCase> {};

TEST_P(PlanHeapVersion, HeapReachesTheJvmTheWayTheVersionReadsIt) {
    const auto& c = GetParam();
    const LaunchPlan plan = plan_ok(es_spec, es_host(c.version));
    EXPECT_EQ(plan.profile, Profile::elasticsearch);
    EXPECT_EQ(plan.heap.bytes, std::uint64_t{2} << 30);
    EXPECT_EQ(plan.heap.via, c.variable);
    EXPECT_EQ(env_of(plan, c.variable), c.value);
    EXPECT_EQ(plan.heap.version->str(), c.version);
    EXPECT_EQ(plan.heap.overrides.size(), c.overrides);
    if (c.variable == "ES_JAVA_OPTS") {
        EXPECT_EQ(env_of(plan, "ES_HEAP_SIZE"), "<unset>");
    }
}

INSTANTIATE_TEST_SUITE_P(Versions, PlanHeapVersion,
                         ::testing::Values(VersionCase{"2.4.6", "ES_HEAP_SIZE", "2g", 0},
                                           VersionCase{"5.6.16", "ES_JAVA_OPTS",
                                                       "-Xms2g -Xmx2g -Djava.io.tmpdir=/var/lib/eslaunch/es/tmp", 2},
                                           VersionCase{"6.8.23", "ES_JAVA_OPTS", "-Xms2g -Xmx2g", 2},
                                           VersionCase{"7.17.25", "ES_JAVA_OPTS", "-Xms2g -Xmx2g", 2},
                                           VersionCase{"8.15.3", "ES_JAVA_OPTS", "-Xms2g -Xmx2g", 2}),
                         [](const auto& info) {
                             std::string name{info.param.version};
                             std::replace(name.begin(), name.end(), '.', '_');
                             return "es_" + name;
                         });

TEST(PlanHeap, OverridesAreNamed) {
    const LaunchPlan plan = plan_ok(es_spec, es_host("7.17.25"));
    EXPECT_THAT(plan.heap.overrides,
                ElementsAre("-Xms1g (/opt/es/config/jvm.options:22)", "-Xmx1g (/opt/es/config/jvm.options:23)"));
    EXPECT_EQ(plan.heap.passed, "ES_JAVA_OPTS=-Xms2g -Xmx2g");
    HostFacts old = es_host("2.4.6");
    old.environ.set("ES_HEAP_SIZE", "1g");
    const LaunchPlan two = plan_ok(es_spec, old);
    EXPECT_THAT(two.heap.overrides, ElementsAre("ES_HEAP_SIZE=1g"));
    EXPECT_EQ(env_of(two, "ES_HEAP_SIZE"), "2g");
}

TEST(PlanHeap, AppendsToExistingJavaOpts) {
    const LaunchPlan plan = plan_ok(
        "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=2g\n"
        "environment=ES_JAVA_OPTS=\"-Dfoo=bar\"\n",
        es_host("8.15.3"));
    EXPECT_EQ(env_of(plan, "ES_JAVA_OPTS"), "-Dfoo=bar -Xms2g -Xmx2g");
}

TEST(PlanHeap, EsHeapSizeOnFiveAndLaterIsTranslated) {
    for (std::string_view version : {"5.6.16", "6.8.23", "7.17.25"}) {
        HostFacts host = es_host(version);
        host.environ.set("ES_HEAP_SIZE", "3g");
        const LaunchPlan plan = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n", host);
        EXPECT_EQ(env_of(plan, "ES_HEAP_SIZE"), "<unset>") << version;
        // 5.x also gets its tmpdir there (6.2 and later read ES_TMPDIR).
        EXPECT_EQ(env_of(plan, "ES_JAVA_OPTS"),
                  version.starts_with("5.") ? "-Xms3g -Xmx3g -Djava.io.tmpdir=/var/lib/eslaunch/es/tmp" : "-Xms3g -Xmx3g")
            << version;
        EXPECT_TRUE(has_warning(plan, fmt::format("ES_HEAP_SIZE=3g is not read by Elasticsearch {} (5.x refuses to start, 6.x "
                                          "and later ignore it): passed as -Xms3g -Xmx3g in ES_JAVA_OPTS instead",
                                          version)))
            << version;
    }
    HostFacts both = es_host("6.8.23");
    both.environ.set("ES_HEAP_SIZE", "3g");
    const LaunchPlan plan = plan_ok(es_spec, both);
    EXPECT_EQ(env_of(plan, "ES_HEAP_SIZE"), "<unset>");
    EXPECT_EQ(env_of(plan, "ES_JAVA_OPTS"), "-Xms2g -Xmx2g");
    EXPECT_TRUE(has_warning(plan, "ES_HEAP_SIZE=3g removed: Elasticsearch 6.8.23 does not read it, heap_size=2g is used"));
    HostFacts two = es_host("2.4.6");
    two.environ.set("ES_HEAP_SIZE", "3g");
    EXPECT_EQ(env_of(plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n", two), "ES_HEAP_SIZE"), "3g");
}

TEST(PlanHeap, Conflicts) {
    HostFacts opts = es_host("7.17.25");
    opts.environ.set("ES_JAVA_OPTS", "-Xmx8g -Dx=y");
    const Error e = plan_error(es_spec, opts);
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.str(), "/etc/eslaunch/test.ini:4: heap_size=2g and -Xmx8g in ES_JAVA_OPTS both set the heap; remove "
                       "-Xmx8g from ES_JAVA_OPTS or remove heap_size=");
    HostFacts two = es_host("2.4.6");
    two.environ.set("ES_MAX_MEM", "4g");
    EXPECT_EQ(plan_error(es_spec, two).str(),
              "/etc/eslaunch/test.ini:4: heap_size=2g and ES_MAX_MEM=4g both set the heap of Elasticsearch 2.4.6; "
              "remove ES_MAX_MEM from the environment");
    EXPECT_EQ(plan_error(es_spec, test_host()).str(),
              "/etc/eslaunch/test.ini:4: heap_size: cannot tell the Elasticsearch version: no "
              "lib/elasticsearch-X.Y.Z.jar under '(no es_home)'; set es_home= to the Elasticsearch directory, or "
              "heap_via=es_heap_size (before 5.0) or heap_via=es_java_opts (5.0 and later)");
    EXPECT_EQ(plan_error("[program:x]\ncommand=/bin/true\nuser=work\nheap_size=1g\nheap_via=none\n").str(),
              "/etc/eslaunch/test.ini:4: heap_size=1g with heap_via=none passes no heap; remove heap_size=, or choose "
              "how to pass it with heap_via=");
    HostFacts env_heap = es_host("6.8.23");
    env_heap.environ.set("ES_HEAP_SIZE", "lots");
    EXPECT_EQ(plan_error("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n", env_heap).str(),
              "/etc/eslaunch/test.ini: ES_HEAP_SIZE='lots' is not a heap size; remove it; Elasticsearch 5.0 and later "
              "do not read it: set heap_size= instead");
}

TEST(PlanHeap, MemoryLimit) {
    HostFacts host = es_host("7.17.25");
    EXPECT_EQ(plan_error("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=17g\n", host).str(),
              "/etc/eslaunch/test.ini:4: heap_size=17g is above the memory limit of 16.0 GiB (MemTotal in "
              "/proc/meminfo); use at most 50% of the memory limit, e.g. heap_size=50%");
    host.cgroup_memory = std::uint64_t{4} << 30;
    host.cgroup_memory_source = "/sys/fs/cgroup/memory/x/memory.limit_in_bytes";
    const LaunchPlan automatic =
        plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=auto\n", host);
    EXPECT_EQ(automatic.heap.bytes, std::uint64_t{2} << 30);  // 50% of the cgroup's 4g, not of 16g
    EXPECT_EQ(automatic.heap.memory_limit_source, "/sys/fs/cgroup/memory/x/memory.limit_in_bytes");
    const LaunchPlan pct = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=25%\n", host);
    EXPECT_EQ(pct.heap.bytes, std::uint64_t{1} << 30);
    const LaunchPlan big = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=3g\n", host);
    EXPECT_TRUE(has_warning(big, "heap 3g is more than 50% of the memory limit of 4.0 GiB"));
    EXPECT_FALSE(has_warning(pct, "more than 50%"));

    HostFacts huge = es_host("7.17.25");
    huge.mem_total = std::uint64_t{256} << 30;
    const LaunchPlan capped = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=auto\n", huge);
    EXPECT_EQ(capped.heap.bytes, std::uint64_t{31} << 30);
    const LaunchPlan oops = plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=32g\n", huge);
    EXPECT_TRUE(has_warning(oops, "heap 32g is 32g or more: the JVM stops using compressed"));
    EXPECT_FALSE(has_warning(capped, "32g or more"));
}

// Without MemTotal a percentage has nothing to be a percentage of, and a
// cgroup's limit, alone, is the limit.
TEST(PlanHeap, UnknownMemoryLimit) {
    HostFacts host = es_host("7.17.25");
    host.mem_total = 0;
    EXPECT_EQ(plan_error("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=50%\n", host).str(),
              "/etc/eslaunch/test.ini:4: heap_size=50%: the memory limit is unknown; write the heap as a size, e.g. "
              "heap_size=4g");
    const LaunchPlan sized = plan_ok(es_spec, host);
    EXPECT_EQ(sized.heap.bytes, std::uint64_t{2} << 30);
    EXPECT_EQ(sized.heap.memory_limit, 0U);
    host.cgroup_memory = std::uint64_t{8} << 30;
    host.cgroup_memory_source = "/sys/fs/cgroup/x/memory.max";
    const LaunchPlan half =
        plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=50%\n", host);
    EXPECT_EQ(half.heap.bytes, std::uint64_t{4} << 30);
    EXPECT_EQ(half.heap.memory_limit_source, "/sys/fs/cgroup/x/memory.max");
}

TEST(PlanHeap, OtherJvms) {
    const LaunchPlan jvm = plan_ok("[program:x]\ncommand=/usr/bin/java -jar app.jar\nuser=work\nprofile=jvm\nheap_size=512m\n");
    EXPECT_EQ(env_of(jvm, "JAVA_TOOL_OPTIONS"), "-Xms512m -Xmx512m");
    const LaunchPlan named = plan_ok(
        "[program:x]\ncommand=/opt/app/run\nuser=work\nheap_size=1g\nheap_via=env:APP_OPTS\n"
        "environment=APP_OPTS=\"-server\"\n");
    EXPECT_EQ(env_of(named, "APP_OPTS"), "-server -Xms1g -Xmx1g");
}

TEST(PlanProfile, AutoFindsElasticsearchByItsJar) {
    HostFacts host = es_host("6.8.23");
    const LaunchPlan plan = plan_ok("[program:es]\ncommand=/opt/es/bin/start-node\nuser=work\nes_home=/opt/es\nheap_size=1g\n", host);
    EXPECT_EQ(plan.profile, Profile::elasticsearch);
    EXPECT_EQ(env_of(plan, "ES_JAVA_OPTS"), "-Xms1g -Xmx1g");
    EXPECT_EQ(plan_error("[program:es]\ncommand=/opt/es/bin/start-node -d\nuser=work\nes_home=/opt/es\n", host).line, 2);
    EXPECT_EQ(plan_ok("[program:es]\ncommand=/opt/es/bin/start-node\nuser=work\nprofile=plain\n", host).profile,
              Profile::plain);
}

// --- heap and java, as each version's launch script takes them --------------

// 2.x's bin/elasticsearch: `java $JAVA_OPTS $ES_JAVA_OPTS`, where JAVA_OPTS
// ends with the -Xms/-Xmx of ES_HEAP_SIZE. A heap flag after them wins, one
// before them is lost: either way heap_size= is not the heap the spec says.
TEST(PlanHeap, TwoXHeapFlagsInJavaOptsAreRefused) {
    const std::string with_opts = std::string{es_spec} + "environment=ES_JAVA_OPTS=\"-Dx=1 -Xmx512m\"\n";
    const Error e = plan_error(with_opts, es_host("2.4.6"));
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.str(),
              "/etc/eslaunch/test.ini:4: heap_size=2g and -Xmx512m in ES_JAVA_OPTS (environment= at line 5) both set "
              "the heap of Elasticsearch 2.4.6: its bin/elasticsearch passes ES_JAVA_OPTS after the -Xms2g -Xmx2g it "
              "makes of ES_HEAP_SIZE, and the JVM takes the last, so -Xmx512m would win; remove -Xmx512m from "
              "ES_JAVA_OPTS, or remove heap_size=");
    HostFacts inherited = es_host("2.4.6");
    inherited.environ.set("JAVA_OPTS", "-server -Xms4g");
    EXPECT_EQ(plan_error(es_spec, inherited).str(),
              "/etc/eslaunch/test.ini:4: heap_size=2g and -Xms4g in JAVA_OPTS (inherited from eslaunch's environment) "
              "both set the heap of Elasticsearch 2.4.6: its elasticsearch.in.sh puts the JAVA_OPTS it inherits before "
              "the -Xms2g -Xmx2g it makes of ES_HEAP_SIZE, so -Xms4g would be overridden unseen; remove -Xms4g from "
              "JAVA_OPTS: heap_size= sets the heap");
    // Both, and 1.x alike: every flag is named at once.
    inherited.environ.set("ES_JAVA_OPTS", "-XX:MaxHeapSize=1g");
    auto spec = parse_text(es_spec);
    ASSERT_TRUE(spec);
    for (const char* version : {"2.4.6", "1.7.5"}) {
        HostFacts host = inherited;
        host.es = es_host(version).es;
        auto plan = plan_launch(*spec, host);
        ASSERT_FALSE(plan) << version;
        EXPECT_EQ(plan.error().size(), 2U) << version;
        EXPECT_THAT(plan.error().front().what, HasSubstr("-XX:MaxHeapSize=1g in ES_JAVA_OPTS")) << version;
    }
    // Options that set no heap are passed as they are.
    HostFacts other = es_host("2.4.6");
    other.environ.set("JAVA_OPTS", "-server");
    other.environ.set("ES_JAVA_OPTS", "-Dx=1");
    EXPECT_EQ(env_of(plan_ok(es_spec, other), "ES_HEAP_SIZE"), "2g");
}

// Every launch script from 2.x on unsets JAVA_TOOL_OPTIONS (1.x's were not
// read): a heap passed there never reaches Elasticsearch's JVM.
TEST(PlanHeap, JavaToolOptionsIsRefusedForElasticsearch) {
    const std::string spec = std::string{es_spec} + "heap_via=java_tool_options\n";
    const Error e = plan_error(spec, es_host("7.17.25"));
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.str(), "/etc/eslaunch/test.ini:5: heap_via=java_tool_options: the launch script of Elasticsearch "
                       "7.17.25 unsets JAVA_TOOL_OPTIONS before the JVM starts, so heap_size=2g would never reach it; "
                       "write heap_via=auto, which passes it the way the version reads it, or heap_via=es_java_opts");
    EXPECT_THAT(plan_error(spec, es_host("2.4.6")).str(), HasSubstr("Elasticsearch 2.4.6 unsets JAVA_TOOL_OPTIONS"));
    EXPECT_THAT(plan_error(spec, es_host("2.4.6")).hint, ::testing::EndsWith("or heap_via=es_heap_size"));
    EXPECT_EQ(plan_error("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nprofile=elasticsearch\n"
                         "heap_size=1g\nheap_via=java_tool_options\n")
                  .str(),
              "/etc/eslaunch/test.ini:6: heap_via=java_tool_options: every launch script of Elasticsearch from 2.x on "
              "unsets JAVA_TOOL_OPTIONS before the JVM starts, so heap_size=1g would never reach it; write "
              "heap_via=auto, which passes it the way the version reads it, or heap_via=es_heap_size (before 5.0) or "
              "heap_via=es_java_opts");
    EXPECT_EQ(env_of(plan_ok(spec, es_host("1.7.5")), "JAVA_TOOL_OPTIONS"), "-Xms2g -Xmx2g");
}

// ES_HEAP_SIZE stops 5.x and is ignored from 6.0; JAVA_OPTS comes before
// 2.x's own -Xms/-Xmx and is not passed from 5.0: a heap_via= naming either
// there would lose the heap, so it is refused (78) where auto is not.
TEST(PlanHeap, AHeapViaTheVersionDropsIsRefused) {
    const std::string heap_size = std::string{es_spec} + "heap_via=es_heap_size\n";
    EXPECT_EQ(plan_error(heap_size, es_host("6.8.23")).str(),
              "/etc/eslaunch/test.ini:5: heap_via=es_heap_size: the launch script of Elasticsearch 6.8.23 ignores "
              "ES_HEAP_SIZE, so heap_size=2g would never reach it; write heap_via=auto, which passes it the way the "
              "version reads it, or heap_via=es_java_opts");
    EXPECT_THAT(plan_error(heap_size, es_host("5.6.16")).what, HasSubstr("refuses to start when ES_HEAP_SIZE is set"));
    EXPECT_EQ(env_of(plan_ok(heap_size, es_host("2.4.6")), "ES_HEAP_SIZE"), "2g");

    const std::string java_opts = std::string{es_spec} + "heap_via=env:JAVA_OPTS\n";
    const Error two = plan_error(java_opts, es_host("2.4.6"));
    EXPECT_EQ(two.status, status::config);
    EXPECT_THAT(two.what, HasSubstr("heap_via=env:JAVA_OPTS: the launch script of Elasticsearch 2.4.6 puts JAVA_OPTS "
                                    "before the -Xms and -Xmx it makes of ES_HEAP_SIZE"));
    EXPECT_THAT(two.hint, ::testing::EndsWith("or heap_via=es_heap_size"));
    EXPECT_THAT(plan_error(java_opts, es_host("7.17.25")).what, HasSubstr("does not pass JAVA_OPTS to the JVM"));
    // Another variable is the operator's own: a wrapper of theirs may read it.
    const std::string own = std::string{es_spec} + "heap_via=env:MY_HEAP\n";
    EXPECT_EQ(env_of(plan_ok(own, es_host("7.17.25")), "MY_HEAP"), "-Xms2g -Xmx2g");
}

TEST(PlanJava, JavaToolOptionsFromTheSpecIsWarnedAbout) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n"
                             "environment=JAVA_TOOL_OPTIONS=\"-Dagent=1\"\n";
    const LaunchPlan plan = plan_ok(spec, es_host("8.15.3"));
    const std::optional<Note> w = warning_about(plan, "JAVA_TOOL_OPTIONS");
    ASSERT_TRUE(w);
    EXPECT_EQ(w->line, 4);
    EXPECT_EQ(w->text, "JAVA_TOOL_OPTIONS=-Dagent=1 never reaches the JVM: the launch script of Elasticsearch 8.15.3 "
                       "unsets it; pass JVM options in ES_JAVA_OPTS");
    EXPECT_TRUE(has_warning(plan_ok(spec, es_host("2.4.6")), "unsets it; pass JVM options in ES_JAVA_OPTS (or JAVA_OPTS)"));
    HostFacts inherited = es_host("8.15.3");
    inherited.environ.set("JAVA_TOOL_OPTIONS", "-Dagent=1");  // not the spec's: not its to fix
    EXPECT_FALSE(has_warning(plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n", inherited),
                             "JAVA_TOOL_OPTIONS"));
    EXPECT_FALSE(has_warning(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nprofile=jvm\n"
                                     "environment=JAVA_TOOL_OPTIONS=\"-Dagent=1\"\n"),
                             "JAVA_TOOL_OPTIONS"));
}

// The launch's host facts hold the java the version's script runs for the
// program's environment (host.cpp); here chosen the same way, on a host
// where nothing is executable (7.0 and later look at no file).
LaunchPlan plan_with_java(std::string_view text, HostFacts host) {
    auto spec = parse_text(text);
    if (!spec) {
        ADD_FAILURE() << spec.error().front().str();
        return {};
    }
    const EnvMap env = program_environment(host.environ, spec->clear_environment, spec->environment_settings());
    const JavaLookup nothing{[](const std::string&) { return false; },
                             [](const std::string*) { return std::optional<std::string>{}; }};
    host.es.java = choose_java(host.es.version, env, host.es.home, nothing);
    return plan_ok(text, host);
}

TEST(PlanJava, AJavaHomeTheNodeIgnoresIsWarnedAbout) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n"
                             "environment=JAVA_HOME=\"/usr/lib/jvm/java-17\"\n";
    const std::optional<Note> eight = warning_about(plan_with_java(spec, es_host("8.15.3")), "JAVA_HOME");
    ASSERT_TRUE(eight);
    EXPECT_EQ(eight->line, 4);
    EXPECT_EQ(eight->text,
              "JAVA_HOME=/usr/lib/jvm/java-17 (environment= at line 4) is ignored: Elasticsearch 8.15.3 runs its "
              "bundled JDK (/opt/es/jdk/bin/java) unless ES_JAVA_HOME is set (it says \"warning: ignoring "
              "JAVA_HOME=...; using bundled JDK\"); set ES_JAVA_HOME in environment= to run that Java, or remove "
              "JAVA_HOME");
    const std::optional<Note> seven = warning_about(plan_with_java(spec, es_host("7.17.25")), "JAVA_HOME");
    ASSERT_TRUE(seven);
    EXPECT_EQ(seven->text,
              "JAVA_HOME=/usr/lib/jvm/java-17 (environment= at line 4): Elasticsearch 7.17.25 runs it, but says "
              "\"warning: usage of JAVA_HOME is deprecated, use ES_JAVA_HOME\", and 8.0 and later ignore it; set "
              "ES_JAVA_HOME in environment= instead");
    EXPECT_FALSE(has_warning(plan_with_java(spec, es_host("7.10.2")), "JAVA_HOME"));  // up to 7.11: JAVA_HOME is the way
    const std::string both = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n"
                             "environment=JAVA_HOME=\"/usr/lib/jvm/java-17\",ES_JAVA_HOME=\"/usr/lib/jvm/java-21\"\n";
    EXPECT_FALSE(has_warning(plan_with_java(both, es_host("8.15.3")), "JAVA_HOME"));
    EXPECT_FALSE(has_warning(plan_with_java(both, es_host("7.17.25")), "JAVA_HOME"));
    HostFacts inherited = es_host("8.15.3");
    inherited.environ.set("JAVA_HOME", "/usr/lib/jvm/default-java");
    const std::optional<Note> from_eslaunch =
        warning_about(plan_with_java("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n", inherited),
                      "JAVA_HOME");
    ASSERT_TRUE(from_eslaunch);
    EXPECT_EQ(from_eslaunch->line, 0);
    EXPECT_THAT(from_eslaunch->text,
                ::testing::StartsWith("JAVA_HOME=/usr/lib/jvm/default-java (inherited from eslaunch's environment) is "
                                      "ignored: Elasticsearch 8.15.3 runs its bundled JDK"));
}

// --- readiness --------------------------------------------------------------

// ready=native: the program feeds systemd itself, so watchdog=true has no
// one to do it and no watcher is planned.
TEST(PlanReadiness, WatchdogWithNativeIsAWarningAndNoWatcher) {
    HostFacts host = test_host();
    host.environ.set("NOTIFY_SOCKET", "/run/systemd/notify");
    const LaunchPlan p = plan_ok("[program:x]\ncommand=/bin/sleep 5\nuser=work\nready=native\nwatchdog=true\n", host);
    ASSERT_FALSE(p.warnings.empty());
    EXPECT_EQ(p.warnings.back().line, 5);
    EXPECT_EQ(p.warnings.back().text, "watchdog=true does nothing with ready=native: the program feeds systemd's "
                                      "watchdog itself, or not at all");
    EXPECT_FALSE(p.readiness.watcher);
    EXPECT_EQ(env_of(p, "NOTIFY_SOCKET"), "/run/systemd/notify");
}

// --- executable -------------------------------------------------------------

TEST(PlanExecutable, NameIsLookedUpInPath) {
    HostFacts host = test_host();
    host.program_path = "/usr/bin/sleep";
    const LaunchPlan plan = plan_ok("[program:x]\ncommand=sleep 1\nuser=work\n", host);
    EXPECT_EQ(plan.executable, "/usr/bin/sleep");
    EXPECT_THAT(plan.argv, ElementsAre("sleep", "1"));
    const Error e = plan_error("[program:x]\ncommand=nosuchprogram\nuser=work\n");
    EXPECT_EQ(e.status, status::exec);
    EXPECT_EQ(e.str(), "/etc/eslaunch/test.ini:2: command: 'nosuchprogram' is not in PATH (/usr/sbin:/usr/bin:/sbin:/bin); "
                       "write the program's absolute path in command=");
}

// --- bootstrap.memory_lock ---------------------------------------------------

constexpr std::string_view yml_line = "/opt/es/config/elasticsearch.yml:3";

TEST(PlanMemoryLock, TheNodeAskingForTheLockMakesMemlockRequired) {
    HostFacts host = es_host("7.17.25");
    host.cap_sys_resource = true;
    host.es.memory_lock_where = std::string{yml_line};
    const LaunchPlan plan = plan_ok(es_spec, host);
    const PlannedLimit* l = find_limit(plan, LimitResource::memlock);
    ASSERT_NE(l, nullptr);
    EXPECT_TRUE(l->required);
    EXPECT_EQ(l->planned, (LimitValue{limit_infinity, limit_infinity}));
    EXPECT_EQ(l->why, "bootstrap.memory_lock: true (/opt/es/config/elasticsearch.yml:3)");
    // command='s -E comes through the same reader, which names it.
    host.es.memory_lock_where = "command= (-E bootstrap.memory_lock=true)";
    const LaunchPlan from_e = plan_ok(es_spec, host);
    ASSERT_NE(find_limit(from_e, LimitResource::memlock), nullptr);
    EXPECT_EQ(find_limit(from_e, LimitResource::memlock)->why,
              "bootstrap.memory_lock: true (command= (-E bootstrap.memory_lock=true))");
    host.es.memory_lock_where.clear();
    EXPECT_EQ(find_limit(plan_ok(es_spec, host), LimitResource::memlock), nullptr);
}

TEST(PlanMemoryLock, AHardLimitEslaunchCannotRaiseIs205WithTheFix) {
    HostFacts host = es_host("7.17.25");  // hard memlock 8M, no CAP_SYS_RESOURCE
    host.es.memory_lock_where = std::string{yml_line};
    const Error e = plan_error(es_spec, host);
    EXPECT_EQ(e.status, status::limits);
    EXPECT_EQ(e.str(),
              "/etc/eslaunch/test.ini: bootstrap.memory_lock: true (/opt/es/config/elasticsearch.yml:3) needs the "
              "memlock limit unlimited; the hard limit is 8M and eslaunch cannot raise it (no CAP_SYS_RESOURCE); set "
              "LimitMEMLOCK=infinity in the unit (supervisord: start it with ulimit -l unlimited), or run eslaunch as "
              "root with CAP_SYS_RESOURCE, or set bootstrap.memory_lock: false");
}

TEST(PlanMemoryLock, ALowerLimitInTheSpecIs78) {
    HostFacts host = es_host("7.17.25");
    host.cap_sys_resource = true;
    host.es.memory_lock_where = std::string{yml_line};
    const Error e = plan_error(std::string{es_spec} + "limit_memlock=64M\n", host);
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.str(),
              "/etc/eslaunch/test.ini:5: limit_memlock=64M: bootstrap.memory_lock: true "
              "(/opt/es/config/elasticsearch.yml:3) needs the memlock limit unlimited; write limit_memlock=infinity "
              "(or remove the line: eslaunch then requires infinity), or set bootstrap.memory_lock: false");
    EXPECT_EQ(plan_error(std::string{es_spec} + "limit_memlock=infinity:64M\n", host).status, status::config);
    EXPECT_TRUE(find_limit(plan_ok(std::string{es_spec} + "limit_memlock=infinity\n", host), LimitResource::memlock)
                    ->required);
}

TEST(PlanMemoryLock, EachVersionReadsItsOwnName) {
    HostFacts two = es_host("2.4.6");
    two.cap_sys_resource = true;
    two.es.mlockall_where = std::string{yml_line};
    const LaunchPlan plan = plan_ok(es_spec, two);
    const PlannedLimit* l = find_limit(plan, LimitResource::memlock);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->why, "bootstrap.mlockall: true (/opt/es/config/elasticsearch.yml:3)");
    two.es.mlockall_where.clear();
    two.es.memory_lock_where = std::string{yml_line};  // 2.x does not read this name
    EXPECT_EQ(find_limit(plan_ok(es_spec, two), LimitResource::memlock), nullptr);
    HostFacts seven = es_host("7.17.25");
    seven.cap_sys_resource = true;
    seven.es.mlockall_where = std::string{yml_line};  // nor 5.x and later the old one
    EXPECT_EQ(find_limit(plan_ok(es_spec, seven), LimitResource::memlock), nullptr);
    HostFacts plain = test_host();  // no home: not Elasticsearch, nothing read
    plain.cap_sys_resource = true;
    plain.es.memory_lock_where = std::string{yml_line};
    EXPECT_EQ(find_limit(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\n", plain), LimitResource::memlock),
              nullptr);
}

// --- tmpdir= -------------------------------------------------------------------

struct TmpdirCase {
    std::string_view version;
    std::string_view variable;
    std::string_view value;
};

class PlanTmpdirVersion : public ::testing::TestWithParam<TmpdirCase> {};

TEST_P(PlanTmpdirVersion, TheDefaultReachesTheNodeTheWayTheVersionReadsIt) {
    const auto& c = GetParam();
    const LaunchPlan plan = plan_ok(es_spec, es_host(c.version));
    EXPECT_EQ(plan.tmpdir.path, "/var/lib/eslaunch/es/tmp");
    EXPECT_EQ(env_of(plan, c.variable), c.value);
    EXPECT_EQ(plan.tmpdir.passed, c.variable == "ES_TMPDIR" ? "ES_TMPDIR" : "ES_JAVA_OPTS (-Djava.io.tmpdir=)");
    if (c.variable != "ES_TMPDIR") {
        EXPECT_EQ(env_of(plan, "ES_TMPDIR"), "<unset>");
    }
}

INSTANTIATE_TEST_SUITE_P(
    Versions, PlanTmpdirVersion,
    ::testing::Values(TmpdirCase{"2.4.6", "ES_JAVA_OPTS", "-Djava.io.tmpdir=/var/lib/eslaunch/es/tmp"},
                      TmpdirCase{"5.6.16", "ES_JAVA_OPTS", "-Xms2g -Xmx2g -Djava.io.tmpdir=/var/lib/eslaunch/es/tmp"},
                      TmpdirCase{"6.1.4", "ES_JAVA_OPTS", "-Xms2g -Xmx2g -Djava.io.tmpdir=/var/lib/eslaunch/es/tmp"},
                      TmpdirCase{"6.2.0", "ES_TMPDIR", "/var/lib/eslaunch/es/tmp"},
                      TmpdirCase{"7.17.25", "ES_TMPDIR", "/var/lib/eslaunch/es/tmp"},
                      TmpdirCase{"8.15.3", "ES_TMPDIR", "/var/lib/eslaunch/es/tmp"}),
    [](const auto& info) {
        std::string name{info.param.version};
        std::replace(name.begin(), name.end(), '.', '_');
        return "es_" + name;
    });

TEST(PlanTmpdir, ExplicitNoneAndOtherProfiles) {
    const HostFacts host = es_host("7.17.25");
    const LaunchPlan none = plan_ok(std::string{es_spec} + "tmpdir=none\n", host);
    EXPECT_EQ(none.tmpdir.path, "");
    EXPECT_EQ(none.tmpdir.source, "tmpdir=none at line 5");
    EXPECT_EQ(env_of(none, "ES_TMPDIR"), "<unset>");
    const LaunchPlan own = plan_ok(std::string{es_spec} + "tmpdir=/srv/es/tmp\n", host);
    EXPECT_EQ(own.tmpdir.path, "/srv/es/tmp");
    EXPECT_EQ(env_of(own, "ES_TMPDIR"), "/srv/es/tmp");
    // No default but for Elasticsearch; another program gets TMPDIR.
    EXPECT_EQ(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\n").tmpdir.path, "");
    EXPECT_EQ(env_of(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\ntmpdir=/srv/x\n"), "TMPDIR"), "/srv/x");
    // Not root: eslaunch could not create the default's parents.
    HostFacts user = es_host("7.17.25");
    user.euid = 1000;
    user.egid = 1000;
    user.current_user = UserEntry{"work", 1000, 1000, "/home/work", "/bin/bash"};
    const LaunchPlan as_user = plan_ok(es_spec, user);
    EXPECT_EQ(as_user.tmpdir.path, "");
    EXPECT_THAT(as_user.tmpdir.source, HasSubstr("eslaunch does not run as root"));
}

TEST(PlanTmpdir, AnotherDirectoryInTheEnvironment) {
    const HostFacts host = es_host("7.17.25");
    const Error e =
        plan_error(std::string{es_spec} + "tmpdir=/srv/a\nenvironment=ES_TMPDIR=\"/srv/b\"\n", host);
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.str(),
              "/etc/eslaunch/test.ini:5: tmpdir=/srv/a, but ES_TMPDIR (environment= at line 6) names another "
              "directory, /srv/b; remove one of them: tmpdir= creates and secures the directory, ES_TMPDIR "
              "(environment= at line 6) only names it");
    // The same one is fine; without tmpdir=, the operator's own wins.
    EXPECT_EQ(plan_ok(std::string{es_spec} + "tmpdir=/srv/a\nenvironment=ES_TMPDIR=\"/srv/a\"\n", host).tmpdir.path,
              "/srv/a");
    const LaunchPlan theirs = plan_ok(std::string{es_spec} + "environment=ES_TMPDIR=\"/srv/b\"\n", host);
    EXPECT_EQ(theirs.tmpdir.path, "");
    EXPECT_EQ(env_of(theirs, "ES_TMPDIR"), "/srv/b");
    const Error five = plan_error(
        std::string{es_spec} + "tmpdir=/srv/a\nenvironment=ES_JAVA_OPTS=\"-Djava.io.tmpdir=/srv/b\"\n",
        es_host("5.6.16"));
    EXPECT_EQ(five.status, status::config);
    EXPECT_THAT(five.what, HasSubstr("-Djava.io.tmpdir= in ES_JAVA_OPTS (environment= at line 6)"));
}

TEST(PlanTmpdir, BadValuesAre78AtTheirLine) {
    for (std::string_view bad : {"tmp", "/", "//", "/srv/../etc", "/srv/./x", "/srv/a b", "~/tmp"}) {
        const Error e = plan_error(std::string{es_spec} + "tmpdir=" + std::string{bad} + "\n", es_host("7.17.25"));
        EXPECT_EQ(e.status, status::config) << bad;
        EXPECT_EQ(e.line, 5) << bad;
        EXPECT_THAT(e.str(), HasSubstr("write tmpdir=none, or an absolute path such as /var/lib/eslaunch/NAME/tmp"))
            << bad;
    }
}

TEST(PlanAll, EveryProblemIsReportedAtOnce) {
    HostFacts host = test_host();
    auto spec = parse_text("[program:x]\ncommand=nosuch\nuser=work\nlimit_nofile=30000\nheap_size=64g\n");
    ASSERT_TRUE(spec);
    auto plan = plan_launch(*spec, host);
    ASSERT_FALSE(plan);
    std::vector<int> statuses;
    for (const auto& e : plan.error()) statuses.push_back(e.status);
    EXPECT_THAT(statuses, ElementsAre(status::config, status::limits, status::exec));
}

}  // namespace
}  // namespace eslaunch::testing

namespace eslaunch::testing {
namespace {

TEST(Plan, StdinFileAndItsLineReachThePlan) {
    const LaunchPlan plan = plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nstdin=file:/etc/eslaunch/x.pw\n");
    EXPECT_EQ(plan.stdin_file, "/etc/eslaunch/x.pw");
    EXPECT_EQ(plan.stdin_line, 4);
    EXPECT_EQ(plan_ok("[program:x]\ncommand=/bin/true\nuser=work\nstdin=null\n").stdin_file, "");
}

}  // namespace
}  // namespace eslaunch::testing

// --- profile opensearch (1.3.x and 2.x) ----------------------------------------

namespace eslaunch::testing {
namespace {

constexpr std::string_view os_spec = "[program:os]\ncommand=/opt/os/bin/opensearch\nuser=work\nheap_size=2g\n";

TEST(OpenSearchJar, OnlyTheCoreJarNamesTheVersion) {
    EXPECT_EQ(opensearch_version_from_jar_name("opensearch-2.19.1.jar")->str(), "2.19.1");
    EXPECT_EQ(opensearch_version_from_jar_name("opensearch-1.3.20-SNAPSHOT.jar")->str(), "1.3.20");
    // The security demo script's loose glob read this as the version (opensearch-build#4094).
    EXPECT_EQ(opensearch_version_from_jar_name("opensearch-x-content-2.11.0.jar"), std::nullopt);
    EXPECT_EQ(opensearch_version_from_jar_name("opensearch-cli-2.19.1.jar"), std::nullopt);
    EXPECT_EQ(opensearch_version_from_jar_name("elasticsearch-7.10.2.jar"), std::nullopt);
    EXPECT_EQ(es_version_from_jar_name("opensearch-2.19.1.jar"), std::nullopt);
}

TEST(OpenSearchProfile, ChosenByTheCommandTheKeyOrTheJar) {
    EXPECT_EQ(parse_text("[program:x]\ncommand=/opt/os/bin/opensearch\n")->profile, Profile::opensearch);
    EXPECT_EQ(parse_text("[program:x]\ncommand=/opt/os/bin/run\nprofile=opensearch\n")->profile, Profile::opensearch);
    EXPECT_EQ(profile_name(Profile::opensearch), "opensearch");
    const LaunchPlan by_jar =
        plan_ok("[program:os]\ncommand=/opt/os/bin/start-node\nuser=work\nes_home=/opt/os\nheap_size=1g\n",
                os_host("2.19.1"));
    EXPECT_EQ(by_jar.profile, Profile::opensearch);
    EXPECT_EQ(env_of(by_jar, "OPENSEARCH_JAVA_OPTS"), "-Xms1g -Xmx1g");
    EXPECT_THAT(plan_error("[program:os]\ncommand=/opt/os/bin/opensearch -d\nuser=work\n").what,
                HasSubstr("daemonizes OpenSearch"));
}

class PlanOpenSearchVersion : public ::testing::TestWithParam<std::string_view> {};

// OPENSEARCH_JAVA_OPTS comes after jvm.options in every version: it wins,
// and check names the lines it overrides.
TEST_P(PlanOpenSearchVersion, HeapTmpdirAndLimits) {
    const LaunchPlan plan = plan_ok(os_spec, os_host(GetParam()));
    EXPECT_EQ(plan.profile, Profile::opensearch);
    EXPECT_EQ(plan.heap.via, "OPENSEARCH_JAVA_OPTS");
    EXPECT_EQ(env_of(plan, "OPENSEARCH_JAVA_OPTS"), "-Xms2g -Xmx2g");
    EXPECT_EQ(env_of(plan, "ES_JAVA_OPTS"), "<unset>");
    EXPECT_EQ(env_of(plan, "JAVA_TOOL_OPTIONS"), "<unset>");
    EXPECT_THAT(plan.heap.overrides,
                ElementsAre("-Xms1g (/opt/os/config/jvm.options:22)", "-Xmx1g (/opt/os/config/jvm.options:23)"));
    EXPECT_EQ(plan.tmpdir.path, "/var/lib/eslaunch/os/tmp");
    EXPECT_EQ(plan.tmpdir.passed, "OPENSEARCH_TMPDIR");
    EXPECT_EQ(env_of(plan, "OPENSEARCH_TMPDIR"), "/var/lib/eslaunch/os/tmp");
    EXPECT_EQ(env_of(plan, "ES_TMPDIR"), "<unset>");
    const PlannedLimit* nofile = find_limit(plan, LimitResource::nofile);
    ASSERT_NE(nofile, nullptr);
    EXPECT_EQ(nofile->planned.soft, 20000u);  // 65535 wanted, best effort under the hard 20000
    EXPECT_NE(find_limit(plan, LimitResource::nproc), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Versions, PlanOpenSearchVersion, ::testing::Values("1.3.20", "2.19.1"),
                         [](const auto& info) {
                             std::string name{info.param};
                             std::replace(name.begin(), name.end(), '.', '_');
                             return "os_" + name;
                         });

TEST(PlanOpenSearch, AHeapFlagInOpensearchJavaOptsIs78) {
    HostFacts host = os_host("2.19.1");
    host.environ.set("OPENSEARCH_JAVA_OPTS", "-Dx=y -Xmx8g");
    const Error e = plan_error(os_spec, host);
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.str(), "/etc/eslaunch/test.ini:4: heap_size=2g and -Xmx8g in OPENSEARCH_JAVA_OPTS both set the heap; "
                       "remove -Xmx8g from OPENSEARCH_JAVA_OPTS or remove heap_size=");
    host.environ.set("OPENSEARCH_JAVA_OPTS", "-Dx=y");
    EXPECT_EQ(env_of(plan_ok(os_spec, host), "OPENSEARCH_JAVA_OPTS"), "-Dx=y -Xms2g -Xmx2g");
}

TEST(PlanOpenSearch, HeapWaysItDropsAre78) {
    const Error tool = plan_error(std::string{os_spec} + "heap_via=java_tool_options\n", os_host("1.3.20"));
    EXPECT_EQ(tool.status, status::config);
    EXPECT_EQ(tool.str(), "/etc/eslaunch/test.ini:5: heap_via=java_tool_options: bin/opensearch-env unsets "
                          "JAVA_TOOL_OPTIONS before the JVM starts, so heap_size=2g would never reach it; write "
                          "heap_via=auto, which passes it the way the version reads it, or "
                          "heap_via=env:OPENSEARCH_JAVA_OPTS");
    EXPECT_THAT(plan_error(std::string{os_spec} + "heap_via=es_java_opts\n", os_host("2.19.1")).what,
                HasSubstr("OpenSearch does not read ES_JAVA_OPTS"));
    EXPECT_THAT(plan_error(std::string{os_spec} + "heap_via=env:JAVA_OPTS\n", os_host("2.19.1")).what,
                HasSubstr("bin/opensearch-env ignores JAVA_OPTS"));
    // Without a known version too: every OpenSearch script unsets it.
    HostFacts unknown = os_host("2.19.1");
    unknown.es.version.reset();
    EXPECT_EQ(plan_error(std::string{os_spec} + "heap_via=java_tool_options\n", unknown).status, status::config);
    EXPECT_EQ(env_of(plan_ok(os_spec, unknown), "OPENSEARCH_JAVA_OPTS"), "-Xms2g -Xmx2g");
}

TEST(PlanOpenSearch, JavaToolOptionsInTheSpecIsWarnedAbout) {
    const LaunchPlan plan = plan_ok("[program:os]\ncommand=/opt/os/bin/opensearch\nuser=work\n"
                                    "environment=JAVA_TOOL_OPTIONS=\"-Dagent=1\"\n",
                                    os_host("2.19.1"));
    const std::optional<Note> w = warning_about(plan, "JAVA_TOOL_OPTIONS");
    ASSERT_TRUE(w);
    EXPECT_EQ(w->line, 4);
    EXPECT_EQ(w->text, "JAVA_TOOL_OPTIONS=-Dagent=1 never reaches the JVM: bin/opensearch-env unsets it (\"warning: "
                       "ignoring JAVA_TOOL_OPTIONS=...\"); pass JVM options in OPENSEARCH_JAVA_OPTS");
}

// 1.3.0 added OPENSEARCH_JAVA_HOME before JAVA_HOME (OpenSearch#2040);
// JAVA_HOME is read, without a deprecation, in every version.
TEST(PlanOpenSearch, JavaSelectionPerVersion) {
    EnvMap env;
    env.set("OPENSEARCH_JAVA_HOME", "/opt/jdk17");
    env.set("JAVA_HOME", "/opt/jdk11");
    const JavaChoice two = choose_opensearch_java(EsVersion{2, 19, 1}, env, "/opt/os");
    EXPECT_EQ(two.path, "/opt/jdk17/bin/java");
    EXPECT_EQ(two.source, "OPENSEARCH_JAVA_HOME");
    const JavaChoice old = choose_opensearch_java(EsVersion{1, 2, 4}, env, "/opt/os");
    EXPECT_EQ(old.path, "/opt/jdk11/bin/java");
    env.erase("OPENSEARCH_JAVA_HOME");
    EXPECT_EQ(choose_opensearch_java(EsVersion{1, 3, 20}, env, "/opt/os").path, "/opt/jdk11/bin/java");
    env.erase("JAVA_HOME");
    const JavaChoice bundled = choose_opensearch_java(EsVersion{2, 19, 1}, env, "/opt/os");
    EXPECT_EQ(bundled.path, "/opt/os/jdk/bin/java");
    EXPECT_EQ(bundled.why, "neither OPENSEARCH_JAVA_HOME nor JAVA_HOME is set");

    HostFacts host = os_host("1.2.4");
    host.environ.set("OPENSEARCH_JAVA_HOME", "/opt/jdk17");
    host.es.java = choose_opensearch_java(host.es.version, host.environ, host.es.home);
    const LaunchPlan plan = plan_ok(os_spec, host);
    EXPECT_TRUE(has_warning(plan, "OPENSEARCH_JAVA_HOME=/opt/jdk17 (inherited from eslaunch's environment) is "
                                  "ignored: OpenSearch 1.2.4 reads it from 1.3.0 on and runs /opt/os/jdk/bin/java "
                                  "(bundled jdk); set JAVA_HOME instead"));
    HostFacts reads = os_host("1.3.20");
    reads.environ.set("OPENSEARCH_JAVA_HOME", "/opt/jdk17");
    reads.es.java = choose_opensearch_java(reads.es.version, reads.environ, reads.es.home);
    EXPECT_FALSE(has_warning(plan_ok(os_spec, reads), "OPENSEARCH_JAVA_HOME"));
}

// 2.14 added KEYSTORE_PASSWORD from the environment; before, it is unset.
TEST(PlanOpenSearch, KeystorePasswordInTheSpecIsWarnedAboutPerVersion) {
    const std::string spec = std::string{os_spec} + "environment=KEYSTORE_PASSWORD=\"pw\"\n";
    const std::optional<Note> old = warning_about(plan_ok(spec, os_host("2.13.0")), "KEYSTORE_PASSWORD");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->line, 5);
    EXPECT_THAT(old->text, HasSubstr("is ignored: bin/opensearch of OpenSearch 2.13.0 reads the keystore passphrase "
                                     "only from stdin"));
    const std::optional<Note> now = warning_about(plan_ok(spec, os_host("2.14.0")), "KEYSTORE_PASSWORD");
    ASSERT_TRUE(now);
    EXPECT_THAT(now->text, HasSubstr("unlocks the keystore with it, but it stays in the node's environment"));
    EXPECT_FALSE(warning_about(plan_ok(os_spec, os_host("2.14.0")), "KEYSTORE_PASSWORD"));
}

TEST(PlanOpenSearch, TmpdirAnotherInTheEnvironmentIs78) {
    HostFacts host = os_host("2.19.1");
    host.environ.set("OPENSEARCH_TMPDIR", "/srv/other");
    const Error e = plan_error(std::string{os_spec} + "tmpdir=/srv/os/tmp\n", host);
    EXPECT_EQ(e.status, status::config);
    EXPECT_THAT(e.what, HasSubstr("tmpdir=/srv/os/tmp, but OPENSEARCH_TMPDIR (inherited from eslaunch's environment) "
                                  "names another directory, /srv/other"));
    const LaunchPlan keeps = plan_ok(os_spec, host);  // the default: the operator's own wins
    EXPECT_EQ(keeps.tmpdir.path, "");
    EXPECT_EQ(env_of(keeps, "OPENSEARCH_TMPDIR"), "/srv/other");
}

// The default probe: opensearch.yml's HTTP settings (read as the node's
// user by eslaunch-check), HTTPS from the security plugin's key.
TEST(PlanOpenSearch, TheDefaultProbeFollowsOpensearchYml) {
    HostFacts host = os_host("2.19.1");
    const LaunchPlan plain = plan_ok(os_spec, host);
    EXPECT_EQ(plain.readiness.probe.str(), "http://127.0.0.1:9200/");
    EXPECT_EQ(plain.readiness.source, "profile opensearch: OpenSearch's default HTTP port");
    host.es.http.port = "9201";
    host.es.http.port_where = "/opt/os/config/opensearch.yml:2";
    host.es.http.tls = true;
    host.es.http.tls_key = "plugins.security.ssl.http.enabled";
    host.es.http.tls_where = "/opt/os/config/opensearch.yml:3";
    const LaunchPlan tls = plan_ok(os_spec, host);
    EXPECT_EQ(tls.readiness.probe.str(), "https://127.0.0.1:9201/");
    EXPECT_EQ(tls.readiness.source, "profile opensearch: http.port 9201 (/opt/os/config/opensearch.yml:2), "
                                    "plugins.security.ssl.http.enabled true (/opt/os/config/opensearch.yml:3)");
    host.es.reader_error = "it failed";
    EXPECT_TRUE(has_warning(plan_ok(os_spec, host), "the default probe ignores opensearch.yml: it failed"));
}

TEST(PlanOpenSearch, MemoryLockAndNativeNotification) {
    HostFacts host = os_host("2.19.1");
    host.cap_sys_resource = true;
    host.es.memory_lock_where = "/opt/os/config/opensearch.yml:3";
    const LaunchPlan locked = plan_ok(os_spec, host);
    const PlannedLimit* memlock = find_limit(locked, LimitResource::memlock);
    ASSERT_NE(memlock, nullptr);
    EXPECT_EQ(memlock->why, "bootstrap.memory_lock: true (/opt/os/config/opensearch.yml:3)");

    const std::string native = std::string{os_spec} + "ready=native\n";
    HostFacts tar = os_host("2.19.1");
    const LaunchPlan plan = plan_ok(native, tar);
    EXPECT_EQ(env_of(plan, "OPENSEARCH_SD_NOTIFY"), "true");
    EXPECT_EQ(env_of(plan, "ES_SD_NOTIFY"), "<unset>");
    EXPECT_TRUE(has_warning(plan, "ready=native: /opt/os/modules/systemd is missing"));
    tar.es.systemd_module = true;
    EXPECT_FALSE(has_warning(plan_ok(native, tar), "modules/systemd"));
}

}  // namespace
}  // namespace eslaunch::testing
