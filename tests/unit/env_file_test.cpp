// The package environment file: the layout from bin/elasticsearch-env, the
// strict reader of its assignments (every accepted and refused form, with
// its line), and what the plan makes of it (the heap conflict and the
// missing config directory are 78, the rest warnings naming FILE:LINE).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "eslaunch/check.hpp"
#include "eslaunch/env_file.hpp"
#include "eslaunch/plan.hpp"
#include "test_support.hpp"

namespace eslaunch::testing {
namespace {

using ::testing::HasSubstr;

// --- the layout ---------------------------------------------------------------

TEST(EsLayout, APackageSourcesItsFile) {
    const EsLayout deb = es_layout_of("#!/bin/bash\nset -e\n\nsource /etc/default/elasticsearch\n\nif [ -z x ]\n");
    EXPECT_EQ(deb.kind, EsLayout::Kind::package);
    EXPECT_EQ(deb.env_file, "/etc/default/elasticsearch");
    EXPECT_EQ(deb.line, 4);
    const EsLayout rpm = es_layout_of("x=1\n  . \"/etc/sysconfig/elasticsearch\"\n");
    EXPECT_EQ(rpm.kind, EsLayout::Kind::package);
    EXPECT_EQ(rpm.env_file, "/etc/sysconfig/elasticsearch");
    EXPECT_EQ(rpm.line, 2);
    EXPECT_EQ(es_layout_of(". '/tmp/t/env'\n").env_file, "/tmp/t/env");
}

TEST(EsLayout, AnArchiveHasTheDefaultLine) {
    const EsLayout tar = es_layout_of(
        "source \"$ES_HOME\"/bin/elasticsearch-env-from-file\n"
        "export HOSTNAME=$HOSTNAME\n\n"
        "if [ -z \"$ES_PATH_CONF\" ]; then ES_PATH_CONF=\"$ES_HOME\"/config; fi\n");
    EXPECT_EQ(tar.kind, EsLayout::Kind::archive);
    EXPECT_EQ(tar.line, 4);
}

TEST(EsLayout, AnythingElseIsUnknownWithWhy) {
    const EsLayout none = es_layout_of("#!/bin/sh\necho hi\nsource ./relative\n");
    EXPECT_EQ(none.kind, EsLayout::Kind::unknown);
    EXPECT_THAT(none.why, HasSubstr("neither a package's `source FILE` line nor the archives' ES_PATH_CONF default"));
    const EsLayout template_line = es_layout_of("x\n@source.path.env@\n");
    EXPECT_EQ(template_line.kind, EsLayout::Kind::unknown);
    EXPECT_EQ(template_line.line, 2);
    EXPECT_THAT(template_line.why, HasSubstr("template"));
    const EsLayout two = es_layout_of("source /etc/default/elasticsearch\nsource /etc/other\n");
    EXPECT_EQ(two.kind, EsLayout::Kind::unknown);
    EXPECT_THAT(two.why, HasSubstr("sources both /etc/default/elasticsearch (line 1) and /etc/other"));
    const EsLayout both = es_layout_of(
        "source /etc/default/elasticsearch\nif [ -z \"$ES_PATH_CONF\" ]; then ES_PATH_CONF=\"$ES_HOME\"/config; fi\n");
    EXPECT_EQ(both.kind, EsLayout::Kind::unknown);
}

// --- the reader -----------------------------------------------------------------

struct Accepted {
    std::string_view line;
    std::string_view name;
    std::string_view value;
};

TEST(EnvFileReader, ReadsEveryAssignmentFormAsShDoes) {
    const Accepted cases[] = {
        {"ES_PATH_CONF=/etc/elasticsearch", "ES_PATH_CONF", "/etc/elasticsearch"},
        {"ES_JAVA_OPTS=\"-Xms2g -Xmx2g\"", "ES_JAVA_OPTS", "-Xms2g -Xmx2g"},
        {"X='a $b `c` \\d'", "X", "a $b `c` \\d"},
        {"export PID_DIR=/var/run/elasticsearch", "PID_DIR", "/var/run/elasticsearch"},
        {"export\tX=1", "X", "1"},
        {"EMPTY=", "EMPTY", ""},
        {"EMPTY2=\"\"", "EMPTY2", ""},
        {"X=a\"b c\"'d'", "X", "ab cd"},
        {"X=\"q\\\" s\\\\ d\\$ b\\` n\\n\"", "X", "q\" s\\ d$ b` n\\n"},
        {"   X=indented", "X", "indented"},
        {"X=v # a comment", "X", "v"},
        {"X=v\t# a comment", "X", "v"},
        {"X=v#not-a-comment", "X", "v#not-a-comment"},
        {"X=a*b?[c]{d}!", "X", "a*b?[c]{d}!"},
        {"X=a~b", "X", "a~b"},
        {"_x1=2", "_x1", "2"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.line);
        const EnvFileText t = parse_env_file(std::string{"# comment\n\n"} + std::string{c.line} + "\n");
        EXPECT_TRUE(t.unreadable.empty()) << (t.unreadable.empty() ? "" : t.unreadable.front().why);
        ASSERT_EQ(t.assignments.size(), 1U);
        EXPECT_EQ(t.assignments[0].name, c.name);
        EXPECT_EQ(t.assignments[0].value, c.value);
        EXPECT_EQ(t.assignments[0].line, 3);
    }
}

TEST(EnvFileReader, CommentsBlankLinesAndExportAloneAssignNothing) {
    const EnvFileText t = parse_env_file("# x=1\n\n   \n\t# y=2\nexport A B_2\nexport C\n");
    EXPECT_TRUE(t.assignments.empty());
    EXPECT_TRUE(t.unreadable.empty());
    // export marks them all; so does export NAME=VALUE, beside its assignment.
    EXPECT_THAT(t.exported, ::testing::ElementsAre("A", "B_2", "C"));
    const EnvFileText both = parse_env_file("export D=1\nE=2\n");
    EXPECT_THAT(both.exported, ::testing::ElementsAre("D"));
    EXPECT_EQ(both.assignments.size(), 2U);
}

TEST(EnvFileReader, TheLastAssignmentTakesEffect) {
    const EnvFileText t = parse_env_file("X=1\nY=2\nX=3");  // no newline at the end
    ASSERT_EQ(t.assignments.size(), 3U);
    ASSERT_NE(t.last("X"), nullptr);
    EXPECT_EQ(t.last("X")->value, "3");
    EXPECT_EQ(t.last("X")->line, 3);
    EXPECT_EQ(t.last("Z"), nullptr);
}

struct Refused {
    std::string_view line;
    std::string_view name;  // the variable it assigns, or ""
    std::string_view why;
};

TEST(EnvFileReader, RefusesWhatItCannotReadStaticallyWithTheLine) {
    const Refused cases[] = {
        {"ES_JAVA_OPTS=$(cat /etc/es-heap)", "ES_JAVA_OPTS", "command substitution ($(...))"},
        {"X=`hostname`", "X", "command substitution (`...`)"},
        {"X=\"a `b`\"", "X", "command substitution (`...`)"},
        {"X=\"$ES_JAVA_OPTS -Dx\"", "X", "parameter expansion"},
        {"X=${Y:-z}", "X", "parameter expansion"},
        {"X=$Y", "X", "parameter expansion"},
        {"X=$((1 + 2))", "X", "arithmetic expansion"},
        {"X=a\\", "X", "a backslash outside quotes"},
        {"X=a\\ b", "X", "a backslash outside quotes"},
        {"X=\"a\\", "X", "a line continuation"},
        {"X=\"open", "X", "a double quote that does not close on this line"},
        {"X='open", "X", "a single quote that does not close on this line"},
        {"X=~/es", "X", "tilde expansion"},
        {"X=/a:~/b", "X", "tilde expansion"},
        {"X=1 Y=2", "X", "more than one word"},
        {"X=1 java -version", "X", "more than one word"},
        {"X=1; Y=2", "X", "';': more than an assignment"},
        {"X=a|b", "X", "'|': more than an assignment"},
        {"X=a>b", "X", "'>': more than an assignment"},
        {"X=(a b)", "X", "'(': more than an assignment"},
        {"X=a\r", "", "a carriage return"},
        {"X+=a", "X", "bash's +="},
        {"if [ -f /etc/es ]; then", "", "control flow"},
        {"fi", "", "control flow"},
        {"for x in a b; do", "", "control flow"},
        {"case $x in", "", "control flow"},
        {"source /etc/es-more", "", "it sources another file"},
        {". /etc/es-more", "", "it sources another file"},
        {"echo hello", "", "a command"},
        {"set -a", "", "a command"},
        {"readonly X=1", "", "a command"},
        {"export X=$(id -u)", "X", "command substitution"},
        {"export", "", "a command"},
        {"f() { X=1; }", "", "a function definition"},
        {"1X=2", "", "a command"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.line);
        const EnvFileText t = parse_env_file(std::string{"A=1\n# c\n"} + std::string{c.line} + "\nB=2\n");
        ASSERT_EQ(t.unreadable.size(), 1U);
        EXPECT_EQ(t.unreadable[0].line, 3);
        EXPECT_EQ(t.unreadable[0].name, c.name);
        EXPECT_THAT(t.unreadable[0].why, HasSubstr(c.why));
        EXPECT_EQ(t.unreadable[0].text, std::string{c.line});
        // The lines around it still read, and nothing of it is guessed.
        ASSERT_EQ(t.assignments.size(), 2U);
        EXPECT_EQ(t.assignments[0].name, "A");
        EXPECT_EQ(t.assignments[1].name, "B");
    }
}

TEST(EnvFileReader, AnUnreadableAssignmentAfterTheLastReadableOneIsFound) {
    const EnvFileText t = parse_env_file("ES_PATH_CONF=/etc/a\nES_PATH_CONF=$(x)\nY=$(z)\n");
    ASSERT_NE(t.last("ES_PATH_CONF"), nullptr);
    const EnvFileProblem* u = t.unreadable_assignment("ES_PATH_CONF", t.last("ES_PATH_CONF")->line);
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->line, 2);
    EXPECT_EQ(parse_env_file("ES_PATH_CONF=$(x)\nES_PATH_CONF=/etc/a\n").unreadable_assignment("ES_PATH_CONF", 2),
              nullptr);
}

TEST(EnvFileReader, CutsWhatItEchoes) {
    const std::string line = "X=$(" + std::string(100000, 'a') + ")";
    const EnvFileText t = parse_env_file(line);
    ASSERT_EQ(t.unreadable.size(), 1U);
    EXPECT_LT(t.unreadable[0].text.size(), 200U);
}

// --- the plan -------------------------------------------------------------------

constexpr std::string_view env_path = "/etc/default/elasticsearch";

// A 7.17 package at /opt/es whose elasticsearch-env:88 sources env_path,
// holding `env_text`; the config directory as host would find it for `spec`.
HostFacts package_host(std::string_view spec_text, std::string_view env_text, std::string_view version = "7.17.25") {
    HostFacts h = es_host(version);
    h.es.env_file.script = "/opt/es/bin/elasticsearch-env";
    h.es.env_file.layout = {EsLayout::Kind::package, std::string{env_path}, 88, {}};
    h.es.env_file.text = parse_env_file(env_text);
    auto spec = parse_text(spec_text);
    EXPECT_TRUE(spec.has_value());
    if (spec) {
        const EnvMap env = program_environment(h.environ, spec->clear_environment, spec->environment_settings());
        h.es.conf_dir = es_node_conf_dir(*spec, env, h.es, h.es.conf_dir_source);
    }
    return h;
}

const Finding* finding(const LaunchPlan& plan, std::string_view id) {
    for (const auto& f : plan.env_file.findings) {
        if (f.id == id) return &f;
    }
    return nullptr;
}

const std::string with_conf = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nheap_size=256m\n"
                              "environment=ES_PATH_CONF=\"/etc/elasticsearch\"\n";

TEST(PlanEnvFile, AHeapInTheFilesEsJavaOptsIs78AtHeapSize) {
    const std::string env = "# heap\nES_JAVA_OPTS=\"-Xms2g -Xmx2g\"\n";
    const Error e = plan_error(with_conf, package_host(with_conf, env));
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.file, std::string{case_file});
    EXPECT_EQ(e.line, 4);  // heap_size=
    EXPECT_THAT(e.what, HasSubstr("heap_size=256m is passed in ES_JAVA_OPTS, but /etc/default/elasticsearch:2 sets "
                                  "ES_JAVA_OPTS='-Xms2g -Xmx2g'"));
    EXPECT_THAT(e.what, HasSubstr("the JVM would run with -Xms2g -Xmx2g"));
    EXPECT_THAT(e.hint, HasSubstr("remove ES_JAVA_OPTS from /etc/default/elasticsearch"));
}

TEST(PlanEnvFile, AnyEsJavaOptsThereReplacesTheHeap) {
    const Error plain = plan_error(with_conf, package_host(with_conf, "ES_JAVA_OPTS=-Dx=1\n"));
    EXPECT_EQ(plain.status, status::config);
    EXPECT_THAT(plain.what, HasSubstr("the JVM would run with the heap of jvm.options, or the JVM's default"));
    const Error unread = plan_error(with_conf, package_host(with_conf, "ES_JAVA_OPTS=\"$ES_JAVA_OPTS -Dx=1\"\n"));
    EXPECT_EQ(unread.status, status::config);
    EXPECT_THAT(unread.what, HasSubstr("/etc/default/elasticsearch:1 assigns ES_JAVA_OPTS in a way eslaunch cannot "
                                       "read (parameter expansion"));
}

TEST(PlanEnvFile, WithoutAHeapEsJavaOptsThereIsAWarning) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n"
                             "environment=ES_PATH_CONF=\"/etc/elasticsearch\",ES_JAVA_OPTS=\"-Dspec=1\"\n";
    const LaunchPlan plan = plan_ok(spec, package_host(spec, "ES_JAVA_OPTS=\"-Dfile=1\"\n"));
    const Finding* f = finding(plan, "env-file-replaces");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->where, "/etc/default/elasticsearch:1");
    EXPECT_THAT(f->message, HasSubstr("ES_JAVA_OPTS='-Dfile=1' replaces ES_JAVA_OPTS='-Dspec=1' of the spec's "
                                      "environment="));
}

TEST(PlanEnvFile, APackageWithoutEsPathConfAnywhereIs78) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n";
    const HostFacts host = package_host(spec, "ES_STARTUP_SLEEP_TIME=5\n");
    EXPECT_EQ(host.es.conf_dir, "");  // no es_home/config default for a package
    const Error e = plan_error(spec, host);
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.line, 1);
    EXPECT_THAT(e.what, HasSubstr("/opt/es/bin/elasticsearch-env:88 sources /etc/default/elasticsearch"));
    EXPECT_THAT(e.what, HasSubstr("\"ES_PATH_CONF must be set to the configuration path\""));
    EXPECT_THAT(e.hint, HasSubstr("add environment=ES_PATH_CONF=/etc/elasticsearch to the spec, or "
                                  "ES_PATH_CONF=/etc/elasticsearch to /etc/default/elasticsearch"));
    // es_path_conf= alone does not reach the node: still 78, at its line.
    const std::string with_key = spec + "es_path_conf=/etc/es\n";
    const Error keyed = plan_error(with_key, package_host(with_key, ""));
    EXPECT_EQ(keyed.line, 4);
    EXPECT_THAT(keyed.hint, HasSubstr("environment=ES_PATH_CONF=/etc/es"));
    EXPECT_THAT(keyed.hint, HasSubstr("es_path_conf= only tells eslaunch where to read"));
}

TEST(PlanEnvFile, EsPathConfFromTheEnvironmentOrTheFileIsEnough) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n";
    HostFacts inherited = es_host("7.17.25");
    inherited.environ.set("ES_PATH_CONF", "/etc/elasticsearch");
    inherited.es.env_file.script = "/opt/es/bin/elasticsearch-env";
    inherited.es.env_file.layout = {EsLayout::Kind::package, std::string{env_path}, 88, {}};
    const LaunchPlan a = plan_ok(spec, inherited);
    EXPECT_TRUE(a.env_file.findings.empty());
    const HostFacts file = package_host(spec, "ES_PATH_CONF=/etc/es-file\n");
    EXPECT_EQ(file.es.conf_dir, "/etc/es-file");
    EXPECT_EQ(file.es.conf_dir_source, "/etc/default/elasticsearch:1");
    const LaunchPlan b = plan_ok(spec, file);
    EXPECT_EQ(b.env_file.conf_dir, "/etc/es-file");
    EXPECT_EQ(b.env_file.layout, "package");
    EXPECT_EQ(b.env_file.layout_source, "/opt/es/bin/elasticsearch-env:88");
    EXPECT_TRUE(b.env_file.findings.empty());
}

TEST(PlanEnvFile, TheFilesEsPathConfWinsAndADifferentOneInTheSpecIsNamed) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nes_path_conf=/etc/spec\n"
                             "environment=ES_PATH_CONF=\"/etc/spec-env\"\n";
    const HostFacts host = package_host(spec, "\nES_PATH_CONF=/etc/es-file/\n");
    EXPECT_EQ(host.es.conf_dir, "/etc/es-file/");
    const LaunchPlan plan = plan_ok(spec, host);
    int named = 0;
    for (const auto& f : plan.env_file.findings) {
        if (f.id != "env-file-es-path-conf") continue;
        ++named;
        EXPECT_EQ(f.where, "/etc/default/elasticsearch:2");
    }
    EXPECT_EQ(named, 2);
    EXPECT_THAT(plan.env_file.findings[0].message,
                HasSubstr("ES_PATH_CONF=/etc/es-file/ here is the configuration directory the node reads, not "
                          "es_path_conf=/etc/spec (spec line 4)"));
    EXPECT_THAT(plan.env_file.findings[1].message,
                HasSubstr("replaces ES_PATH_CONF=/etc/spec-env of the spec's environment="));
    // The same directory written otherwise is no conflict.
    const std::string same = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\nes_path_conf=/etc/es/\n";
    EXPECT_TRUE(plan_ok(same, package_host(same, "ES_PATH_CONF=/etc/es\n")).env_file.findings.empty());
}

TEST(PlanEnvFile, AnEmptyOrRelativeEsPathConfThereIs78AtItsLine) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n"
                             "environment=ES_PATH_CONF=\"/etc/elasticsearch\"\n";
    const Error empty = plan_error(spec, package_host(spec, "# c\nES_PATH_CONF=\n"));
    EXPECT_EQ(empty.status, status::config);
    EXPECT_EQ(empty.file, env_path);
    EXPECT_EQ(empty.line, 2);
    EXPECT_THAT(empty.what, HasSubstr("ES_PATH_CONF must be set"));
    const Error relative = plan_error(spec, package_host(spec, "ES_PATH_CONF=config\n"));
    EXPECT_EQ(relative.file, env_path);
    EXPECT_EQ(relative.line, 1);
    EXPECT_THAT(relative.what, HasSubstr("ES_PATH_CONF='config' is not an absolute path"));
}

TEST(PlanEnvFile, AnUnreadableEsPathConfIsAWarningNotAGuess) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n";
    const HostFacts host = package_host(spec, "ES_PATH_CONF=$(ls -d /etc/es*)\n");
    EXPECT_EQ(host.es.conf_dir, "");
    const LaunchPlan plan = plan_ok(spec, host);  // it may set it: no 78
    const Finding* f = finding(plan, "env-file-es-path-conf");
    ASSERT_NE(f, nullptr);
    EXPECT_THAT(f->message, HasSubstr("cannot read (command substitution"));
    const Finding* line = finding(plan, "env-file-unreadable");
    ASSERT_NE(line, nullptr);
    EXPECT_EQ(line->where, "/etc/default/elasticsearch:1");
    EXPECT_THAT(line->message, HasSubstr("cannot be read statically: command substitution ($(...))"));
    EXPECT_THAT(line->message, HasSubstr("ES_PATH_CONF=$(ls -d /etc/es*)"));
}

TEST(PlanEnvFile, VariablesNothingReadsNameTheSpecKeyToUse) {
    const std::string env = "MAX_OPEN_FILES=65536\nMAX_LOCKED_MEMORY=unlimited\nMAX_MAP_COUNT=262144\n"
                            "ES_HEAP_SIZE=2g\nJAVA_HOME=/usr/lib/jvm/java-17\nES_JAVA_HOME=/opt/jdk\n";
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n"
                             "environment=ES_PATH_CONF=\"/etc/elasticsearch\"\n";
    const LaunchPlan plan = plan_ok(spec, package_host(spec, env));
    struct Want {
        std::string_view id, where, message, fix;
    };
    const Want wants[] = {
        {"env-file-max-open-files", ":1", "read by nothing under systemd or eslaunch", "set limit_nofile=65536"},
        {"env-file-max-locked-memory", ":2", "MAX_LOCKED_MEMORY=unlimited", "set limit_memlock=infinity"},
        {"env-file-max-map-count", ":3", "MAX_MAP_COUNT=262144", "vm.max_map_count=262144"},
        {"env-file-es-heap-size", ":4", "Elasticsearch 6.0 and later ignore it", "heap_size=2g"},
        {"env-file-java-home", ":5", "chooses java before it sources this file", "environment=JAVA_HOME=/usr/lib/jvm/java-17"},
        {"env-file-es-java-home", ":6", "chooses java before it sources this file", "environment=ES_JAVA_HOME=/opt/jdk"},
    };
    for (const auto& w : wants) {
        SCOPED_TRACE(w.id);
        const Finding* f = finding(plan, w.id);
        ASSERT_NE(f, nullptr);
        EXPECT_EQ(f->severity, Finding::Severity::warning);
        EXPECT_EQ(f->where, std::string{env_path} + std::string{w.where});
        EXPECT_THAT(f->message, HasSubstr(w.message));
        EXPECT_THAT(f->fix, HasSubstr(w.fix));
    }
    EXPECT_EQ(plan.env_file.findings.size(), std::size(wants));
}

TEST(PlanEnvFile, AnArchiveReadsNoFileAndAnUnknownLayoutSaysSo) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n";
    HostFacts archive = es_host("7.17.25");
    archive.es.env_file.script = "/opt/es/bin/elasticsearch-env";
    archive.es.env_file.layout = {EsLayout::Kind::archive, {}, 70, {}};
    const LaunchPlan a = plan_ok(spec, archive);
    EXPECT_EQ(a.env_file.layout, "archive");
    EXPECT_EQ(a.env_file.path, "");
    EXPECT_TRUE(a.env_file.findings.empty());
    HostFacts unknown = archive;
    unknown.es.env_file.layout = {EsLayout::Kind::unknown, {}, 0, "cannot read it: No such file or directory"};
    const LaunchPlan u = plan_ok(spec, unknown);
    ASSERT_EQ(u.env_file.findings.size(), 1U);
    EXPECT_EQ(u.env_file.findings[0].id, "env-file-layout");
    EXPECT_THAT(u.env_file.findings[0].message, HasSubstr("cannot tell whether /opt/es is a package"));
    EXPECT_THAT(u.env_file.findings[0].message, HasSubstr("cannot read it: No such file or directory"));
    // Before 6.0 (host reads no script) nothing is shown.
    EXPECT_EQ(plan_ok(spec, es_host("5.6.16")).env_file.layout, "");
}

TEST(PlanEnvFile, AFileThatCannotBeReadIsAWarning) {
    const std::string spec = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n";
    HostFacts host = package_host(spec, "");
    host.es.env_file.error = "/etc/default/elasticsearch: cannot open: No such file or directory";
    const LaunchPlan plan = plan_ok(spec, host);
    ASSERT_EQ(plan.env_file.findings.size(), 1U);
    EXPECT_THAT(plan.env_file.findings[0].message, HasSubstr("cannot tell what it changes"));
}

TEST(CheckEnvFile, TextAndJsonShowTheFileAndEachFinding) {
    const std::string spec_text = "[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\n";
    const HostFacts host = package_host(spec_text, "ES_PATH_CONF=/etc/es-file\nMAX_OPEN_FILES=65536\n");
    const auto spec = parse_text(spec_text);
    ASSERT_TRUE(spec.has_value());
    const LaunchPlan plan = plan_ok(spec_text, host);
    const std::string text = render_check_text(*spec, plan, host.environ);
    EXPECT_THAT(text, HasSubstr("\nenvironment file:\n"
                                "  layout         package (/opt/es/bin/elasticsearch-env:88)\n"
                                "  file           /etc/default/elasticsearch\n"
                                "  sets           ES_PATH_CONF (line 1), MAX_OPEN_FILES (line 2)\n"
                                "  config dir     /etc/es-file (/etc/default/elasticsearch:1)\n"
                                "  warning  env-file-max-open-files: MAX_OPEN_FILES=65536: read by nothing"));
    EXPECT_THAT(text, HasSubstr("  es_path_conf         /etc/es-file             derived, from "
                                "/etc/default/elasticsearch:1\n"));
    nlohmann::json j = nlohmann::json::parse(render_check_json(*spec, plan, host.environ));
    nlohmann::json& f = j["environment_file"];
    EXPECT_EQ(f["layout"], "package");
    EXPECT_EQ(f["layout_source"], "/opt/es/bin/elasticsearch-env:88");
    EXPECT_EQ(f["path"], "/etc/default/elasticsearch");
    EXPECT_EQ(f["config_dir"], "/etc/es-file");
    EXPECT_EQ(f["config_dir_source"], "/etc/default/elasticsearch:1");
    EXPECT_EQ(f["assignments"][1]["name"], "MAX_OPEN_FILES");
    ASSERT_EQ(f["findings"].size(), 1U);
    EXPECT_EQ(f["findings"][0]["id"], "env-file-max-open-files");
    EXPECT_EQ(f["findings"][0]["where"], "/etc/default/elasticsearch:2");
    EXPECT_EQ(f["findings"][0]["fix"], "set limit_nofile=65536");
    EXPECT_EQ(j["settings"]["es_path_conf"]["value"], "/etc/es-file");
    // No home of 6.0+: null, and no section.
    const LaunchPlan none = plan_ok(spec_text, es_host("5.6.16"));
    EXPECT_TRUE(nlohmann::json::parse(render_check_json(*spec, none, host.environ))["environment_file"].is_null());
    EXPECT_THAT(render_check_text(*spec, none, host.environ), ::testing::Not(HasSubstr("environment file:")));
}

TEST(EsNodeConfDir, ThePackageFileWinsAndOnlyArchivesDefaultToTheHome) {
    const auto spec = parse_text("[program:es]\ncommand=/opt/es/bin/elasticsearch\n");
    ASSERT_TRUE(spec.has_value());
    EsHomeFacts es;
    es.home = "/opt/es";
    std::string source;
    EXPECT_EQ(es_node_conf_dir(*spec, {}, es, source), "/opt/es/config");  // not read: as before
    EXPECT_EQ(source, "es_home/config");
    es.env_file.layout.kind = EsLayout::Kind::package;
    es.env_file.layout.env_file = "/e";
    EXPECT_EQ(es_node_conf_dir(*spec, {}, es, source), "");
    EnvMap env;
    env.set("ES_PATH_CONF", "/etc/x");
    EXPECT_EQ(es_node_conf_dir(*spec, env, es, source), "/etc/x");
    EXPECT_EQ(source, "ES_PATH_CONF");
    es.env_file.text = parse_env_file("ES_PATH_CONF=/etc/y\n");
    EXPECT_EQ(es_node_conf_dir(*spec, env, es, source), "/etc/y");
    EXPECT_EQ(source, "/e:1");
}

}  // namespace
}  // namespace eslaunch::testing

// --- OpenSearch: opensearch-env sources the file only when
// OPENSEARCH_PATH_CONF is unset (1.3.x, 2.x) ------------------------------------

namespace eslaunch::testing {
namespace {

TEST(EnvLayout, OpenSearchsScriptNamesItsOwnVariable) {
    const std::string package = "export HOSTNAME=$HOSTNAME\n\nif [ -z \"$OPENSEARCH_PATH_CONF\" ]; then\n"
                                "  source /etc/default/opensearch\nfi\n";
    const EsLayout deb = es_layout_of(package, "OPENSEARCH_PATH_CONF");
    EXPECT_EQ(deb.kind, EsLayout::Kind::package);
    EXPECT_EQ(deb.env_file, "/etc/default/opensearch");
    EXPECT_EQ(deb.line, 4);
    const std::string archive = "if [ -z \"$OPENSEARCH_PATH_CONF\" ]; then OPENSEARCH_PATH_CONF=\"$OPENSEARCH_HOME\""
                                "/config; fi\n";
    EXPECT_EQ(es_layout_of(archive, "OPENSEARCH_PATH_CONF").kind, EsLayout::Kind::archive);
    EXPECT_EQ(es_layout_of(archive).kind, EsLayout::Kind::unknown);  // not Elasticsearch's line
    EXPECT_EQ(es_layout_of("x\n", "OPENSEARCH_PATH_CONF").why,
              "it has neither a package's `source FILE` line nor the archives' OPENSEARCH_PATH_CONF default");
}

constexpr std::string_view os_env_path = "/etc/sysconfig/opensearch";

// A 2.19 rpm at /opt/os whose opensearch-env:40 sources os_env_path.
HostFacts os_package_host(std::string_view spec_text, std::string_view env_text) {
    HostFacts h = es_host("7.10.2");  // the heap lines; the rest made OpenSearch's
    h.es.home = "/opt/os";
    h.es.opensearch = true;
    h.es.version = opensearch_version_from_jar_name("opensearch-2.19.1.jar");
    h.es.version_source = "/opt/os/lib/opensearch-2.19.1.jar";
    h.es.env_file.script = "/opt/os/bin/opensearch-env";
    h.es.env_file.layout = {EsLayout::Kind::package, std::string{os_env_path}, 40, {}};
    h.es.env_file.text = parse_env_file(env_text);
    auto spec = parse_text(spec_text);
    EXPECT_TRUE(spec.has_value());
    if (spec) {
        const EnvMap env = program_environment(h.environ, spec->clear_environment, spec->environment_settings());
        h.es.conf_dir = es_node_conf_dir(*spec, env, h.es, h.es.conf_dir_source);
    }
    return h;
}

const std::string os_spec_text = "[program:os]\ncommand=/opt/os/bin/opensearch\nuser=work\nheap_size=256m\n";

TEST(PlanEnvFile, OpenSearchReadsTheFileOnlyWithoutOpensearchPathConf) {
    const std::string env = "OPENSEARCH_PATH_CONF=/etc/opensearch\nOPENSEARCH_JAVA_OPTS=\"-Xmx2g\"\n";
    // Unset: sourced, so its OPENSEARCH_PATH_CONF is the node's and its
    // OPENSEARCH_JAVA_OPTS replaces the heap (78).
    const HostFacts sourced = os_package_host(os_spec_text, env);
    EXPECT_EQ(sourced.es.conf_dir, "/etc/opensearch");
    EXPECT_EQ(sourced.es.conf_dir_source, std::string{os_env_path} + ":1");
    const Error e = plan_error(os_spec_text, sourced);
    EXPECT_EQ(e.status, status::config);
    EXPECT_THAT(e.what, HasSubstr("heap_size=256m is passed in OPENSEARCH_JAVA_OPTS, but /etc/sysconfig/opensearch:2 "
                                  "sets OPENSEARCH_JAVA_OPTS='-Xmx2g', which bin/opensearch-env sources after the "
                                  "environment"));
    // Set: not sourced; the environment's directory, and a warning instead.
    const std::string with_conf = os_spec_text + "environment=OPENSEARCH_PATH_CONF=\"/srv/os\"\n";
    const HostFacts skipped = os_package_host(with_conf, env);
    EXPECT_EQ(skipped.es.conf_dir, "/srv/os");
    EXPECT_EQ(skipped.es.conf_dir_source, "OPENSEARCH_PATH_CONF");
    const LaunchPlan plan = plan_ok(with_conf, skipped);
    const Finding* f = finding(plan, "env-file-not-sourced");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->message, "bin/opensearch-env does not source /etc/sysconfig/opensearch: OPENSEARCH_PATH_CONF=/srv/os "
                          "(environment= at line 5) is set, and OpenSearch sources the file only when it is unset; "
                          "its 2 lines do not reach the node");
    EXPECT_EQ(plan.env_file.path, os_env_path);
}

// Sourced without export: what only the file sets stays in the script's
// shell. The scripts' own variables and exported ones are fine.
TEST(PlanEnvFile, OpenSearchWarnsOfWhatTheFileDoesNotExport) {
    const std::string spec = "[program:os]\ncommand=/opt/os/bin/opensearch\nuser=work\n";
    const std::string env =
        "OPENSEARCH_PATH_CONF=/etc/opensearch\nOPENSEARCH_JAVA_OPTS=\"-Dx=1\"\nOPENSEARCH_SD_NOTIFY=true\n"
        "OPENSEARCH_STARTUP_SLEEP_TIME=5\nPID_DIR=/var/run/opensearch\nexport EXTRA=1\nLATER=2\nexport LATER\n";
    const LaunchPlan plan = plan_ok(spec, os_package_host(spec, env));
    std::vector<std::string> said;
    for (const auto& f : plan.env_file.findings) {
        if (f.id == "env-file-not-exported") said.push_back(f.where + " " + f.message);
    }
    EXPECT_THAT(said, ::testing::ElementsAre(
                          "/etc/sysconfig/opensearch:2 OPENSEARCH_JAVA_OPTS='-Dx=1' never reaches the node: "
                          "bin/opensearch-env sources this file without exporting it, so only the script's shell "
                          "sees it, not the JVM",
                          "/etc/sysconfig/opensearch:3 OPENSEARCH_SD_NOTIFY='true' never reaches the node: "
                          "bin/opensearch-env sources this file without exporting it, so only the script's shell "
                          "sees it, not the JVM"));
    EXPECT_EQ(finding(plan, "env-file-not-exported")->fix,
              "set it in the spec: environment=OPENSEARCH_JAVA_OPTS=\"-Dx=1\" (or write export OPENSEARCH_JAVA_OPTS=... "
              "here)");
    // In the environment already (ready=native sets OPENSEARCH_SD_NOTIFY): exported.
    const std::string native = spec + "ready=native\n";
    const LaunchPlan n = plan_ok(native, os_package_host(native, env));
    for (const auto& f : n.env_file.findings) EXPECT_THAT(f.message, Not(HasSubstr("OPENSEARCH_SD_NOTIFY='true'")));
}

TEST(PlanEnvFile, OpenSearchPackageWithoutAConfigDirectoryIs78) {
    const Error e = plan_error(os_spec_text, os_package_host(os_spec_text, "OPENSEARCH_JAVA_HOME=/opt/jdk\n"));
    EXPECT_EQ(e.status, status::config);
    EXPECT_THAT(e.what, HasSubstr("OpenSearch 2.19.1 here is a package (/opt/os/bin/opensearch-env:40 sources "
                                  "/etc/sysconfig/opensearch), which has no default configuration directory, and "
                                  "neither the program's environment nor that file sets OPENSEARCH_PATH_CONF: "
                                  "bin/opensearch-env would stop with \"OPENSEARCH_PATH_CONF must be set to the "
                                  "configuration path\""));
    const std::string ok_env = "OPENSEARCH_PATH_CONF=/etc/opensearch\nOPENSEARCH_JAVA_HOME=/opt/jdk\n";
    const LaunchPlan plan = plan_ok(os_spec_text, os_package_host(os_spec_text, ok_env));
    const Finding* java = finding(plan, "env-file-opensearch-java-home");
    ASSERT_NE(java, nullptr);
    EXPECT_THAT(java->message, HasSubstr("bin/opensearch-env chooses java before it sources this file"));
}

}  // namespace
}  // namespace eslaunch::testing
